//! Planning a run.
//!
//! The plan is computed from the parsed suite and the selection before
//! anything is sent; [`crate::schedule`] runs the scenarios it selects.

use std::sync::Arc;

use certify_suite::{ParsedFeature, Selection, Suite, certify_tags, scenario_id};

use crate::event::{Exclusion, ExclusionKind, LoadFailure, Plan, PlannedFeature, PlannedScenario, PlannedStep};

/// Computes what a run will do: every scenario of `suite` that loaded, and
/// every file that did not (a file that failed to load cannot be filtered
/// by tags or shards, whose tags it hides, so it is part of every run).
pub fn plan(suite: &Suite, selection: &Selection, exclude: &dyn Fn(&PlannedScenario) -> Option<String>) -> Plan {
    let mut plan = plan_features(&suite.features, selection, exclude);
    plan.load_errors.extend(suite.issues.iter().map(LoadFailure::from));
    plan
}

/// The plan of parsed features alone. The selection filters scenarios out of the
/// run; `exclude` then marks scenarios that are part of the run's report but
/// do not apply (the platform version), with the reason.
pub fn plan_features(
    features: &[ParsedFeature],
    selection: &Selection,
    exclude: &dyn Fn(&PlannedScenario) -> Option<String>,
) -> Plan {
    let mut ordinal = 0;
    let mut out = Vec::with_capacity(features.len());
    let mut unreadable = Vec::new();
    for parsed in features {
        let f = &parsed.header;
        let path = parsed.file.path.to_string_lossy().replace('\\', "/");
        let shared_path: Arc<str> = path.as_str().into();
        let shared_name: Arc<str> = f.name.as_str().into();
        // Tags and catalog features, shared with the scenario before when they are the same.
        let mut last_tags: Arc<[String]> = Arc::new([]);
        let mut last_feature: Option<Arc<str>> = None;
        let mut scenarios = Vec::with_capacity(parsed.scenario_count());
        for concrete in parsed.scenarios() {
            let (rule, s) = match concrete {
                Ok(c) => (c.rule, c.scenario),
                Err(issue) => {
                    unreadable.push(LoadFailure::from(&issue));
                    break;
                }
            };
            let levels = [Some(f.tags.as_slice()), rule.map(|r| r.tags.as_slice()), Some(s.tags.as_slice())];
            let (tags, _) = certify_tags(levels.into_iter().flatten());
            let all_tags = f.tags.iter().chain(rule.iter().flat_map(|r| &r.tags)).chain(&s.tags);
            if !all_tags.clone().eq(last_tags.iter()) {
                last_tags = all_tags.cloned().collect();
            }
            if tags.feature.as_deref() != last_feature.as_deref() {
                last_feature = tags.feature.map(Arc::from);
            }
            let mut planned = PlannedScenario {
                id: scenario_id(&path, &s),
                feature_path: shared_path.clone(),
                feature_name: shared_name.clone(),
                rule: rule.map(|r| r.name.clone()),
                name: s.name.clone(),
                line: s.position.line,
                tags: last_tags.clone(),
                catalog_feature: last_feature.clone(),
                critical: tags.critical,
                outline_values: outline_values(&s),
                // Filled when the scenario starts, from the parsed suite
                // (`planned_steps`): the plan holds no copy of the steps.
                steps: Vec::new(),
                excluded: selection
                    .excludes(ordinal, last_tags.iter())
                    .map(|reason| Box::new(Exclusion { kind: ExclusionKind::Filtered, reason })),
            };
            if planned.excluded.is_none() {
                planned.excluded =
                    exclude(&planned).map(|reason| Box::new(Exclusion { kind: ExclusionKind::NotApplicable, reason }));
            }
            ordinal += 1;
            scenarios.push(planned);
        }
        out.push(PlannedFeature { path, name: f.name.clone(), tags: f.tags.clone(), scenarios });
    }
    Plan { features: out, load_errors: unreadable }
}

/// The steps a scenario runs, as its events carry them: the Feature's
/// background, the Rule's, then the scenario's own.
pub(crate) fn planned_steps<'a>(steps: impl IntoIterator<Item = (&'a gherkin::Step, bool)>) -> Vec<PlannedStep> {
    steps
        .into_iter()
        .map(|(s, background)| PlannedStep {
            keyword: s.keyword.trim().to_owned(),
            text: s.value.clone(),
            line: s.position.line,
            background,
        })
        .collect()
}

/// The Examples values of an expanded outline row.
fn outline_values(s: &gherkin::Scenario) -> Vec<(String, String)> {
    let Some(table) = s.examples.first().and_then(|e| e.table.as_ref()) else {
        return Vec::new();
    };
    match (table.rows.first(), table.rows.get(1)) {
        (Some(header), Some(row)) => header.iter().cloned().zip(row.iter().cloned()).collect(),
        _ => Vec::new(),
    }
}
