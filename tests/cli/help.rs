//! `--help`: every command shows examples of itself, and `certify demo
//! --help` lists every fault and version of the reference platform.

use crate::support::Project;

/// The subcommands `certify --help` lists (without `help`).
fn commands() -> Vec<String> {
    let dir = Project::empty();
    let help = dir.certify().arg("--help").run();
    help.expect_code(0);
    let section =
        help.stdout.split("Commands:").nth(1).unwrap_or_else(|| panic!("`certify --help` lists no commands:\n{help}"));
    let commands: Vec<String> = section
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        // Command lines are indented by two; wrapped descriptions by more.
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect();
    for expected in ["demo", "run", "lint", "steps"] {
        assert!(commands.iter().any(|c| c == expected), "`certify --help` does not list {expected}:\n{help}");
    }
    commands
}

#[test]
fn every_command_help_shows_examples_of_itself() {
    let dir = Project::empty();
    for command in commands() {
        let help = dir.certify().args([command.as_str(), "--help"]).run();
        help.expect_code(0);
        let examples = help
            .stdout
            .split("Examples:")
            .nth(1)
            .unwrap_or_else(|| panic!("`certify {command} --help` has no Examples:\n{help}"));
        let invocation = format!("certify {command}");
        assert!(
            examples.lines().any(|l| l.trim_start().starts_with(&invocation)),
            "`certify {command} --help` shows no example starting with `{invocation}`:\n{help}"
        );
    }
}

#[test]
fn demo_help_lists_every_fault_and_version() {
    let dir = Project::empty();
    let help = dir.certify().args(["demo", "--help"]).run();
    help.expect_code(0);
    for fault in certify_refplatform::FAULTS {
        let listed = help.stdout.lines().any(|l| {
            let mut words = l.split_whitespace();
            words.next() == Some(fault.name) && l.contains(fault.description)
        });
        assert!(listed, "`certify demo --help` does not list fault {} ({}):\n{help}", fault.name, fault.description);
    }
    for version in certify_refplatform::VERSIONS {
        assert!(help.stdout.contains(version), "`certify demo --help` does not name version {version}:\n{help}");
    }
}

#[test]
fn top_level_help_documents_the_exit_codes() {
    let dir = Project::empty();
    let help = dir.certify().arg("--help").run();
    help.expect_code(0);
    for code in ["0", "1", "2", "3"] {
        assert!(
            help.stdout.lines().any(|l| l.trim_start().starts_with(&format!("{code} "))),
            "`certify --help` does not document exit code {code}:\n{help}"
        );
    }
}

/// Every example under `certify keygen --help` works as written in a fresh
/// directory.
#[test]
fn the_keygen_help_example_works_in_a_fresh_directory() {
    let dir = Project::empty();
    let help = dir.certify().args(["keygen", "--help"]).run();
    help.expect_code(0);
    let examples = help.stdout.split("Examples:").nth(1).unwrap_or_default();
    let mut tried = 0;
    for line in examples.lines().map(str::trim).filter(|l| l.starts_with("certify keygen")) {
        let command = line.split('#').next().unwrap_or_default();
        let args: Vec<&str> = command.split_whitespace().skip(1).collect();
        let fresh = Project::empty();
        let run = fresh.certify().args(&args).run();
        assert_eq!(run.code, 0, "the help example `{line}` fails in a fresh directory:\n{run}");
        tried += 1;
    }
    assert!(tried > 0, "no `certify keygen` example:\n{help}");
}

/// `certify completions bash` prints a script bash accepts, which registers
/// a completion function for `certify` knowing every subcommand.
#[test]
fn bash_completions_define_the_function_and_name_every_command() {
    let dir = Project::empty();
    let run = dir.certify().args(["completions", "bash"]).run();
    run.expect_code(0);
    let script = &run.stdout;
    assert!(script.contains("_certify()"), "no completion function:\n{run}");
    assert!(
        script.contains("complete -F _certify") && script.contains("certify"),
        "the function is not registered:\n{run}"
    );
    for command in commands().iter().map(String::as_str).chain(["add", "list", "show", "verify", "checkpoint"]) {
        assert!(
            script.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_')).any(|w| w == command),
            "the bash completions do not name {command}"
        );
    }
    let file = dir.path().join("certify.bash");
    std::fs::write(&file, script).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("bash is required for this test: {e}"));
    assert!(check.status.success(), "bash -n rejects the script: {}", String::from_utf8_lossy(&check.stderr));
}

#[test]
fn completions_exist_for_every_documented_shell() {
    let dir = Project::empty();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = dir.certify().args(["completions", shell]).run();
        run.expect_code(0);
        assert!(run.stdout.contains("certify") && run.stdout.contains("archive"), "{shell}:\n{run}");
    }
    let run = dir.certify().args(["completions", "tcsh"]).run();
    run.expect_code(2);
}

/// `certify man` prints a roff manual page naming every command.
#[test]
fn the_manual_page_names_every_command() {
    let dir = Project::empty();
    let run = dir.certify().arg("man").run();
    run.expect_code(0);
    assert!(run.stdout.contains("\n.TH certify 1 "), "not a roff manual page:\n{run}");
    for command in commands() {
        assert!(run.stdout.contains(&command), "the manual page does not name {command}");
    }
}
