"""Reads a JUnit report with junitparser, as CI tools read one, and prints
what it counts as JSON: the root's time, each testsuite's attributes, and
every testcase with the kind of result junitparser sees (failure, error,
skipped or none).

Usage: junit_summary.py JUNIT_XML
"""

import json
import sys

from junitparser import Error, Failure, JUnitXml, Skipped


def outcome(case):
    kinds = [type(r) for r in case.result]
    for kind, name in ((Failure, "failure"), (Error, "error"), (Skipped, "skipped")):
        if kind in kinds:
            return name
    return "passed"


def main(path):
    xml = JUnitXml.fromfile(path)
    suites = []
    for suite in xml:
        suites.append(
            {
                "name": suite.name,
                "time": suite.time,
                "tests": suite.tests,
                "failures": suite.failures,
                "errors": suite.errors,
                "skipped": suite.skipped,
                "cases": [
                    {"classname": c.classname, "name": c.name, "time": c.time, "outcome": outcome(c)}
                    for c in suite
                ],
            }
        )
    json.dump({"time": xml.time, "tests": xml.tests, "suites": suites}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
