//! Links to follow from a kept HTML page: `<a href>` (and `<area href>`), resolved against the
//! page URL or its first `<base href>`, http and https only, fragments dropped.
//!
//! Links come from the same bounded tag scanner the consent checks use
//! ([`crate::consent::tags::scan_tags`]), not from a full HTML tree: the crawler needs only
//! these attributes, and building an html5ever tree for every page cost more CPU than all the
//! rest of the crawler's work on it. The scanner skips comments, scripts and styles, so an
//! `<a href>` inside a script string is not a link.

use crate::consent::tags::scan_tags;
use std::collections::HashSet;
use url::Url;

/// Most bytes of a page searched for links (the fetch body cap is 10 MiB by default).
const LIMIT: usize = 16 * 1024 * 1024;

/// The absolute http(s) URLs a page links to, in document order, without duplicates.
pub fn links(page_url: &Url, html: &str) -> Vec<Url> {
    let tags = scan_tags(html, LIMIT, false, &["a", "area", "base"]);
    let base_url = tags
        .iter()
        .filter(|t| t.name == "base")
        .find_map(|t| t.attr("href"))
        .and_then(|h| page_url.join(h.trim()).ok())
        .unwrap_or_else(|| page_url.clone());
    let mut seen = HashSet::new();
    let mut out: Vec<Url> = Vec::new();
    for tag in tags.iter().filter(|t| t.name != "base") {
        let Some(href) = tag.attr("href") else {
            continue;
        };
        let Ok(mut u) = base_url.join(href.trim()) else {
            continue;
        };
        if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
            continue;
        }
        u.set_fragment(None);
        if seen.insert(u.as_str().to_owned()) {
            out.push(u);
        }
    }
    out
}

/// True when two URLs share scheme, host and port (the crawl follows links within an origin).
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.origin() == b.origin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_filters_and_dedups() {
        let page = Url::parse("http://a.test/dir/page.html").unwrap();
        let html = r##"<a href="x.html#top">1</a><a href="/y">2</a><a href="x.html">dup</a>
            <a href="mailto:me@a.test">m</a><a href="javascript:void(0)">j</a>
            <a href="https://b.test/z">ext</a><a>none</a>"##;
        let got: Vec<String> = links(&page, html).iter().map(Url::to_string).collect();
        assert_eq!(
            got,
            [
                "http://a.test/dir/x.html",
                "http://a.test/y",
                "https://b.test/z"
            ]
        );
        let based = links(
            &page,
            r#"<base href="http://a.test/other/"><a href="q">q</a>"#,
        );
        assert_eq!(based[0].as_str(), "http://a.test/other/q");
        // Links in comments and scripts are not links; entities in attributes are decoded.
        let hidden = links(
            &page,
            r#"<!-- <a href="/c"> --><script>s = '<a href="/s">';</script><a href="/t?a=1&amp;b=2">t</a>"#,
        );
        let hidden: Vec<&str> = hidden.iter().map(Url::as_str).collect();
        assert_eq!(hidden, ["http://a.test/t?a=1&b=2"]);
        assert!(same_origin(&page, &based[0]));
        assert!(!same_origin(&page, &Url::parse("https://a.test/").unwrap()));
    }
}
