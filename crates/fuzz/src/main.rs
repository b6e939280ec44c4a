//! The fuzzing driver: `cargo run -p certify-fuzz --release -- --seconds 60 [--seed N]
//! [--target NAME] [--crashes DIR]`. Every target gets an equal share of the time: first its
//! corpus, then mutations of it. The first input that panics is written to
//! `DIR/<target>-<fnv64 of the input>` and the driver exits 1 naming the target and the file;
//! 0 when nothing panicked, 2 on bad arguments or an unreadable corpus.

// A command-line driver: its report is what it prints.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use certify_fuzz::{TARGETS, Target, corpus, mutate};

struct Args {
    seconds: u64,
    seed: u64,
    target: Option<String>,
    crashes: PathBuf,
}

const USAGE: &str = "usage: certify-fuzz [--seconds N] [--seed N] [--target NAME] [--crashes DIR]";

fn parse_args() -> Result<Args, String> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
    let mut args =
        Args { seconds: 60, seed: now, target: None, crashes: Path::new(env!("CARGO_MANIFEST_DIR")).join("crashes") };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"));
        match flag.as_str() {
            "--seconds" => args.seconds = value()?.parse().map_err(|e| format!("--seconds: {e}\n{USAGE}"))?,
            "--seed" => args.seed = value()?.parse().map_err(|e| format!("--seed: {e}\n{USAGE}"))?,
            "--target" => args.target = Some(value()?),
            "--crashes" => args.crashes = PathBuf::from(value()?),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(args)
}

/// FNV-1a, 64 bits: a stable name for a crashing input.
fn fnv64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

enum Outcome {
    Clean { runs: u64 },
    Crash { message: String, input: Vec<u8> },
}

fn fuzz(target: &Target, seeds: &[(String, Vec<u8>)], rng: &mut mutate::Rng, deadline: Instant) -> Outcome {
    let mut runs = 0;
    for (_, input) in seeds {
        runs += 1;
        if let Err(message) = certify_fuzz::run_one(target, input) {
            return Outcome::Crash { message, input: input.clone() };
        }
    }
    while Instant::now() < deadline {
        let base = &seeds[rng.below(seeds.len())].1;
        let other = &seeds[rng.below(seeds.len())].1;
        let input = mutate::mutate(base, other, target.dictionary, rng);
        runs += 1;
        if let Err(message) = certify_fuzz::run_one(target, &input) {
            return Outcome::Crash { message, input };
        }
    }
    Outcome::Clean { runs }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let targets: Vec<&Target> = match &args.target {
        None => TARGETS.iter().collect(),
        Some(name) => match certify_fuzz::target(name) {
            Some(t) => vec![t],
            None => {
                let names: Vec<&str> = TARGETS.iter().map(|t| t.name).collect();
                eprintln!("unknown target {name:?}; the targets are {}", names.join(", "));
                return ExitCode::from(2);
            }
        },
    };
    // Panics in a target are caught and reported below, not printed by the hook.
    certify_fuzz::quiet_target_panics();
    let share = Duration::from_secs(args.seconds) / u32::try_from(targets.len()).unwrap_or(1);
    eprintln!("certify-fuzz: seed {}, {} target(s), {:?} each", args.seed, targets.len(), share);
    let mut rng = mutate::Rng::new(args.seed);
    for target in targets {
        let seeds = match corpus(target) {
            Ok(s) if !s.is_empty() => s,
            Ok(_) => {
                eprintln!("{}: the corpus {} is empty", target.name, certify_fuzz::corpus_dir(target).display());
                return ExitCode::from(2);
            }
            Err(e) => {
                eprintln!(
                    "{}: cannot read the corpus {}: {e}",
                    target.name,
                    certify_fuzz::corpus_dir(target).display()
                );
                return ExitCode::from(2);
            }
        };
        match fuzz(target, &seeds, &mut rng, Instant::now() + share) {
            Outcome::Clean { runs } => eprintln!("{}: {runs} inputs, no panic", target.name),
            Outcome::Crash { message, input } => {
                let file = args.crashes.join(format!("{}-{:016x}", target.name, fnv64(&input)));
                let written = std::fs::create_dir_all(&args.crashes).and_then(|()| std::fs::write(&file, &input));
                match written {
                    Ok(()) => eprintln!("{}: PANIC: {message}\n  input written to {}", target.name, file.display()),
                    Err(e) => eprintln!(
                        "{}: PANIC: {message}\n  cannot write the input to {}: {e}",
                        target.name,
                        file.display()
                    ),
                }
                return ExitCode::from(1);
            }
        }
    }
    ExitCode::SUCCESS
}
