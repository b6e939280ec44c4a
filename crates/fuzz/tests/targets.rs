//! Every fuzz target over its seed corpus and a few thousand mutations of it, with a fixed
//! seed, so that `cargo test` replays the corpus (regressions included) and a share of what
//! the driver does.

use certify_evidence::attest::{check_sigstore_bundle, envelope_from_sigstore_bundle, verify_attestation};
use certify_fuzz::{TARGETS, Target, corpus, corpus_key, mutate, run_one};

const MUTATIONS: usize = 2_000;

fn exercise(target: &Target) {
    certify_fuzz::quiet_target_panics();
    let seeds = corpus(target).unwrap_or_else(|e| panic!("{}: cannot read its corpus: {e}", target.name));
    assert!(!seeds.is_empty(), "{}: the corpus {} is empty", target.name, certify_fuzz::corpus_dir(target).display());
    let mut failures = Vec::new();
    for (name, input) in &seeds {
        if let Err(message) = run_one(target, input) {
            failures.push(format!("corpus/{}/{name}: {message}", target.name));
        }
    }
    let mut rng = mutate::Rng::new(0x5eed_0000 + target.name.len() as u64);
    for i in 0..MUTATIONS {
        let base = &seeds[rng.below(seeds.len())].1;
        let other = &seeds[rng.below(seeds.len())].1;
        let input = mutate::mutate(base, other, target.dictionary, &mut rng);
        if let Err(message) = run_one(target, &input) {
            failures.push(format!("mutation {i}: {message}: {:?}", String::from_utf8_lossy(&input)));
            break;
        }
    }
    assert!(failures.is_empty(), "{} panicked:\n{}", target.name, failures.join("\n"));
}

macro_rules! targets {
    ($($name:ident),*) => {
        $(#[test]
        fn $name() {
            exercise(certify_fuzz::target(stringify!($name)).expect("a target of that name"));
        })*

        /// Every target has a test here.
        #[test]
        fn every_target_is_tested() {
            let tested = [$(stringify!($name)),*];
            let all: Vec<&str> = TARGETS.iter().map(|t| t.name).collect();
            assert_eq!(all, tested);
        }
    };
}

targets!(feature, config, catalog, policy, manifest, index, dsse, sigstore, checkpoint, openapi);

/// The signed seeds verify as they are, so that the mutations start from inputs that reach
/// the whole reader (signature, Statement, Sigstore form).
#[test]
fn the_signed_seeds_are_valid() {
    let key = std::slice::from_ref(corpus_key());
    let dsse = corpus(certify_fuzz::target("dsse").expect("dsse")).expect("corpus");
    for (name, bytes) in &dsse {
        verify_attestation(bytes, key).unwrap_or_else(|e| panic!("corpus/dsse/{name}: {e}"));
    }
    let sigstore = corpus(certify_fuzz::target("sigstore").expect("sigstore")).expect("corpus");
    for (name, bytes) in &sigstore {
        let text = std::str::from_utf8(bytes).expect("utf-8");
        let (envelope, _) =
            envelope_from_sigstore_bundle(text).unwrap_or_else(|e| panic!("corpus/sigstore/{name}: {e}"));
        envelope.verify(key).unwrap_or_else(|e| panic!("corpus/sigstore/{name}: {e}"));
        check_sigstore_bundle(bytes, &envelope, corpus_key()).unwrap_or_else(|e| panic!("corpus/sigstore/{name}: {e}"));
    }
}
