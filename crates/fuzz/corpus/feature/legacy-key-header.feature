@feature:legacy-key-header
Feature: Legacy X-Api-Key authentication
  Older clients authenticate with an X-Api-Key header instead of a bearer token.
  It keeps working, but from release 2.0 it is deprecated: every response to
  such a request says so with Deprecation and Sunset headers.

  Background:
    Given I am not authenticated
    And I send a GET request to "/health"
    And I save the response header "X-Request-Id" as "run"
    And I send a POST request to "/v1/tenants" with body:
      """
      {"name": "legacy-{{run}}", "plan": "free", "admin_email": "ops@example.test"}
      """
    And the response status is 201
    And I save the response JSON at "$.id" as "tenant_id"
    And I save the response JSON at "$.api_key" as "key"

  Scenario: The X-Api-Key header authenticates the tenant
    Given the request header "X-Api-Key" is "{{key}}"
    When I send a GET request to "/v1/tenant"
    Then the response status is 200
    And the response JSON at "$.id" is "{{tenant_id}}"
    And the response JSON at "$.name" is "legacy-{{run}}"

  @since:2.0.0
  Scenario: Responses to X-Api-Key requests announce the deprecation
    Given the request header "X-Api-Key" is "{{key}}"
    And the request headers are:
      | Accept | application/json |
    When I send a GET request to "/v1/quota"
    Then the response status is 200
    And the response headers include:
      | Deprecation | true |
    And the response header "Sunset" exists
    And the response header "Sunset" contains "GMT"

  @until:1.99.99
  Scenario: Before 2.0 X-Api-Key requests carry no deprecation notice
    Given the request header "X-Api-Key" is "{{key}}"
    When I send a GET request to "/v1/quota"
    Then the response status is 200
    And the response header "Deprecation" does not exist
    And the response header "Sunset" does not exist

  Scenario: Bearer authentication carries no deprecation notice
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a GET request to "/v1/tenant"
    Then the response status is 200
    And the response header "Deprecation" does not exist

  Scenario: An unknown X-Api-Key is refused like an unknown bearer key
    Given the request header "X-Api-Key" is "ck_live_ffffffffffffffffffffffffffffffff"
    When I send a GET request to "/v1/tenant"
    Then the response status is 401
    And the response header "WWW-Authenticate" contains "Bearer"
    And the response JSON at "$.error.code" is "invalid_api_key"
