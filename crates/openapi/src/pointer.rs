//! RFC 6901 JSON pointer tokens: the one place `~` and `/` are escaped.

/// Escapes one reference token (`~` as `~0`, `/` as `~1`).
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_rfc_says() {
        assert_eq!(escape("a/b"), "a~1b");
        assert_eq!(escape("m~n"), "m~0n");
        assert_eq!(escape("~1"), "~01");
        assert_eq!(escape("/items/{id}"), "~1items~1{id}");
    }
}
