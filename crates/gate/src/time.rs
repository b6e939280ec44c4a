//! RFC 3339 timestamps (UTC) for the JSON forms of evidence and decision records, total over
//! every `SystemTime`: times outside years 1970..=9999 are refused when serializing evidence
//! and clamped into that range in a decision record, never a panic.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The last second that RFC 3339 with a four-digit year can express: 9999-12-31T23:59:59Z.
const LAST_SECOND: u64 = 253_402_300_799;

/// `time` as RFC 3339, or `None` when it is before 1970 or after 9999.
pub(crate) fn format(time: SystemTime) -> Option<String> {
    let since_epoch = time.duration_since(UNIX_EPOCH).ok()?;
    (since_epoch.as_secs() <= LAST_SECOND).then(|| humantime::format_rfc3339(time).to_string())
}

/// `time` as RFC 3339, clamped into 1970..=9999.
pub(crate) fn format_clamped(time: SystemTime) -> String {
    let earliest = UNIX_EPOCH;
    let latest = UNIX_EPOCH + Duration::from_secs(LAST_SECOND);
    let clamped = time.clamp(earliest, latest);
    humantime::format_rfc3339(clamped).to_string()
}

/// `#[serde(with = "crate::time::rfc3339")]` for `SystemTime` fields.
pub(crate) mod rfc3339 {
    use std::time::SystemTime;

    use serde::{Deserialize, Deserializer, Serializer, de, ser};

    pub(crate) fn serialize<S: Serializer>(time: &SystemTime, serializer: S) -> Result<S::Ok, S::Error> {
        let text = super::format(*time)
            .ok_or_else(|| ser::Error::custom("a time outside 1970..=9999 has no RFC 3339 form"))?;
        serializer.serialize_str(&text)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<SystemTime, D::Error> {
        let text = String::deserialize(deserializer)?;
        humantime::parse_rfc3339(&text)
            .map_err(|err| de::Error::custom(format!("expected an RFC 3339 time, got {text:?}: {err}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_in_range_and_refuses_or_clamps_outside_it() {
        let time = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(format(time).as_deref(), Some("2023-11-14T22:13:20Z"));
        let before = UNIX_EPOCH - Duration::from_secs(1);
        assert_eq!(format(before), None);
        assert_eq!(format_clamped(before), "1970-01-01T00:00:00Z");
        let after = UNIX_EPOCH + Duration::from_secs(LAST_SECOND + 1);
        assert_eq!(format(after), None);
        assert_eq!(format_clamped(after), "9999-12-31T23:59:59Z");
    }
}
