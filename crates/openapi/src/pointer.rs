//! RFC 6901 JSON pointer tokens: the one place `~` and `/` are escaped and unescaped.

/// Escapes one reference token (`~` as `~0`, `/` as `~1`).
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Unescapes one reference token (`~1` as `/`, then `~0` as `~`).
pub fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_the_rfc_examples() {
        for raw in ["a/b", "m~n", "~1", "/items/{id}", ""] {
            assert_eq!(unescape(&escape(raw)), raw);
        }
        assert_eq!(escape("a/b"), "a~1b");
        assert_eq!(escape("m~n"), "m~0n");
        assert_eq!(unescape("~01"), "~1");
    }
}
