//! Sitemaps (sitemaps.org): `<urlset><url><loc>` lists pages, `<sitemapindex><sitemap><loc>`
//! lists further sitemaps. Read leniently: a broken document yields the locations read before
//! the break. Gzipped sitemaps (`.xml.gz` served as a file, not as a content coding) are
//! unpacked here, within a cap.

use quick_xml::events::Event;
use quick_xml::Reader;
use std::io::Read;

/// What one sitemap document lists.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sitemap {
    /// Page URLs (`<url><loc>`).
    pub pages: Vec<String>,
    /// Nested sitemap URLs (`<sitemap><loc>`).
    pub sitemaps: Vec<String>,
}

/// Parses a sitemap or sitemap index; `max_bytes` bounds a gunzipped body.
pub fn parse(body: &[u8], max_bytes: usize) -> Sitemap {
    let unpacked;
    let xml = if body.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        let _ = flate2::read::MultiGzDecoder::new(body)
            .take(max_bytes as u64)
            .read_to_end(&mut out);
        unpacked = out;
        &unpacked[..]
    } else {
        body
    };
    let mut reader = Reader::from_reader(xml);
    let mut out = Sitemap::default();
    let mut stack: Vec<String> = Vec::new();
    let mut loc: Option<String> = None;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                let name = e.local_name().as_ref().to_ascii_lowercase();
                if name == "loc" {
                    loc = Some(String::new());
                }
                stack.push(name);
            }
            Ok(Event::End(_)) => {
                let name = stack.pop();
                if name.as_deref() == Some("loc") {
                    let text = loc.take().unwrap_or_default().trim().to_string();
                    match stack.last().map(String::as_str) {
                        Some("url") if !text.is_empty() => out.pages.push(text),
                        Some("sitemap") if !text.is_empty() => out.sitemaps.push(text),
                        _ => {}
                    }
                }
            }
            Ok(Event::Text(t)) => {
                if let Some(l) = loc.as_mut() {
                    l.push_str(&unescape_min(&t));
                }
            }
            Ok(Event::CData(t)) => {
                if let Some(l) = loc.as_mut() {
                    l.push_str(&t);
                }
            }
            Ok(Event::GeneralRef(r)) => {
                if let Some(l) = loc.as_mut() {
                    let entity = format!("&{};", &*r);
                    l.push_str(&unescape_min(&entity));
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    out
}

/// The five predefined XML entities, which sitemap URLs must use for `&`.
fn unescape_min(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_urlsets_and_indexes() {
        let set =
            br#"<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
            <url><loc> http://a.test/p?x=1&amp;y=2 </loc><lastmod>2024-01-01</lastmod></url>
            <url><loc>http://a.test/q</loc></url></urlset>"#;
        let s = parse(set, 1 << 20);
        assert_eq!(s.pages, ["http://a.test/p?x=1&y=2", "http://a.test/q"]);
        let idx =
            br#"<sitemapindex><sitemap><loc>http://a.test/s1.xml</loc></sitemap></sitemapindex>"#;
        assert_eq!(parse(idx, 1 << 20).sitemaps, ["http://a.test/s1.xml"]);
        assert_eq!(
            parse(b"<urlset><url><loc>http://a.test/a</loc>", 1 << 20)
                .pages
                .len(),
            1
        );
    }
}
