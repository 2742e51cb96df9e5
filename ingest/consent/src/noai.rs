//! `noai` / `noimageai`: the DeviantArt-originated directives, found in `<meta name="robots">`,
//! in `<meta name="OUR-TOKEN">`, and in the `X-Robots-Tag` response header.
//!
//! Readings chosen:
//! - `noai` refuses training of any kind → `Refuse(noai.meta | noai.header)`.
//! - `noimageai` alone only concerns images; Assent trains on text, so it is recorded as a
//!   `Neutral` signal (evidence that we saw it) and does not refuse.
//! - `noindex`, `nofollow`, `none`, … speak about search indexing, not training: no signal.
//!   The crawler does honour `nofollow` / `none` for link discovery ([`forbids_following`]).
//! - `X-Robots-Tag` follows Google's syntax: a `botname:` prefix binds the directives after it
//!   (within the same header value) to that bot only, so `otherbot: noai` does not bind us while
//!   `noai` or `OURTOKEN: noai` does. Directives that carry a value themselves
//!   (`unavailable_after: …`, `max-snippet: …`) are not bot names.

use super::tags::truncate;
use super::{Signal, Verdict};
use assent_schemas::ReasonCode;

/// What a list of directives says about training, for the signals below.
fn judge<'a>(directives: impl Iterator<Item = &'a str>) -> Option<bool> {
    let mut image_only = false;
    for d in directives {
        if d.eq_ignore_ascii_case("noai") {
            return Some(true);
        }
        if d.eq_ignore_ascii_case("noimageai") {
            image_only = true;
        }
    }
    image_only.then_some(false)
}

fn split_directives(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| c == ',' || c.is_ascii_whitespace())
        .map(str::trim)
        .filter(|d| !d.is_empty())
}

/// `noai` / `noimageai` in `<meta name="robots">` or `<meta name="OUR-TOKEN">` among a page's
/// head meta tags ([`crate::markup::PageMarkup::metas`], read once per page and shared by every check). One signal
/// per meta tag that carries either directive: `noai` → Refuse(noai.meta), `noimageai` alone →
/// Neutral. Other meta tags give no signal.
pub fn meta_signals(metas: &[(String, String)], our_token: &str, found_in: &str) -> Vec<Signal> {
    let mut out = Vec::new();
    for (name, content) in metas {
        if name != "robots" && !name.eq_ignore_ascii_case(our_token.trim()) {
            continue;
        }
        let raw = format!("<meta name=\"{name}\" content=\"{content}\">");
        match judge(split_directives(content)) {
            Some(true) => out.push(Signal::new(
                "noai.meta",
                found_in,
                &raw,
                Verdict::Refuse(ReasonCode::NoaiMeta),
            )),
            Some(false) => out.push(Signal::new("noai.meta", found_in, &raw, Verdict::Neutral)),
            None => {}
        }
    }
    out
}

/// Whether the page asks crawlers not to follow its links: `nofollow` or `none` in
/// `<meta name="robots">` or `<meta name="OUR-TOKEN">` among its head meta tags
/// ([`crate::markup::PageMarkup::metas`]), or in an `X-Robots-Tag` header that binds our token (same reading as for
/// `noai` above). This is about crawling, not training: it decides only whether the page's
/// links join the frontier.
pub fn forbids_following(
    metas: &[(String, String)],
    headers: &[(String, String)],
    our_token: &str,
) -> bool {
    let says = |d: &str| d.eq_ignore_ascii_case("nofollow") || d.eq_ignore_ascii_case("none");
    let in_meta = metas.iter().any(|(name, content)| {
        (name == "robots" || name.eq_ignore_ascii_case(our_token.trim()))
            && split_directives(content).any(says)
    });
    in_meta
        || headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("x-robots-tag"))
            .any(|(_, value)| {
                binding_directives(truncate(value, 16 * 1024), our_token)
                    .into_iter()
                    .any(says)
            })
}

/// Directives that carry a value after a colon and so are not `botname:` prefixes.
const VALUED: &[&str] = &[
    "unavailable_after",
    "max-snippet",
    "max-image-preview",
    "max-video-preview",
];

/// The directives of one X-Robots-Tag value that bind `our_token`.
fn binding_directives<'a>(value: &'a str, our_token: &str) -> Vec<&'a str> {
    let mut bot: Option<&str> = None;
    let mut out = Vec::new();
    for part in value.split(',') {
        let part = part.trim();
        let mut directive = part;
        if let Some((before, after)) = part.split_once(':') {
            let before = before.trim();
            let is_token = !before.is_empty()
                && before
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'));
            if VALUED.iter().any(|v| before.eq_ignore_ascii_case(v)) {
                directive = before;
            } else if is_token {
                bot = Some(before);
                directive = after.trim();
            } else {
                // e.g. the time in a split `unavailable_after` date: not a directive.
                continue;
            }
        }
        let binds = match bot {
            None => true,
            Some(b) => b.eq_ignore_ascii_case(our_token.trim()),
        };
        if binds {
            out.extend(split_directives(directive));
        }
    }
    out
}

/// `noai` / `noimageai` in `X-Robots-Tag` headers (names lower-cased by the caller; every
/// header line is read, each line starting with no bot prefix). One signal per header line
/// that binds us: `noai` → Refuse(noai.header), `noimageai` alone → Neutral.
pub fn header_signals(headers: &[(String, String)], our_token: &str) -> Vec<Signal> {
    let mut out = Vec::new();
    for (name, value) in headers {
        if !name.eq_ignore_ascii_case("x-robots-tag") {
            continue;
        }
        let value = truncate(value, 16 * 1024);
        match judge(binding_directives(value, our_token).into_iter()) {
            Some(true) => out.push(Signal::new(
                "noai.header",
                "x-robots-tag",
                value,
                Verdict::Refuse(ReasonCode::NoaiHeader),
            )),
            Some(false) => out.push(Signal::new(
                "noai.header",
                "x-robots-tag",
                value,
                Verdict::Neutral,
            )),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tags::{decode_entities, head_metas};

    const TOKEN: &str = "AssentBot";

    fn h(v: &str) -> Vec<(String, String)> {
        vec![("x-robots-tag".to_string(), v.to_string())]
    }

    fn verdicts(s: &[Signal]) -> Vec<Verdict> {
        s.iter().map(|s| s.verdict).collect()
    }

    #[test]
    fn meta_robots_noai_refuses() {
        let html = r#"<html><head><META NAME="Robots" CONTENT="noai, noimageai"></head></html>"#;
        let s = meta_signals(&head_metas(html), TOKEN, "https://a.example/");
        assert_eq!(verdicts(&s), vec![Verdict::Refuse(ReasonCode::NoaiMeta)]);
        assert_eq!(s[0].signal, "noai.meta");
        assert!(s[0].raw.contains("noai"));
    }

    #[test]
    fn meta_noimageai_alone_is_neutral_and_noindex_is_silent() {
        let html = r#"<head><meta name="robots" content="noimageai"><meta name="robots" content="noindex,nofollow"></head>"#;
        let s = meta_signals(&head_metas(html), TOKEN, "u");
        assert_eq!(verdicts(&s), vec![Verdict::Neutral]);
    }

    #[test]
    fn meta_bot_name_binds_only_our_token() {
        let ours = r#"<head><meta name="assentbot" content='noai'></head>"#;
        assert_eq!(meta_signals(&head_metas(ours), TOKEN, "u").len(), 1);
        let other = r#"<head><meta name="otherbot" content="noai"></head>"#;
        assert!(meta_signals(&head_metas(other), TOKEN, "u").is_empty());
    }

    #[test]
    fn meta_outside_head_comments_and_scripts_ignored() {
        let html = r#"<head><!-- <meta name="robots" content="noai"> -->
            <script>var s = '<meta name="robots" content="noai">';</script></head>
            <body><meta name="robots" content="noai"></body>"#;
        assert!(meta_signals(&head_metas(html), TOKEN, "u").is_empty());
        // A "<body" inside the title does not end the head.
        let title =
            r#"<head><title>About <body> tags</title><meta name="robots" content="noai"></head>"#;
        assert_eq!(meta_signals(&head_metas(title), TOKEN, "u").len(), 1);
        // No head element at all: a meta before <body> still counts.
        let bare = r#"<meta name=robots content=noai><p>text"#;
        assert_eq!(meta_signals(&head_metas(bare), TOKEN, "u").len(), 1);
    }

    #[test]
    fn header_forms() {
        let refuse = vec![Verdict::Refuse(ReasonCode::NoaiHeader)];
        assert_eq!(verdicts(&header_signals(&h("noai"), TOKEN)), refuse);
        assert_eq!(
            verdicts(&header_signals(&h("noindex, NOAI"), TOKEN)),
            refuse
        );
        assert_eq!(
            verdicts(&header_signals(&h("assentbot: noai"), TOKEN)),
            refuse
        );
        assert!(header_signals(&h("otherbot: noai"), TOKEN).is_empty());
        assert!(header_signals(&h("otherbot: noindex, noai"), TOKEN).is_empty());
        assert_eq!(
            verdicts(&header_signals(
                &h("otherbot: noindex, assentbot: noai"),
                TOKEN
            )),
            refuse
        );
        assert_eq!(
            verdicts(&header_signals(&h("noimageai"), TOKEN)),
            vec![Verdict::Neutral]
        );
        assert!(header_signals(&h("noindex, nofollow"), TOKEN).is_empty());
        // A date with colons and commas does not swallow the following directive.
        assert_eq!(
            verdicts(&header_signals(
                &h("unavailable_after: Friday, 25-Jun-2010 15:00:00 PST, noai"),
                TOKEN
            )),
            refuse
        );
    }

    #[test]
    fn multiple_header_lines_each_start_unbound() {
        let hs = vec![
            ("x-robots-tag".to_string(), "otherbot: noindex".to_string()),
            ("x-robots-tag".to_string(), "noai".to_string()),
            ("content-type".to_string(), "noai".to_string()),
        ];
        assert_eq!(header_signals(&hs, TOKEN).len(), 1);
    }

    #[test]
    fn hostile_html_never_panics() {
        let cases = [
            "<".to_string(),
            "<meta name=\"robots".to_string(),
            "<meta name=robots content=".to_string(),
            "<!--".to_string(),
            "<script>".to_string(),
            "<meta name='robots' content='noai' ".repeat(10_000),
            "<<<<<>>>>>&#xFFFFFFFF;&#99999999999;&".repeat(1000),
            format!(
                "<meta name=\"robots\" content=\"{}é\">",
                "a".repeat(300_000)
            ),
            "é<métà ñame=robots>".repeat(50_000),
        ];
        for c in &cases {
            let _ = meta_signals(&head_metas(c), TOKEN, "u");
            let _ = crate::markup::PageMarkup::read(c);
        }
        let huge = "otherbot: noai, ".repeat(100_000);
        let _ = header_signals(&h(&huge), TOKEN);
        let _ = header_signals(&h(":::,,,:"), TOKEN);
    }

    #[test]
    fn nofollow_in_meta_or_a_binding_header_stops_link_following() {
        let meta = |c: &str| format!("<head><meta name=\"robots\" content=\"{c}\"></head>");
        assert!(forbids_following(
            &head_metas(&meta("noindex, nofollow")),
            &[],
            TOKEN
        ));
        assert!(forbids_following(&head_metas(&meta("none")), &[], TOKEN));
        assert!(!forbids_following(
            &head_metas(&meta("noindex, noai")),
            &[],
            TOKEN
        ));
        assert!(!forbids_following(&[], &[], TOKEN));
        assert!(forbids_following(&[], &h("nofollow"), TOKEN));
        assert!(forbids_following(
            &[],
            &h(&format!("{TOKEN}: nofollow")),
            TOKEN
        ));
        // Another bot's nofollow binds that bot only.
        assert!(!forbids_following(&[], &h("otherbot: nofollow"), TOKEN));
    }

    #[test]
    fn entity_decoding() {
        assert_eq!(
            decode_entities("a&amp;b&#39;c&#x41;&bogus;&"),
            "a&b'cA&bogus;&"
        );
    }
}
