@feature:platform-status
Feature: Platform health and version
  Anyone, monitoring included, can ask the platform whether it is up and which
  release it runs, without credentials.

  Background:
    Given I am not authenticated

  Scenario: The health endpoint reports ok
    When I send a GET request to "/health"
    Then the response status is 200
    And the response header "Content-Type" contains "application/json"
    And the response JSON at "$.status" is "ok"
    And the response time is under 500 ms

  Scenario: The version endpoint names the release and the features it serves
    When I send a GET request to "/version"
    Then the response status is 200
    And the response JSON matches:
      """
      {
        "version": "#regex ^[0-9]+[.][0-9]+[.][0-9]+$",
        "build": "#string",
        "api": "v1",
        "features": "#array"
      }
      """
    And the response JSON at "$.features" contains "tenant-signup"
    And the response JSON at "$.features" contains "api-keys"

  @since:2.0.0
  Scenario: Release 2.0 advertises usage export
    When I send a GET request to "/version"
    Then the response status is 200
    And the response body matches the snapshot "version-v2"

  Scenario: Every response carries a request id, errors included
    When I send a GET request to "/health"
    Then the response header "X-Request-Id" exists
    When I send a GET request to "/v1/tenant"
    Then the response status is 401
    And the response header "X-Request-Id" exists

  Scenario: An unknown path answers a JSON 404
    When I send a GET request to "/v1/no-such-thing"
    Then the response status is 404
    And the response JSON has:
      | $.error.code    | "not_found"                          |
      | $.error.message | "no route for GET /v1/no-such-thing" |
      | $.error.field   | null                                 |
