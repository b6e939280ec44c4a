@feature:operator-admin
Feature: Operator administration
  Platform operators, with the operator token, list and inspect tenants and
  suspend or resume them. A suspended tenant's API keys are refused with 403.
  Tenant API keys never open the operator endpoints.

  Background:
    Given I am not authenticated
    And I send a GET request to "/health"
    And I save the response header "X-Request-Id" as "run"
    And I send a POST request to "/v1/tenants" with body:
      """
      {"name": "ops-{{run}}", "plan": "free", "admin_email": "ops@example.test"}
      """
    And the response status is 201
    And I save the response JSON at "$.id" as "tenant_id"
    And I save the response JSON at "$.api_key" as "key"
    And I am authenticated as "operator"

  Scenario: Operators find a tenant by name
    Given the query parameter "name" is "ops-{{run}}"
    When I send a GET request to "/v1/admin/tenants"
    Then the response status is 200
    And the response JSON at "$.count" is 1
    And the response JSON at "$.tenants" has 1 items
    And the response JSON matches:
      """
      {
        "tenants": [
          {
            "id": "{{tenant_id}}",
            "name": "ops-{{run}}",
            "plan": "free",
            "admin_email": "ops@example.test",
            "status": "#regex ^(provisioning|active)$",
            "created_at": "#date-time",
            "api_key": "#notpresent"
          }
        ],
        "count": 1
      }
      """

  Scenario: Operators inspect a tenant with its keys and usage
    When I send a GET request to "/v1/admin/tenants/{{tenant_id}}"
    Then the response status is 200
    And the response JSON has:
      | $.name                   | "ops-{{run}}" |
      | $.plan                   | "free"        |
      | $.active_keys            | 1             |
      | $.usage.api_calls        | 0             |
      | $.usage.compute_minutes  | 0             |

  Scenario: A suspended tenant's keys are refused
    When I send a POST request to "/v1/admin/tenants/{{tenant_id}}/suspend"
    Then the response status is 200
    And the response JSON at "$.status" is "suspended"
    Given I am not authenticated
    And the request header "Authorization" is "Bearer {{key}}"
    When I send a GET request to "/v1/tenant"
    Then the response status is 403
    And the response JSON at "$.error.code" is "tenant_suspended"
    When I send a GET request to "/v1/tenants/{{tenant_id}}/status"
    Then the response JSON at "$.status" is "suspended"

  Scenario: A resumed tenant's keys work again
    When I send a POST request to "/v1/admin/tenants/{{tenant_id}}/suspend"
    Then the response status is 200
    When I send a POST request to "/v1/admin/tenants/{{tenant_id}}/resume"
    Then the response status is 200
    And the response JSON at "$.status" matches "^(provisioning|active)$"
    Given I am not authenticated
    And the request header "Authorization" is "Bearer {{key}}"
    When I send a GET request to "/v1/tenant"
    Then the response status is 200
    And the response JSON at "$.id" is "{{tenant_id}}"

  Scenario: A tenant API key does not open the operator endpoints
    Given I am not authenticated
    And the request header "Authorization" is "Bearer {{key}}"
    When I send a GET request to "/v1/admin/tenants"
    Then the response status is 403
    And the response JSON at "$.error.code" is "operator_only"

  Scenario Outline: Operator endpoints refuse <who>
    Given I am not authenticated
    And the request headers are:
      | Authorization | <authorization> |
    When I send a POST request to "/v1/admin/tenants/{{tenant_id}}/suspend"
    Then the response status is 401
    And the response header "WWW-Authenticate" contains "Bearer"
    And the response JSON at "$.error.code" is "<code>"

    Examples:
      | who                | authorization                 | code            |
      | a wrong token      | Bearer not-the-operator-token | invalid_token   |
      | a non-bearer token | Token not-the-operator-token  | unauthenticated |

  Scenario: Suspending an unknown tenant is not found
    When I send a POST request to "/v1/admin/tenants/00000000-0000-4000-8000-000000000000/suspend"
    Then the response status is 404
    And the response JSON at "$.error.code" is "not_found"
