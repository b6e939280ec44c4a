//! Flat memory (PRODUCT.md section 10), counted rather than timed: a
//! counting global allocator measures the peak of loading a feature file,
//! the bytes the parsed suite and the plan keep per scenario, and
//! the peak the bundle's writers reach over a whole run (created over the
//! parsed suite, fed every scenario's events, finished), at 1,000 and at
//! 10,000 scenarios in one feature file. What grows with the suite must be a
//! small record per scenario; everything else is streamed to disk.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, SystemTime},
};

use certify_evidence::bundle::{BundleSpec, BundleWriter};
use certify_runner::{
    EventSink, RunEvent, ScenarioResult, Status,
    event::{Attempt, Counts, PlannedScenario, PlannedStep, RunSummary, StepRecord, StepStatus},
};
use certify_suite::{Selection, SourceFile, Suite};

/// The system allocator, counting the bytes live and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// A test-only allocator: the count is all it adds to the system allocator.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            let live = LIVE.fetch_add(new_size, Ordering::Relaxed) + new_size;
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes live now.
fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Starts measuring a peak from what is live now.
fn reset_peak() -> usize {
    let now = live();
    PEAK.store(now, Ordering::Relaxed);
    now
}

/// The benchmark's feature file: `n` scenarios of four steps.
fn feature_text(n: usize) -> String {
    let mut text = String::from("@feature:items\nFeature: items at scale\n\n");
    for i in 0..n {
        text.push_str(&format!(
            "  Scenario: item {i}\n    When I send a GET request to \"/items/{i}.json\"\n    Then the response status is 200\n    And the response header \"Content-Type\" contains \"json\"\n    And the response JSON at \"$.id\" is {i}\n\n"
        ));
    }
    text
}

fn spec(dir: &Path) -> BundleSpec {
    certify_evidence::synthetic::blank_spec(dir)
}

/// One passed attempt of `s`, with its steps, as the scheduler reports it.
fn events(s: &PlannedScenario, steps: Vec<PlannedStep>, at: SystemTime) -> Vec<RunEvent> {
    let s = Arc::new(PlannedScenario { steps, ..s.clone() });
    let records: Vec<StepRecord> = s
        .steps
        .iter()
        .map(|p| StepRecord {
            keyword: p.keyword.clone(),
            text: p.text.clone(),
            line: p.line,
            background: p.background,
            status: StepStatus::Passed,
            started_at: at,
            duration: Duration::from_micros(50),
            failure: None,
        })
        .collect();
    let attempt = Attempt {
        number: 1,
        status: Status::Passed,
        started_at: at,
        duration: Duration::from_micros(200),
        steps: records.clone(),
        exchanges: vec![],
    };
    let mut out = vec![RunEvent::AttemptStarted { scenario: s.clone(), attempt: 1, at }];
    out.extend(records.into_iter().map(|step| RunEvent::StepFinished { scenario: s.clone(), attempt: 1, step }));
    out.push(RunEvent::AttemptFinished { scenario: s.clone(), attempt: attempt.clone(), will_retry: false });
    out.push(RunEvent::ScenarioFinished {
        result: Arc::new(ScenarioResult { scenario: s, status: Status::Passed, attempts: vec![attempt] }),
    });
    out
}

/// What a suite of `n` scenarios costs: the bytes its plan keeps, and the
/// peak the bundle's writers add over a whole run.
struct Cost {
    /// The peak of loading the file, above its text.
    load: usize,
    /// What the parsed suite keeps.
    suite: usize,
    plan: usize,
    writers: usize,
}

fn cost(n: usize) -> Cost {
    let text = feature_text(n);
    let file = SourceFile { path: "features/items.feature".into(), abs_path: None, text: text.into() };
    let base = reset_peak();
    let suite = Suite::parse(vec![file]);
    let load = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    let suite_bytes = live().saturating_sub(base);
    assert_eq!(suite.scenario_count(), n);

    let before = live();
    let plan = Arc::new(certify_runner::plan(&suite, &Selection::default(), &|_| None));
    let plan_bytes = live().saturating_sub(before);

    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("bundle");
    // The steps each scenario's events carry, as the scheduler makes them when it starts.
    let parsed = &suite.features[0];
    let mut last = certify_suite::LastOutline::default();
    let mut steps_of = |i: usize| -> Vec<PlannedStep> {
        parsed
            .scenario(i, &mut last)
            .expect("the scenario reads again")
            .scenario
            .steps
            .iter()
            .map(|s| PlannedStep {
                keyword: s.keyword.trim().to_owned(),
                text: s.value.clone(),
                line: s.position.line,
                background: false,
            })
            .collect()
    };
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let base = reset_peak();
    {
        let (mut bundle, writers) = BundleWriter::create(spec(&out), &suite.features).expect("a bundle writer");
        let mut writer = bundle.redact(writers);
        writer.on_event(&RunEvent::Started { plan: plan.clone(), at });
        for (i, s) in plan.scenarios().enumerate() {
            for event in events(s, steps_of(i), at) {
                writer.on_event(&event);
            }
        }
        writer.on_event(&RunEvent::FeatureFinished { path: "features/items.feature".into() });
        let mut counts = Counts { planned: n, selected: n, ..Counts::default() };
        (0..n).for_each(|_| counts.add(Status::Passed));
        writer.on_event(&RunEvent::Finished {
            summary: RunSummary {
                status: Status::Passed,
                counts,
                interrupted: false,
                started_at: at,
                finished_at: at + Duration::from_secs(1),
                duration: Duration::from_secs(1),
            },
        });
        bundle.finish_redacted(writer).expect("the bundle");
    }
    let writers = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    assert!(out.join("bundle.json").is_file());
    Cost { load, suite: suite_bytes, plan: plan_bytes, writers }
}

/// Growth per scenario from 1,000 to 10,000 scenarios.
fn per_scenario(small: usize, large: usize) -> usize {
    large.saturating_sub(small) / 9_000
}

#[test]
fn the_suite_the_plan_and_the_writers_keep_a_small_record_per_scenario() {
    // Once first, so that what is made once per process (keyword tables,
    // the vocabulary's patterns) is not counted against the smaller suite.
    cost(100);
    let small = cost(1_000);
    let large = cost(10_000);
    let load = per_scenario(small.load, large.load);
    let suite = per_scenario(small.suite, large.suite);
    let plan = per_scenario(small.plan, large.plan);
    let writers = per_scenario(small.writers, large.writers);
    eprintln!(
        "per scenario: loading adds {load} bytes at its peak, the suite keeps {suite}, the plan {plan}, the writers' peak grows by {writers}"
    );
    // Loading: each child of the document is handed over as it is parsed
    // and dropped once indexed; the file is never a tree.
    assert!(
        load <= 80,
        "loading adds {load} bytes per scenario at its peak ({} at 1,000, {} at 10,000)",
        small.load,
        large.load
    );
    // The suite: where each scenario starts in the text, no steps.
    assert!(
        suite <= 48,
        "the suite keeps {suite} bytes per scenario ({} at 1,000, {} at 10,000)",
        small.suite,
        large.suite
    );
    // The plan: ids, names and exclusions, no copy of the steps; the
    // file's path and name and the tags its neighbours share, shared.
    assert!(
        plan <= 320,
        "the plan keeps {plan} bytes per scenario ({} at 1,000, {} at 10,000)",
        small.plan,
        large.plan
    );
    // The writers: places, counts, test names and ids; entries, testcases,
    // pickles, messages and transcripts are on disk.
    assert!(
        writers <= 320,
        "the writers' peak grows by {writers} bytes per scenario ({} at 1,000, {} at 10,000)",
        small.writers,
        large.writers
    );
}
