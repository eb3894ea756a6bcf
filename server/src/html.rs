//! The few plain HTML pages served outside Leptos (SSO hand-offs, the refused sign-in page,
//! the dev IdP). Everything interpolated goes through [`escape`].

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// A complete page in the console's style. `body` must already be escaped HTML.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\">\
         <title>{} · Gatehouse</title><link rel=\"stylesheet\" href=\"{}\"></head>\
         <body><main class=\"centered\"><section class=\"card narrow\">{}</section></main></body></html>",
        escape(title),
        escape(app::app::linked_stylesheet()),
        body
    )
}

/// The auto-post page's only script; the CSP allows it by its SHA-256 (front_door::headers).
pub const AUTO_POST_SCRIPT: &str = "document.getElementById('saml-post').submit();";

/// A page that POSTs `fields` to `action` at once (the SAML HTTP-POST binding), with a button
/// for browsers without JavaScript.
pub fn auto_post(heading: &str, action: &str, fields: &[(&str, &str)]) -> String {
    let inputs: String = fields
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(name),
                escape(value)
            )
        })
        .collect();
    page(
        heading,
        &format!(
            "<h1>{}…</h1><form id=\"saml-post\" method=\"post\" action=\"{}\">{inputs}\
             <noscript><button class=\"btn btn-primary\" type=\"submit\">Continue</button></noscript></form>\
             <script>{AUTO_POST_SCRIPT}</script>",
            escape(heading),
            escape(action)
        ),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup() {
        assert_eq!(
            super::escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#x27;"
        );
    }
}
