//! Helpers shared by the end-to-end tests of the `assent` binary.
#![allow(dead_code)]

pub mod chromium;
pub mod job;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn shared_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data")
}

/// Runs the binary and returns its output; panics with stderr when `expect_ok` is not met.
pub fn assent(args: &[&str], expect_ok: bool) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_assent"))
        .args(args)
        .env("ASSENT_LOG", "warn")
        .output()
        .expect("run assent");
    assert_eq!(
        out.status.success(),
        expect_ok,
        "assent {args:?}\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The Python that has pyarrow and DuckDB: ASSENT_PYTHON (set by scripts/test.sh) or python3.
pub fn python() -> String {
    std::env::var("ASSENT_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Runs a DuckDB query with the test Python and returns its rows as JSON (one array a row).
pub fn duckdb_rows(sql: &str) -> serde_json::Value {
    let script =
        "import duckdb, json, sys\nprint(json.dumps(duckdb.sql(sys.argv[1]).fetchall(), default=str))";
    let res = Command::new(python())
        .args(["-c", script, sql])
        .output()
        .expect("run python");
    assert!(
        res.status.success(),
        "DuckDB query failed (run the suite with scripts/test.sh, which installs duckdb):\n{sql}\n{}",
        String::from_utf8_lossy(&res.stderr)
    );
    serde_json::from_slice(&res.stdout).expect("rows as JSON")
}

/// Writes `n` JSON Lines records `{"id": i, "text": text(i)}` to `path`.
pub fn write_jsonl(path: &Path, n: usize, text: impl Fn(usize) -> String) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..n {
        writeln!(f, "{}", serde_json::json!({"id": i, "text": text(i)})).unwrap();
    }
    f.flush().unwrap();
}

/// Runs tests/python/read_back.py on a corpus directory and parses what it printed.
pub fn read_back(out: &Path) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/read_back.py");
    let res = Command::new(python())
        .arg(script)
        .arg(out)
        .output()
        .expect("run python");
    assert!(
        res.status.success(),
        "read_back.py failed (run the suite with scripts/test.sh, which installs pyarrow and duckdb):\n{}",
        String::from_utf8_lossy(&res.stderr)
    );
    serde_json::from_slice(&res.stdout).expect("read_back.py prints JSON")
}

pub fn read_json(path: &Path) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every file under `dir`, recursively, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The text of the first `<p>` of a demo page, for looking for it in the output.
pub fn first_paragraph(web: &assent::demo::web::DemoWeb, host: &str, path: &str) -> String {
    let html = String::from_utf8(web.respond(host, path).body).unwrap();
    html.split("<p>")
        .nth(1)
        .unwrap()
        .split("</p>")
        .next()
        .unwrap()
        .to_string()
}

/// Every byte under `dir` as text a search can see: gzip members unpacked, Parquet files
/// decoded to their string columns, everything else as it is.
pub fn searchable_contents(dir: &Path) -> Vec<(String, String)> {
    files_under(dir)
        .into_iter()
        .map(|p| {
            let name = p.display().to_string();
            let bytes = std::fs::read(&p).unwrap();
            let text = if name.ends_with(".gz") {
                let mut s = Vec::new();
                flate2::read::MultiGzDecoder::new(&bytes[..])
                    .read_to_end(&mut s)
                    .unwrap();
                String::from_utf8_lossy(&s).into_owned()
            } else if name.ends_with(".parquet") && name.contains("/shards/") {
                format!("{:?}", documents_in(std::slice::from_ref(&p)))
            } else if name.ends_with(".parquet") {
                format!("{:?}", ledger_rows_in(std::slice::from_ref(&p)))
            } else {
                String::from_utf8_lossy(&bytes).into_owned()
            };
            (name, text)
        })
        .collect()
}

/// Every record batch of the Parquet files named.
pub fn parquet_batches(files: &[PathBuf]) -> Vec<arrow::record_batch::RecordBatch> {
    let mut out = Vec::new();
    for path in files {
        let file = std::fs::File::open(path).unwrap();
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap();
        out.extend(reader.map(Result::unwrap));
    }
    out
}

/// The documents of the shard files named.
pub fn documents_in(files: &[PathBuf]) -> Vec<assent_schemas::Document> {
    parquet_batches(files)
        .iter()
        .flat_map(|b| assent_schemas::documents_from_batch(b).unwrap())
        .collect()
}

/// The rows of the ledger files named.
pub fn ledger_rows_in(files: &[PathBuf]) -> Vec<assent_schemas::LedgerRow> {
    parquet_batches(files)
        .iter()
        .flat_map(|b| assent_schemas::ledger_from_batch(b).unwrap())
        .collect()
}

/// Every kept document of a run's output directory.
pub fn shard_documents(out: &Path) -> Vec<assent_schemas::Document> {
    documents_in(&files_under(&out.join("shards")))
}

/// Every ledger row of a run's output directory.
pub fn ledger_rows(out: &Path) -> Vec<assent_schemas::LedgerRow> {
    ledger_rows_in(&files_under(&out.join("ledger")))
}

/// `[pipeline] steps` less FineWeb's rules and PII redaction, for the tests of something else
/// (consent, resume, ranks, passes, hostile input) whose pages are a sentence or two: the
/// rules would drop them as too short. `tests/filter.rs` and the demo test the rules.
pub const STEPS_WITHOUT_RULES: &str =
    "[pipeline]\nsteps = [\"language\", \"quality-signals\", \"licence-guard\", \"url-dedup\", \"exact-dedup\", \"near-dedup\"]\n";

/// `config_text` with [`STEPS_WITHOUT_RULES`]'s steps (in its `[pipeline]` table if it has one).
pub fn without_rules(config_text: &str) -> String {
    let steps = STEPS_WITHOUT_RULES.trim_start_matches("[pipeline]\n");
    match config_text.find("[pipeline]\n") {
        Some(at) => {
            let end = at + "[pipeline]\n".len();
            format!("{}{steps}{}", &config_text[..end], &config_text[end..])
        }
        None => format!("{STEPS_WITHOUT_RULES}\n{config_text}"),
    }
}

/// A configuration file in `dir`: [`without_rules`] of `more`.
pub fn config_without_rules(dir: &Path, more: &str) -> PathBuf {
    let path = dir.join("without-rules.toml");
    std::fs::write(&path, without_rules(more)).unwrap();
    path
}
