//! Command-line arguments (stage one of configuration: what the user typed).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::output::Format;

const EXIT_CODES: &str = "\
Exit codes:
  0  everything passed (flaky scenarios are reported as flaky)
  1  a scenario failed or could not be checked; lint findings; verify: invalid; gate: BLOCK
  2  usage or configuration error: nothing was run
  3  runtime error outside the scenarios (target or archive unreachable, outputs not writable, unusable key)";

/// Release certification: Gherkin suites against a real deployment, with
/// evidence that says what was tested, against which version, at which
/// revision.
#[derive(Debug, Parser)]
#[command(name = "certify", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the shipped suite against the built-in reference platform, sign, archive and gate the result.
    #[command(after_help = demo_help())]
    Demo(DemoArgs),
    /// Run the suite against a deployment.
    #[command(after_help = "Examples:
  certify run --target staging
  certify run --target staging --tags '@critical and not @slow' --out results/
  certify run --target staging --platform-version 2.0.0 --shard 2/4
  # write pending .snap.new files for review:
  certify run --update-snapshots
  # and add the bundle to [evidence] dir (or --archive s3://...):
  certify run --target staging --archive")]
    Run(RunArgs),
    /// The platform's API description: compare two versions of it.
    #[command(after_help = "Examples:
  certify api diff api/openapi-1.4.yaml api/openapi-2.0.json
  certify api diff certify-out/run-A certify-out/run-B --format json")]
    Api(ApiArgs),
    /// Merge the shard bundles of one run (`certify run --shard K/N`) into one signed bundle.
    #[command(after_help = "Examples:
  certify merge shard-1 shard-2 shard-3 --out merged --key keys/release.pub.pem
  # any *.pem public key in keys/ may have signed the shards:
  certify merge shards/* --out merged --trust keys/ --format json

Every shard is verified first (as `certify verify` does) and must be of the same run: suite
revision, target, platform version and --tags; shards 1..N each exactly once. The merged bundle
is signed with CERTIFY_SIGNING_KEY or [evidence] signing_key (--no-sign: none).
Exit codes: 0 the merged run passed, 1 it did not, 2 shards that do not verify or do not belong
together (the message names the bundle), 3 the merged bundle could not be written.")]
    Merge(MergeArgs),
    /// Check the suite without sending a request: parse errors, undefined
    /// steps, invalid step arguments, malformed certify tags.
    #[command(after_help = "Examples:
  certify lint
  certify lint --config path/to/certify.toml --format json")]
    Lint(LintArgs),
    /// Verify an evidence bundle (signature, every file's digest, nothing missing or added), a gate
    /// decision record, or a whole archive.
    #[command(after_help = "Examples:
  certify verify certify-out/run-2026-11-25T085053-5ec6c99f --key rel.pub.pem
  # any *.pem public key in keys/:
  certify verify BUNDLE --trust keys/
  certify verify BUNDLE --key release.pub.pem --format json
  # a decision record:
  certify verify archive/decisions/ID.intoto.jsonl --key release.pub.pem
  # a whole archive:
  certify verify certify-out/archive --trust keys/

Exit codes: 0 valid, 1 invalid (each problem names the file and the reason), 2 usage")]
    Verify(VerifyArgs),
    /// Generate an Ed25519 key pair for signing evidence.
    #[command(after_help = "Examples:
  # writes keys/release.key (mode 0600) and keys/release.pub.pem:
  certify keygen --out keys/release")]
    Keygen(KeygenArgs),
    /// The feature catalog at a platform version: maturity, owner, latest verdict, coverage gaps; or release notes.
    #[command(after_help = "Examples:
  # at the latest version in the catalog:
  certify features
  certify features --version 1.4.0
  # release notes:
  certify features --version 2.0.0 --format markdown
  # stable output, see README:
  certify features --format json

The latest verdict is the newest bundle for that version found under --evidence DIR
(default: [evidence] dir and ./certify-out).")]
    Features(FeaturesArgs),
    /// The evidence archive: add bundles, list and show history, verify everything.
    #[command(after_help = "Examples:
  certify archive add certify-out/run-... --key keys/release.pub.pem
  certify archive add BUNDLE --archive s3://evidence/certify --key rel.pub.pem
  certify archive list --platform-version 2.0.0 --target staging
  # a feature's history across versions and runs:
  certify archive list --feature tenant-signup
  certify archive show 3f2a9c
  # every bundle, every decision, the whole chain:
  certify archive verify --key keys/release.pub.pem
  # keep it outside the archive (CI artifact, git, ticket):
  certify archive checkpoint > release-2.0.0.checkpoint
  certify archive verify --key rel.pub.pem --checkpoint release.checkpoint
  # ask a witness to cosign it (fails when the witness refuses):
  certify archive checkpoint --witness-request 0 \\
    | curl -sf --data-binary @- https://WITNESS/add-checkpoint \\
    >> release.checkpoint
  # require that witness's cosignature:
  certify archive verify --key rel.pub.pem --checkpoint release.checkpoint \\
    --witness-key 'witness.example/w1+1a2b3c4d+BAsE64...'

The archive is --archive DIR|s3://bucket/prefix, else [evidence] dir of certify.toml.
After every append it holds `checkpoint`: a signed note (transparency-dev checkpoint format) of
the number of index lines and their RFC 6962 Merkle root, signed with CERTIFY_SIGNING_KEY or
[evidence] signing_key when one is set. `verify --checkpoint` fails unless the archive still holds
the history a kept checkpoint describes (no line cut, rolled back, replaced or edited).
`checkpoint --witness-request OLD_SIZE` prints what to POST to a witness (C2SP tlog-witness; certify
never contacts one); appended to a kept checkpoint, the cosignature lines it answers are checked by
`verify --witness-key`.
Exit codes: 0 valid, 1 invalid (also: no archive at that path, no index, no or a wrong checkpoint),
2 bad arguments, 3 archive unreachable.
S3 credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL.")]
    Archive(ArchiveArgs),
    /// Decide whether a platform version may be promoted to a stage, from the archive's evidence.
    #[command(after_help = "Examples:
  certify gate --policy ci/promotion.toml --stage production --candidate 2.0.0
  # evidence of one suite revision, from an S3 archive:
  certify gate --policy ci/promotion.toml --stage production --candidate 2.0.0 \\
    --rev 3f2a9c1 --archive s3://evidence/certify
  certify gate --policy ci/promotion.toml --stage qa --candidate 2.0.0 \\
    --format json

Exit codes: 0 PROMOTE, 1 BLOCK, 2 bad policy or arguments, 3 archive unreachable.
Every evaluation appends a signed decision record (SLSA verification summary) to the archive,
signed with CERTIFY_SIGNING_KEY or [evidence] signing_key (--no-sign: none).")]
    Gate(GateArgs),
    /// HTML: a bundle's run report (its signature checked), or the archive as a static site.
    #[command(after_help = "Examples:
  # writes certify-out/run-....report.html:
  certify report certify-out/run-... --key keys/release.pub.pem
  certify report --archive certify-out/archive --out site/ --trust keys/
  certify report --archive s3://evidence/certify --out site/ --key rel.pub.pem

The site: index.html is the feature x platform-version matrix; versions/V.html the release notes and
gate decisions of V; features/ID.html a feature's history; bundles/ID.html each run's report.")]
    Report(ReportArgs),
    /// Serve the archive's site on localhost for a quick look.
    #[command(after_help = "Examples:
  certify serve --archive certify-out/archive --trust certify-out/
  certify serve --archive s3://evidence/certify --key rel.pub.pem --port 8481")]
    Serve(ServeArgs),
    /// Print the built-in step vocabulary, each pattern with an example.
    #[command(after_help = "Examples:
  certify steps
  certify steps --format json")]
    Steps(StepsArgs),
    /// Print a shell completion script.
    #[command(after_help = "Examples:
  certify completions bash > ~/.local/share/bash-completion/completions/certify
  certify completions zsh > ~/.zfunc/_certify
  certify completions fish > ~/.config/fish/completions/certify.fish
  certify completions powershell >> $PROFILE")]
    Completions(CompletionsArgs),
    /// Print the manual page (roff), generated from these same definitions.
    #[command(after_help = "Examples:
  certify man > certify.1 && man ./certify.1
  certify man | gzip > /usr/local/share/man/man1/certify.1.gz")]
    Man,
}

fn demo_help() -> String {
    let mut s = String::from("Faults (--fault NAME, repeatable):\n");
    for f in certify_refplatform::FAULTS {
        s.push_str(&format!("  {:<16} {}\n", f.name, f.description));
    }
    s.push_str(&format!("\nPlatform versions (--platform-version): {}\n", certify_refplatform::VERSIONS.join(", ")));
    s.push_str(
        "\nOutputs: --out DIR holds them all: DIR/bundle (the evidence bundle), DIR/bundle.pub.pem (its\n\
         throwaway key's public half) and DIR/archive (the archive the gate decides from).\n\
         Without --out: certify-out/run-<time>-<id>, its .pub.pem beside it, certify-out/archive.\n",
    );
    s.push_str(
        "\nExamples:
  certify demo
  certify demo --fault signup-broken
  certify demo --platform-version 1.4.0 --out demo-out/
  # keep the platform up for: certify run --target local
  certify demo --serve",
    );
    s
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The certify.toml to use (default: found in this directory or a parent).
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SelectArgs {
    /// Only scenarios matching this tag expression, e.g. '@smoke and not @slow'.
    #[arg(long, value_name = "EXPR")]
    pub tags: Option<String>,
    /// Run one shard of the suite, K of N (scenarios dealt round-robin).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// The platform version under test (otherwise asked from the target's version probe).
    #[arg(long, value_name = "SEMVER")]
    pub platform_version: Option<String>,
    /// Scenarios in flight at once (default: the target's `concurrency`).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// The evidence bundle directory to create (default: certify-out/run-<time>-<id>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write a pending `NAME.snap.new` next to each missing or differing snapshot.
    #[arg(long)]
    pub update_snapshots: bool,
    /// Write an unsigned bundle (it says so wherever it is shown, and `certify verify` rejects it).
    #[arg(long)]
    pub no_sign: bool,
    /// Summary format on stdout.
    /// Output: text for people, or one JSON document on stdout.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ApiArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(subcommand)]
    pub command: ApiCommand,
}

#[derive(Debug, Subcommand)]
pub enum ApiCommand {
    /// The changes between two API descriptions, breaking ones first, each with its JSON
    /// pointer, the operations it touches and their catalog features.
    #[command(after_help = "Examples:
  certify api diff api/openapi-1.4.yaml api/openapi-2.0.json
  # the descriptions two runs captured (their suite/ copies):
  certify api diff certify-out/run-A certify-out/run-B --format markdown

OLD and NEW are description files (JSON or YAML, OpenAPI 3.0 or 3.1, in any combination) or
evidence bundles whose run used an API description. Operations are linked to catalog features
(x-certify-feature, or a tag equal to a feature id) through the project's catalog, when there
is one.
Exit codes: 0 no breaking change, 1 breaking changes, 2 a description that cannot be read.")]
    Diff(ApiDiffArgs),
}

#[derive(Debug, Args)]
pub struct ApiDiffArgs {
    /// The older description: a file, or a bundle that captured one.
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The newer description: a file, or a bundle that captured one.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    /// Output: text for people, one JSON document, or Markdown.
    #[arg(long, value_enum, default_value_t)]
    pub format: DiffFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum DiffFormat {
    #[default]
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The shard bundles, shards 1..N of one run, each exactly once.
    #[arg(required = true, value_name = "BUNDLE")]
    pub bundles: Vec<PathBuf>,
    /// The merged bundle's directory (must not exist, or be empty).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// A trusted public key (SPKI PEM) the shards must verify with; repeatable.
    #[arg(long = "key", value_name = "PUB.pem")]
    pub keys: Vec<PathBuf>,
    /// A directory of trusted public keys (*.pem).
    #[arg(long, value_name = "DIR")]
    pub trust: Option<PathBuf>,
    /// Write an unsigned bundle (it says so wherever it is shown, and `certify verify` rejects it).
    #[arg(long)]
    pub no_sign: bool,
    /// Output: text for people, or one JSON document on stdout.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The target from certify.toml (default: the only one).
    #[arg(long, value_name = "NAME")]
    pub target: Option<String>,
    /// Also add the bundle to the evidence archive: the one given, or `[evidence] dir` without a value.
    #[arg(long, value_name = "DIR|URL", num_args = 0..=1, default_missing_value = "")]
    pub archive: Option<String>,
    #[command(flatten)]
    pub select: SelectArgs,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Inject a fault into the reference platform (see the list below).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// Keep the reference platform running on --port until Ctrl-C instead of running the suite.
    #[arg(long)]
    pub serve: bool,
    /// Port for --serve.
    #[arg(long, default_value_t = 8480)]
    pub port: u16,
    /// The local archive the demo adds its bundle to (default: `archive` next to the bundle).
    #[arg(long, value_name = "DIR")]
    pub archive: Option<PathBuf>,
    #[command(flatten)]
    pub select: SelectArgs,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Output: text for people, or one JSON document on stdout.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct StepsArgs {
    /// Output: text for people, or one JSON document on stdout.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A bundle directory, a decision record (.intoto.jsonl) or an archive directory.
    pub path: PathBuf,
    /// A trusted public key (SPKI PEM); repeatable.
    #[arg(long = "key", value_name = "PUB.pem")]
    pub keys: Vec<PathBuf>,
    /// A directory of trusted public keys (*.pem).
    #[arg(long, value_name = "DIR")]
    pub trust: Option<PathBuf>,
    /// Output: text for people, or one JSON document on stdout.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Path prefix: writes PREFIX.key and PREFIX.pub.pem.
    #[arg(long, value_name = "PREFIX")]
    pub out: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum FeaturesFormat {
    #[default]
    Table,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct FeaturesArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The platform version (default: the latest version the catalog names).
    #[arg(long = "version", id = "at_version", value_name = "SEMVER")]
    pub version: Option<String>,
    /// Where to look for evidence bundles (repeatable).
    #[arg(long, value_name = "DIR")]
    pub evidence: Vec<PathBuf>,
    /// Also list features that do not exist yet at the version.
    #[arg(long)]
    pub all: bool,
    /// Output: a table, JSON (stable, see README) or Markdown release notes.
    #[arg(long, value_enum, default_value_t)]
    pub format: FeaturesFormat,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    #[test]
    fn the_command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }

    /// Every command and subcommand below `certify`, with its full path
    /// (`archive add`), as clap knows them: a new one is walked too.
    fn walk(command: &clap::Command, path: &str, out: &mut Vec<(String, clap::Command)>) {
        for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
            let path = format!("{path} {}", sub.get_name()).trim().to_owned();
            out.push((path.clone(), sub.clone()));
            walk(sub, &path, out);
        }
    }

    fn commands() -> Vec<(String, clap::Command)> {
        let mut root = super::Cli::command();
        root.build();
        let mut out = Vec::new();
        walk(&root, "", &mut out);
        out
    }

    /// The lines of the help's "Examples:" block (up to the first blank line).
    fn examples(help: &str) -> Option<Vec<&str>> {
        let (_, rest) = help.split_once("\nExamples:\n")?;
        Some(rest.lines().take_while(|l| !l.trim().is_empty()).collect())
    }

    #[test]
    fn every_command_has_examples_that_do_not_wrap() {
        let all = commands();
        assert!(all.iter().any(|(p, _)| p == "archive add"), "nested commands are walked: {:?}", names(&all));
        let mut problems = Vec::new();
        for (path, command) in &all {
            for width in [80, 100] {
                let mut command = command.clone().term_width(width).bin_name(format!("certify {path}"));
                for (kind, help) in [("-h", command.render_help()), ("--help", command.render_long_help())] {
                    let help = help.to_string();
                    let Some(lines) = examples(&help) else {
                        problems.push(format!("certify {path} {kind}: no Examples: section"));
                        continue;
                    };
                    let invocation = format!("certify {path}");
                    if !lines.iter().any(|l| l.trim_start().starts_with(&invocation)) {
                        problems.push(format!("certify {path} {kind}: no example starts with `{invocation}`"));
                    }
                    let mut continued = false;
                    for line in lines {
                        let text = line.trim_start();
                        let command_line =
                            line.starts_with("  ") && (text.starts_with("certify ") || text.starts_with("$ "));
                        // A command continued on the next line, shell style.
                        let continuation = continued && line.starts_with("    ");
                        continued = (command_line || continuation) && text.ends_with('\\');
                        if !command_line && !continuation && !text.starts_with('#') {
                            problems.push(format!(
                                "certify {path} {kind} at {width} columns: {line:?} is neither a command nor a comment"
                            ));
                        }
                        if line.chars().count() > width {
                            problems.push(format!("certify {path} {kind} at {width} columns: {line:?} is wider"));
                        }
                    }
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn every_option_and_argument_is_described() {
        let mut problems = Vec::new();
        for (path, command) in commands() {
            for arg in command.get_arguments() {
                let builtin = matches!(arg.get_id().as_str(), "help" | "version");
                if !builtin && arg.get_help().is_none() && arg.get_long_help().is_none() {
                    problems.push(format!("certify {path}: {} has no description", arg.get_id()));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    fn names(all: &[(String, clap::Command)]) -> Vec<&str> {
        all.iter().map(|(p, _)| p.as_str()).collect()
    }
}

#[derive(Debug, Args)]
pub struct KeyArgs {
    /// A trusted public key (SPKI PEM); repeatable.
    #[arg(long = "key", value_name = "PUB.pem")]
    pub keys: Vec<PathBuf>,
    /// A directory of trusted public keys (*.pem).
    #[arg(long, value_name = "DIR")]
    pub trust: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ArchiveArgs {
    /// The archive: a directory or s3://bucket/prefix (default: [evidence] dir of certify.toml).
    #[arg(long, value_name = "DIR|URL", global = true)]
    pub archive: Option<String>,
    /// The certify.toml to take [evidence] dir from.
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: ArchiveCommand,
}

#[derive(Debug, Subcommand)]
pub enum ArchiveCommand {
    /// Verify a bundle and add it (stored by content digest, appended to index.jsonl).
    #[command(after_help = "Examples:
  certify archive add certify-out/run-... --key keys/release.pub.pem
  certify archive add BUNDLE --archive s3://evidence/certify --trust keys/
  # recorded as unsigned in the index:
  certify archive add BUNDLE --allow-unsigned")]
    Add {
        /// The bundle directory.
        bundle: PathBuf,
        #[command(flatten)]
        key: KeyArgs,
        /// Accept an unsigned bundle (recorded as such in the index).
        #[arg(long)]
        allow_unsigned: bool,
        /// Output: text for people, or one JSON document on stdout.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// List entries, oldest first.
    #[command(after_help = "Examples:
  certify archive list --platform-version 2.0.0 --target staging
  # a feature's history across versions and runs:
  certify archive list --feature tenant-signup
  certify archive list --result block --since 2026-11-01T00:00:00Z
  certify archive list --format json")]
    List {
        #[command(flatten)]
        filter: ListFilter,
        /// Output: text for people, or one JSON document on stdout.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// One entry (by a unique prefix of its id) and its bundle's manifest.
    #[command(after_help = "Examples:
  certify archive show 3f2a9c
  certify archive show 3f2a9c --archive s3://evidence/certify --format json")]
    Show {
        /// The entry's id, or a prefix of it that only one entry has.
        id: String,
        /// Output: text for people, or one JSON document on stdout.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Verify every bundle and decision, the index's hash chain and its checkpoints.
    #[command(after_help = "Examples:
  certify archive verify --key keys/release.pub.pem
  certify archive verify --trust keys/ --archive s3://evidence/certify
  # the archive still holds the history a kept checkpoint describes:
  certify archive verify --key rel.pub.pem --checkpoint release.checkpoint")]
    Verify {
        #[command(flatten)]
        key: KeyArgs,
        /// A checkpoint kept outside the archive: the archive must still hold the history it
        /// describes (its root, and a consistency proof to the archive's checkpoint), and a
        /// trusted key must have signed it.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        /// A witness that must have cosigned the --checkpoint, as its verifier key
        /// `name+<key id>+<base64 key>` (repeatable: each one must have).
        #[arg(long, value_name = "VKEY", requires = "checkpoint")]
        witness_key: Vec<String>,
        /// Output: text for people, or one JSON document on stdout.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Print the archive's current checkpoint (checked against its index), to keep elsewhere.
    #[command(after_help = "Examples:
  # keep it outside the archive (CI artifact, git, ticket):
  certify archive checkpoint > release-2.0.0.checkpoint
  certify archive checkpoint --archive s3://evidence/certify --format json
  # what to send a witness that last cosigned 7 lines:
  certify archive checkpoint --witness-request 7")]
    Checkpoint {
        /// Print instead the body of a witness's add-checkpoint request (C2SP tlog-witness):
        /// the consistency proof from the OLD_SIZE lines the witness last cosigned (0: none)
        /// to the checkpoint, a blank line, the checkpoint.
        #[arg(long, value_name = "OLD_SIZE", conflicts_with = "format")]
        witness_request: Option<u64>,
        /// Output: text for people, or one JSON document on stdout.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Debug, Args)]
pub struct ListFilter {
    /// bundle or decision.
    #[arg(long)]
    pub kind: Option<String>,
    /// Runs against this target (its name in certify.toml).
    #[arg(long)]
    pub target: Option<String>,
    /// Runs of this platform version, and decisions about it.
    #[arg(long, value_name = "SEMVER")]
    pub platform_version: Option<String>,
    /// A prefix of the suite's git commit.
    #[arg(long, value_name = "SHA")]
    pub rev: Option<String>,
    /// Runs with a verdict for this catalog feature (its history).
    #[arg(long, value_name = "ID")]
    pub feature: Option<String>,
    /// certified, failed, flaky, untested or not-applicable (of --feature, or of any feature).
    #[arg(long)]
    pub verdict: Option<String>,
    /// A run's status (passed, flaky, failed, errored, interrupted) or a decision's (promote, block).
    #[arg(long)]
    pub result: Option<String>,
    /// From this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Up to this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
}

#[derive(Debug, Args)]
pub struct GateArgs {
    /// The promotion policy.
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,
    /// The stage of the policy ([stage.NAME]).
    #[arg(long, value_name = "NAME")]
    pub stage: String,
    /// The platform version to promote.
    #[arg(long, value_name = "SEMVER")]
    pub candidate: String,
    /// The suite revision the evidence must be for (with require_revision_match).
    #[arg(long, value_name = "SHA")]
    pub rev: Option<String>,
    /// The archive (default: [evidence] dir of certify.toml).
    #[arg(long, value_name = "DIR|URL")]
    pub archive: Option<String>,
    /// The certify.toml to take [evidence] dir and the signing key from.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Trusted keys in addition to the policy's trusted_keys.
    #[command(flatten)]
    pub key: KeyArgs,
    /// Do not write a decision record.
    #[arg(long)]
    pub no_sign: bool,
    /// Output: text for people, or one JSON document on stdout.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A bundle directory (its report, re-rendered with the signature checked).
    pub bundle: Option<PathBuf>,
    /// An archive (DIR or s3://bucket/prefix) to render as a site.
    #[arg(long, value_name = "DIR|URL", conflicts_with = "bundle")]
    pub archive: Option<String>,
    /// Where to write: a file for a bundle's report (default: BUNDLE.report.html, next to the bundle),
    /// a directory for a site.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Keys to check signatures with (the reports say whether each verified).
    #[command(flatten)]
    pub key: KeyArgs,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The archive (DIR or s3://bucket/prefix).
    #[arg(long, value_name = "DIR|URL")]
    pub archive: String,
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 8481)]
    pub port: u16,
    #[command(flatten)]
    pub key: KeyArgs,
}
