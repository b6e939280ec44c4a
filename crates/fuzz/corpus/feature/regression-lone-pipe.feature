Feature: f
  Scenario: s
    Given x
      |
  oops
