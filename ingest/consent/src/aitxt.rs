//! Spawning's ai.txt (`/ai.txt`): robots.txt grammar, with rules over paths and file types
//! (`Disallow: *.jpg`, `Disallow: /images/`, `Disallow: /`), addressed to AI data collection.
//!
//! The file is read with the robots.txt machinery ([`super::robots::RobotsTxt`]: same grouping,
//! normalisation and `texting_robots` matching); the group for our token applies, else `*`.
//! Unlike robots.txt, rules written before any user-agent line (a bare list of file types)
//! apply to everyone, since that is how such files are meant.
//!
//! We extract text from HTML pages, so the question asked is "may the text of this page be
//! used": the URL's path is checked, and a path without a file extension (`/about`, `/blog/`) is
//! also checked as the HTML file it is served as (`/about.html`, `/blog/index.html`), so that
//! `Disallow: *.html` covers such pages. A missing ai.txt (404) gives no signal.

use super::robots::RobotsTxt;
use super::{Signal, Verdict};
use assent_schemas::ReasonCode;
use chrono::{DateTime, Utc};

/// A parsed ai.txt.
#[derive(Debug)]
pub struct AiTxt {
    txt: RobotsTxt,
}

impl AiTxt {
    /// Parses `body`, fetched from `source_url` (the ai.txt URL) at `fetched_at`.
    pub fn parse(source_url: &str, body: &[u8], fetched_at: DateTime<Utc>) -> AiTxt {
        AiTxt {
            txt: RobotsTxt::parse_with(source_url, body, fetched_at, true),
        }
    }

    /// The ai.txt for an HTTP response: `None` (no signal) unless the status is 2xx.
    pub fn from_response(
        source_url: &str,
        status: u16,
        body: &[u8],
        fetched_at: DateTime<Utc>,
    ) -> Option<AiTxt> {
        (200..300)
            .contains(&status)
            .then(|| Self::parse(source_url, body, fetched_at))
    }

    /// sha256 of the file as fetched.
    pub fn sha256(&self) -> &str {
        self.txt.sha256()
    }

    /// Refuse(AiTxtDisallow) when the `*` group disallows the text of the page at `url`.
    pub fn signal(&self, url: &str) -> Option<Signal> {
        self.signal_for("*", url)
    }

    /// As [`Self::signal`], for the group naming `our_token` if there is one, else `*`.
    pub fn signal_for(&self, our_token: &str, url: &str) -> Option<Signal> {
        let path = super::robots::request_path(url);
        let path = path.split('?').next().unwrap_or("/").to_string();
        let mut candidates = vec![url.to_string()];
        let last = path.rsplit('/').next().unwrap_or("");
        if !last.contains('.') {
            candidates.push(if last.is_empty() {
                format!("{path}index.html")
            } else {
                format!("{path}.html")
            });
        }
        let refused = candidates.iter().find(|c| !self.txt.allows(our_token, c))?;
        let robots = self.txt.fetch_signal(our_token, refused);
        let raw = robots
            .raw
            .split_once(": ")
            .map(|(_, line)| line.to_string())
            .unwrap_or(robots.raw);
        Some(
            Signal::new(
                "ai-txt",
                self.txt.source_url(),
                &raw,
                Verdict::Refuse(ReasonCode::AiTxtDisallow),
            )
            .fetched(
                Some(self.txt.fetched_at()),
                Some(self.txt.sha256().to_string()),
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ai(body: &str) -> AiTxt {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        AiTxt::parse("https://example.com/ai.txt", body.as_bytes(), at)
    }

    fn refused(a: &AiTxt, url: &str) -> bool {
        a.signal(url).is_some()
    }

    #[test]
    fn path_rules() {
        let a = ai("User-Agent: *\nDisallow: /blog/\nAllow: /blog/open/\n");
        assert!(refused(&a, "https://example.com/blog/post"));
        assert!(!refused(&a, "https://example.com/blog/open/post"));
        assert!(!refused(&a, "https://example.com/shop"));
        let s = a.signal("https://example.com/blog/x").unwrap();
        assert_eq!(s.verdict, Verdict::Refuse(ReasonCode::AiTxtDisallow));
        assert_eq!(s.signal, "ai-txt");
        assert_eq!(s.raw, "Disallow: /blog/");
        assert!(s.source_sha256.is_some() && s.fetched_at.is_some());
        assert!(refused(
            &ai("User-Agent: *\nDisallow: /\n"),
            "https://example.com/"
        ));
    }

    #[test]
    fn file_type_rules() {
        let images = ai(
            "# Spawning AI\nUser-Agent: *\nDisallow: *.jpg\nDisallow: *.png\nDisallow: /images/\n",
        );
        assert!(refused(&images, "https://example.com/a/cat.jpg"));
        assert!(!refused(&images, "https://example.com/a/page.html"));
        assert!(!refused(&images, "https://example.com/about"));
        assert!(refused(&images, "https://example.com/images/index.html"));
        let text = ai("User-Agent: *\nDisallow: *.txt\nDisallow: *.html\n");
        assert!(refused(&text, "https://example.com/about.html"));
        assert!(
            refused(&text, "https://example.com/about"),
            "served as HTML"
        );
        assert!(refused(&text, "https://example.com/blog/"));
        assert!(!refused(&text, "https://example.com/data.json"));
    }

    #[test]
    fn bare_rules_apply_to_everyone_and_groups_select() {
        assert!(refused(
            &ai("Disallow: *.html\n"),
            "https://example.com/x.html"
        ));
        let a = ai("User-Agent: AssentBot\nDisallow: /\n\nUser-Agent: *\nAllow: /\n");
        assert!(a.signal_for("AssentBot", "https://example.com/x").is_some());
        assert!(a.signal("https://example.com/x").is_none());
    }

    #[test]
    fn missing_file_gives_no_signal() {
        let at = Utc::now();
        assert!(AiTxt::from_response("u", 404, b"", at).is_none());
        assert!(AiTxt::from_response("u", 200, b"User-Agent: *\nDisallow: /", at).is_some());
    }
}
