//! Text curated by other tools: JSONL and Parquet files with a `text` column.
//!
//! Many corpora already exist as extracted text (Common Crawl WET conversions, Hugging Face
//! datasets, in-house dumps). Reading them here lets that text enter Assent at the filter stage
//! with the same provenance as a crawled page: the file it came from, the line or row, and the
//! record's own id. Each record becomes a [`Page`] with a [`Payload::Text`] payload, or, if it
//! cannot, a ledger row that says why, so that nothing is dropped unrecorded.
//!
//! Both readers stream: JSONL line by line through a [`BufReader`] (gzip recognised by its magic
//! bytes), Parquet one record batch at a time with only the columns we use projected, so memory
//! stays flat however large the file.
//!
//! Fields, in both formats: `text` (required, a string), `url` (optional string), `id`
//! (optional, a string or an integer), and a timestamp `fetched_at` or else `date` (RFC 3339 in
//! JSONL; a timestamp, date or RFC 3339 string column in Parquet). A value of the wrong type in an
//! optional field is ignored rather than costing the record its text.
//!
//! A `consent` field or column, as Assent's own shards carry it (`decision`, `reasons`,
//! `evidence`, `unchecked`: an object in JSONL, a struct column in Parquet), is the consent
//! evidence of an earlier pass: it goes with the page ([`Page::carried_consent`]), since text
//! holds no headers or markup to judge it by again. One that cannot be read is ignored, and
//! the page is judged as one without it.

use arrow::array::{Array, ArrayRef, AsArray, LargeStringArray, RecordBatch};
use arrow::compute::{can_cast_types, cast};
use arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};
use assent_schemas::evidence::evidence_from_json;
use assent_schemas::page::{InputItem, Page, Payload};
use assent_schemas::{
    Consent, Decision, LedgerRow, ReasonCode, Source, SourceKind, Stage, Unchecked,
};
use chrono::{DateTime, Utc};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;
use serde_json::{json, Map, Value};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// The longest JSONL line read; a longer one is reported malformed and skipped without being
/// held in memory.
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// Rows per Parquet record batch.
const BATCH_ROWS: usize = 1024;

/// Timestamp columns looked for, in order of preference.
const TIME_COLUMNS: [&str; 2] = ["fetched_at", "date"];

/// Why a Parquet file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum TabularError {
    #[error("{file}: {source}")]
    Io { file: String, source: io::Error },
    #[error("{file}: not a readable Parquet file: {source}")]
    Parquet {
        file: String,
        source: parquet::errors::ParquetError,
    },
    #[error("{file}: no `text` column (columns: {})", columns.join(", "))]
    NoTextColumn { file: String, columns: Vec<String> },
    #[error("{file}: the `text` column has type {data_type}, not a string type")]
    TextType { file: String, data_type: DataType },
}

fn source(kind: SourceKind, file: &str, record_id: Option<String>, offset: u64) -> Source {
    Source {
        kind,
        file: Some(file.to_string()),
        record_id,
        offset: Some(offset),
    }
}

fn skipped(url: Option<String>, source: Source, reason: ReasonCode, evidence: Value) -> InputItem {
    InputItem::Skipped(LedgerRow::left(
        url,
        None,
        source,
        Stage::Input,
        reason,
        evidence,
    ))
}

fn text_page(
    text: String,
    url: Option<String>,
    fetched_at: Option<DateTime<Utc>>,
    source: Source,
    carried_consent: Option<Consent>,
) -> InputItem {
    let carried_consent = carried_consent.map(Box::new);
    InputItem::Page(Page {
        url: url.unwrap_or_default(),
        source,
        fetched_at,
        http_status: None,
        content_type: None,
        headers: Vec::new(),
        payload: Payload::Text(text),
        consent: None,
        licence: None,
        carried_consent,
    })
}

/// A `consent` value of JSONL input, if it reads as one.
fn json_consent(value: &Value) -> Option<Consent> {
    let o = value.as_object()?;
    let decision: Decision = o.get("decision")?.as_str()?.parse().ok()?;
    let strings = |key: &str| -> Vec<&str> {
        o.get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    };
    Some(Consent {
        decision,
        reasons: strings("reasons")
            .into_iter()
            .filter_map(|r| r.parse().ok())
            .collect(),
        // A string (as a shard's column holds it) or the array itself.
        evidence: match o.get("evidence") {
            Some(Value::String(s)) => evidence_from_json(s),
            Some(other) => serde_json::from_value(other.clone())
                .unwrap_or_else(|_| evidence_from_json(&other.to_string())),
            None => Vec::new(),
        },
        unchecked: strings("unchecked")
            .into_iter()
            .filter_map(Unchecked::parse)
            .collect(),
    })
}

// ------------------------------------------------------------------ JSONL

/// Reads a JSONL file (or gzip-compressed JSONL), one item per non-blank line. `display_name` is
/// the name recorded as the source file. Only opening the file can fail; a read error later on
/// ends the iteration with one `input.malformed` row.
pub fn read_jsonl(
    path: &Path,
    display_name: &str,
) -> io::Result<impl Iterator<Item = InputItem> + Send> {
    jsonl_reader(path, display_name, MAX_LINE_BYTES)
}

fn jsonl_reader(path: &Path, display_name: &str, max_line: usize) -> io::Result<JsonlReader> {
    let mut file = BufReader::new(File::open(path)?);
    let reader: Box<dyn BufRead + Send> = if file.fill_buf()?.starts_with(&[0x1f, 0x8b]) {
        Box::new(BufReader::new(flate2::bufread::MultiGzDecoder::new(file)))
    } else {
        Box::new(file)
    };
    Ok(JsonlReader {
        reader,
        file: display_name.to_string(),
        line: 0,
        max_line,
        buf: Vec::new(),
        done: false,
    })
}

struct JsonlReader {
    reader: Box<dyn BufRead + Send>,
    file: String,
    /// The number of the last line read, from 1.
    line: u64,
    /// The longest line read, in bytes ([`MAX_LINE_BYTES`] but in tests).
    max_line: usize,
    buf: Vec<u8>,
    done: bool,
}

/// One line as read.
enum Line {
    End,
    Text,
    TooLong(u64),
}

impl Iterator for JsonlReader {
    type Item = InputItem;

    fn next(&mut self) -> Option<InputItem> {
        while !self.done {
            let line = match self.read_line() {
                Ok(line) => line,
                Err(e) => {
                    self.done = true;
                    return Some(self.malformed(format!("read error: {e}")));
                }
            };
            match line {
                Line::End => self.done = true,
                Line::TooLong(bytes) => {
                    return Some(self.malformed(format!(
                        "line longer than the limit of {} bytes ({bytes} bytes skipped)",
                        self.max_line
                    )))
                }
                Line::Text if self.buf.trim_ascii().is_empty() => {}
                Line::Text => return Some(self.item()),
            }
        }
        None
    }
}

impl JsonlReader {
    /// Reads the next line into `buf`, without its line ending; a line over the limit is
    /// consumed without being kept.
    fn read_line(&mut self) -> io::Result<Line> {
        self.buf.clear();
        let limit = self.max_line as u64 + 1;
        let n = (&mut self.reader)
            .take(limit)
            .read_until(b'\n', &mut self.buf)?;
        if n == 0 {
            return Ok(Line::End);
        }
        self.line += 1;
        if self.buf.last() == Some(&b'\n') {
            self.buf.pop();
        } else if n as u64 == limit {
            self.buf.clear();
            let rest = self.skip_rest_of_line()?;
            return Ok(Line::TooLong(limit + rest));
        }
        Ok(Line::Text)
    }

    /// Consumes input up to and including the next line feed; the number of bytes consumed before
    /// it.
    fn skip_rest_of_line(&mut self) -> io::Result<u64> {
        let mut skipped = 0u64;
        loop {
            let chunk = self.reader.fill_buf()?;
            if chunk.is_empty() {
                return Ok(skipped);
            }
            let (used, found) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            self.reader.consume(used);
            skipped += (used - usize::from(found)) as u64;
            if found {
                return Ok(skipped);
            }
        }
    }

    fn source(&self, record_id: Option<String>) -> Source {
        source(SourceKind::Jsonl, &self.file, record_id, self.line)
    }

    fn malformed(&self, error: String) -> InputItem {
        skipped(
            None,
            self.source(None),
            ReasonCode::InputMalformed,
            json!({ "file": self.file, "line": self.line, "error": error }),
        )
    }

    /// The item for the line in `buf`.
    fn item(&self) -> InputItem {
        let object = match serde_json::from_slice::<Value>(&self.buf) {
            Ok(Value::Object(object)) => object,
            Ok(other) => {
                return self.malformed(format!("a JSON {}, not an object", json_type(&other)))
            }
            Err(e) => return self.malformed(format!("invalid JSON: {e}")),
        };
        let record_id = match object.get("id") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let url = object
            .get("url")
            .and_then(Value::as_str)
            .map(str::to_string);
        match object.get("text") {
            Some(Value::String(text)) => text_page(
                text.clone(),
                url,
                json_time(&object),
                self.source(record_id),
                object.get("consent").and_then(json_consent),
            ),
            other => skipped(
                url,
                self.source(record_id),
                ReasonCode::InputNoText,
                json!({
                    "file": self.file,
                    "line": self.line,
                    "text": other.map_or("missing", json_type),
                }),
            ),
        }
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn json_time(object: &Map<String, Value>) -> Option<DateTime<Utc>> {
    TIME_COLUMNS
        .iter()
        .find_map(|key| object.get(*key).and_then(Value::as_str))
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

// ------------------------------------------------------------------ Parquet

/// Reads a Parquet file with a `text` column, one item per row. `display_name` is the name
/// recorded as the source file. Fails if the file is not Parquet or has no string `text`
/// column; a read error later on ends the iteration with one `input.malformed` row.
pub fn read_parquet(
    path: &Path,
    display_name: &str,
) -> Result<impl Iterator<Item = InputItem> + Send, TabularError> {
    read_parquet_batches(path, display_name, BATCH_ROWS)
}

fn read_parquet_batches(
    path: &Path,
    display_name: &str,
    batch_rows: usize,
) -> Result<ParquetRows, TabularError> {
    let file = display_name.to_string();
    let handle = File::open(path).map_err(|source| TabularError::Io {
        file: file.clone(),
        source,
    })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(handle).map_err(|source| {
        TabularError::Parquet {
            file: file.clone(),
            source,
        }
    })?;
    let columns = ColumnPlan::new(builder.schema().fields(), &file)?;
    let total_rows = u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
    let mask = ProjectionMask::roots(builder.parquet_schema(), columns.indices());
    let reader = builder
        .with_projection(mask)
        .with_batch_size(batch_rows)
        .build()
        .map_err(|source| TabularError::Parquet {
            file: file.clone(),
            source,
        })?;
    Ok(ParquetRows {
        reader,
        file,
        batch_rows: batch_rows as u64,
        total_rows,
        batch: None,
        next_row: 0,
        done: false,
    })
}

/// Which columns of the file we read (root indices in the file's schema).
struct ColumnPlan {
    text: usize,
    url: Option<usize>,
    id: Option<usize>,
    time: Option<usize>,
    consent: Option<usize>,
}

impl ColumnPlan {
    fn new(fields: &arrow::datatypes::Fields, file: &str) -> Result<Self, TabularError> {
        let find = |name: &str, castable: &dyn Fn(&DataType) -> bool| {
            fields
                .iter()
                .position(|f| f.name() == name && castable(f.data_type()))
        };
        let text = fields
            .iter()
            .position(|f| f.name() == "text")
            .ok_or_else(|| TabularError::NoTextColumn {
                file: file.to_string(),
                columns: fields.iter().map(|f| f.name().clone()).collect(),
            })?;
        let text_type = fields[text].data_type();
        if !is_string_like(text_type) {
            return Err(TabularError::TextType {
                file: file.to_string(),
                data_type: text_type.clone(),
            });
        }
        let to_string = |t: &DataType| can_cast_types(t, &DataType::LargeUtf8);
        let to_time = |t: &DataType| can_cast_types(t, &utc_micros());
        Ok(ColumnPlan {
            text,
            url: find("url", &to_string),
            id: find("id", &|t| t.is_integer() || is_string_like(t)),
            time: TIME_COLUMNS.iter().find_map(|name| find(name, &to_time)),
            consent: find(
                "consent",
                &|t| matches!(t, DataType::Struct(f) if f.iter().any(|f| f.name() == "decision")),
            ),
        })
    }

    fn indices(&self) -> Vec<usize> {
        [Some(self.text), self.url, self.id, self.time, self.consent]
            .into_iter()
            .flatten()
            .collect()
    }
}

use assent_schemas::columns::is_string_type as is_string_like;

fn utc_micros() -> DataType {
    // "+00:00" rather than "UTC": arrow resolves named zones only with its chrono-tz feature.
    DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into()))
}

/// One record batch, its columns cast to the types we read.
struct Batch {
    text: LargeStringArray,
    url: Option<LargeStringArray>,
    id: Option<LargeStringArray>,
    time: Option<ArrayRef>,
    consent: Option<CarriedColumn>,
}

/// The fields of a `consent` struct column, cast to strings and lists of strings.
struct CarriedColumn {
    valid: arrow::array::StructArray,
    decision: LargeStringArray,
    evidence: Option<LargeStringArray>,
    reasons: Option<arrow::array::ListArray>,
    unchecked: Option<arrow::array::ListArray>,
}

impl CarriedColumn {
    /// None when the column lacks a string `decision` (it is then not consent evidence).
    fn new(column: &ArrayRef) -> Option<CarriedColumn> {
        let st = column.as_struct_opt()?.clone();
        let string = |name: &str| -> Option<LargeStringArray> {
            let c = st.column_by_name(name)?;
            Some(
                cast(c, &DataType::LargeUtf8)
                    .ok()?
                    .as_string::<i64>()
                    .clone(),
            )
        };
        let list = |name: &str| st.column_by_name(name)?.as_list_opt::<i32>().cloned();
        Some(CarriedColumn {
            decision: string("decision")?,
            evidence: string("evidence"),
            reasons: list("reasons"),
            unchecked: list("unchecked"),
            valid: st,
        })
    }

    fn at(&self, row: usize) -> Option<Consent> {
        if !self.valid.is_valid(row) || !self.decision.is_valid(row) {
            return None;
        }
        let decision: Decision = self.decision.value(row).parse().ok()?;
        let strings = |list: &Option<arrow::array::ListArray>| -> Vec<String> {
            let Some(list) = list.as_ref().filter(|l| l.is_valid(row)) else {
                return Vec::new();
            };
            let values = list.value(row);
            match cast(&values, &DataType::LargeUtf8) {
                Ok(v) => v
                    .as_string::<i64>()
                    .iter()
                    .flatten()
                    .map(str::to_string)
                    .collect(),
                Err(_) => Vec::new(),
            }
        };
        Some(Consent {
            decision,
            reasons: strings(&self.reasons)
                .iter()
                .filter_map(|r| r.parse().ok())
                .collect(),
            evidence: string_at(&self.evidence, row)
                .map(|s| evidence_from_json(&s))
                .unwrap_or_default(),
            unchecked: strings(&self.unchecked)
                .iter()
                .filter_map(|u| Unchecked::parse(u))
                .collect(),
        })
    }
}

impl Batch {
    fn new(batch: &RecordBatch) -> Result<Self, arrow::error::ArrowError> {
        let strings = |name: &str| -> Result<Option<LargeStringArray>, arrow::error::ArrowError> {
            batch
                .column_by_name(name)
                .map(|c| Ok(cast(c, &DataType::LargeUtf8)?.as_string::<i64>().clone()))
                .transpose()
        };
        let time = TIME_COLUMNS
            .iter()
            .find_map(|name| batch.column_by_name(name))
            // An unreadable timestamp costs the row its time, not its text.
            .and_then(|c| cast(c, &utc_micros()).ok());
        Ok(Batch {
            // The text column is read as the training loader reads it.
            text: batch
                .column_by_name("text")
                .ok_or_else(|| {
                    arrow::error::ArrowError::SchemaError("no text column in batch".to_string())
                })
                .and_then(|c| {
                    assent_schemas::strings_of(c).map_err(|e| match e {
                        assent_schemas::ColumnsError::Arrow(e) => e,
                        other => arrow::error::ArrowError::CastError(other.to_string()),
                    })
                })?,
            url: strings("url")?,
            id: strings("id")?,
            time,
            consent: batch.column_by_name("consent").and_then(CarriedColumn::new),
        })
    }

    fn len(&self) -> usize {
        self.text.len()
    }
}

fn string_at(array: &Option<LargeStringArray>, row: usize) -> Option<String> {
    array
        .as_ref()
        .filter(|a| a.is_valid(row))
        .map(|a| a.value(row).to_string())
}

fn time_at(array: &Option<ArrayRef>, row: usize) -> Option<DateTime<Utc>> {
    let times = array
        .as_ref()?
        .as_primitive_opt::<TimestampMicrosecondType>()?;
    times
        .is_valid(row)
        .then(|| DateTime::from_timestamp_micros(times.value(row)))
        .flatten()
}

struct ParquetRows {
    reader: ParquetRecordBatchReader,
    file: String,
    batch_rows: u64,
    total_rows: u64,
    /// The batch being read, and the file row number of its first row.
    batch: Option<(Batch, u64)>,
    /// The file row number of the next row to yield.
    next_row: u64,
    done: bool,
}

impl Iterator for ParquetRows {
    type Item = InputItem;

    fn next(&mut self) -> Option<InputItem> {
        loop {
            if let Some((batch, first)) = &self.batch {
                let i = (self.next_row - first) as usize;
                if i < batch.len() {
                    self.next_row += 1;
                    return Some(self.row(batch, i, first + i as u64));
                }
                self.batch = None;
            }
            if self.done {
                return None;
            }
            match self.reader.next().map(|b| b.and_then(|b| Batch::new(&b))) {
                Some(Ok(batch)) => self.batch = Some((batch, self.next_row)),
                Some(Err(e)) => {
                    self.done = true;
                    return Some(self.batch_error(&e));
                }
                None => self.done = true,
            }
        }
    }
}

impl ParquetRows {
    fn row(&self, batch: &Batch, i: usize, row: u64) -> InputItem {
        let url = string_at(&batch.url, i);
        let source = source(
            SourceKind::Parquet,
            &self.file,
            string_at(&batch.id, i),
            row,
        );
        if batch.text.is_null(i) {
            return skipped(
                url,
                source,
                ReasonCode::InputNoText,
                json!({ "file": self.file, "row": row, "text": "null" }),
            );
        }
        text_page(
            batch.text.value(i).to_string(),
            url,
            time_at(&batch.time, i),
            source,
            batch.consent.as_ref().and_then(|c| c.at(i)),
        )
    }

    /// The row for a batch that could not be read; the rest of the file is lost with it.
    fn batch_error(&self, error: &arrow::error::ArrowError) -> InputItem {
        let first = self.next_row;
        let last = (first + self.batch_rows).min(self.total_rows.max(first + 1)) - 1;
        skipped(
            None,
            source(SourceKind::Parquet, &self.file, None, first),
            ReasonCode::InputMalformed,
            json!({
                "file": self.file,
                "rows": [first, last],
                "rows_not_read": self.total_rows.saturating_sub(first),
                "error": error.to_string(),
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray, TimestampSecondArray};
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;
    use std::io::Write;
    use std::sync::Arc;

    const T0: &str = "2024-05-01T12:00:00Z";

    fn time(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn src(kind: SourceKind, file: &str, id: Option<&str>, offset: u64) -> Source {
        source(kind, file, id.map(str::to_string), offset)
    }

    fn page(text: &str, url: &str, at: Option<&str>, source: Source) -> InputItem {
        InputItem::Page(Page {
            url: url.to_string(),
            source,
            fetched_at: at.map(time),
            http_status: None,
            content_type: None,
            headers: Vec::new(),
            payload: Payload::Text(text.to_string()),
            consent: None,
            licence: None,
            carried_consent: None,
        })
    }

    /// A skipped row with a fixed time, so that rows compare equal.
    fn left(url: Option<&str>, source: Source, reason: ReasonCode, evidence: Value) -> InputItem {
        let mut row = LedgerRow::left(
            url.map(str::to_string),
            None,
            source,
            Stage::Input,
            reason,
            evidence,
        );
        row.recorded_at = DateTime::UNIX_EPOCH;
        InputItem::Skipped(row)
    }

    fn fixed_times(items: impl Iterator<Item = InputItem>) -> Vec<InputItem> {
        items
            .map(|mut item| {
                if let InputItem::Skipped(row) = &mut item {
                    row.recorded_at = DateTime::UNIX_EPOCH;
                }
                item
            })
            .collect()
    }

    const JSONL: &str = concat!(
        r#"{"text": "Hello world.", "url": "https://example.com/a", "id": "doc-1", "fetched_at": "2024-05-01T12:00:00Z"}"#,
        "\n",
        "\n",
        "{not json\n",
        r#"{"url": "https://example.com/b", "id": 7}"#,
        "\r\n",
        "   \n",
        r#"[1, 2]"#,
        "\n",
        r#"{"text": null, "id": 8}"#,
        "\n",
        r#"{"text": "Second.", "id": 9.5, "date": "not a date"}"#,
        "\n",
        r#"{"text": "Last, no newline", "url": 3, "date": "2024-05-01T14:00:00+02:00"}"#,
    );

    fn jsonl_expected(file: &str) -> Vec<InputItem> {
        let jsonl = |id: Option<&str>, line| src(SourceKind::Jsonl, file, id, line);
        vec![
            page(
                "Hello world.",
                "https://example.com/a",
                Some(T0),
                jsonl(Some("doc-1"), 1),
            ),
            left(
                None,
                jsonl(None, 3),
                ReasonCode::InputMalformed,
                json!({"file": file, "line": 3,
                       "error": "invalid JSON: key must be a string at line 1 column 2"}),
            ),
            left(
                Some("https://example.com/b"),
                jsonl(Some("7"), 4),
                ReasonCode::InputNoText,
                json!({"file": file, "line": 4, "text": "missing"}),
            ),
            left(
                None,
                jsonl(None, 6),
                ReasonCode::InputMalformed,
                json!({"file": file, "line": 6, "error": "a JSON array, not an object"}),
            ),
            left(
                None,
                jsonl(Some("8"), 7),
                ReasonCode::InputNoText,
                json!({"file": file, "line": 7, "text": "null"}),
            ),
            page("Second.", "", None, jsonl(Some("9.5"), 8)),
            page("Last, no newline", "", Some(T0), jsonl(None, 9)),
        ]
    }

    #[test]
    fn jsonl_lines_become_pages_or_ledger_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.jsonl");
        std::fs::write(&path, JSONL).unwrap();
        let items = fixed_times(read_jsonl(&path, "curated/in.jsonl").unwrap());
        assert_eq!(items, jsonl_expected("curated/in.jsonl"));
    }

    #[test]
    fn jsonl_gz_is_recognised_by_its_magic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.data"); // the name says nothing
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(JSONL.as_bytes()).unwrap();
        std::fs::write(&path, gz.finish().unwrap()).unwrap();
        let items = fixed_times(read_jsonl(&path, "in.jsonl.gz").unwrap());
        assert_eq!(items, jsonl_expected("in.jsonl.gz"));
    }

    #[test]
    fn jsonl_corrupt_gzip_ends_with_one_malformed_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.jsonl.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"{\"text\": \"ok\"}\n").unwrap();
        gz.write_all(&[b'x'; 10_000]).unwrap();
        let mut bytes = gz.finish().unwrap();
        bytes.truncate(bytes.len() - 12); // lose the end of the stream and the trailer
        std::fs::write(&path, bytes).unwrap();
        let items: Vec<_> = read_jsonl(&path, "bad.jsonl.gz").unwrap().collect();
        assert_eq!(items.len(), 2, "{items:?}");
        let InputItem::Skipped(row) = &items[1] else {
            panic!("{:?}", items[1])
        };
        assert_eq!(row.reasons, vec![ReasonCode::InputMalformed]);
        assert!(row.evidence.contains("read error"), "{}", row.evidence);
    }

    #[test]
    fn jsonl_overlong_line_is_skipped_unread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("long.jsonl");
        let long = format!(r#"{{"text": "{}"}}"#, "x".repeat(100));
        std::fs::write(&path, format!("{long}\n{{\"text\": \"short\"}}\n{long}")).unwrap();
        let items = fixed_times(jsonl_reader(&path, "long.jsonl", 50).unwrap());
        let line = |n| src(SourceKind::Jsonl, "long.jsonl", None, n);
        let too_long = |n| {
            left(
                None,
                line(n),
                ReasonCode::InputMalformed,
                json!({"file": "long.jsonl", "line": n,
                       "error": "line longer than the limit of 50 bytes (112 bytes skipped)"}),
            )
        };
        assert_eq!(
            items,
            vec![too_long(1), page("short", "", None, line(2)), too_long(3)]
        );
    }

    #[test]
    fn jsonl_missing_file_is_an_error() {
        assert!(read_jsonl(Path::new("/nonexistent/x.jsonl"), "x.jsonl").is_err());
    }

    fn write_parquet(path: &Path, batch: &RecordBatch, row_group_rows: usize) {
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(row_group_rows))
            .build();
        let mut writer =
            ArrowWriter::try_new(File::create(path).unwrap(), batch.schema(), Some(props)).unwrap();
        writer.write(batch).unwrap();
        writer.close().unwrap();
    }

    fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
        RecordBatch::try_from_iter(columns).unwrap()
    }

    #[test]
    fn parquet_rows_with_string_ids_and_timestamps() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.parquet");
        let secs = time(T0).timestamp();
        let b = batch(vec![
            (
                "text",
                Arc::new(StringArray::from(vec![Some("one"), None, Some("three")])) as ArrayRef,
            ),
            (
                "url",
                Arc::new(StringArray::from(vec![
                    Some("https://e.com/1"),
                    Some("https://e.com/2"),
                    None,
                ])),
            ),
            ("id", Arc::new(StringArray::from(vec!["a", "b", "c"]))),
            (
                "fetched_at",
                Arc::new(TimestampSecondArray::from(vec![
                    Some(secs),
                    None,
                    Some(secs),
                ])),
            ),
            ("ignored", Arc::new(Int64Array::from(vec![1, 2, 3]))),
        ]);
        write_parquet(&path, &b, 1024);
        let items = fixed_times(read_parquet(&path, "a.parquet").unwrap());
        let parquet = |id, row| src(SourceKind::Parquet, "a.parquet", Some(id), row);
        assert_eq!(
            items,
            vec![
                page("one", "https://e.com/1", Some(T0), parquet("a", 0)),
                left(
                    Some("https://e.com/2"),
                    parquet("b", 1),
                    ReasonCode::InputNoText,
                    json!({"file": "a.parquet", "row": 1, "text": "null"}),
                ),
                page("three", "", Some(T0), parquet("c", 2)),
            ]
        );
    }

    #[test]
    fn parquet_large_utf8_text_and_integer_ids_across_batches() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.parquet");
        let texts: Vec<String> = (0..5).map(|i| format!("text {i}")).collect();
        let b = batch(vec![
            (
                "id",
                Arc::new(Int64Array::from(vec![10, 11, 12, 13, 14])) as ArrayRef,
            ),
            ("text", Arc::new(LargeStringArray::from_iter_values(&texts))),
        ]);
        write_parquet(&path, &b, 2);
        let items: Vec<_> = read_parquet_batches(&path, "b.parquet", 2)
            .unwrap()
            .collect();
        let expected: Vec<_> = (0..5u64)
            .map(|i| {
                let id = (10 + i).to_string();
                page(
                    &texts[i as usize],
                    "",
                    None,
                    src(SourceKind::Parquet, "b.parquet", Some(&id), i),
                )
            })
            .collect();
        assert_eq!(items, expected);
    }

    #[test]
    fn parquet_without_text_column_names_file_and_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.parquet");
        let b = batch(vec![
            ("body", Arc::new(StringArray::from(vec!["x"])) as ArrayRef),
            ("url", Arc::new(StringArray::from(vec!["u"]))),
        ]);
        write_parquet(&path, &b, 1024);
        let err = read_parquet(&path, "in/c.parquet").err().unwrap();
        assert_eq!(
            err.to_string(),
            "in/c.parquet: no `text` column (columns: body, url)"
        );

        let path = dir.path().join("d.parquet");
        write_parquet(
            &path,
            &batch(vec![(
                "text",
                Arc::new(Int64Array::from(vec![1])) as ArrayRef,
            )]),
            1024,
        );
        let err = read_parquet(&path, "d.parquet").err().unwrap();
        assert!(matches!(err, TabularError::TextType { .. }), "{err}");

        let path = dir.path().join("e.parquet");
        std::fs::write(&path, b"not parquet at all").unwrap();
        let err = read_parquet(&path, "e.parquet").err().unwrap();
        assert!(
            err.to_string()
                .starts_with("e.parquet: not a readable Parquet file"),
            "{err}"
        );
    }

    #[test]
    fn parquet_corrupt_row_group_ends_the_file_with_one_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.parquet");
        let texts: Vec<String> = (0..6).map(|i| format!("row {i}")).collect();
        let b = batch(vec![(
            "text",
            Arc::new(StringArray::from_iter_values(&texts)) as ArrayRef,
        )]);
        write_parquet(&path, &b, 2);
        // Overwrite the page header of the second row group's text column.
        let meta = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap())
            .unwrap()
            .metadata()
            .clone();
        let column = meta.row_group(1).column(0);
        let start = column
            .dictionary_page_offset()
            .unwrap_or(column.data_page_offset()) as usize;
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[start..start + 16].fill(0xff);
        std::fs::write(&path, bytes).unwrap();

        let items = fixed_times(read_parquet_batches(&path, "f.parquet", 2).unwrap());
        assert_eq!(items.len(), 3, "{items:?}");
        let rows = |i| src(SourceKind::Parquet, "f.parquet", None, i);
        assert_eq!(
            items[..2],
            [
                page("row 0", "", None, rows(0)),
                page("row 1", "", None, rows(1))
            ]
        );
        let InputItem::Skipped(row) = &items[2] else {
            panic!("{:?}", items[2])
        };
        assert_eq!(
            (row.reasons.as_slice(), &row.source),
            ([ReasonCode::InputMalformed].as_slice(), &rows(2))
        );
        let evidence: Value = serde_json::from_str(&row.evidence).unwrap();
        assert_eq!(evidence["rows"], json!([2, 3]));
        assert_eq!(evidence["rows_not_read"], 4);
    }
}
