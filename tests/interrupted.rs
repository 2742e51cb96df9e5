//! A run killed mid-way leaves only complete shards behind.

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::io::Write;
use std::process::Command;
use std::time::Duration;

#[test]
fn a_killed_run_leaves_no_half_written_shard() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("many.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&jsonl).unwrap());
    for i in 0..60_000 {
        let text = format!(
            "Document {i} says something distinct about number {i} and {} more.",
            i * 7
        );
        writeln!(f, "{}", serde_json::json!({"id": i, "text": text})).unwrap();
    }
    f.flush().unwrap();
    drop(f);
    let out = dir.path().join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_assent"))
        .args([
            "curate",
            "--jsonl",
            jsonl.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--shard-size",
            "40000",
        ])
        .env("ASSENT_LOG", "warn")
        .spawn()
        .unwrap();
    // Wait until some shards exist, then kill without warning.
    let shards = out.join("shards");
    for _ in 0..200 {
        let n = std::fs::read_dir(&shards).map(|d| d.count()).unwrap_or(0);
        if n >= 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let mut complete = 0;
    for entry in std::fs::read_dir(&shards).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            assert!(name.ends_with(".tmp"), "unexpected hidden file {name}");
            continue;
        }
        assert!(
            name.starts_with("part-00000-") && name.ends_with(".parquet"),
            "{name}"
        );
        // A visible shard must be whole: its footer parses and every row reads.
        let file = std::fs::File::open(entry.path()).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap_or_else(|e| panic!("{name} is not a complete Parquet file: {e}"))
            .build()
            .unwrap();
        let rows: usize = reader.map(|b| b.unwrap().num_rows()).sum();
        assert!(rows > 0, "{name} is empty");
        complete += 1;
    }
    assert!(
        complete >= 1,
        "the run was killed before any shard was finished"
    );
    assert!(
        !out.join("manifest.json").exists(),
        "the run finished before it was killed: make the input larger"
    );
}
