@feature:accounts @until:v3
Feature: certify tags written wrongly

  @feature:Accounts
  Scenario: A feature id in capitals
    When I send a GET request to "/v1/accounts"

  @since:2.0
  Scenario: A version that is not semver
    When I send a GET request to "/v1/accounts"

  @smoke
  @retry(x)
  Scenario: A retry count that is not a number
    When I send a GET request to "/v1/accounts"

  @feature:
  Scenario: A feature tag without an id
    When I send a GET request to "/v1/accounts"
