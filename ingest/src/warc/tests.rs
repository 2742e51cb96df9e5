//! Tests of reading, writing and page conversion, on the shared sample archives and on
//! archives built here.

use super::*;
use crate::page::{InputItem, Payload};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/warc");

fn sample(name: &str) -> std::path::PathBuf {
    std::path::Path::new(DATA).join(name)
}

#[test]
fn explore() {
    for dir in ["warcio", "resiliparse", "whirlwind"] {
        let mut names: Vec<_> = std::fs::read_dir(sample(dir)).unwrap().map(|e| e.unwrap().path()).collect();
        names.sort();
        for p in names {
            if p.file_name().unwrap().to_str().unwrap().starts_with("LICENSE") { continue; }
            println!("== {}", p.display());
            for item in open(&p).unwrap() {
                match item {
                    Ok(r) => println!("  rec off={} v={} type={:?} len={} uri={:?}", r.offset, r.version, r.warc_type(), r.block.len(), r.target_uri()),
                    Err(e) => println!("  ERR {e}"),
                }
            }
            for item in read_pages(&p, "x").unwrap() {
                match item {
                    InputItem::Page(pg) => println!("  PAGE {} {:?} {:?} {:?} {}", pg.url, pg.http_status, pg.content_type, pg.source.offset, match &pg.payload { Payload::Html(b) => format!("html {}", b.len()), Payload::PlainText(b) => format!("plain {}", b.len()), Payload::Text(t) => format!("text {}", t.len())}),
                    InputItem::Skipped(row) => println!("  SKIP {:?} {} {:?}", row.reasons, row.evidence, row.url),
                }
            }
        }
    }
}
