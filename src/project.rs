//! Loading a certification project: certify.toml, then the suite it names.

use std::path::Path;

use certify_config::Settings;
use certify_suite::{Suite, collect_files};

use crate::exit::{Fatal, OrExit as _};

/// Finds and loads certify.toml (`--config` or the nearest one upwards).
pub fn load_settings(explicit: Option<&Path>) -> Result<Settings, Fatal> {
    let cwd = std::env::current_dir().or_runtime()?;
    let path = certify_config::discover(explicit, &cwd).or_usage()?;
    let env = |name: &str| std::env::var(name).ok();
    certify_config::load(&path, &env).or_usage()
}

/// Reads and parses every feature file the settings name. Files that do not
/// parse are returned in `Suite::issues`; files that cannot be found are a
/// configuration error.
pub fn load_suite(settings: &Settings) -> Result<Suite, Fatal> {
    let files = collect_files(&settings.suite.features, &settings.root).or_usage()?;
    Ok(Suite::parse(files))
}
