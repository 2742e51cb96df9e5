//! Every scanner that reads raw HTML, run over the 181 real news pages of
//! ../shared/data/extraction-benchmark: none may panic, and each finds what real pages carry.
//! (A byte-window bug in attribute entity decoding once panicked on one of these pages.)

use assent_ingest::consent::{licence, noai, rsl, tdmrep};
use assent_ingest::crawl::links::links;
use std::io::Read;
use std::path::Path;
use url::Url;

const BENCH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/extraction-benchmark"
);

fn pages() -> Vec<(String, String)> {
    let truth: serde_json::Value = serde_json::from_slice(
        &std::fs::read(Path::new(BENCH).join("ground-truth.json")).expect("ground truth"),
    )
    .unwrap();
    let mut out = Vec::new();
    for (id, entry) in truth.as_object().unwrap() {
        let gz = std::fs::read(Path::new(BENCH).join(format!("html/{id}.html.gz"))).unwrap();
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut bytes)
            .unwrap();
        let url = entry["url"]
            .as_str()
            .unwrap_or("https://example.com/")
            .to_string();
        out.push((url, String::from_utf8_lossy(&bytes).into_owned()));
    }
    out
}

#[test]
fn html_scanners_survive_every_real_page() {
    let pages = pages();
    assert_eq!(pages.len(), 181);
    let (mut with_links, mut with_metas) = (0, 0);
    for (url, html) in &pages {
        let base = Url::parse(url).unwrap_or_else(|_| Url::parse("https://example.com/").unwrap());
        let markup = assent_ingest::consent::markup::PageMarkup::read(html);
        if !links(&base, &markup).is_empty() {
            with_links += 1;
        }
        let metas = markup.metas;
        if !metas.is_empty() {
            with_metas += 1;
        }
        let _ = noai::meta_signals(&metas, "AssentBot", "html");
        let _ = noai::forbids_following(&metas, &[], "AssentBot");
        let _ = licence::detect(html);
        let _ = rsl::PageRsl::read(html).inline_signals(&base);
        let _ = tdmrep::meta_signal(&metas, "html");
    }
    // News pages link to other pages and carry head metadata; a scanner that silently returned
    // nothing would pass the no-panic half of this test.
    assert!(with_links >= 170, "only {with_links} pages gave links");
    assert!(with_metas >= 170, "only {with_metas} pages gave head metas");
}
