//! in-toto Statement v1 (<https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md>)
//! and the test-result predicate
//! (<https://github.com/in-toto/attestation/blob/main/spec/predicates/test-result.md>).
//! A Statement is serialized once, to compact JSON, and those bytes are what
//! gets signed and kept; reading one back checks the v1 shape and that the
//! bytes are exactly certify's serialization of what was read (no unknown
//! field at the levels certify's types fix, no other whitespace or key order).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::dsse::VerifyError;

/// The `_type` of an in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The predicate type of a test result.
pub const TEST_RESULT_PREDICATE: &str = "https://in-toto.io/attestation/test-result/v0.1";
/// The predicate type of a SLSA Verification Summary (a promotion decision).
pub const VSA_PREDICATE: &str = "https://slsa.dev/verification_summary/v1";

/// An in-toto Statement v1: what was attested (`subject`) and the claim (`predicate`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// Always [`STATEMENT_TYPE`].
    #[serde(rename = "_type")]
    pub type_: String,
    /// The artifacts the predicate is about, each with at least one digest.
    pub subject: Vec<ResourceDescriptor>,
    /// The kind of claim, e.g. [`TEST_RESULT_PREDICATE`].
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// The claim itself.
    pub predicate: serde_json::Value,
}

/// An in-toto ResourceDescriptor: a file or other artifact, named and/or
/// located, identified by its digests.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct ResourceDescriptor {
    /// A name, for files the path relative to the bundle root.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// Where the resource lives.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub uri: Option<String>,
    /// Digests by algorithm: `sha256` → lowercase hex, `gitCommit` → commit id.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub digest: BTreeMap<String, String>,
    /// Free-form extra information.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub annotations: Option<serde_json::Value>,
}

/// The test-result predicate: the outcome of a test run and the tests behind it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TestResult {
    /// [`TestResult::PASSED`], [`TestResult::WARNED`] or [`TestResult::FAILED`].
    pub result: String,
    /// What configured the run (suite files, certify.toml).
    #[serde(default)]
    pub configuration: Vec<ResourceDescriptor>,
    /// Where the run can be looked at.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub url: Option<String>,
    /// Ids of the tests that passed.
    #[serde(rename = "passedTests", default)]
    pub passed_tests: Vec<String>,
    /// Ids of the tests that passed with warnings.
    #[serde(rename = "warnedTests", default)]
    pub warned_tests: Vec<String>,
    /// Ids of the tests that failed.
    #[serde(rename = "failedTests", default)]
    pub failed_tests: Vec<String>,
}

impl ResourceDescriptor {
    /// A file named by `name` (its path relative to the bundle root) with the
    /// lowercase hex SHA-256 of its content.
    pub fn file(name: impl Into<String>, sha256_hex: impl Into<String>) -> ResourceDescriptor {
        ResourceDescriptor {
            name: Some(name.into()),
            digest: BTreeMap::from([("sha256".to_owned(), sha256_hex.into())]),
            ..ResourceDescriptor::default()
        }
    }

    /// A git commit, optionally with the repository it belongs to.
    pub fn git_commit(uri: Option<String>, commit: impl Into<String>) -> ResourceDescriptor {
        ResourceDescriptor {
            uri,
            digest: BTreeMap::from([("gitCommit".to_owned(), commit.into())]),
            ..ResourceDescriptor::default()
        }
    }
}

impl TestResult {
    /// Every test passed.
    pub const PASSED: &'static str = "PASSED";
    /// Nothing failed, but something deserves a look.
    pub const WARNED: &'static str = "WARNED";
    /// At least one test failed.
    pub const FAILED: &'static str = "FAILED";

    /// The predicate as a JSON value, for [`Statement::predicate`].
    pub fn to_predicate(&self) -> serde_json::Value {
        // Strings, lists and string maps always serialize.
        serde_json::to_value(self).expect("a test result always serializes")
    }

    /// Reads a test-result predicate, checking that `result` is one of the
    /// three verdicts and that the predicate is exactly what
    /// [`TestResult::to_predicate`] writes (no unknown field, no field left out).
    pub fn from_predicate(predicate: &serde_json::Value) -> Result<TestResult, VerifyError> {
        let invalid = |reason: String| VerifyError::InvalidPredicate { expected: TEST_RESULT_PREDICATE, reason };
        let result = TestResult::deserialize(predicate).map_err(|e| invalid(e.to_string()))?;
        if ![Self::PASSED, Self::WARNED, Self::FAILED].contains(&result.result.as_str()) {
            return Err(invalid(format!("result is `{}`, expected PASSED, WARNED or FAILED", result.result)));
        }
        if serde_json::to_string(&result.to_predicate()).ok() != serde_json::to_string(predicate).ok() {
            return Err(invalid("not the predicate certify writes for the result it holds".to_owned()));
        }
        Ok(result)
    }
}

impl Statement {
    /// A v1 Statement about `subject`.
    pub fn new(
        subject: Vec<ResourceDescriptor>,
        predicate_type: impl Into<String>,
        predicate: serde_json::Value,
    ) -> Statement {
        Statement { type_: STATEMENT_TYPE.to_owned(), subject, predicate_type: predicate_type.into(), predicate }
    }

    /// A v1 Statement carrying a test-result predicate.
    pub fn test_result(subject: Vec<ResourceDescriptor>, result: &TestResult) -> Statement {
        Statement::new(subject, TEST_RESULT_PREDICATE, result.to_predicate())
    }

    /// The test-result predicate of this Statement; an error if the predicate
    /// type is another or the predicate does not parse.
    pub fn test_result_predicate(&self) -> Result<TestResult, VerifyError> {
        if self.predicate_type != TEST_RESULT_PREDICATE {
            return Err(VerifyError::InvalidPredicate {
                expected: TEST_RESULT_PREDICATE,
                reason: format!("predicateType is `{}`", self.predicate_type),
            });
        }
        TestResult::from_predicate(&self.predicate)
    }

    /// The Statement as compact JSON: the bytes to sign. Produce them once and
    /// keep them; never re-serialize a Statement that was verified.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Strings, string maps and JSON values always serialize.
        serde_json::to_vec(self).expect("a Statement always serializes")
    }

    /// Parses a Statement and checks the v1 shape: the `_type`, at least one
    /// subject, a digest on every subject, a predicate type and a predicate
    /// object; and that `b` is byte for byte [`Statement::to_bytes`] of it (the
    /// predicate's own fields are the predicate reader's to check).
    pub fn from_bytes(b: &[u8]) -> Result<Statement, VerifyError> {
        let statement: Statement =
            serde_json::from_slice(b).map_err(|source| VerifyError::Json { what: "in-toto Statement", source })?;
        let invalid = |reason: String| Err(VerifyError::InvalidStatement { reason });
        if statement.type_ != STATEMENT_TYPE {
            return invalid(format!("_type is `{}`, expected `{STATEMENT_TYPE}`", statement.type_));
        }
        if statement.subject.is_empty() {
            return invalid("it has no subject".to_owned());
        }
        if let Some(i) = statement.subject.iter().position(|s| s.digest.is_empty()) {
            return invalid(format!("subject {i} has no digest"));
        }
        if statement.predicate_type.is_empty() {
            return invalid("predicateType is empty".to_owned());
        }
        if !statement.predicate.is_object() {
            return invalid("predicate is not a JSON object".to_owned());
        }
        if statement.to_bytes() != b {
            return Err(VerifyError::NotAsWritten {
                what: "in-toto Statement",
                reason: "it is not compact JSON in certify's key order (whitespace, key order, escapes or a null field differ)"
                    .to_owned(),
            });
        }
        Ok(statement)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Statement {
        let result = TestResult {
            result: TestResult::FAILED.to_owned(),
            configuration: vec![ResourceDescriptor::file("certify.toml", "ab".repeat(32))],
            url: None,
            passed_tests: vec!["signup.feature:3".to_owned()],
            warned_tests: vec![],
            failed_tests: vec!["quota.feature:10".to_owned()],
        };
        Statement::test_result(
            vec![
                ResourceDescriptor::file("junit.xml", "cd".repeat(32)),
                ResourceDescriptor::git_commit(None, "0123456789abcdef0123456789abcdef01234567"),
            ],
            &result,
        )
    }

    #[test]
    fn serializes_to_the_in_toto_field_names() {
        let bytes = sample().to_bytes();
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            value,
            json!({
                "_type": "https://in-toto.io/Statement/v1",
                "subject": [
                    {"name": "junit.xml", "digest": {"sha256": "cd".repeat(32)}},
                    {"digest": {"gitCommit": "0123456789abcdef0123456789abcdef01234567"}},
                ],
                "predicateType": "https://in-toto.io/attestation/test-result/v0.1",
                "predicate": {
                    "result": "FAILED",
                    "configuration": [{"name": "certify.toml", "digest": {"sha256": "ab".repeat(32)}}],
                    "passedTests": ["signup.feature:3"],
                    "warnedTests": [],
                    "failedTests": ["quota.feature:10"],
                },
            })
        );
        assert!(!bytes.contains(&b'\n'), "compact JSON");
        assert!(bytes.starts_with(br#"{"_type":"https://in-toto.io/Statement/v1","subject":["#));
    }

    #[test]
    fn round_trips_through_bytes() {
        let statement = sample();
        let back = Statement::from_bytes(&statement.to_bytes()).unwrap();
        assert_eq!(back, statement);
        let result = back.test_result_predicate().unwrap();
        assert_eq!(result.result, "FAILED");
        assert_eq!(result.failed_tests, ["quota.feature:10"]);
    }

    #[test]
    fn annotations_and_uri_are_kept() {
        let mut statement = sample();
        statement.subject[1].uri = Some("https://example.invalid/suite.git".to_owned());
        statement.subject[0].annotations = Some(json!({"size": 12}));
        let back = Statement::from_bytes(&statement.to_bytes()).unwrap();
        assert_eq!(back, statement);
    }

    #[test]
    fn the_v1_shape_is_checked() {
        type Mutation = fn(&mut serde_json::Value);
        let good = serde_json::to_value(sample()).unwrap();
        let cases: [(&str, Mutation); 6] = [
            ("_type", |v| v["_type"] = json!("https://in-toto.io/Statement/v0.1")),
            ("no subject", |v| v["subject"] = json!([])),
            ("subject 1 has no digest", |v| v["subject"][1] = json!({"name": "x"})),
            ("predicateType is empty", |v| v["predicateType"] = json!("")),
            ("predicate is not a JSON object", |v| v["predicate"] = json!("PASSED")),
            ("missing field `subject`", |v| {
                v.as_object_mut().map(|o| o.remove("subject"));
            }),
        ];
        for (expect, mutate) in cases {
            let mut value = good.clone();
            mutate(&mut value);
            let err = Statement::from_bytes(&serde_json::to_vec(&value).unwrap()).unwrap_err();
            assert!(err.to_string().contains(expect), "{expect}: {err}");
        }
        assert!(Statement::from_bytes(b"{\"_type\":").is_err());
        assert!(Statement::from_bytes(b"\xff\xfe").is_err());
    }

    #[test]
    fn a_test_result_needs_a_known_verdict_and_the_right_predicate_type() {
        let mut statement = sample();
        statement.predicate["result"] = json!("MAYBE");
        let err = statement.test_result_predicate().unwrap_err();
        assert!(err.to_string().contains("`MAYBE`"), "{err}");

        statement.predicate_type = VSA_PREDICATE.to_owned();
        let err = statement.test_result_predicate().unwrap_err();
        assert!(err.to_string().contains(VSA_PREDICATE), "{err}");

        let err = TestResult::from_predicate(&json!({"result": 1})).unwrap_err();
        assert!(matches!(err, VerifyError::InvalidPredicate { .. }), "{err:?}");
    }

    #[test]
    fn url_is_written_only_when_present() {
        let mut result = sample().test_result_predicate().unwrap();
        assert!(result.to_predicate().get("url").is_none());
        result.url = Some("https://ci.example.invalid/run/7".to_owned());
        assert_eq!(result.to_predicate()["url"], "https://ci.example.invalid/run/7");
    }

    #[test]
    fn only_certifys_own_serialization_reads_back() {
        let bytes = sample().to_bytes();
        let good: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let pretty = serde_json::to_vec_pretty(&good).unwrap();
        let err = Statement::from_bytes(&pretty).unwrap_err();
        assert!(err.to_string().contains("not byte-for-byte the in-toto Statement certify writes"), "{err}");
        let mut spaced = bytes.clone();
        spaced.push(b' ');
        assert!(Statement::from_bytes(&spaced).is_err());

        type Mutation = fn(&mut serde_json::Value);
        let cases: [(&str, Mutation); 4] = [
            ("unknown field `extra`", |v| v["extra"] = json!(1)),
            ("unknown field `extra`", |v| v["subject"][0]["extra"] = json!(1)),
            ("not byte-for-byte", |v| v["subject"][1]["name"] = serde_json::Value::Null),
            ("not byte-for-byte", |v| {
                let o = v.as_object_mut().unwrap();
                let t = o.shift_remove("_type").unwrap();
                o.insert("_type".to_owned(), t);
            }),
        ];
        for (expect, mutate) in cases {
            let mut value = good.clone();
            mutate(&mut value);
            let err = Statement::from_bytes(&serde_json::to_vec(&value).unwrap()).unwrap_err();
            assert!(err.to_string().contains(expect), "{expect}: {err}");
        }
    }

    #[test]
    fn a_test_result_predicate_has_no_unknown_or_missing_field() {
        let good = sample().predicate;
        assert!(TestResult::from_predicate(&good).is_ok());
        let mut extra = good.clone();
        extra["extra"] = json!(1);
        let err = TestResult::from_predicate(&extra).unwrap_err();
        assert!(err.to_string().contains("unknown field `extra`"), "{err}");
        let mut missing = good.clone();
        missing.as_object_mut().unwrap().shift_remove("warnedTests");
        let err = TestResult::from_predicate(&missing).unwrap_err();
        assert!(err.to_string().contains("not the predicate certify writes"), "{err}");
    }
}
