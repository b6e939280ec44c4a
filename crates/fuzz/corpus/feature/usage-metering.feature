@feature:usage-metering
Feature: Usage metering
  Tenants report metered usage; the platform counts it against the plan's daily
  quota and refuses reports that would exceed it. Release 2.0 changed how a
  refusal is answered: 403 before, 429 with Retry-After from 2.0.

  Background:
    Given I am not authenticated
    And I send a GET request to "/health"
    And I save the response header "X-Request-Id" as "run"
    And I send a POST request to "/v1/tenants" with body:
      """
      {"name": "meter-{{run}}", "plan": "free", "admin_email": "ops@example.test"}
      """
    And the response status is 201
    And I save the response JSON at "$.id" as "tenant_id"
    And I save the response JSON at "$.api_key" as "key"

  Scenario: A usage report is acknowledged
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a POST request to "/v1/usage" with body:
      """
      {"metric": "api_calls", "units": 5}
      """
    Then the response status is 202
    And the response JSON matches:
      """
      {"metric": "api_calls", "units": 5, "recorded_at": "#date-time"}
      """

  Scenario: Usage totals add up per metric
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a POST request to "/v1/usage" with body:
      """
      {"metric": "api_calls", "units": 5}
      """
    Then the response status is 202
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a POST request to "/v1/usage" with body:
      """
      {"metric": "api_calls", "units": 7}
      """
    Then the response status is 202
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a POST request to "/v1/usage" with body:
      """
      {"metric": "compute_minutes", "units": 3}
      """
    Then the response status is 202
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a GET request to "/v1/usage"
    Then the response status is 200
    And the response JSON has:
      | $.totals.api_calls       | 12 |
      | $.totals.compute_minutes | 3  |

  Scenario: Recorded usage reaches the operator's view of the tenant
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a POST request to "/v1/usage" with body:
      """
      {"metric": "compute_minutes", "units": 42}
      """
    Then the response status is 202
    Given I am authenticated as "operator"
    Then within 3 seconds a GET request to "/v1/admin/tenants/{{tenant_id}}" returns JSON at "$.usage.compute_minutes" equal to 42

  Scenario Outline: A usage report with an invalid <field> is rejected
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a POST request to "/v1/usage" with body:
      """
      {"metric": <metric>, "units": <units>}
      """
    Then the response status is 422
    And the response JSON has:
      | $.error.code  | "<code>"  |
      | $.error.field | "<field>" |

    Examples:
      | metric      | units | field  | code          |
      | "bytes"     | 5     | metric | invalid_value |
      | null        | 5     | metric | missing_field |
      | "api_calls" | 0     | units  | invalid_value |
      | "api_calls" | -4    | units  | invalid_value |
      | "api_calls" | "5"   | units  | invalid_value |

  @until:1.99.99
  Scenario: Usage beyond the daily quota is forbidden
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a POST request to "/v1/usage" with body:
      """
      {"metric": "api_calls", "units": 1000}
      """
    Then the response status is 202
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a POST request to "/v1/usage" with body:
      """
      {"metric": "api_calls", "units": 1}
      """
    Then the response status is 403
    And the response header "Retry-After" does not exist
    And the response JSON has:
      | $.error.code  | "quota_exceeded" |
      | $.error.field | "units"          |

  @since:2.0.0
  Scenario: Usage beyond the daily quota is throttled until the quota resets
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a POST request to "/v1/usage" with body:
      """
      {"metric": "api_calls", "units": 1000}
      """
    Then the response status is 202
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a POST request to "/v1/usage" with body:
      """
      {"metric": "api_calls", "units": 1}
      """
    Then the response status is 429
    And the response header "Retry-After" exists
    And the response JSON has:
      | $.error.code  | "quota_exceeded" |
      | $.error.field | "units"          |
    And the response JSON at "$.error.message" contains "1000 used"

  Scenario: A refused report is not counted
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a POST request to "/v1/usage" with body:
      """
      {"metric": "api_calls", "units": 1001}
      """
    Then the response status is one of 403, 429
    And the response JSON at "$.error.code" is "quota_exceeded"
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a GET request to "/v1/usage"
    Then the response JSON at "$.totals.api_calls" is 0
