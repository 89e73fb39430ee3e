//! `rules check`: runs every rule's examples and negative examples through
//! the real detector (tokenizer, validators, context scoring) and reports
//! each mismatch with the rule id and the example. Examples must produce
//! at least one finding of their rule; negative examples none.

use super::rules::RuleSet;
use super::{Detector, Scratch};
use crate::chunk::Chunk;
use crate::redact::FingerprintKey;
use std::sync::Arc;

/// One example that did not behave as its rule file says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckFailure {
    /// Rule id.
    pub rule: String,
    /// `example` or `negative example`.
    pub what: &'static str,
    /// The example text as written in the rule file.
    pub example: String,
}

impl std::fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verb = if self.what == "example" {
            "finds nothing in"
        } else {
            "matches"
        };
        write!(
            f,
            "rule '{}' {} its {} {:?}",
            self.rule, verb, self.what, self.example
        )
    }
}

/// Checks every example of every rule; returns the failures (empty = ok).
pub fn check_examples(rules: &RuleSet) -> Vec<CheckFailure> {
    let key = FingerprintKey::builtin();
    let detector = Detector::new(rules, &key);
    let mut scratch = Scratch::default();
    let mut failures = Vec::new();
    for rule in &rules.rules {
        let cases = rule
            .syntax
            .examples
            .iter()
            .map(|e| (e, true))
            .chain(rule.syntax.negative_examples.iter().map(|e| (e, false)));
        for (example, positive) in cases {
            let chunk = Chunk {
                path: Arc::from("<example>"),
                data: example.as_bytes().to_vec(),
                first_line: 1,
                first_column: 1,
                ..Chunk::default()
            };
            let mut found = Vec::new();
            detector.detect(&chunk, &mut scratch, &mut found);
            let hit = found.iter().any(|f| f.rule == rule.id);
            if hit != positive {
                failures.push(CheckFailure {
                    rule: rule.id.to_string(),
                    what: if positive {
                        "example"
                    } else {
                        "negative example"
                    },
                    example: example.clone(),
                });
            }
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_pass_their_own_examples() {
        let rules = RuleSet::builtin().expect("built-in rules compile");
        let failures = check_examples(&rules);
        assert!(
            failures.is_empty(),
            "{}",
            failures
                .iter()
                .map(|f| f.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
