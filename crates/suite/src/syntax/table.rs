//! The state machine of upstream Gherkin's grammar (`gherkin.berp` as of
//! upstream v42, where a step may take a data table and a doc string), one
//! state per position in the grammar: for each, the token types it accepts in
//! the order they are tried, the lookahead that decides what a tag line
//! belongs to, how many rules it ends and which it starts, and the state it
//! goes to. `expected` is what an error at that state lists, in upstream's
//! order. The grammar:
//!
//! ```text
//! GherkinDocument! := Feature?
//! Feature! := FeatureHeader Background? ScenarioDefinition* Rule*
//! FeatureHeader! := #Language? Tags? #FeatureLine DescriptionHelper
//! Rule! := RuleHeader Background? ScenarioDefinition*
//! RuleHeader! := Tags? #RuleLine DescriptionHelper
//! Background! := #BackgroundLine DescriptionHelper Step*
//! ScenarioDefinition! [#Empty|#Comment|#TagLine->#ScenarioLine] := Tags? Scenario
//! Scenario! := #ScenarioLine DescriptionHelper Step* ExamplesDefinition*
//! ExamplesDefinition! [#Empty|#Comment|#TagLine->#ExamplesLine] := Tags? Examples
//! Examples! := #ExamplesLine DescriptionHelper ExamplesTable?
//! ExamplesTable! := #TableRow #TableRow*
//! Step! := #StepLine StepArg?
//! StepArg := (DataTable DocString? | DocString DataTable?)
//! DataTable! := #TableRow+
//! DocString! := #DocStringSeparator #Other* #DocStringSeparator
//! Tags! := #TagLine+
//! DescriptionHelper := #Empty* Description?
//! Description! := (#Other | #Comment)+
//! ```

use super::{
    parse::{Look, RuleType as R, State, Transition},
    token::TokenType as T,
};

/// The state after `#EOF`.
pub(super) const END: u8 = 42;

const fn tr(token: T, look: Look, end: u8, start: &'static [R], next: u8) -> Transition {
    Transition { token, look, end, start, next }
}

pub(super) static STATES: [State; 55] = [
    // 0: Start
    State {
        transitions: &[
            tr(T::EOF, Look::None, 0, &[], END),
            tr(T::Language, Look::None, 0, &[R::Feature, R::FeatureHeader], 1),
            tr(T::TagLine, Look::None, 0, &[R::Feature, R::FeatureHeader, R::Tags], 2),
            tr(T::FeatureLine, Look::None, 0, &[R::Feature, R::FeatureHeader], 3),
            tr(T::Comment, Look::None, 0, &[], 0),
            tr(T::Empty, Look::None, 0, &[], 0),
        ],
        expected: &[T::EOF, T::Language, T::TagLine, T::FeatureLine, T::Comment, T::Empty],
    },
    // 1: Feature:0>FeatureHeader:0>#Language:0
    State {
        transitions: &[
            tr(T::TagLine, Look::None, 0, &[R::Tags], 2),
            tr(T::FeatureLine, Look::None, 0, &[], 3),
            tr(T::Comment, Look::None, 0, &[], 1),
            tr(T::Empty, Look::None, 0, &[], 1),
        ],
        expected: &[T::TagLine, T::FeatureLine, T::Comment, T::Empty],
    },
    // 2: Feature:0>FeatureHeader:1>Tags:0>#TagLine:0
    State {
        transitions: &[
            tr(T::TagLine, Look::None, 0, &[], 2),
            tr(T::FeatureLine, Look::None, 1, &[], 3),
            tr(T::Comment, Look::None, 0, &[], 2),
            tr(T::Empty, Look::None, 0, &[], 2),
        ],
        expected: &[T::TagLine, T::FeatureLine, T::Comment, T::Empty],
    },
    // 3: Feature:0>FeatureHeader:2>#FeatureLine:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 2, &[], END),
            tr(T::Empty, Look::None, 0, &[], 3),
            tr(T::Comment, Look::None, 0, &[R::Description], 4),
            tr(T::BackgroundLine, Look::None, 1, &[R::Background], 5),
            tr(T::TagLine, Look::Scenario, 1, &[R::ScenarioDefinition, R::Tags], 11),
            tr(T::TagLine, Look::None, 1, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ScenarioLine, Look::None, 1, &[R::ScenarioDefinition, R::Scenario], 12),
            tr(T::RuleLine, Look::None, 1, &[R::Rule, R::RuleHeader], 23),
            tr(T::Other, Look::None, 0, &[R::Description], 4),
        ],
        expected: &[
            T::EOF,
            T::Empty,
            T::Comment,
            T::BackgroundLine,
            T::TagLine,
            T::ScenarioLine,
            T::RuleLine,
            T::Other,
        ],
    },
    // 4: Feature:0>FeatureHeader:3>DescriptionHelper:1>Description:0>__alt1:0>#Other:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 3, &[], END),
            tr(T::Comment, Look::None, 0, &[], 4),
            tr(T::BackgroundLine, Look::None, 2, &[R::Background], 5),
            tr(T::TagLine, Look::Scenario, 2, &[R::ScenarioDefinition, R::Tags], 11),
            tr(T::TagLine, Look::None, 2, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ScenarioLine, Look::None, 2, &[R::ScenarioDefinition, R::Scenario], 12),
            tr(T::RuleLine, Look::None, 2, &[R::Rule, R::RuleHeader], 23),
            tr(T::Other, Look::None, 0, &[], 4),
        ],
        expected: &[T::EOF, T::Comment, T::BackgroundLine, T::TagLine, T::ScenarioLine, T::RuleLine, T::Other],
    },
    // 5: Feature:1>Background:0>#BackgroundLine:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 2, &[], END),
            tr(T::Empty, Look::None, 0, &[], 5),
            tr(T::Comment, Look::None, 0, &[R::Description], 6),
            tr(T::StepLine, Look::None, 0, &[R::Step], 7),
            tr(T::TagLine, Look::Scenario, 1, &[R::ScenarioDefinition, R::Tags], 11),
            tr(T::TagLine, Look::None, 1, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ScenarioLine, Look::None, 1, &[R::ScenarioDefinition, R::Scenario], 12),
            tr(T::RuleLine, Look::None, 1, &[R::Rule, R::RuleHeader], 23),
            tr(T::Other, Look::None, 0, &[R::Description], 6),
        ],
        expected: &[T::EOF, T::Empty, T::Comment, T::StepLine, T::TagLine, T::ScenarioLine, T::RuleLine, T::Other],
    },
    // 6: Feature:1>Background:1>DescriptionHelper:1>Description:0>__alt1:0>#Other:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 3, &[], END),
            tr(T::Comment, Look::None, 0, &[], 6),
            tr(T::StepLine, Look::None, 1, &[R::Step], 7),
            tr(T::TagLine, Look::Scenario, 2, &[R::ScenarioDefinition, R::Tags], 11),
            tr(T::TagLine, Look::None, 2, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ScenarioLine, Look::None, 2, &[R::ScenarioDefinition, R::Scenario], 12),
            tr(T::RuleLine, Look::None, 2, &[R::Rule, R::RuleHeader], 23),
            tr(T::Other, Look::None, 0, &[], 6),
        ],
        expected: &[T::EOF, T::Comment, T::StepLine, T::TagLine, T::ScenarioLine, T::RuleLine, T::Other],
    },
    // 7: Feature:1>Background:2>Step:0>#StepLine:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 3, &[], END),
            tr(T::TableRow, Look::None, 0, &[R::DataTable], 8),
            tr(T::DocStringSeparator, Look::None, 0, &[R::DocString], 52),
            tr(T::StepLine, Look::None, 1, &[R::Step], 7),
            tr(T::TagLine, Look::Scenario, 2, &[R::ScenarioDefinition, R::Tags], 11),
            tr(T::TagLine, Look::None, 2, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ScenarioLine, Look::None, 2, &[R::ScenarioDefinition, R::Scenario], 12),
            tr(T::RuleLine, Look::None, 2, &[R::Rule, R::RuleHeader], 23),
            tr(T::Comment, Look::None, 0, &[], 7),
            tr(T::Empty, Look::None, 0, &[], 7),
        ],
        expected: &[
            T::EOF,
            T::TableRow,
            T::DocStringSeparator,
            T::StepLine,
            T::TagLine,
            T::ScenarioLine,
            T::RuleLine,
            T::Comment,
            T::Empty,
        ],
    },
    // 8: Feature:1>Background:2>Step:1>StepArg:0>__alt0:0>DataTableAndMaybeDocString:0>DataTable:0>#TableRow:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 4, &[], END),
            tr(T::TableRow, Look::None, 0, &[], 8),
            tr(T::DocStringSeparator, Look::None, 1, &[R::DocString], 9),
            tr(T::StepLine, Look::None, 2, &[R::Step], 7),
            tr(T::TagLine, Look::Scenario, 3, &[R::ScenarioDefinition, R::Tags], 11),
            tr(T::TagLine, Look::None, 3, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ScenarioLine, Look::None, 3, &[R::ScenarioDefinition, R::Scenario], 12),
            tr(T::RuleLine, Look::None, 3, &[R::Rule, R::RuleHeader], 23),
            tr(T::Comment, Look::None, 0, &[], 8),
            tr(T::Empty, Look::None, 0, &[], 8),
        ],
        expected: &[
            T::EOF,
            T::TableRow,
            T::DocStringSeparator,
            T::StepLine,
            T::TagLine,
            T::ScenarioLine,
            T::RuleLine,
            T::Comment,
            T::Empty,
        ],
    },
    // 9: Feature:1>Background:2>Step:1>StepArg:0>__alt0:0>DataTableAndMaybeDocString:1>DocString:0>#DocStringSeparator:0
    State {
        transitions: &[tr(T::DocStringSeparator, Look::None, 0, &[], 10), tr(T::Other, Look::None, 0, &[], 9)],
        expected: &[T::DocStringSeparator, T::Other],
    },
    // 10: Feature:1>Background:2>Step:1>StepArg:0>__alt0:0>DataTableAndMaybeDocString:1>DocString:2>#DocStringSeparator:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 4, &[], END),
            tr(T::StepLine, Look::None, 2, &[R::Step], 7),
            tr(T::TagLine, Look::Scenario, 3, &[R::ScenarioDefinition, R::Tags], 11),
            tr(T::TagLine, Look::None, 3, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ScenarioLine, Look::None, 3, &[R::ScenarioDefinition, R::Scenario], 12),
            tr(T::RuleLine, Look::None, 3, &[R::Rule, R::RuleHeader], 23),
            tr(T::Comment, Look::None, 0, &[], 10),
            tr(T::Empty, Look::None, 0, &[], 10),
        ],
        expected: &[T::EOF, T::StepLine, T::TagLine, T::ScenarioLine, T::RuleLine, T::Comment, T::Empty],
    },
    // 11: Feature:2>ScenarioDefinition:0>Tags:0>#TagLine:0
    State {
        transitions: &[
            tr(T::TagLine, Look::None, 0, &[], 11),
            tr(T::ScenarioLine, Look::None, 1, &[R::Scenario], 12),
            tr(T::Comment, Look::None, 0, &[], 11),
            tr(T::Empty, Look::None, 0, &[], 11),
        ],
        expected: &[T::TagLine, T::ScenarioLine, T::Comment, T::Empty],
    },
    // 12: Feature:2>ScenarioDefinition:1>Scenario:0>#ScenarioLine:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 3, &[], END),
            tr(T::Empty, Look::None, 0, &[], 12),
            tr(T::Comment, Look::None, 0, &[R::Description], 13),
            tr(T::StepLine, Look::None, 0, &[R::Step], 14),
            tr(T::TagLine, Look::Examples, 0, &[R::ExamplesDefinition, R::Tags], 18),
            tr(T::TagLine, Look::Scenario, 2, &[R::ScenarioDefinition, R::Tags], 11),
            tr(T::TagLine, Look::None, 2, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ExamplesLine, Look::None, 0, &[R::ExamplesDefinition, R::Examples], 19),
            tr(T::ScenarioLine, Look::None, 2, &[R::ScenarioDefinition, R::Scenario], 12),
            tr(T::RuleLine, Look::None, 2, &[R::Rule, R::RuleHeader], 23),
            tr(T::Other, Look::None, 0, &[R::Description], 13),
        ],
        expected: &[
            T::EOF,
            T::Empty,
            T::Comment,
            T::StepLine,
            T::TagLine,
            T::ExamplesLine,
            T::ScenarioLine,
            T::RuleLine,
            T::Other,
        ],
    },
    // 13: Feature:2>ScenarioDefinition:1>Scenario:1>DescriptionHelper:1>Description:0>__alt1:0>#Other:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 4, &[], END),
            tr(T::Comment, Look::None, 0, &[], 13),
            tr(T::StepLine, Look::None, 1, &[R::Step], 14),
            tr(T::TagLine, Look::Examples, 1, &[R::ExamplesDefinition, R::Tags], 18),
            tr(T::TagLine, Look::Scenario, 3, &[R::ScenarioDefinition, R::Tags], 11),
            tr(T::TagLine, Look::None, 3, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ExamplesLine, Look::None, 1, &[R::ExamplesDefinition, R::Examples], 19),
            tr(T::ScenarioLine, Look::None, 3, &[R::ScenarioDefinition, R::Scenario], 12),
            tr(T::RuleLine, Look::None, 3, &[R::Rule, R::RuleHeader], 23),
            tr(T::Other, Look::None, 0, &[], 13),
        ],
        expected: &[
            T::EOF,
            T::Comment,
            T::StepLine,
            T::TagLine,
            T::ExamplesLine,
            T::ScenarioLine,
            T::RuleLine,
            T::Other,
        ],
    },
    // 14: Feature:2>ScenarioDefinition:1>Scenario:2>Step:0>#StepLine:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 4, &[], END),
            tr(T::TableRow, Look::None, 0, &[R::DataTable], 15),
            tr(T::DocStringSeparator, Look::None, 0, &[R::DocString], 49),
            tr(T::StepLine, Look::None, 1, &[R::Step], 14),
            tr(T::TagLine, Look::Examples, 1, &[R::ExamplesDefinition, R::Tags], 18),
            tr(T::TagLine, Look::Scenario, 3, &[R::ScenarioDefinition, R::Tags], 11),
            tr(T::TagLine, Look::None, 3, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ExamplesLine, Look::None, 1, &[R::ExamplesDefinition, R::Examples], 19),
            tr(T::ScenarioLine, Look::None, 3, &[R::ScenarioDefinition, R::Scenario], 12),
            tr(T::RuleLine, Look::None, 3, &[R::Rule, R::RuleHeader], 23),
            tr(T::Comment, Look::None, 0, &[], 14),
            tr(T::Empty, Look::None, 0, &[], 14),
        ],
        expected: &[
            T::EOF,
            T::TableRow,
            T::DocStringSeparator,
            T::StepLine,
            T::TagLine,
            T::ExamplesLine,
            T::ScenarioLine,
            T::RuleLine,
            T::Comment,
            T::Empty,
        ],
    },
    // 15: Feature:2>ScenarioDefinition:1>Scenario:2>Step:1>StepArg:0>__alt0:0>DataTableAndMaybeDocString:0>DataTable:0>#TableRow:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 5, &[], END),
            tr(T::TableRow, Look::None, 0, &[], 15),
            tr(T::DocStringSeparator, Look::None, 1, &[R::DocString], 16),
            tr(T::StepLine, Look::None, 2, &[R::Step], 14),
            tr(T::TagLine, Look::Examples, 2, &[R::ExamplesDefinition, R::Tags], 18),
            tr(T::TagLine, Look::Scenario, 4, &[R::ScenarioDefinition, R::Tags], 11),
            tr(T::TagLine, Look::None, 4, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ExamplesLine, Look::None, 2, &[R::ExamplesDefinition, R::Examples], 19),
            tr(T::ScenarioLine, Look::None, 4, &[R::ScenarioDefinition, R::Scenario], 12),
            tr(T::RuleLine, Look::None, 4, &[R::Rule, R::RuleHeader], 23),
            tr(T::Comment, Look::None, 0, &[], 15),
            tr(T::Empty, Look::None, 0, &[], 15),
        ],
        expected: &[
            T::EOF,
            T::TableRow,
            T::DocStringSeparator,
            T::StepLine,
            T::TagLine,
            T::ExamplesLine,
            T::ScenarioLine,
            T::RuleLine,
            T::Comment,
            T::Empty,
        ],
    },
    // 16: Feature:2>ScenarioDefinition:1>Scenario:2>Step:1>StepArg:0>__alt0:0>DataTableAndMaybeDocString:1>DocString:0>#DocStringSeparator:0
    State {
        transitions: &[tr(T::DocStringSeparator, Look::None, 0, &[], 17), tr(T::Other, Look::None, 0, &[], 16)],
        expected: &[T::DocStringSeparator, T::Other],
    },
    // 17: Feature:2>ScenarioDefinition:1>Scenario:2>Step:1>StepArg:0>__alt0:0>DataTableAndMaybeDocString:1>DocString:2>#DocStringSeparator:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 5, &[], END),
            tr(T::StepLine, Look::None, 2, &[R::Step], 14),
            tr(T::TagLine, Look::Examples, 2, &[R::ExamplesDefinition, R::Tags], 18),
            tr(T::TagLine, Look::Scenario, 4, &[R::ScenarioDefinition, R::Tags], 11),
            tr(T::TagLine, Look::None, 4, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ExamplesLine, Look::None, 2, &[R::ExamplesDefinition, R::Examples], 19),
            tr(T::ScenarioLine, Look::None, 4, &[R::ScenarioDefinition, R::Scenario], 12),
            tr(T::RuleLine, Look::None, 4, &[R::Rule, R::RuleHeader], 23),
            tr(T::Comment, Look::None, 0, &[], 17),
            tr(T::Empty, Look::None, 0, &[], 17),
        ],
        expected: &[
            T::EOF,
            T::StepLine,
            T::TagLine,
            T::ExamplesLine,
            T::ScenarioLine,
            T::RuleLine,
            T::Comment,
            T::Empty,
        ],
    },
    // 18: Feature:2>ScenarioDefinition:1>Scenario:3>ExamplesDefinition:0>Tags:0>#TagLine:0
    State {
        transitions: &[
            tr(T::TagLine, Look::None, 0, &[], 18),
            tr(T::ExamplesLine, Look::None, 1, &[R::Examples], 19),
            tr(T::Comment, Look::None, 0, &[], 18),
            tr(T::Empty, Look::None, 0, &[], 18),
        ],
        expected: &[T::TagLine, T::ExamplesLine, T::Comment, T::Empty],
    },
    // 19: Feature:2>ScenarioDefinition:1>Scenario:3>ExamplesDefinition:1>Examples:0>#ExamplesLine:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 5, &[], END),
            tr(T::Empty, Look::None, 0, &[], 19),
            tr(T::Comment, Look::None, 0, &[R::Description], 20),
            tr(T::TableRow, Look::None, 0, &[R::ExamplesTable], 21),
            tr(T::TagLine, Look::Examples, 2, &[R::ExamplesDefinition, R::Tags], 18),
            tr(T::TagLine, Look::Scenario, 4, &[R::ScenarioDefinition, R::Tags], 11),
            tr(T::TagLine, Look::None, 4, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ExamplesLine, Look::None, 2, &[R::ExamplesDefinition, R::Examples], 19),
            tr(T::ScenarioLine, Look::None, 4, &[R::ScenarioDefinition, R::Scenario], 12),
            tr(T::RuleLine, Look::None, 4, &[R::Rule, R::RuleHeader], 23),
            tr(T::Other, Look::None, 0, &[R::Description], 20),
        ],
        expected: &[
            T::EOF,
            T::Empty,
            T::Comment,
            T::TableRow,
            T::TagLine,
            T::ExamplesLine,
            T::ScenarioLine,
            T::RuleLine,
            T::Other,
        ],
    },
    // 20: Feature:2>ScenarioDefinition:1>Scenario:3>ExamplesDefinition:1>Examples:1>DescriptionHelper:1>Description:0>__alt1:0>#Other:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 6, &[], END),
            tr(T::Comment, Look::None, 0, &[], 20),
            tr(T::TableRow, Look::None, 1, &[R::ExamplesTable], 21),
            tr(T::TagLine, Look::Examples, 3, &[R::ExamplesDefinition, R::Tags], 18),
            tr(T::TagLine, Look::Scenario, 5, &[R::ScenarioDefinition, R::Tags], 11),
            tr(T::TagLine, Look::None, 5, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ExamplesLine, Look::None, 3, &[R::ExamplesDefinition, R::Examples], 19),
            tr(T::ScenarioLine, Look::None, 5, &[R::ScenarioDefinition, R::Scenario], 12),
            tr(T::RuleLine, Look::None, 5, &[R::Rule, R::RuleHeader], 23),
            tr(T::Other, Look::None, 0, &[], 20),
        ],
        expected: &[
            T::EOF,
            T::Comment,
            T::TableRow,
            T::TagLine,
            T::ExamplesLine,
            T::ScenarioLine,
            T::RuleLine,
            T::Other,
        ],
    },
    // 21: Feature:2>ScenarioDefinition:1>Scenario:3>ExamplesDefinition:1>Examples:2>ExamplesTable:0>#TableRow:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 6, &[], END),
            tr(T::TableRow, Look::None, 0, &[], 21),
            tr(T::TagLine, Look::Examples, 3, &[R::ExamplesDefinition, R::Tags], 18),
            tr(T::TagLine, Look::Scenario, 5, &[R::ScenarioDefinition, R::Tags], 11),
            tr(T::TagLine, Look::None, 5, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ExamplesLine, Look::None, 3, &[R::ExamplesDefinition, R::Examples], 19),
            tr(T::ScenarioLine, Look::None, 5, &[R::ScenarioDefinition, R::Scenario], 12),
            tr(T::RuleLine, Look::None, 5, &[R::Rule, R::RuleHeader], 23),
            tr(T::Comment, Look::None, 0, &[], 21),
            tr(T::Empty, Look::None, 0, &[], 21),
        ],
        expected: &[
            T::EOF,
            T::TableRow,
            T::TagLine,
            T::ExamplesLine,
            T::ScenarioLine,
            T::RuleLine,
            T::Comment,
            T::Empty,
        ],
    },
    // 22: Feature:3>Rule:0>RuleHeader:0>Tags:0>#TagLine:0
    State {
        transitions: &[
            tr(T::TagLine, Look::None, 0, &[], 22),
            tr(T::RuleLine, Look::None, 1, &[], 23),
            tr(T::Comment, Look::None, 0, &[], 22),
            tr(T::Empty, Look::None, 0, &[], 22),
        ],
        expected: &[T::TagLine, T::RuleLine, T::Comment, T::Empty],
    },
    // 23: Feature:3>Rule:0>RuleHeader:1>#RuleLine:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 3, &[], END),
            tr(T::Empty, Look::None, 0, &[], 23),
            tr(T::Comment, Look::None, 0, &[R::Description], 24),
            tr(T::BackgroundLine, Look::None, 1, &[R::Background], 25),
            tr(T::TagLine, Look::Scenario, 1, &[R::ScenarioDefinition, R::Tags], 31),
            tr(T::TagLine, Look::None, 2, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ScenarioLine, Look::None, 1, &[R::ScenarioDefinition, R::Scenario], 32),
            tr(T::RuleLine, Look::None, 2, &[R::Rule, R::RuleHeader], 23),
            tr(T::Other, Look::None, 0, &[R::Description], 24),
        ],
        expected: &[
            T::EOF,
            T::Empty,
            T::Comment,
            T::BackgroundLine,
            T::TagLine,
            T::ScenarioLine,
            T::RuleLine,
            T::Other,
        ],
    },
    // 24: Feature:3>Rule:0>RuleHeader:2>DescriptionHelper:1>Description:0>__alt1:0>#Other:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 4, &[], END),
            tr(T::Comment, Look::None, 0, &[], 24),
            tr(T::BackgroundLine, Look::None, 2, &[R::Background], 25),
            tr(T::TagLine, Look::Scenario, 2, &[R::ScenarioDefinition, R::Tags], 31),
            tr(T::TagLine, Look::None, 3, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ScenarioLine, Look::None, 2, &[R::ScenarioDefinition, R::Scenario], 32),
            tr(T::RuleLine, Look::None, 3, &[R::Rule, R::RuleHeader], 23),
            tr(T::Other, Look::None, 0, &[], 24),
        ],
        expected: &[T::EOF, T::Comment, T::BackgroundLine, T::TagLine, T::ScenarioLine, T::RuleLine, T::Other],
    },
    // 25: Feature:3>Rule:1>Background:0>#BackgroundLine:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 3, &[], END),
            tr(T::Empty, Look::None, 0, &[], 25),
            tr(T::Comment, Look::None, 0, &[R::Description], 26),
            tr(T::StepLine, Look::None, 0, &[R::Step], 27),
            tr(T::TagLine, Look::Scenario, 1, &[R::ScenarioDefinition, R::Tags], 31),
            tr(T::TagLine, Look::None, 2, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ScenarioLine, Look::None, 1, &[R::ScenarioDefinition, R::Scenario], 32),
            tr(T::RuleLine, Look::None, 2, &[R::Rule, R::RuleHeader], 23),
            tr(T::Other, Look::None, 0, &[R::Description], 26),
        ],
        expected: &[T::EOF, T::Empty, T::Comment, T::StepLine, T::TagLine, T::ScenarioLine, T::RuleLine, T::Other],
    },
    // 26: Feature:3>Rule:1>Background:1>DescriptionHelper:1>Description:0>__alt1:0>#Other:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 4, &[], END),
            tr(T::Comment, Look::None, 0, &[], 26),
            tr(T::StepLine, Look::None, 1, &[R::Step], 27),
            tr(T::TagLine, Look::Scenario, 2, &[R::ScenarioDefinition, R::Tags], 31),
            tr(T::TagLine, Look::None, 3, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ScenarioLine, Look::None, 2, &[R::ScenarioDefinition, R::Scenario], 32),
            tr(T::RuleLine, Look::None, 3, &[R::Rule, R::RuleHeader], 23),
            tr(T::Other, Look::None, 0, &[], 26),
        ],
        expected: &[T::EOF, T::Comment, T::StepLine, T::TagLine, T::ScenarioLine, T::RuleLine, T::Other],
    },
    // 27: Feature:3>Rule:1>Background:2>Step:0>#StepLine:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 4, &[], END),
            tr(T::TableRow, Look::None, 0, &[R::DataTable], 28),
            tr(T::DocStringSeparator, Look::None, 0, &[R::DocString], 46),
            tr(T::StepLine, Look::None, 1, &[R::Step], 27),
            tr(T::TagLine, Look::Scenario, 2, &[R::ScenarioDefinition, R::Tags], 31),
            tr(T::TagLine, Look::None, 3, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ScenarioLine, Look::None, 2, &[R::ScenarioDefinition, R::Scenario], 32),
            tr(T::RuleLine, Look::None, 3, &[R::Rule, R::RuleHeader], 23),
            tr(T::Comment, Look::None, 0, &[], 27),
            tr(T::Empty, Look::None, 0, &[], 27),
        ],
        expected: &[
            T::EOF,
            T::TableRow,
            T::DocStringSeparator,
            T::StepLine,
            T::TagLine,
            T::ScenarioLine,
            T::RuleLine,
            T::Comment,
            T::Empty,
        ],
    },
    // 28: Feature:3>Rule:1>Background:2>Step:1>StepArg:0>__alt0:0>DataTableAndMaybeDocString:0>DataTable:0>#TableRow:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 5, &[], END),
            tr(T::TableRow, Look::None, 0, &[], 28),
            tr(T::DocStringSeparator, Look::None, 1, &[R::DocString], 29),
            tr(T::StepLine, Look::None, 2, &[R::Step], 27),
            tr(T::TagLine, Look::Scenario, 3, &[R::ScenarioDefinition, R::Tags], 31),
            tr(T::TagLine, Look::None, 4, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ScenarioLine, Look::None, 3, &[R::ScenarioDefinition, R::Scenario], 32),
            tr(T::RuleLine, Look::None, 4, &[R::Rule, R::RuleHeader], 23),
            tr(T::Comment, Look::None, 0, &[], 28),
            tr(T::Empty, Look::None, 0, &[], 28),
        ],
        expected: &[
            T::EOF,
            T::TableRow,
            T::DocStringSeparator,
            T::StepLine,
            T::TagLine,
            T::ScenarioLine,
            T::RuleLine,
            T::Comment,
            T::Empty,
        ],
    },
    // 29: Feature:3>Rule:1>Background:2>Step:1>StepArg:0>__alt0:0>DataTableAndMaybeDocString:1>DocString:0>#DocStringSeparator:0
    State {
        transitions: &[tr(T::DocStringSeparator, Look::None, 0, &[], 30), tr(T::Other, Look::None, 0, &[], 29)],
        expected: &[T::DocStringSeparator, T::Other],
    },
    // 30: Feature:3>Rule:1>Background:2>Step:1>StepArg:0>__alt0:0>DataTableAndMaybeDocString:1>DocString:2>#DocStringSeparator:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 5, &[], END),
            tr(T::StepLine, Look::None, 2, &[R::Step], 27),
            tr(T::TagLine, Look::Scenario, 3, &[R::ScenarioDefinition, R::Tags], 31),
            tr(T::TagLine, Look::None, 4, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ScenarioLine, Look::None, 3, &[R::ScenarioDefinition, R::Scenario], 32),
            tr(T::RuleLine, Look::None, 4, &[R::Rule, R::RuleHeader], 23),
            tr(T::Comment, Look::None, 0, &[], 30),
            tr(T::Empty, Look::None, 0, &[], 30),
        ],
        expected: &[T::EOF, T::StepLine, T::TagLine, T::ScenarioLine, T::RuleLine, T::Comment, T::Empty],
    },
    // 31: Feature:3>Rule:2>ScenarioDefinition:0>Tags:0>#TagLine:0
    State {
        transitions: &[
            tr(T::TagLine, Look::None, 0, &[], 31),
            tr(T::ScenarioLine, Look::None, 1, &[R::Scenario], 32),
            tr(T::Comment, Look::None, 0, &[], 31),
            tr(T::Empty, Look::None, 0, &[], 31),
        ],
        expected: &[T::TagLine, T::ScenarioLine, T::Comment, T::Empty],
    },
    // 32: Feature:3>Rule:2>ScenarioDefinition:1>Scenario:0>#ScenarioLine:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 4, &[], END),
            tr(T::Empty, Look::None, 0, &[], 32),
            tr(T::Comment, Look::None, 0, &[R::Description], 33),
            tr(T::StepLine, Look::None, 0, &[R::Step], 34),
            tr(T::TagLine, Look::Examples, 0, &[R::ExamplesDefinition, R::Tags], 38),
            tr(T::TagLine, Look::Scenario, 2, &[R::ScenarioDefinition, R::Tags], 31),
            tr(T::TagLine, Look::None, 3, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ExamplesLine, Look::None, 0, &[R::ExamplesDefinition, R::Examples], 39),
            tr(T::ScenarioLine, Look::None, 2, &[R::ScenarioDefinition, R::Scenario], 32),
            tr(T::RuleLine, Look::None, 3, &[R::Rule, R::RuleHeader], 23),
            tr(T::Other, Look::None, 0, &[R::Description], 33),
        ],
        expected: &[
            T::EOF,
            T::Empty,
            T::Comment,
            T::StepLine,
            T::TagLine,
            T::ExamplesLine,
            T::ScenarioLine,
            T::RuleLine,
            T::Other,
        ],
    },
    // 33: Feature:3>Rule:2>ScenarioDefinition:1>Scenario:1>DescriptionHelper:1>Description:0>__alt1:0>#Other:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 5, &[], END),
            tr(T::Comment, Look::None, 0, &[], 33),
            tr(T::StepLine, Look::None, 1, &[R::Step], 34),
            tr(T::TagLine, Look::Examples, 1, &[R::ExamplesDefinition, R::Tags], 38),
            tr(T::TagLine, Look::Scenario, 3, &[R::ScenarioDefinition, R::Tags], 31),
            tr(T::TagLine, Look::None, 4, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ExamplesLine, Look::None, 1, &[R::ExamplesDefinition, R::Examples], 39),
            tr(T::ScenarioLine, Look::None, 3, &[R::ScenarioDefinition, R::Scenario], 32),
            tr(T::RuleLine, Look::None, 4, &[R::Rule, R::RuleHeader], 23),
            tr(T::Other, Look::None, 0, &[], 33),
        ],
        expected: &[
            T::EOF,
            T::Comment,
            T::StepLine,
            T::TagLine,
            T::ExamplesLine,
            T::ScenarioLine,
            T::RuleLine,
            T::Other,
        ],
    },
    // 34: Feature:3>Rule:2>ScenarioDefinition:1>Scenario:2>Step:0>#StepLine:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 5, &[], END),
            tr(T::TableRow, Look::None, 0, &[R::DataTable], 35),
            tr(T::DocStringSeparator, Look::None, 0, &[R::DocString], 43),
            tr(T::StepLine, Look::None, 1, &[R::Step], 34),
            tr(T::TagLine, Look::Examples, 1, &[R::ExamplesDefinition, R::Tags], 38),
            tr(T::TagLine, Look::Scenario, 3, &[R::ScenarioDefinition, R::Tags], 31),
            tr(T::TagLine, Look::None, 4, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ExamplesLine, Look::None, 1, &[R::ExamplesDefinition, R::Examples], 39),
            tr(T::ScenarioLine, Look::None, 3, &[R::ScenarioDefinition, R::Scenario], 32),
            tr(T::RuleLine, Look::None, 4, &[R::Rule, R::RuleHeader], 23),
            tr(T::Comment, Look::None, 0, &[], 34),
            tr(T::Empty, Look::None, 0, &[], 34),
        ],
        expected: &[
            T::EOF,
            T::TableRow,
            T::DocStringSeparator,
            T::StepLine,
            T::TagLine,
            T::ExamplesLine,
            T::ScenarioLine,
            T::RuleLine,
            T::Comment,
            T::Empty,
        ],
    },
    // 35: Feature:3>Rule:2>ScenarioDefinition:1>Scenario:2>Step:1>StepArg:0>__alt0:0>DataTableAndMaybeDocString:0>DataTable:0>#TableRow:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 6, &[], END),
            tr(T::TableRow, Look::None, 0, &[], 35),
            tr(T::DocStringSeparator, Look::None, 1, &[R::DocString], 36),
            tr(T::StepLine, Look::None, 2, &[R::Step], 34),
            tr(T::TagLine, Look::Examples, 2, &[R::ExamplesDefinition, R::Tags], 38),
            tr(T::TagLine, Look::Scenario, 4, &[R::ScenarioDefinition, R::Tags], 31),
            tr(T::TagLine, Look::None, 5, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ExamplesLine, Look::None, 2, &[R::ExamplesDefinition, R::Examples], 39),
            tr(T::ScenarioLine, Look::None, 4, &[R::ScenarioDefinition, R::Scenario], 32),
            tr(T::RuleLine, Look::None, 5, &[R::Rule, R::RuleHeader], 23),
            tr(T::Comment, Look::None, 0, &[], 35),
            tr(T::Empty, Look::None, 0, &[], 35),
        ],
        expected: &[
            T::EOF,
            T::TableRow,
            T::DocStringSeparator,
            T::StepLine,
            T::TagLine,
            T::ExamplesLine,
            T::ScenarioLine,
            T::RuleLine,
            T::Comment,
            T::Empty,
        ],
    },
    // 36: Feature:3>Rule:2>ScenarioDefinition:1>Scenario:2>Step:1>StepArg:0>__alt0:0>DataTableAndMaybeDocString:1>DocString:0>#DocStringSeparator:0
    State {
        transitions: &[tr(T::DocStringSeparator, Look::None, 0, &[], 37), tr(T::Other, Look::None, 0, &[], 36)],
        expected: &[T::DocStringSeparator, T::Other],
    },
    // 37: Feature:3>Rule:2>ScenarioDefinition:1>Scenario:2>Step:1>StepArg:0>__alt0:0>DataTableAndMaybeDocString:1>DocString:2>#DocStringSeparator:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 6, &[], END),
            tr(T::StepLine, Look::None, 2, &[R::Step], 34),
            tr(T::TagLine, Look::Examples, 2, &[R::ExamplesDefinition, R::Tags], 38),
            tr(T::TagLine, Look::Scenario, 4, &[R::ScenarioDefinition, R::Tags], 31),
            tr(T::TagLine, Look::None, 5, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ExamplesLine, Look::None, 2, &[R::ExamplesDefinition, R::Examples], 39),
            tr(T::ScenarioLine, Look::None, 4, &[R::ScenarioDefinition, R::Scenario], 32),
            tr(T::RuleLine, Look::None, 5, &[R::Rule, R::RuleHeader], 23),
            tr(T::Comment, Look::None, 0, &[], 37),
            tr(T::Empty, Look::None, 0, &[], 37),
        ],
        expected: &[
            T::EOF,
            T::StepLine,
            T::TagLine,
            T::ExamplesLine,
            T::ScenarioLine,
            T::RuleLine,
            T::Comment,
            T::Empty,
        ],
    },
    // 38: Feature:3>Rule:2>ScenarioDefinition:1>Scenario:3>ExamplesDefinition:0>Tags:0>#TagLine:0
    State {
        transitions: &[
            tr(T::TagLine, Look::None, 0, &[], 38),
            tr(T::ExamplesLine, Look::None, 1, &[R::Examples], 39),
            tr(T::Comment, Look::None, 0, &[], 38),
            tr(T::Empty, Look::None, 0, &[], 38),
        ],
        expected: &[T::TagLine, T::ExamplesLine, T::Comment, T::Empty],
    },
    // 39: Feature:3>Rule:2>ScenarioDefinition:1>Scenario:3>ExamplesDefinition:1>Examples:0>#ExamplesLine:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 6, &[], END),
            tr(T::Empty, Look::None, 0, &[], 39),
            tr(T::Comment, Look::None, 0, &[R::Description], 40),
            tr(T::TableRow, Look::None, 0, &[R::ExamplesTable], 41),
            tr(T::TagLine, Look::Examples, 2, &[R::ExamplesDefinition, R::Tags], 38),
            tr(T::TagLine, Look::Scenario, 4, &[R::ScenarioDefinition, R::Tags], 31),
            tr(T::TagLine, Look::None, 5, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ExamplesLine, Look::None, 2, &[R::ExamplesDefinition, R::Examples], 39),
            tr(T::ScenarioLine, Look::None, 4, &[R::ScenarioDefinition, R::Scenario], 32),
            tr(T::RuleLine, Look::None, 5, &[R::Rule, R::RuleHeader], 23),
            tr(T::Other, Look::None, 0, &[R::Description], 40),
        ],
        expected: &[
            T::EOF,
            T::Empty,
            T::Comment,
            T::TableRow,
            T::TagLine,
            T::ExamplesLine,
            T::ScenarioLine,
            T::RuleLine,
            T::Other,
        ],
    },
    // 40: Feature:3>Rule:2>ScenarioDefinition:1>Scenario:3>ExamplesDefinition:1>Examples:1>DescriptionHelper:1>Description:0>__alt1:0>#Other:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 7, &[], END),
            tr(T::Comment, Look::None, 0, &[], 40),
            tr(T::TableRow, Look::None, 1, &[R::ExamplesTable], 41),
            tr(T::TagLine, Look::Examples, 3, &[R::ExamplesDefinition, R::Tags], 38),
            tr(T::TagLine, Look::Scenario, 5, &[R::ScenarioDefinition, R::Tags], 31),
            tr(T::TagLine, Look::None, 6, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ExamplesLine, Look::None, 3, &[R::ExamplesDefinition, R::Examples], 39),
            tr(T::ScenarioLine, Look::None, 5, &[R::ScenarioDefinition, R::Scenario], 32),
            tr(T::RuleLine, Look::None, 6, &[R::Rule, R::RuleHeader], 23),
            tr(T::Other, Look::None, 0, &[], 40),
        ],
        expected: &[
            T::EOF,
            T::Comment,
            T::TableRow,
            T::TagLine,
            T::ExamplesLine,
            T::ScenarioLine,
            T::RuleLine,
            T::Other,
        ],
    },
    // 41: Feature:3>Rule:2>ScenarioDefinition:1>Scenario:3>ExamplesDefinition:1>Examples:2>ExamplesTable:0>#TableRow:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 7, &[], END),
            tr(T::TableRow, Look::None, 0, &[], 41),
            tr(T::TagLine, Look::Examples, 3, &[R::ExamplesDefinition, R::Tags], 38),
            tr(T::TagLine, Look::Scenario, 5, &[R::ScenarioDefinition, R::Tags], 31),
            tr(T::TagLine, Look::None, 6, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ExamplesLine, Look::None, 3, &[R::ExamplesDefinition, R::Examples], 39),
            tr(T::ScenarioLine, Look::None, 5, &[R::ScenarioDefinition, R::Scenario], 32),
            tr(T::RuleLine, Look::None, 6, &[R::Rule, R::RuleHeader], 23),
            tr(T::Comment, Look::None, 0, &[], 41),
            tr(T::Empty, Look::None, 0, &[], 41),
        ],
        expected: &[
            T::EOF,
            T::TableRow,
            T::TagLine,
            T::ExamplesLine,
            T::ScenarioLine,
            T::RuleLine,
            T::Comment,
            T::Empty,
        ],
    },
    // 42: the end state (after #EOF)
    State { transitions: &[], expected: &[] },
    // 43: Feature:3>Rule:2>ScenarioDefinition:1>Scenario:2>Step:1>StepArg:0>__alt0:1>DocStringAndMaybeDataTable:0>DocString:0>#DocStringSeparator:0
    State {
        transitions: &[tr(T::DocStringSeparator, Look::None, 0, &[], 44), tr(T::Other, Look::None, 0, &[], 43)],
        expected: &[T::DocStringSeparator, T::Other],
    },
    // 44: Feature:3>Rule:2>ScenarioDefinition:1>Scenario:2>Step:1>StepArg:0>__alt0:1>DocStringAndMaybeDataTable:0>DocString:2>#DocStringSeparator:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 6, &[], END),
            tr(T::TableRow, Look::None, 1, &[R::DataTable], 45),
            tr(T::StepLine, Look::None, 2, &[R::Step], 34),
            tr(T::TagLine, Look::Examples, 2, &[R::ExamplesDefinition, R::Tags], 38),
            tr(T::TagLine, Look::Scenario, 4, &[R::ScenarioDefinition, R::Tags], 31),
            tr(T::TagLine, Look::None, 5, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ExamplesLine, Look::None, 2, &[R::ExamplesDefinition, R::Examples], 39),
            tr(T::ScenarioLine, Look::None, 4, &[R::ScenarioDefinition, R::Scenario], 32),
            tr(T::RuleLine, Look::None, 5, &[R::Rule, R::RuleHeader], 23),
            tr(T::Comment, Look::None, 0, &[], 44),
            tr(T::Empty, Look::None, 0, &[], 44),
        ],
        expected: &[
            T::EOF,
            T::TableRow,
            T::StepLine,
            T::TagLine,
            T::ExamplesLine,
            T::ScenarioLine,
            T::RuleLine,
            T::Comment,
            T::Empty,
        ],
    },
    // 45: Feature:3>Rule:2>ScenarioDefinition:1>Scenario:2>Step:1>StepArg:0>__alt0:1>DocStringAndMaybeDataTable:1>DataTable:0>#TableRow:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 6, &[], END),
            tr(T::TableRow, Look::None, 0, &[], 45),
            tr(T::StepLine, Look::None, 2, &[R::Step], 34),
            tr(T::TagLine, Look::Examples, 2, &[R::ExamplesDefinition, R::Tags], 38),
            tr(T::TagLine, Look::Scenario, 4, &[R::ScenarioDefinition, R::Tags], 31),
            tr(T::TagLine, Look::None, 5, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ExamplesLine, Look::None, 2, &[R::ExamplesDefinition, R::Examples], 39),
            tr(T::ScenarioLine, Look::None, 4, &[R::ScenarioDefinition, R::Scenario], 32),
            tr(T::RuleLine, Look::None, 5, &[R::Rule, R::RuleHeader], 23),
            tr(T::Comment, Look::None, 0, &[], 45),
            tr(T::Empty, Look::None, 0, &[], 45),
        ],
        expected: &[
            T::EOF,
            T::TableRow,
            T::StepLine,
            T::TagLine,
            T::ExamplesLine,
            T::ScenarioLine,
            T::RuleLine,
            T::Comment,
            T::Empty,
        ],
    },
    // 46: Feature:3>Rule:1>Background:2>Step:1>StepArg:0>__alt0:1>DocStringAndMaybeDataTable:0>DocString:0>#DocStringSeparator:0
    State {
        transitions: &[tr(T::DocStringSeparator, Look::None, 0, &[], 47), tr(T::Other, Look::None, 0, &[], 46)],
        expected: &[T::DocStringSeparator, T::Other],
    },
    // 47: Feature:3>Rule:1>Background:2>Step:1>StepArg:0>__alt0:1>DocStringAndMaybeDataTable:0>DocString:2>#DocStringSeparator:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 5, &[], END),
            tr(T::TableRow, Look::None, 1, &[R::DataTable], 48),
            tr(T::StepLine, Look::None, 2, &[R::Step], 27),
            tr(T::TagLine, Look::Scenario, 3, &[R::ScenarioDefinition, R::Tags], 31),
            tr(T::TagLine, Look::None, 4, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ScenarioLine, Look::None, 3, &[R::ScenarioDefinition, R::Scenario], 32),
            tr(T::RuleLine, Look::None, 4, &[R::Rule, R::RuleHeader], 23),
            tr(T::Comment, Look::None, 0, &[], 47),
            tr(T::Empty, Look::None, 0, &[], 47),
        ],
        expected: &[T::EOF, T::TableRow, T::StepLine, T::TagLine, T::ScenarioLine, T::RuleLine, T::Comment, T::Empty],
    },
    // 48: Feature:3>Rule:1>Background:2>Step:1>StepArg:0>__alt0:1>DocStringAndMaybeDataTable:1>DataTable:0>#TableRow:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 5, &[], END),
            tr(T::TableRow, Look::None, 0, &[], 48),
            tr(T::StepLine, Look::None, 2, &[R::Step], 27),
            tr(T::TagLine, Look::Scenario, 3, &[R::ScenarioDefinition, R::Tags], 31),
            tr(T::TagLine, Look::None, 4, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ScenarioLine, Look::None, 3, &[R::ScenarioDefinition, R::Scenario], 32),
            tr(T::RuleLine, Look::None, 4, &[R::Rule, R::RuleHeader], 23),
            tr(T::Comment, Look::None, 0, &[], 48),
            tr(T::Empty, Look::None, 0, &[], 48),
        ],
        expected: &[T::EOF, T::TableRow, T::StepLine, T::TagLine, T::ScenarioLine, T::RuleLine, T::Comment, T::Empty],
    },
    // 49: Feature:2>ScenarioDefinition:1>Scenario:2>Step:1>StepArg:0>__alt0:1>DocStringAndMaybeDataTable:0>DocString:0>#DocStringSeparator:0
    State {
        transitions: &[tr(T::DocStringSeparator, Look::None, 0, &[], 50), tr(T::Other, Look::None, 0, &[], 49)],
        expected: &[T::DocStringSeparator, T::Other],
    },
    // 50: Feature:2>ScenarioDefinition:1>Scenario:2>Step:1>StepArg:0>__alt0:1>DocStringAndMaybeDataTable:0>DocString:2>#DocStringSeparator:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 5, &[], END),
            tr(T::TableRow, Look::None, 1, &[R::DataTable], 51),
            tr(T::StepLine, Look::None, 2, &[R::Step], 14),
            tr(T::TagLine, Look::Examples, 2, &[R::ExamplesDefinition, R::Tags], 18),
            tr(T::TagLine, Look::Scenario, 4, &[R::ScenarioDefinition, R::Tags], 11),
            tr(T::TagLine, Look::None, 4, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ExamplesLine, Look::None, 2, &[R::ExamplesDefinition, R::Examples], 19),
            tr(T::ScenarioLine, Look::None, 4, &[R::ScenarioDefinition, R::Scenario], 12),
            tr(T::RuleLine, Look::None, 4, &[R::Rule, R::RuleHeader], 23),
            tr(T::Comment, Look::None, 0, &[], 50),
            tr(T::Empty, Look::None, 0, &[], 50),
        ],
        expected: &[
            T::EOF,
            T::TableRow,
            T::StepLine,
            T::TagLine,
            T::ExamplesLine,
            T::ScenarioLine,
            T::RuleLine,
            T::Comment,
            T::Empty,
        ],
    },
    // 51: Feature:2>ScenarioDefinition:1>Scenario:2>Step:1>StepArg:0>__alt0:1>DocStringAndMaybeDataTable:1>DataTable:0>#TableRow:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 5, &[], END),
            tr(T::TableRow, Look::None, 0, &[], 51),
            tr(T::StepLine, Look::None, 2, &[R::Step], 14),
            tr(T::TagLine, Look::Examples, 2, &[R::ExamplesDefinition, R::Tags], 18),
            tr(T::TagLine, Look::Scenario, 4, &[R::ScenarioDefinition, R::Tags], 11),
            tr(T::TagLine, Look::None, 4, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ExamplesLine, Look::None, 2, &[R::ExamplesDefinition, R::Examples], 19),
            tr(T::ScenarioLine, Look::None, 4, &[R::ScenarioDefinition, R::Scenario], 12),
            tr(T::RuleLine, Look::None, 4, &[R::Rule, R::RuleHeader], 23),
            tr(T::Comment, Look::None, 0, &[], 51),
            tr(T::Empty, Look::None, 0, &[], 51),
        ],
        expected: &[
            T::EOF,
            T::TableRow,
            T::StepLine,
            T::TagLine,
            T::ExamplesLine,
            T::ScenarioLine,
            T::RuleLine,
            T::Comment,
            T::Empty,
        ],
    },
    // 52: Feature:1>Background:2>Step:1>StepArg:0>__alt0:1>DocStringAndMaybeDataTable:0>DocString:0>#DocStringSeparator:0
    State {
        transitions: &[tr(T::DocStringSeparator, Look::None, 0, &[], 53), tr(T::Other, Look::None, 0, &[], 52)],
        expected: &[T::DocStringSeparator, T::Other],
    },
    // 53: Feature:1>Background:2>Step:1>StepArg:0>__alt0:1>DocStringAndMaybeDataTable:0>DocString:2>#DocStringSeparator:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 4, &[], END),
            tr(T::TableRow, Look::None, 1, &[R::DataTable], 54),
            tr(T::StepLine, Look::None, 2, &[R::Step], 7),
            tr(T::TagLine, Look::Scenario, 3, &[R::ScenarioDefinition, R::Tags], 11),
            tr(T::TagLine, Look::None, 3, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ScenarioLine, Look::None, 3, &[R::ScenarioDefinition, R::Scenario], 12),
            tr(T::RuleLine, Look::None, 3, &[R::Rule, R::RuleHeader], 23),
            tr(T::Comment, Look::None, 0, &[], 53),
            tr(T::Empty, Look::None, 0, &[], 53),
        ],
        expected: &[T::EOF, T::TableRow, T::StepLine, T::TagLine, T::ScenarioLine, T::RuleLine, T::Comment, T::Empty],
    },
    // 54: Feature:1>Background:2>Step:1>StepArg:0>__alt0:1>DocStringAndMaybeDataTable:1>DataTable:0>#TableRow:0
    State {
        transitions: &[
            tr(T::EOF, Look::None, 4, &[], END),
            tr(T::TableRow, Look::None, 0, &[], 54),
            tr(T::StepLine, Look::None, 2, &[R::Step], 7),
            tr(T::TagLine, Look::Scenario, 3, &[R::ScenarioDefinition, R::Tags], 11),
            tr(T::TagLine, Look::None, 3, &[R::Rule, R::RuleHeader, R::Tags], 22),
            tr(T::ScenarioLine, Look::None, 3, &[R::ScenarioDefinition, R::Scenario], 12),
            tr(T::RuleLine, Look::None, 3, &[R::Rule, R::RuleHeader], 23),
            tr(T::Comment, Look::None, 0, &[], 54),
            tr(T::Empty, Look::None, 0, &[], 54),
        ],
        expected: &[T::EOF, T::TableRow, T::StepLine, T::TagLine, T::ScenarioLine, T::RuleLine, T::Comment, T::Empty],
    },
];
