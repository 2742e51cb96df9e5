//! What a `Content-Type` value says (RFC 9110 section 8.3.1: `type/subtype` then `;
//! name=value` parameters, case-insensitive names, values optionally quoted), parsed one way
//! for archived responses, the crawler's fetches and charset detection.

/// The media type without parameters, lower-cased (`text/html`).
pub fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The value of parameter `name`, unquoted, as written (`charset`, `msgtype`).
pub fn parameter<'a>(content_type: &'a str, name: &str) -> Option<&'a str> {
    content_type
        .split(';')
        .skip(1)
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| {
            let v = v.trim();
            v.strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v)
        })
}

/// What Assent does with a body of this media type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaKind {
    /// `text/html`, `application/xhtml+xml`: markup, extracted.
    Html,
    /// `text/plain`: text, decoded.
    Plain,
    /// Anything else: not content.
    Other,
}

/// The kind of a `Content-Type` value (parameters ignored).
pub fn kind(content_type: &str) -> MediaKind {
    match essence(content_type).as_str() {
        "text/html" | "application/xhtml+xml" => MediaKind::Html,
        "text/plain" => MediaKind::Plain,
        _ => MediaKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn essence_parameters_and_kind() {
        let ct = "Text/HTML ; Charset=\"ISO-8859-1\"; q=1";
        assert_eq!(essence(ct), "text/html");
        assert_eq!(parameter(ct, "charset"), Some("ISO-8859-1"));
        assert_eq!(parameter(ct, "q"), Some("1"));
        assert_eq!(parameter(ct, "boundary"), None);
        assert_eq!(kind(ct), MediaKind::Html);
        assert_eq!(kind("application/xhtml+xml"), MediaKind::Html);
        assert_eq!(kind("text/plain"), MediaKind::Plain);
        assert_eq!(kind("image/png"), MediaKind::Other);
        assert_eq!(kind(""), MediaKind::Other);
        assert_eq!(
            parameter("application/http; msgtype=response", "msgtype"),
            Some("response")
        );
    }
}
