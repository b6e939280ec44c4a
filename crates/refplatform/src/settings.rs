//! Validated platform settings: the impersonated version, the injected faults and the operator
//! token, resolved once from [`PlatformOptions`] so that request handling never re-parses strings.

use crate::{FAULTS, PlatformError, PlatformOptions, VERSIONS};

/// A platform version the reference platform can impersonate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    /// 1.4.0: quota overruns answer 403, no usage export, `X-Api-Key` not deprecated.
    V1_4,
    /// 2.0.0: quota overruns answer 429 with `Retry-After`, usage export, `X-Api-Key` deprecated.
    V2_0,
}

impl Version {
    /// The version named `text` (surrounding blanks ignored), or the error listing the supported ones.
    pub(crate) fn named(text: &str) -> Result<Version, PlatformError> {
        Version::parse(text.trim())
            .ok_or_else(|| PlatformError::UnknownVersion { given: text.to_owned(), supported: VERSIONS.join(", ") })
    }

    fn parse(text: &str) -> Option<Version> {
        match text {
            "1.4.0" => Some(Version::V1_4),
            "2.0.0" => Some(Version::V2_0),
            _ => None,
        }
    }

    /// The semver string reported by `GET /version`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Version::V1_4 => "1.4.0",
            Version::V2_0 => "2.0.0",
        }
    }

    /// Whether `GET /v1/usage/export` exists.
    pub(crate) fn has_usage_export(self) -> bool {
        self == Version::V2_0
    }

    /// Whether `GET /v1/plans` (the public plan catalog) exists.
    pub(crate) fn has_plan_catalog(self) -> bool {
        self == Version::V2_0
    }

    /// Whether a quota overrun is answered with 429 and `Retry-After` (else 403).
    pub(crate) fn throttles_quota_overrun(self) -> bool {
        self == Version::V2_0
    }

    /// Whether authenticating with the `X-Api-Key` header is deprecated.
    pub(crate) fn deprecates_key_header(self) -> bool {
        self == Version::V2_0
    }

    /// The customer-facing feature ids this version serves, as reported by `GET /version`.
    pub(crate) fn features(self) -> &'static [&'static str] {
        const COMMON: &[&str] = &[
            "platform-status",
            "tenant-signup",
            "api-keys",
            "quotas",
            "usage-metering",
            "operator-admin",
            "legacy-key-header",
        ];
        const V2: &[&str] = &[
            "platform-status",
            "tenant-signup",
            "api-keys",
            "quotas",
            "usage-metering",
            "usage-export",
            "plan-catalog",
            "operator-admin",
            "legacy-key-header",
        ];
        match self {
            Version::V1_4 => COMMON,
            Version::V2_0 => V2,
        }
    }
}

/// The faults switched on for one platform instance.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Faults {
    /// `POST /v1/tenants` answers 500.
    pub(crate) signup_broken: bool,
    /// Every `/v1/` request is delayed.
    pub(crate) slow: bool,
    /// Every third `/v1/` request answers 503.
    pub(crate) flaky: bool,
    /// Usage is accepted but never counted.
    pub(crate) metering_stuck: bool,
    /// `GET /v1/tenant` answers `tier` where its description promises `plan`.
    pub(crate) api_drift: bool,
}

impl Faults {
    fn enable(&mut self, name: &str) -> bool {
        let flag = match name {
            "signup-broken" => &mut self.signup_broken,
            "slow" => &mut self.slow,
            "flaky" => &mut self.flaky,
            "metering-stuck" => &mut self.metering_stuck,
            "api-drift" => &mut self.api_drift,
            _ => return false,
        };
        *flag = true;
        true
    }
}

/// Everything request handling needs to know about how this instance behaves.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) version: Version,
    pub(crate) faults: Faults,
    pub(crate) operator_token: String,
}

impl Settings {
    /// Validates the options: a known version, known fault names and a non-empty operator token.
    pub(crate) fn from_options(opts: &PlatformOptions) -> Result<Settings, PlatformError> {
        let version = Version::named(&opts.version)?;
        let mut faults = Faults::default();
        for name in &opts.faults {
            if !faults.enable(name.trim()) {
                return Err(PlatformError::UnknownFault {
                    given: name.clone(),
                    known: FAULTS.iter().map(|f| f.name).collect::<Vec<_>>().join(", "),
                });
            }
        }
        if opts.operator_token.trim().is_empty() {
            return Err(PlatformError::EmptyOperatorToken);
        }
        Ok(Settings { version, faults, operator_token: opts.operator_token.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DEFAULT_VERSION;

    fn options(version: &str, faults: &[&str], token: &str) -> PlatformOptions {
        PlatformOptions {
            version: version.to_owned(),
            faults: faults.iter().map(|f| (*f).to_owned()).collect(),
            operator_token: token.to_owned(),
            port: 0,
        }
    }

    #[test]
    fn every_listed_version_parses_and_round_trips() {
        for v in VERSIONS {
            let parsed = Version::parse(v);
            assert_eq!(parsed.map(Version::as_str), Some(*v));
        }
        assert!(VERSIONS.contains(&DEFAULT_VERSION));
    }

    #[test]
    fn every_listed_fault_is_known() {
        for fault in FAULTS {
            let mut faults = Faults::default();
            assert!(faults.enable(fault.name), "{} is not handled", fault.name);
            assert_ne!(faults, Faults::default());
        }
    }

    #[test]
    fn unknown_version_lists_the_supported_ones() {
        let err = Settings::from_options(&options("3.1.0", &[], "t")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("3.1.0"), "{text}");
        assert!(text.contains("1.4.0, 2.0.0"), "{text}");
    }

    #[test]
    fn unknown_fault_lists_the_known_ones() {
        let err = Settings::from_options(&options("2.0.0", &["slow", "explode"], "t")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("explode"), "{text}");
        assert!(text.contains("signup-broken, slow, flaky, metering-stuck, api-drift"), "{text}");
    }

    #[test]
    fn empty_operator_token_is_refused() {
        let err = Settings::from_options(&options("2.0.0", &[], "  ")).unwrap_err();
        assert!(matches!(err, PlatformError::EmptyOperatorToken));
    }

    #[test]
    fn faults_combine() {
        let settings = Settings::from_options(&options("1.4.0", &["flaky", "metering-stuck"], "t")).unwrap();
        assert_eq!(settings.version, Version::V1_4);
        assert!(settings.faults.flaky && settings.faults.metering_stuck);
        assert!(!settings.faults.slow && !settings.faults.signup_broken);
    }
}
