//! The HTML a person opens, in a real browser: headless Chromium (Debian's
//! `chromium`, mandatory: these tests fail without it) loads a run report
//! and the archive site from disk and over `certify serve`, and the tests read
//! the DOM after the page's JavaScript ran — the verdict, a failing
//! scenario's message, a matrix cell — and keep screenshots under
//! `ci-artifacts/` of the checkout. A 10,000-scenario report is measured too.

use std::{
    io::{BufRead as _, BufReader},
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
    sync::OnceLock,
    time::Instant,
};

fn certify(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_certify"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .output()
        .expect("run certify")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
];

fn chromium(extra: &[&str], url: &str) -> Output {
    let profile = tempfile::tempdir().expect("profile dir");
    let out = Command::new("chromium")
        .args(CHROMIUM_FLAGS)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--virtual-time-budget=10000")
        .args(extra)
        .arg(url)
        .output()
        .unwrap_or_else(|e| panic!("cannot start chromium ({e}): install Debian's `chromium` package (.ci/run does)"));
    assert!(out.status.success(), "chromium failed on {url}: {}", text(&out));
    out
}

/// The DOM after the page's scripts ran.
fn dom(url: &str) -> String {
    String::from_utf8_lossy(&chromium(&["--dump-dom"], url).stdout).into_owned()
}

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("ci-artifacts");
    std::fs::create_dir_all(&dir).expect("ci-artifacts");
    dir
}

fn screenshot(url: &str, name: &str) {
    let path = artifacts().join(name);
    chromium(&[&format!("--screenshot={}", path.display()), "--window-size=1280,1600"], url);
    assert!(path.metadata().map(|m| m.len() > 1000).unwrap_or(false), "no screenshot at {}", path.display());
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

struct Runs {
    dir: tempfile::TempDir,
}

impl Runs {
    fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// A failing run at 2.0.0 and a green run at 1.4.0, both archived in one
/// archive (`<dir>/archive`), their public keys in `<dir>/keys`.
fn runs() -> &'static Runs {
    static RUNS: OnceLock<Runs> = OnceLock::new();
    RUNS.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let archive = dir.path().join("archive");
        for (name, args) in
            [("failed", &["--fault", "signup-broken"][..]), ("old", &["--platform-version", "1.4.0"][..])]
        {
            let out = dir.path().join(name);
            let mut all =
                vec!["demo", "--out", out.to_str().expect("utf-8"), "--archive", archive.to_str().expect("utf-8")];
            all.extend_from_slice(args);
            let run = certify(&all, dir.path());
            assert!(run.status.code().is_some_and(|c| c <= 1), "{}", text(&run));
            std::fs::create_dir_all(dir.path().join("keys")).expect("keys");
            std::fs::copy(
                dir.path().join(name).join("bundle.pub.pem"),
                dir.path().join("keys").join(format!("{name}.pub.pem")),
            )
            .expect("key");
        }
        Runs { dir }
    })
}

#[test]
fn a_run_report_shows_the_verdict_and_the_failure_from_disk() {
    let report = runs().path().join("failed/bundle/report.html");
    let page = dom(&format!("{}#failed", file_url(&report)));
    assert!(page.contains("id=\"verdict\""), "no #verdict in the page");
    let verdict = page.split("id=\"verdict\"").nth(1).and_then(|r| r.split('<').next()).unwrap_or_default();
    assert!(verdict.contains("FAILED"), "the verdict a person sees: {verdict:?}");
    assert!(page.contains("expected 201, got 500"), "the failing scenario's message is shown");
    assert!(page.contains("class=\"scenario"), "scenario rows were rendered by the script");
    // signup-broken fails many scenarios at the same sign-up step: shown once, with a count.
    let group = page
        .split("class=\"failure-group\" data-count=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .and_then(|n| n.parse::<usize>().ok());
    assert!(group.is_some_and(|n| n >= 10), "the repeated sign-up failure is not grouped with its count: {group:?}");
    assert!(!page.contains("data-status=\"passed\""), "#failed filters passing scenarios out");
    // The API description's coverage: every operation, the unexercised ones as gaps.
    let api = page.split("id=\"api-operations\"").nth(1).unwrap_or_else(|| panic!("no API coverage table"));
    let plans =
        api.split("<tr").find(|row| row.contains("GET /v1/plans")).unwrap_or_else(|| panic!("no GET /v1/plans row"));
    assert!(
        plans.contains("plan-catalog") && plans.contains(">gap<"),
        "GET /v1/plans is a gap of plan-catalog: {plans}"
    );
    screenshot(&format!("{}#failed", file_url(&report)), "run-report-failed.png");
    // The report inside the bundle is signed with it, so it cannot vouch for
    // its own signature; `certify report --key` renders it again, checked.
    assert!(page.contains("data-state=\"unchecked\""), "the in-bundle report does not claim a verification");
    let out = certify(&["report", "failed/bundle", "--key", "keys/failed.pub.pem"], runs().path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let checked = dom(&file_url(&runs().path().join("failed/bundle.report.html")));
    assert!(checked.contains("data-state=\"verified\""), "the re-rendered report says the signature verified");
}

fn matrix_cell<'a>(page: &'a str, feature: &str, version: &str) -> Option<&'a str> {
    let a = format!("data-feature=\"{feature}\"");
    let b = format!("data-version=\"{version}\"");
    page.split("<td").find(|cell| cell.contains(&a) && cell.contains(&b))
}

#[test]
fn the_archive_site_shows_the_matrix_from_disk_and_over_serve() {
    let r = runs();
    let site = r.path().join("site");
    let out = certify(
        &["report", "--archive", "archive", "--out", site.to_str().expect("utf-8"), "--trust", "keys"],
        r.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let page = dom(&file_url(&site.join("index.html")));
    let new = matrix_cell(&page, "usage-metering", "2.0.0").unwrap_or_else(|| panic!("no usage-metering/2.0.0 cell"));
    assert!(new.contains("failed") && new.contains("GA"), "cell at 2.0.0: {new}");
    let old = matrix_cell(&page, "usage-metering", "1.4.0").unwrap_or_else(|| panic!("no usage-metering/1.4.0 cell"));
    assert!(old.contains("certified") && old.contains("beta"), "cell at 1.4.0: {old}");
    assert!(new.contains("bundles/"), "a cell links to its run's report: {new}");
    screenshot(&file_url(&site.join("index.html")), "archive-site.png");
    let version = dom(&file_url(&site.join("versions/2.0.0.html")));
    let coverage = version.split("id=\"api\"").nth(1).unwrap_or_else(|| panic!("no API coverage on the version page"));
    assert!(coverage.contains("operations of") && coverage.contains("GET /v1/plans"), "{coverage}");

    // The same site over `certify serve`.
    let mut serve = Command::new(env!("CARGO_BIN_EXE_certify"))
        .args(["serve", "--archive", "archive", "--trust", "keys", "--port", "0"])
        .current_dir(r.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let mut lines = BufReader::new(serve.stderr.take().expect("stderr")).lines();
    let url = loop {
        let line = lines.next().expect("serve prints its address").expect("read");
        if let Some(at) = line.find("http://") {
            break line[at..].split_whitespace().next().expect("url").to_owned();
        }
    };
    let served = dom(&url);
    let _ = serve.kill();
    let _ = serve.wait();
    let cell = matrix_cell(&served, "usage-metering", "1.4.0").unwrap_or_else(|| panic!("no cell over serve"));
    assert!(cell.contains("certified"), "{cell}");
}

/// A 10,000-scenario report opens and filters without freezing: the page
/// records how long its first render took (`data-render-ms`) and how many
/// rows it rendered (`data-shown`); the test prints both with the file size
/// and the browser's wall time, and fails if the page did not finish
/// rendering within the browser's time budget.
#[test]
fn a_ten_thousand_scenario_report_renders_and_filters() {
    let manifest = certify_report::testing::synthetic_manifest(10_000);
    let html = certify_report::run_report(
        &manifest,
        &certify_report::Signature { signer: None, verified: None, checked_at: None },
        &|_| None,
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("report.html");
    std::fs::write(&path, &html).expect("write");
    for fragment in ["", "#failed", "#q=scenario 9999"] {
        let started = Instant::now();
        let page = dom(&format!("{}{fragment}", file_url(&path)));
        let wall = started.elapsed();
        let attr = |name: &str| -> Option<u64> {
            let key = format!("data-{name}=\"");
            page.split(&key)
                .nth(1)
                .and_then(|r| r.split('"').next())
                .and_then(|v| v.parse::<f64>().ok())
                .map(|v| v as u64)
        };
        let render =
            attr("render-ms").unwrap_or_else(|| panic!("the page never finished its first render ({fragment})"));
        let shown = attr("shown").unwrap_or_else(|| panic!("no data-shown ({fragment})"));
        eprintln!(
            "10,000-scenario report, {} MB, fragment {fragment:?}: first render {render} ms in the page, {shown} rows shown, {} ms chromium wall time",
            html.len() / 1_000_000,
            wall.as_millis()
        );
        assert!(shown <= 500, "rows are rendered lazily, not all at once: {shown}");
        if fragment == "#q=scenario 9999" {
            assert!(page.contains("Scenario 9999:"), "the text filter finds the last scenario");
            assert_eq!(shown, 1, "and only it");
        }
    }
}
