//! Links to follow from a kept HTML page: `<a href>` (and `<area href>`), resolved against the
//! page URL or its first `<base href>`, http and https only, fragments dropped.
//!
//! Links come from the page's one markup pass, which the consent checks read too
//! ([`assent_consent::markup::PageMarkup`]), not from a full HTML tree: the crawler needs only
//! these attributes, and building a tree for every page cost more CPU than all the rest of
//! the crawler's work on it. The pass skips comments, scripts and styles, so an `<a href>`
//! inside a script string is not a link.

use assent_consent::markup::PageMarkup;
use assent_consent::tags::truncate;
use assent_schemas::MAX_LEDGER_URL;
use std::collections::HashSet;
use url::Url;

/// The longest URL the crawl takes, in bytes. RFC 9110 section 4.1 asks that at least 8,000
/// octets be supported; anything longer is refused where it is read (`fetch.bad-url`),
/// before any request.
pub const MAX_URL_BYTES: usize = 8192;

/// A URL the crawl will not take, with what its ledger row keeps of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadUrl {
    /// The URL as found, cut to at most [`MAX_LEDGER_URL`] bytes (what a ledger row keeps).
    pub url: String,
    pub why: String,
    /// An http(s) URL longer than [`MAX_URL_BYTES`], rather than no http(s) URL at all.
    pub too_long: bool,
}

/// Every URL the crawl takes in (seed, link, sitemap entry, redirect target) passes here:
/// `raw` resolved against `base`, http or https with a host, at most [`MAX_URL_BYTES`], its
/// fragment dropped and the trailing dot of a fully qualified host name removed (`ok.test.`
/// and `ok.test` are one host for the resolve map, the robots cache, politeness, the registry
/// and same-origin checks alike).
pub fn crawl_target(raw: &str, base: Option<&Url>) -> Result<Url, BadUrl> {
    let raw = raw.trim();
    let bad = |why: String, too_long: bool| BadUrl {
        url: truncate(raw, MAX_LEDGER_URL).to_string(),
        why,
        too_long,
    };
    if raw.len() > MAX_URL_BYTES {
        let why = format!("URL of {} bytes is longer than {MAX_URL_BYTES}", raw.len());
        return Err(bad(why, true));
    }
    let parsed = match base {
        Some(b) => b.join(raw),
        None => Url::parse(raw),
    };
    let mut u = match parsed {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => u,
        _ => return Err(bad("not an absolute http(s) URL".into(), false)),
    };
    u.set_fragment(None);
    if let Some(url::Host::Domain(d)) = u.host() {
        if d.ends_with('.') {
            let bare = d.trim_end_matches('.').to_string();
            if bare.is_empty() || u.set_host(Some(&bare)).is_err() {
                return Err(bad("not an absolute http(s) URL".into(), false));
            }
        }
    }
    if u.as_str().len() > MAX_URL_BYTES {
        let len = u.as_str().len();
        let why = format!("URL of {len} bytes (resolved) is longer than {MAX_URL_BYTES}");
        return Err(bad(why, true));
    }
    Ok(u)
}

/// The rank of a `world`-rank job that crawls `seed`: the xxh3 of its host (as robots.txt
/// matching keys it: lower case, no trailing dot) modulo `world`, so that every host is
/// crawled, and its politeness kept, by one rank. The crawl stays on a seed's host, so the
/// ranks' crawls together are the crawl one process makes. A seed that does not parse goes to
/// rank 0, which reports it.
pub fn rank_of_seed(seed: &str, world: u32) -> u32 {
    let Ok(url) = crawl_target(seed, None) else {
        return 0;
    };
    let host = assent_consent::paths::host_key(url.host_str().unwrap_or(""));
    (xxhash_rust::xxh3::xxh3_64(host.as_bytes()) % u64::from(world.max(1))) as u32
}

/// The absolute http(s) URLs a page links to, in document order, without duplicates; a link
/// that is an http(s) URL the crawl cannot take (too long) is an `Err` for its ledger row.
/// Other hrefs (`mailto:`, `javascript:`, unparseable ones) are not links to crawl.
pub fn links(page_url: &Url, markup: &PageMarkup) -> Vec<Result<Url, BadUrl>> {
    let base_url = markup
        .base
        .as_deref()
        .and_then(|h| page_url.join(h.trim()).ok())
        .unwrap_or_else(|| page_url.clone());
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for href in &markup.hrefs {
        match crawl_target(href, Some(&base_url)) {
            Ok(u) => {
                if seen.insert(u.as_str().to_owned()) {
                    out.push(Ok(u));
                }
            }
            Err(bad) if bad.too_long => {
                if seen.insert(bad.url.clone()) {
                    out.push(Err(bad));
                }
            }
            Err(_) => {}
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

    fn links_in(page: &Url, html: &str) -> Vec<Result<Url, BadUrl>> {
        links(page, &PageMarkup::read(html))
    }

    #[test]
    fn a_host_goes_to_one_rank_whatever_its_scheme_port_or_case() {
        let r = rank_of_seed("http://Example.ORG./a", 7);
        assert_eq!(rank_of_seed("https://example.org:8443/b?c", 7), r);
        assert!(r < 7);
        // Hosts spread over the ranks.
        let ranks: std::collections::HashSet<u32> = (0..64)
            .map(|i| rank_of_seed(&format!("http://h{i}.example/"), 4))
            .collect();
        assert_eq!(ranks.len(), 4);
        assert_eq!(rank_of_seed("not a url", 4), 0);
        assert_eq!(rank_of_seed("http://a.example/", 1), 0);
    }

    #[test]
    fn resolves_filters_and_dedups() {
        let page = Url::parse("http://a.test/dir/page.html").unwrap();
        let html = r##"<a href="x.html#top">1</a><a href="/y">2</a><a href="x.html">dup</a>
            <a href="mailto:me@a.test">m</a><a href="javascript:void(0)">j</a>
            <a href="https://b.test/z">ext</a><a>none</a>"##;
        let ok =
            |found: Vec<Result<Url, BadUrl>>| -> Vec<Url> { found.into_iter().flatten().collect() };
        let got: Vec<String> = ok(links_in(&page, html))
            .iter()
            .map(Url::to_string)
            .collect();
        assert_eq!(
            got,
            [
                "http://a.test/dir/x.html",
                "http://a.test/y",
                "https://b.test/z"
            ]
        );
        let based = ok(links_in(
            &page,
            r#"<base href="http://a.test/other/"><a href="q">q</a>"#,
        ));
        assert_eq!(based[0].as_str(), "http://a.test/other/q");
        // Links in comments and scripts are not links; entities in attributes are decoded.
        let hidden = ok(links_in(
            &page,
            r#"<!-- <a href="/c"> --><script>s = '<a href="/s">';</script><a href="/t?a=1&amp;b=2">t</a>"#,
        ));
        let hidden: Vec<&str> = hidden.iter().map(Url::as_str).collect();
        assert_eq!(hidden, ["http://a.test/t?a=1&b=2"]);
        assert!(same_origin(&page, &based[0]));
        assert!(!same_origin(&page, &Url::parse("https://a.test/").unwrap()));
    }

    #[test]
    fn targets_are_capped_and_hosts_lose_their_trailing_dot() {
        let u = crawl_target(" http://Ok.Test.:8080/a#f ", None).unwrap();
        assert_eq!(u.as_str(), "http://ok.test:8080/a");
        let base = Url::parse("http://a.test/x/").unwrap();
        assert_eq!(
            crawl_target("//b.test./y", Some(&base)).unwrap().as_str(),
            "http://b.test/y"
        );
        let long = format!("http://a.test/{}", "a".repeat(70_000));
        let bad = crawl_target(&long, None).unwrap_err();
        assert!(bad.why.contains("longer than 8192"), "{}", bad.why);
        assert!(bad.too_long);
        assert_eq!(bad.url.len(), MAX_LEDGER_URL);
        assert!(crawl_target("ftp://a.test/", None).is_err());
        assert!(crawl_target("http://./", None).is_err());
        let html = format!(
            r#"<a href="/{}">long</a><a href="/ok">ok</a>"#,
            "b".repeat(9000)
        );
        let found = links_in(&base, &html);
        assert_eq!(found.len(), 2);
        assert!(found[0].is_err());
        assert_eq!(found[1].as_ref().unwrap().as_str(), "http://a.test/ok");
    }
}
