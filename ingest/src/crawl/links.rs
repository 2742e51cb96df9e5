//! Links to follow from a kept HTML page: `<a href>` (and `<area href>`), resolved against the
//! page URL or its `<base href>`, http and https only, fragments dropped.

use scraper::{Html, Selector};
use url::Url;

/// The absolute http(s) URLs a page links to, in document order, without duplicates.
pub fn links(page_url: &Url, html: &str) -> Vec<Url> {
    let doc = Html::parse_document(html);
    let base = Selector::parse("base[href]").expect("valid selector");
    let anchors = Selector::parse("a[href], area[href]").expect("valid selector");
    let base_url = doc
        .select(&base)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|h| page_url.join(h.trim()).ok())
        .unwrap_or_else(|| page_url.clone());
    let mut out: Vec<Url> = Vec::new();
    for a in doc.select(&anchors) {
        let Some(href) = a.value().attr("href") else {
            continue;
        };
        let Ok(mut u) = base_url.join(href.trim()) else {
            continue;
        };
        if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
            continue;
        }
        u.set_fragment(None);
        if !out.contains(&u) {
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
        assert!(same_origin(&page, &based[0]));
        assert!(!same_origin(&page, &Url::parse("https://a.test/").unwrap()));
    }
}
