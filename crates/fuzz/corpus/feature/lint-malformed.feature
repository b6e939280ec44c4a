@feature:accounts
Feature: A file that does not parse

  Scenario: Fine so far
    When I send a GET request to "/v1/accounts"
    Then the response status is 200

  Scenario: Broken in the middle
    When I send a GET request to "/v1/accounts"
  this line is not Gherkin
    Then the response status is 200

  Scenario: Fine again
    When I send a GET request to "/v1/accounts"
