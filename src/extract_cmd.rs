//! `assent extract`: the extract stage on its own, over HTML files, so that anyone can look at
//! what the curation keeps of a page, or score the extractor (one JSON line per file is what
//! `extraction_eval.py` reads).
//!
//! A file that cannot be read or decoded does not stop the others: its line carries an `error`
//! (and, for an undecodable page, the reason code the curation would record). The command exits
//! non-zero when any file could not be read at all.

use anyhow::Context;
use assent_filter::LanguageFilter;
use assent_ingest::charset;
use assent_ingest::consent::licence;
use assent_ingest::extract;
use assent_schemas::ReasonCode;
use rayon::prelude::*;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// How each file's result is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object a line: path, text, title, lang, licence (the page's SPDX id), licences
    /// (every finding with its evidence) and encoding.
    Jsonl,
    /// The extracted text; with several files, each is preceded by a `==> PATH <==` line.
    Text,
}

/// Most bytes read from one file (a larger file is an error line, not an allocation).
const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Extracts every file (directories are searched for `.html`, `.htm` and `.html.gz` files) and
/// prints the results in input order. Errors if any file could not be read.
pub fn run(paths: &[PathBuf], format: Format) -> anyhow::Result<()> {
    let files = expand(paths)?;
    let lang = LanguageFilter::default();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let several = files.len() > 1;
    let mut unreadable = 0;
    // Files are extracted in parallel a chunk at a time, and printed in the order named, so
    // that memory holds one chunk of results however many files there are.
    for chunk in files.chunks(CHUNK) {
        let results: Vec<Value> = chunk
            .par_iter()
            .map(|path| match read_html(path) {
                Ok(bytes) => extract_one(path, &bytes, &lang),
                Err(e) => json!({"path": path, "error": format!("{e:#}"), "unreadable": true}),
            })
            .collect();
        for value in &results {
            unreadable += value.get("unreadable").is_some() as usize;
            match format {
                Format::Jsonl => writeln!(out, "{value}")?,
                Format::Text => {
                    if several {
                        writeln!(out, "==> {} <==", value["path"].as_str().unwrap_or(""))?;
                    }
                    match value.get("error") {
                        Some(e) => eprintln!("{}: {}", value["path"].as_str().unwrap_or(""), e),
                        None => writeln!(out, "{}\n", value["text"].as_str().unwrap_or(""))?,
                    }
                }
            }
        }
    }
    out.flush()?;
    anyhow::ensure!(unreadable == 0, "{unreadable} file(s) could not be read");
    Ok(())
}

/// Files extracted together between two writes of results.
const CHUNK: usize = 256;

/// The JSON result for one page.
fn extract_one(path: &Path, bytes: &[u8], lang: &LanguageFilter) -> Value {
    let decoded = match charset::decode(bytes, None, true) {
        Ok(d) => d,
        Err(e) => {
            return json!({
                "path": path,
                "error": e.to_string(),
                "reason": ReasonCode::InputUndecodable.as_str(),
            })
        }
    };
    let extracted = extract::extract_html(&decoded.text);
    let licences = licence::detect_html(&decoded.text, &[], None);
    let guess = lang.identify(&extracted.text);
    json!({
        "path": path,
        "text": extracted.text,
        "title": extracted.title,
        "lang": guess.map(|g| g.code),
        // The page's licence (the most restrictive of the strongest evidence), and every
        // licence found with where and a snippet.
        "licence": licences.page_licence().map(|l| l.spdx.clone()),
        "licences": licences.evidence(),
        "encoding": decoded.encoding,
    })
}

/// The bytes of an HTML file, gunzipped when it is gzip (by its magic bytes, whatever its name).
fn read_html(path: &Path) -> anyhow::Result<Vec<u8>> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let raw = read_capped(file, || format!("reading {}", path.display()))?;
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(raw);
    }
    read_capped(flate2::read::MultiGzDecoder::new(&raw[..]), || {
        format!("gunzipping {}", path.display())
    })
}

/// All of `r`, or an error once it passes [`MAX_FILE_BYTES`].
fn read_capped(r: impl Read, doing: impl Fn() -> String) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    r.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut out)
        .with_context(&doing)?;
    anyhow::ensure!(
        out.len() as u64 <= MAX_FILE_BYTES,
        "{}: more than {MAX_FILE_BYTES} bytes",
        doing()
    );
    Ok(out)
}

/// Files named, with directories replaced by the HTML files under them (sorted, recursive).
fn expand(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    anyhow::ensure!(!paths.is_empty(), "no files named");
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found = Vec::new();
            let mut dirs = vec![path.clone()];
            while let Some(dir) = dirs.pop() {
                for entry in
                    std::fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))?
                {
                    let p = entry?.path();
                    if p.is_dir() {
                        dirs.push(p);
                    } else if is_html_name(&p) {
                        found.push(p);
                    }
                }
            }
            found.sort();
            files.extend(found);
        } else {
            // A file named explicitly is read whatever its name; a missing one is an error line.
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn is_html_name(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let lower = name.to_ascii_lowercase();
    [".html", ".htm", ".xhtml", ".html.gz", ".htm.gz"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}
