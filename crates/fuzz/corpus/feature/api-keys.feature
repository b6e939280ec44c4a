@feature:api-keys @critical
Feature: API keys and bearer authentication
  Every request a tenant makes is authenticated with one of its API keys sent
  as a bearer token. Tenants create more keys, see them listed only masked, and
  revoke them; an unknown or revoked key is refused with 401 and a Bearer
  challenge.

  Background:
    Given I am not authenticated
    And I send a GET request to "/health"
    And I save the response header "X-Request-Id" as "run"
    And I send a POST request to "/v1/tenants" with body:
      """
      {"name": "keys-{{run}}", "plan": "team", "admin_email": "ops@example.test"}
      """
    And the response status is 201
    And I save the response JSON at "$.id" as "tenant_id"
    And I save the response JSON at "$.api_key" as "key"
    And I save the response JSON at "$.api_key_id" as "key_id"

  Scenario: The first API key authenticates its tenant
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a GET request to "/v1/tenant"
    Then the response status is 200
    And the response JSON at "$.id" is "{{tenant_id}}"
    And the response JSON at "$.name" is "keys-{{run}}"
    And the response JSON at "$.api_key" does not exist

  Scenario: A new key is shown once, then only masked
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a POST request to "/v1/keys" with body:
      """
      {"name": "ci-pipeline"}
      """
    Then the response status is 201
    And the response JSON at "$.key" matches "^ck_live_[0-9a-f]{32}$"
    And the response JSON at "$.name" is "ci-pipeline"
    And the response JSON at "$.status" is "active"
    And I save the response JSON at "$.id" as "new_key_id"
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a GET request to "/v1/keys"
    Then the response status is 200
    And the response JSON conforms to the schema "schemas/key-list.json"
    And the response JSON at "$.keys" has 2 items
    And the response JSON at "$.keys[0].id" is "{{key_id}}"
    And the response JSON at "$.keys[1].id" is "{{new_key_id}}"
    And the response JSON at "$.keys[*].key" does not exist
    And the response JSON at "$.keys[1].masked_key" matches "^ck_live_[*]{4}[0-9a-f]{4}$"

  Scenario: A new key authenticates the same tenant
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a POST request to "/v1/keys" with body:
      """
      {"name": "second"}
      """
    Then the response status is 201
    And I save the response JSON at "$.key" as "second_key"
    Given the request header "Authorization" is "Bearer {{second_key}}"
    When I send a GET request to "/v1/tenant"
    Then the response status is 200
    And the response JSON at "$.id" is "{{tenant_id}}"

  Scenario: A revoked key is refused with 401 and a Bearer challenge
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a POST request to "/v1/keys" with body:
      """
      {"name": "short-lived"}
      """
    Then the response status is 201
    And I save the response JSON at "$.id" as "doomed_id"
    And I save the response JSON at "$.key" as "doomed_key"
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a DELETE request to "/v1/keys/{{doomed_id}}"
    Then the response status is 204
    Given the request header "Authorization" is "Bearer {{doomed_key}}"
    When I send a GET request to "/v1/tenant"
    Then the response status is 401
    And the response header "WWW-Authenticate" contains "Bearer"
    And the response JSON at "$.error.code" is "invalid_api_key"
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a GET request to "/v1/keys"
    Then the response JSON at "$.keys[1].status" is "revoked"
    And the response JSON at "$.keys[1].revoked_at" is a string

  Scenario Outline: A request with <case> is refused
    Given the request header "Authorization" is "<authorization>"
    When I send a GET request to "/v1/tenant"
    Then the response status is 401
    And the response header "WWW-Authenticate" contains "Bearer"
    And the response JSON at "$.error.code" is "<code>"

    Examples:
      | case                | authorization                                   | code            |
      | an unknown key      | Bearer ck_live_00000000000000000000000000000000 | invalid_api_key |
      | the Basic scheme    | Basic dXNlcjpwYXNzd29yZA==                      | unauthenticated |
      | an empty bearer     | Bearer                                          | unauthenticated |

  Scenario: A request without credentials gets the documented error
    When I send a GET request to "/v1/keys"
    Then the response status is 401
    And the response header "WWW-Authenticate" contains "realm="
    And the response body matches the snapshot "error-unauthenticated"

  Scenario: Revoking a key the tenant does not have is not found
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a DELETE request to "/v1/keys/00000000-0000-4000-8000-000000000000"
    Then the response status is 404
    And the response JSON at "$.error.code" is "not_found"
