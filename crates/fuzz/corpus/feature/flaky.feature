@feature:probe
Feature: A scenario that passes on its second attempt

  @retry(2)
  Scenario: Fails once, then passes
    When I send a GET request to "/flaky/retried"
    Then the response status is 200

  Scenario: Passes at once
    When I send a GET request to "/ok"
    Then the response status is 200
