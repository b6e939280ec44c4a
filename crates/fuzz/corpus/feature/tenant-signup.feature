@feature:tenant-signup @critical
Feature: Self-service tenant sign-up
  A new customer signs up with a tenant name, a plan and an admin email, gets
  the tenant's first API key exactly once, and the tenant is provisioned in the
  background. Tenant names are unique, so every scenario builds its names from
  a request id the platform hands out.

  Background:
    Given I am not authenticated
    And I send a GET request to "/health"
    And I save the response header "X-Request-Id" as "run"

  Scenario: Sign-up creates a provisioning tenant and returns its first API key
    When I send a POST request to "/v1/tenants" with body:
      """
      {"name": "signup-{{run}}", "plan": "team", "admin_email": "ops@example.test"}
      """
    Then the response status is 201
    And the response time is under 1000 ms
    And the response JSON conforms to the schema "schemas/tenant-signup.json"
    And the response JSON matches:
      """
      {
        "id": "#uuid",
        "name": "signup-{{run}}",
        "plan": "team",
        "admin_email": "ops@example.test",
        "status": "provisioning",
        "created_at": "#date-time",
        "status_url": "#regex ^/v1/tenants/[0-9a-f-]+/status$",
        "api_key": "#regex ^ck_live_[0-9a-f]{32}$",
        "api_key_id": "#uuid"
      }
      """

  Scenario: A new tenant becomes active shortly after sign-up
    Given the request body is:
      """
      {"name": "activate-{{run}}", "plan": "free", "admin_email": "ops@example.test"}
      """
    When I send a POST request to "/v1/tenants"
    Then the response status is 201
    And I save the response JSON at "$.id" as "tenant_id"
    And I save the response JSON at "$.status_url" as "status_url"
    And within 3 seconds a GET request to "{{status_url}}" returns JSON at "$.status" equal to "active"
    When I send a GET request to "/v1/tenants/{{tenant_id}}/status"
    Then the response status is 200
    And the response JSON at "$.id" is "{{tenant_id}}"
    And the response JSON at "$.status" is "active"

  Scenario Outline: Every plan can be chosen at sign-up
    When I send a POST request to "/v1/tenants" with body:
      """
      {"name": "<plan>-plan-{{run}}", "plan": "<plan>", "admin_email": "billing@example.test"}
      """
    Then the response status is 201
    And the response JSON at "$.plan" is "{{plan}}"
    And the response JSON at "$.name" is "<plan>-plan-{{run}}"

    Examples:
      | plan       |
      | free       |
      | team       |
      | enterprise |

  Scenario Outline: An invalid <field> is rejected and named
    When I send a POST request to "/v1/tenants" with body:
      """
      {"name": "<name>", "plan": "<plan>", "admin_email": "<email>"}
      """
    Then the response status is 422
    And the response header "Content-Type" contains "application/json"
    And the response JSON has:
      | $.error.code  | "invalid_value" |
      | $.error.field | "<field>"       |
    And the response JSON at "$.error.message" is a string

    Examples: invalid values
      | name              | plan     | email            | field       |
      | Not A DNS Label   | free     | ops@example.test | name        |
      | ab                | free     | ops@example.test | name        |
      | -leading-hyphen   | free     | ops@example.test | name        |
      | plan-{{run}}      | platinum | ops@example.test | plan        |
      | email-{{run}}     | team     | not-an-email     | admin_email |

  Scenario: A sign-up without an admin email is rejected
    When I send a POST request to "/v1/tenants" with body:
      """
      {"name": "no-email-{{run}}", "plan": "free"}
      """
    Then the response status is 422
    And the response JSON conforms to the schema "schemas/error.json"
    And the response JSON at "$.error.code" is "missing_field"
    And the response JSON at "$.error.field" is "admin_email"

  Scenario: A body that is not JSON is rejected
    When I send a POST request to "/v1/tenants" with body:
      """
      name=acme&plan=free
      """
    Then the response status is 400
    And the response JSON at "$.error.code" is "malformed_json"
    And the response JSON at "$.error.message" contains "JSON object"

  Scenario: A tenant name can only be taken once
    Given the variable "name" is "taken-{{run}}"
    When I send a POST request to "/v1/tenants" with body:
      """
      {"name": "{{name}}", "plan": "free", "admin_email": "first@example.test"}
      """
    Then the response status is 201
    When I send a POST request to "/v1/tenants" with body:
      """
      {"name": "{{name}}", "plan": "team", "admin_email": "second@example.test"}
      """
    Then the response status is 409
    And the response JSON has:
      | $.error.code  | "name_taken" |
      | $.error.field | "name"       |
    And the response JSON at "$.error.message" contains "already exists"
