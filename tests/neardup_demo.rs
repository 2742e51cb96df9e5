//! MinHash LSH against the truth on the demo's own pages: each garden, river, … article's
//! text (its paragraphs, as the demo web serves them), with the controlled edits of
//! `assent_dedup::neardup_gen`, every same-article pair's Jaccard similarity computed exactly
//! on the same shingles. The same bounds as `dedup/tests/accuracy.rs` on the play texts:
//! recall at least 0.9 over the pairs at least 0.85 similar, precision at least 0.95 with the
//! same margin below the threshold.

use assent::demo::web::{DemoWeb, ARTICLES, HOSTS};
use assent_dedup::minhash::MinHashConfig;
use assent_dedup::neardup_gen::{generate, measure};

/// The paragraphs of every demo article long enough to edit (80 words or more).
fn articles() -> Vec<String> {
    let web = DemoWeb::new();
    let mut out = Vec::new();
    for host in HOSTS.iter().filter(|h| !h.starts_with("mirror")) {
        for n in 0..ARTICLES {
            let body = String::from_utf8(web.respond(host, &format!("/articles/{n}")).body)
                .unwrap_or_default();
            let text: Vec<&str> = body
                .split("<p>")
                .skip(1)
                .filter_map(|p| p.split("</p>").next())
                .collect();
            let text = text.join("\n");
            if text.split_whitespace().count() >= 80 {
                out.push(text);
            }
        }
    }
    out
}

#[test]
fn lsh_finds_the_demo_pages_near_duplicates() {
    let articles = articles();
    assert!(articles.len() >= 100, "{} articles", articles.len());
    let refs: Vec<&str> = articles.iter().map(String::as_str).collect();
    let docs = generate(&refs, &[0.01, 0.03, 0.06, 0.1, 0.2, 0.35], 11);
    let a = measure(&docs, &MinHashConfig::default());
    eprintln!("{} demo articles: {a:?}", articles.len());
    assert!(a.similar >= 300, "too few similar pairs to measure");
    assert!(a.recall >= 0.9, "{a:?}");
    assert!(a.precision >= 0.95, "{a:?}");
}
