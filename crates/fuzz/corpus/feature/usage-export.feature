@feature:usage-export
Feature: Usage export
  From release 2.0 a tenant downloads the day's usage records as JSON or CSV,
  for its own billing reconciliation.

  Background:
    Given I am not authenticated
    And I send a GET request to "/health"
    And I save the response header "X-Request-Id" as "run"
    And I send a POST request to "/v1/tenants" with body:
      """
      {"name": "export-{{run}}", "plan": "team", "admin_email": "finance@example.test"}
      """
    And the response status is 201
    And I save the response JSON at "$.id" as "tenant_id"
    And I save the response JSON at "$.api_key" as "key"
    And the request header "Authorization" is "Bearer {{key}}"
    And I send a POST request to "/v1/usage" with body:
      """
      {"metric": "api_calls", "units": 5}
      """
    And the response status is 202
    And the request header "Authorization" is "Bearer {{key}}"
    And I send a POST request to "/v1/usage" with body:
      """
      {"metric": "compute_minutes", "units": 2}
      """
    And the response status is 202

  @since:2.0.0
  Scenario: Usage exports as JSON
    Given the request header "Authorization" is "Bearer {{key}}"
    And the query parameter "format" is "json"
    When I send a GET request to "/v1/usage/export"
    Then the response status is 200
    And the response JSON conforms to the schema "schemas/usage-export.json"
    And the response JSON at "$.tenant_id" is "{{tenant_id}}"
    And the response JSON at "$.records" has 2 items
    And the response JSON matches:
      """
      {
        "records": [
          {"recorded_at": "#date-time", "metric": "api_calls", "units": 5},
          {"recorded_at": "#date-time", "metric": "compute_minutes", "units": 2}
        ]
      }
      """

  @since:2.0.0
  Scenario: Usage exports as CSV
    Given the request header "Authorization" is "Bearer {{key}}"
    And the query parameters are:
      | format | csv |
    When I send a GET request to "/v1/usage/export"
    Then the response status is 200
    And the response headers include:
      | Content-Type | text/csv; charset=utf-8 |
    And the response header "Content-Disposition" contains "attachment"
    And the response body contains "recorded_at,metric,units"
    And the response body contains ",api_calls,5"
    And the response body contains ",compute_minutes,2"

  @since:2.0.0
  Scenario: JSON is the default export format
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a GET request to "/v1/usage/export"
    Then the response status is 200
    And the response header "Content-Type" contains "application/json"
    And the response JSON matches:
      """
      {"tenant_id": "#uuid", "records": "#array"}
      """

  @since:2.0.0
  Scenario Outline: An unsupported export format "<format>" is rejected
    Given the request header "Authorization" is "Bearer {{key}}"
    When I send a GET request to "/v1/usage/export?format=<format>"
    Then the response status is 400
    And the response JSON has:
      | $.error.code  | "invalid_parameter" |
      | $.error.field | "format"            |

    Examples:
      | format |
      | xml    |
      | pdf    |
