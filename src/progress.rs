//! Progress on a terminal: a bar of scenarios done out of selected, with the
//! failures so far, and each failing scenario printed above it as it ends.
//! Off a terminal (CI logs, pipes) nothing is shown until the summary.

use std::io::IsTerminal as _;

use certify_runner::{EventSink, RunEvent, Status};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
    failed: usize,
}

impl Progress {
    pub fn new() -> Progress {
        let on_terminal = std::io::stderr().is_terminal();
        Progress { bar: on_terminal.then(ProgressBar::hidden), failed: 0 }
    }
}

impl EventSink for Progress {
    fn on_event(&mut self, event: &RunEvent) {
        let Some(bar) = &self.bar else { return };
        match event {
            RunEvent::Started { plan, .. } => {
                bar.set_length(plan.selected() as u64);
                bar.set_draw_target(ProgressDrawTarget::stderr());
                let style =
                    ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} scenarios {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar());
                bar.set_style(style);
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
            }
            RunEvent::ScenarioFinished { result } => {
                bar.inc(1);
                if matches!(result.status, Status::Failed | Status::Errored) {
                    self.failed += 1;
                    bar.set_message(format!("({} failed)", self.failed));
                    let s = &result.scenario;
                    bar.println(format!("{:>8}  {}:{}  {}", result.status.as_str(), s.feature_path, s.line, s.name));
                }
            }
            RunEvent::Finished { .. } => bar.finish_and_clear(),
            _ => {}
        }
    }
}
