//! The small HTML toolkit both pages share: escaping for text and attributes,
//! JSON that is safe inside a `<script>` element, file-name slugs, and the page
//! shell with its inline style sheet (no request ever leaves the page).

use std::fmt::Write as _;

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON text that cannot end or confuse the `<script>` element holding it:
/// `</` becomes `<\/` and `<!--` becomes `\u003c!--` (both still valid JSON,
/// since either can only occur inside a JSON string).
pub fn script_json(value: &impl serde::Serialize) -> String {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned());
    text.replace("</", "<\\/").replace("<!--", "\\u003c!--")
}

/// A file-name component made of `[A-Za-z0-9._-]` only, never starting with a
/// dot (so never `..`), never empty.
pub fn slug(s: &str) -> String {
    let mut out: String =
        s.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' }).collect();
    if out.is_empty() || out.starts_with('.') {
        out.insert(0, '_');
    }
    out
}

/// Milliseconds as a person reads them: `850 ms`, `12.3 s`, `4 min 05 s`.
pub fn duration(ms: f64) -> String {
    if !ms.is_finite() || ms < 0.0 {
        return "?".to_owned();
    }
    if ms < 1000.0 {
        if ms < 10.0 { format!("{ms:.1} ms") } else { format!("{ms:.0} ms") }
    } else if ms < 60_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        let s = (ms / 1000.0).round() as u64;
        format!("{} min {:02} s", s / 60, s % 60)
    }
}

/// `n thing` or `n things`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
}

/// Joins with commas and a final "and": `a`, `a and b`, `a, b and c`.
pub fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

const CSS: &str = r#"
:root{--ok:#1a7f37;--ok-bg:#dafbe1;--bad:#cf222e;--bad-bg:#ffebe9;--warn:#9a6700;--warn-bg:#fff8c5;--dim:#57606a;--dim-bg:#f6f8fa;--line:#d0d7de}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0 auto;max-width:1200px;padding:16px 24px;color:#1f2328;background:#fff}
h1,h2,h3{line-height:1.2}
h2{margin-top:28px;border-bottom:1px solid var(--line);padding-bottom:4px}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
pre{white-space:pre-wrap;word-break:break-word;background:var(--dim-bg);border:1px solid var(--line);border-radius:4px;padding:6px 8px;margin:4px 0;max-height:420px;overflow:auto}
table{border-collapse:collapse;width:100%;margin:8px 0}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--dim-bg)}
a{color:#0969da}
nav{margin-bottom:8px;color:var(--dim)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0}
dl.facts dt{color:var(--dim)}
dl.facts dd{margin:0}
.verdict-banner{padding:12px 16px;border-radius:6px;margin:8px 0 4px}
.verdict-banner h1{margin:0;font-size:28px}
.verdict-banner p{margin:4px 0 0;font-size:15px}
.passed,.certified,.promote{color:var(--ok)}
.failed,.errored,.interrupted,.block,.invalid,.unsigned{color:var(--bad)}
.flaky,.untested,.unchecked,.warn{color:var(--warn)}
.not-applicable,.not-run,.no-run,.skipped{color:var(--dim)}
.verdict-banner.passed,td.passed,td.certified{background:var(--ok-bg)}
.verdict-banner.failed,.verdict-banner.errored,.verdict-banner.interrupted,td.failed,td.errored{background:var(--bad-bg)}
.verdict-banner.flaky,td.flaky,td.untested{background:var(--warn-bg)}
td.not-applicable,td.no-run{background:var(--dim-bg)}
.badge{display:inline-block;min-width:84px;font-weight:600;text-transform:uppercase;font-size:11.5px}
.filters{display:flex;gap:12px;align-items:center;flex-wrap:wrap;margin:8px 0;position:sticky;top:0;background:#fff;padding:6px 0;z-index:1}
.filters input[type=search]{min-width:260px}
.scenario{border:1px solid var(--line);border-radius:4px;margin:4px 0;padding:4px 8px}
.scenario>.head{cursor:pointer;display:flex;gap:10px;flex-wrap:wrap;align-items:baseline}
.scenario>.head .name{font-weight:600;flex:1 1 320px}
.scenario .meta{color:var(--dim)}
.scenario .message{margin:4px 0}
.scenario .body{margin:6px 0 4px}
.steps td:first-child{white-space:nowrap}
.exchange{border-left:3px solid var(--line);padding-left:8px;margin:8px 0}
.crit{color:var(--bad);font-weight:600}
#more{margin:12px 0;padding:6px 16px}
.matrix td{white-space:nowrap}
.matrix td a{text-decoration:none;color:inherit;display:block}
"#;

/// A complete, self-contained page. `root` is the relative path back to the
/// site root (`""` or `"../"`), used by the navigation line when `nav` is set.
pub fn page(title: &str, root: &str, nav: bool, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + CSS.len() + 512);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n");
    let _ = writeln!(out, "<title>{}</title>", esc(title));
    let _ = writeln!(out, "<style>{CSS}</style>\n</head>\n<body>");
    if nav {
        let _ = writeln!(out, "<nav><a href=\"{root}index.html\">feature &times; version matrix</a></nav>");
    }
    out.push_str(body);
    out.push_str("\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_text_and_attributes() {
        assert_eq!(esc(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }

    #[test]
    fn script_json_cannot_close_the_script_and_stays_json() {
        let v = serde_json::json!({"name": "</script><script>alert(1)</script><!-- x -->"});
        let text = script_json(&v);
        assert!(!text.contains("</"), "{text}");
        assert!(!text.contains("<!--"), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn slugs_stay_inside_their_directory() {
        assert_eq!(slug("../etc/passwd"), "_.._etc_passwd");
        assert_eq!(slug("1.10.0"), "1.10.0");
        assert_eq!(slug(""), "_");
        assert_eq!(slug("a b/c"), "a_b_c");
    }

    #[test]
    fn small_words() {
        assert_eq!(and_list(&["a".into(), "b".into(), "c".into()]), "a, b and c");
        assert_eq!(plural(1, "scenario", "scenarios"), "1 scenario");
        assert_eq!(duration(1234.0), "1.2 s");
        assert_eq!(duration(125_000.0), "2 min 05 s");
    }
}
