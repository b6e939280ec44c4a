//! The JUnit writer fed a run whose times are chosen: testcase names are
//! unique within their testsuite and named as Cucumber's own JUnit formatter
//! names them, and times are wall-clock times, not sums, when scenarios
//! overlap.

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, SystemTime},
};

use certify_evidence::{
    GitInfo,
    junit::{JunitWriter, RunInfo},
};
use certify_runner::{
    EventSink as _, Plan, RunEvent, ScenarioResult, Status,
    event::{Attempt, Counts, RunSummary},
};
use certify_suite::{ParsedFeature, Selection, SourceFile};

const FEATURE: &str = r#"Feature: Names
  Scenario: same name
    Given I am not authenticated

  Scenario: same name
    Given I am not authenticated

  Scenario Outline: eats <n>
    Given the variable "n" is "<n>"

    Examples: small
      | n |
      | 1 |
      | 2 |

    Examples:
      | n |
      | 3 |

  Scenario Outline: fixed name
    Given the variable "n" is "<n>"

    Examples:
      | n |
      | 1 |
      | 2 |

  Rule: a rule
    Scenario: in a rule
      Given I am not authenticated
"#;

fn parse(path: &str, text: &str) -> ParsedFeature {
    let file = SourceFile { path: path.into(), abs_path: None, text: text.into() };
    certify_suite::parse_file(file).unwrap().unwrap()
}

fn info() -> RunInfo {
    RunInfo {
        run_id: "run".into(),
        target: "test".into(),
        platform_version: "1.0.0".into(),
        git: GitInfo::default(),
        tool_version: "0.0.0".into(),
        signed: false,
    }
}

/// `(attribute map)` of every element named `name`, in document order.
fn elements(xml: &str, name: &str) -> Vec<BTreeMap<String, String>> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == name => {
                let attrs = e
                    .attributes()
                    .map(|a| {
                        let a = a.expect("attribute");
                        let value = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).expect("value");
                        (a.key.as_ref().to_owned(), value.into_owned())
                    })
                    .collect();
                out.push(attrs);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

fn attempt(started_at: SystemTime, duration: Duration) -> Attempt {
    Attempt { number: 1, status: Status::Passed, started_at, duration, steps: Vec::new(), exchanges: Vec::new() }
}

/// Runs the writer over `features`; scenario `i` of the plan starts at
/// `t0 + start(i)` and takes `took(i)`. Returns the report's text.
fn report(
    features: &[ParsedFeature],
    start: impl Fn(usize) -> Duration,
    took: impl Fn(usize) -> Duration,
    wall: Duration,
) -> String {
    report_selected(features, &Selection::default(), start, took, wall)
}

/// [`report`] of the scenarios `selection` leaves in the run.
fn report_selected(
    features: &[ParsedFeature],
    selection: &Selection,
    start: impl Fn(usize) -> Duration,
    took: impl Fn(usize) -> Duration,
    wall: Duration,
) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junit.xml");
    let plan: Arc<Plan> = Arc::new(certify_runner::plan_features(features, selection, &|_| None));
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut writer = JunitWriter::create(&path, info(), features).unwrap();
    writer.on_event(&RunEvent::Started { plan: plan.clone(), at: t0 });
    let mut counts = Counts::default();
    // Finished in reverse order: the report orders by line whatever the order of ends.
    let scenarios: Vec<_> = plan.scenarios().filter(|s| s.excluded.is_none()).cloned().enumerate().collect();
    for (i, s) in scenarios.into_iter().rev() {
        counts.add(Status::Passed);
        let result = ScenarioResult {
            scenario: Arc::new(s),
            status: Status::Passed,
            attempts: vec![attempt(t0 + start(i), took(i))],
        };
        writer.on_event(&RunEvent::ScenarioFinished { result: Arc::new(result) });
    }
    let summary = RunSummary {
        status: Status::Passed,
        counts,
        interrupted: false,
        started_at: t0,
        finished_at: t0 + wall,
        duration: wall,
    };
    writer.on_event(&RunEvent::Finished { summary });
    writer.finish().unwrap();
    std::fs::read_to_string(&path).unwrap()
}

#[test]
fn testcase_names_are_unique_and_follow_cucumbers_junit_formatter() {
    let features = vec![parse("features/names.feature", FEATURE)];
    let xml = report(&features, |_| Duration::ZERO, |_| Duration::from_millis(10), Duration::from_millis(20));
    let names: Vec<String> = elements(&xml, "testcase").into_iter().map(|a| a["name"].clone()).collect();
    assert_eq!(
        names,
        [
            "same name (line 2)",
            "same name (line 5)",
            "eats <n> - small - #1.1: eats 1",
            "eats <n> - small - #1.2: eats 2",
            "eats <n> - #2.1: eats 3",
            "fixed name - #1.1",
            "fixed name - #1.2",
            "a rule - in a rule",
        ]
    );
    let classnames: Vec<String> = elements(&xml, "testcase").into_iter().map(|a| a["classname"].clone()).collect();
    assert!(classnames.iter().all(|c| c == "Names"), "{classnames:?}");
}

/// Names do not depend on which scenarios run: a shard holding one of two
/// same-named scenarios still names it with its line.
#[test]
fn names_are_computed_over_the_whole_file() {
    let features = [parse("features/names.feature", FEATURE)];
    let names: BTreeMap<String, String> = features.iter().flat_map(certify_evidence::junit::testcase_names).collect();
    assert_eq!(names["features/names.feature:2"], "same name (line 2)");
    assert_eq!(names.len(), 8);
}

/// A file without outlines is named from the plan: its rule and name, and
/// a name two scenarios share gets each one's line even when the selection
/// runs only one of them.
#[test]
fn scenarios_of_a_file_without_outlines_are_named_over_the_whole_file() {
    let text = "Feature: Plain\n  Scenario: same\n    Given x\n\n  @only\n  Scenario: same\n    Given x\n\n  Rule: a rule\n    @only\n    Scenario: in a rule\n      Given x\n";
    let features = [parse("features/plain.feature", text)];
    let selection = Selection { tags: Some("@only".parse().unwrap()), shard: None };
    let ms = Duration::from_millis;
    let xml = report_selected(&features, &selection, |_| Duration::ZERO, |_| ms(1), ms(5));
    let names: Vec<String> = elements(&xml, "testcase").into_iter().map(|a| a["name"].clone()).collect();
    assert_eq!(names, ["same (line 6)", "a rule - in a rule"]);
}

/// Outline rows are named from the file as certify parses it, also where the
/// `gherkin` crate's parser refuses the file (a cell ending in a backslash,
/// from upstream's corpus): each row still gets its `#table.row`.
#[test]
fn outline_rows_are_named_in_files_only_certifys_parser_reads() {
    let text = r#"Feature: Backslashes
  Scenario Outline: cell <c>
    Given the variable "c" is "<c>"

    Examples:
      | c     |
      | x\\y |
      | this\ |
"#;
    assert!(
        gherkin::Feature::parse(text, gherkin::GherkinEnv::default()).is_err(),
        "the gherkin crate reads this file, so this test proves nothing"
    );
    let names: Vec<String> = certify_evidence::junit::testcase_names(&parse("features/backslashes.feature", text))
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    assert_eq!(names, [r"cell <c> - #1.1: cell x\y", r"cell <c> - #1.2: cell this\"]);
}

/// Two files whose features share a name: the classname says which file.
#[test]
fn classnames_tell_files_with_one_feature_name_apart() {
    let one = "Feature: Same\n  Scenario: s\n    Given I am not authenticated\n";
    let features = vec![parse("features/a.feature", one), parse("features/b.feature", one)];
    let xml = report(&features, |_| Duration::ZERO, |_| Duration::from_millis(1), Duration::from_millis(1));
    let mut pairs: Vec<(String, String)> =
        elements(&xml, "testcase").into_iter().map(|a| (a["classname"].clone(), a["name"].clone())).collect();
    pairs.sort();
    assert_eq!(
        pairs,
        [
            ("Same (features/a.feature)".to_owned(), "s".to_owned()),
            ("Same (features/b.feature)".to_owned(), "s".to_owned())
        ]
    );
}

/// Eight scenarios of 100 ms running two at a time take 400 ms: the suite
/// says 0.400 (first start to last end), not 0.800, and the root says the
/// run's wall time.
#[test]
fn suite_times_are_wall_clock_times() {
    let features = vec![parse("features/names.feature", FEATURE)];
    let xml = report(
        &features,
        |i| Duration::from_millis(100 * (i as u64 / 2)),
        |_| Duration::from_millis(100),
        Duration::from_millis(457),
    );
    let suites = elements(&xml, "testsuite");
    assert_eq!(suites.len(), 1);
    assert_eq!(suites[0]["time"], "0.400");
    assert_eq!(suites[0]["timestamp"], "2023-11-14T22:13:20Z");
    assert_eq!(elements(&xml, "testsuites")[0]["time"], "0.457");
    let cases = elements(&xml, "testcase");
    assert!(cases.iter().all(|c| c["time"] == "0.100"), "{cases:?}");
}
