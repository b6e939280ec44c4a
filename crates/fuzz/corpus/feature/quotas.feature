@feature:quotas
Feature: Per-plan quotas
  Each plan allows a number of units of every metered quantity per UTC day.
  A tenant sees its limits, what it used and what remains.

  Background:
    Given I am not authenticated
    And I send a GET request to "/health"
    And I save the response header "X-Request-Id" as "run"

  Scenario Outline: The <plan> plan has its own daily limits
    When I send a POST request to "/v1/tenants" with body:
      """
      {"name": "quota-<plan>-{{run}}", "plan": "<plan>", "admin_email": "ops@example.test"}
      """
    Then the response status is 201
    And I save the response JSON at "$.api_key" as "key"
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a GET request to "/v1/quota"
    Then the response status is 200
    And the response JSON has:
      | $.plan                            | "<plan>"      |
      | $.quotas.api_calls.limit          | <api_calls>   |
      | $.quotas.api_calls.used           | 0             |
      | $.quotas.api_calls.remaining      | <api_calls>   |
      | $.quotas.compute_minutes.limit    | <compute>     |
      | $.quotas.compute_minutes.remaining | <compute>    |

    Examples:
      | plan       | api_calls | compute |
      | free       | 1000      | 60      |
      | team       | 100000    | 6000    |
      | enterprise | 10000000  | 600000  |

  Scenario: A new free tenant sees its full allowance
    When I send a POST request to "/v1/tenants" with body:
      """
      {"name": "quota-snapshot-{{run}}", "plan": "free", "admin_email": "ops@example.test"}
      """
    Then the response status is 201
    And I save the response JSON at "$.api_key" as "key"
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a GET request to "/v1/quota"
    Then the response status is 200
    And the response time is under 1000 ms
    And the response JSON at "$.period_start" is a string
    And the response JSON at "$.resets_at" matches "^[0-9]{4}-[0-9]{2}-[0-9]{2}T00:00:00Z$"
    And the response body matches the snapshot "quota-free-plan"

  Scenario: Used and remaining follow recorded usage
    When I send a POST request to "/v1/tenants" with body:
      """
      {"name": "quota-used-{{run}}", "plan": "free", "admin_email": "ops@example.test"}
      """
    Then the response status is 201
    And I save the response JSON at "$.api_key" as "key"
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a POST request to "/v1/usage" with body:
      """
      {"metric": "api_calls", "units": 250}
      """
    Then the response status is 202
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a GET request to "/v1/quota"
    Then the response status is 200
    And the response JSON matches:
      """
      {
        "plan": "free",
        "quotas": {
          "api_calls": {"limit": 1000, "used": 250, "remaining": 750},
          "compute_minutes": {"limit": 60, "used": 0, "remaining": 60}
        }
      }
      """

  Scenario: Quotas are private to the tenant
    When I send a GET request to "/v1/quota"
    Then the response status is 401
    And the response header "WWW-Authenticate" contains "Bearer"
