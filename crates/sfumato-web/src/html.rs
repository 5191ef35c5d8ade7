//! HTML helpers: escaping and the page frame.

/// `s` escaped for HTML text and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
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

/// JSON for a `<script type="application/json">` element (`</` cannot
/// close it).
pub fn script_json(v: &serde_json::Value) -> String {
    v.to_string().replace("</", "<\\/")
}

/// A whole page: `title`, then `body`; `data`, if any, as the page's JSON
/// for the script.
pub fn page(title: &str, body: &str, data: Option<&serde_json::Value>) -> String {
    let data = data.map_or(String::new(), |d| {
        format!(
            "<script id=\"data\" type=\"application/json\">{}</script>",
            script_json(d)
        )
    });
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title} — sfumato</title>\
<link rel=\"stylesheet\" href=\"/assets/uPlot.min.css\">\
<link rel=\"stylesheet\" href=\"/assets/app.css\"></head>\
<body><header><a href=\"/\">sfumato</a> <span>results dashboard</span></header>\
<main>{body}</main>{data}\
<script src=\"/assets/uPlot.iife.min.js\"></script>\
<script src=\"/assets/app.js\"></script></body></html>\n",
        title = escape(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_scripts_cannot_break_out() {
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        let v = serde_json::json!({"label": "</script><script>alert(1)</script>"});
        assert!(!script_json(&v).contains("</script>"));
    }
}
