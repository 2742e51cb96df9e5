//! Arrow schemas of the document and ledger records, and conversions both ways.
//!
//! Column types are chosen so that pyarrow, DuckDB, Polars and Hugging Face `datasets` read
//! shards without help: plain strings, lists and structs; quality signals are a list of
//! `{name, value}` structs rather than an Arrow map, which some readers still reject.

use crate::reason::{Decision, ReasonCode};
use crate::record::{Consent, Dedup, Document, LedgerRow, Licence, Source, SourceKind, Unchecked};
use arrow::array::{
    Array, ArrayRef, AsArray, Float32Array, Float64Array, ListArray, RecordBatch, StringArray,
    StructArray, TimestampMicrosecondArray, UInt16Array, UInt64Array,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{
    DataType, Field, Fields, Float32Type, Float64Type, Schema, SchemaRef, TimeUnit, UInt16Type,
    UInt64Type,
};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Version of the shard and ledger layout. Bump the major part when a column changes meaning
/// or type; the minor part when a column is added. 1.1: `licence.snippet`; 1.2:
/// `consent.unchecked`; 1.3: `script`; 1.4: the ledger's `words`; 1.5: `dedup.cluster_size`.
pub const SCHEMA_VERSION: &str = "1.5";
/// Key under which [`SCHEMA_VERSION`] is stored in each Parquet file's key-value metadata.
pub const SCHEMA_VERSION_KEY: &str = "assent.schema_version";

#[derive(Debug, thiserror::Error)]
pub enum ColumnsError {
    #[error("column {0:?} is missing or has the wrong type")]
    Column(&'static str),
    #[error("column {column:?}, row {row}: {message}")]
    Value {
        column: &'static str,
        row: usize,
        message: String,
    },
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
}

/// Whether a column of type `t` holds strings: `Utf8`, `LargeUtf8`, `Utf8View`, or a
/// dictionary of them (as Parquet files written by other tools have).
pub fn is_string_type(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, values) => is_string_type(values),
        _ => false,
    }
}

/// The strings of a column stored as any string type ([`is_string_type`]), as one array
/// type: the one way a text column is read, by tabular input and by the training loader.
pub fn strings_of(column: &ArrayRef) -> Result<arrow::array::LargeStringArray, ColumnsError> {
    if !is_string_type(column.data_type()) {
        return Err(ColumnsError::Arrow(arrow::error::ArrowError::CastError(
            format!("{} is not a string type", column.data_type()),
        )));
    }
    Ok(arrow::compute::cast(column, &DataType::LargeUtf8)?
        .as_string::<i64>()
        .clone())
}

fn utf8(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Utf8, nullable)
}

fn utc_micros() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn reasons_type() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, false)))
}

fn source_fields() -> Fields {
    Fields::from(vec![
        utf8("kind", false),
        utf8("file", true),
        utf8("record_id", true),
        Field::new("offset", DataType::UInt64, true),
    ])
}

fn licence_fields() -> Fields {
    Fields::from(vec![
        utf8("spdx", false),
        utf8("found_in", false),
        utf8("url", true),
        utf8("snippet", true),
    ])
}

fn consent_fields() -> Fields {
    Fields::from(vec![
        utf8("decision", false),
        Field::new("reasons", reasons_type(), false),
        utf8("evidence", false),
        Field::new("unchecked", reasons_type(), false),
    ])
}

fn quality_item_fields() -> Fields {
    Fields::from(vec![
        utf8("name", false),
        Field::new("value", DataType::Float64, false),
    ])
}

fn quality_type() -> DataType {
    DataType::List(Arc::new(Field::new(
        "item",
        DataType::Struct(quality_item_fields()),
        false,
    )))
}

fn dedup_fields() -> Fields {
    Fields::from(vec![
        utf8("cluster", true),
        Field::new("cluster_size", DataType::UInt64, true),
        utf8("duplicate_of", true),
    ])
}

fn with_version(fields: Vec<Field>) -> SchemaRef {
    let meta = HashMap::from([(SCHEMA_VERSION_KEY.to_string(), SCHEMA_VERSION.to_string())]);
    Arc::new(Schema::new_with_metadata(fields, meta))
}

/// The schema of a shard: one row per kept document.
pub fn document_schema() -> SchemaRef {
    with_version(vec![
        utf8("doc_id", false),
        utf8("url", false),
        utf8("host", false),
        Field::new("source", DataType::Struct(source_fields()), false),
        Field::new("fetched_at", utc_micros(), true),
        Field::new("http_status", DataType::UInt16, true),
        utf8("content_type", true),
        utf8("text", false),
        utf8("text_hash", false),
        utf8("lang", true),
        Field::new("lang_score", DataType::Float32, true),
        utf8("script", true),
        Field::new("licence", DataType::Struct(licence_fields()), true),
        Field::new("consent", DataType::Struct(consent_fields()), false),
        Field::new("quality", quality_type(), false),
        Field::new("dedup", DataType::Struct(dedup_fields()), false),
        utf8("pipeline_version", false),
    ])
}

/// The schema of a ledger file: one row per decision.
pub fn ledger_schema() -> SchemaRef {
    with_version(vec![
        utf8("url", true),
        utf8("doc_id", true),
        Field::new("source", DataType::Struct(source_fields()), false),
        utf8("stage", false),
        utf8("decision", false),
        Field::new("reasons", reasons_type(), false),
        utf8("evidence", false),
        Field::new("recorded_at", utc_micros(), false),
        Field::new("words", DataType::UInt64, true),
    ])
}

// ---------------------------------------------------------------- records -> columns

fn strings<S: AsRef<str>>(values: impl Iterator<Item = Option<S>>) -> ArrayRef {
    Arc::new(values.collect::<StringArray>())
}

fn times(values: impl Iterator<Item = Option<DateTime<Utc>>>) -> ArrayRef {
    let micros: TimestampMicrosecondArray =
        values.map(|t| t.map(|t| t.timestamp_micros())).collect();
    Arc::new(micros.with_timezone("UTC"))
}

fn offsets(lengths: impl Iterator<Item = usize>) -> OffsetBuffer<i32> {
    OffsetBuffer::from_lengths(lengths)
}

/// A list-of-strings column: each row's codes by their names.
fn name_lists<'a, T: Copy + 'a>(
    rows: impl Iterator<Item = &'a [T]> + Clone,
    name: fn(T) -> &'static str,
) -> ArrayRef {
    let offs = offsets(rows.clone().map(<[T]>::len));
    let values = strings(rows.flat_map(|r| r.iter().map(move |c| Some(name(*c)))));
    let field = Arc::new(Field::new("item", DataType::Utf8, false));
    Arc::new(ListArray::new(field, offs, values, None))
}

fn reason_lists<'a>(rows: impl Iterator<Item = &'a [ReasonCode]> + Clone) -> ArrayRef {
    name_lists(rows, ReasonCode::as_str)
}

fn unchecked_lists<'a>(rows: impl Iterator<Item = &'a [Unchecked]> + Clone) -> ArrayRef {
    name_lists(rows, Unchecked::as_str)
}

fn source_column<'a>(rows: impl Iterator<Item = &'a Source> + Clone) -> ArrayRef {
    let arrays: Vec<ArrayRef> = vec![
        strings(rows.clone().map(|s| Some(s.kind.as_str()))),
        strings(rows.clone().map(|s| s.file.as_deref())),
        strings(rows.clone().map(|s| s.record_id.as_deref())),
        Arc::new(rows.map(|s| s.offset).collect::<UInt64Array>()),
    ];
    Arc::new(StructArray::new(source_fields(), arrays, None))
}

/// Converts documents to a record batch of [`document_schema`].
pub fn documents_to_batch(docs: &[Document]) -> Result<RecordBatch, ColumnsError> {
    let it = docs.iter();
    let licence_nulls =
        NullBuffer::from(docs.iter().map(|d| d.licence.is_some()).collect::<Vec<_>>());
    let lic = |f: fn(&Licence) -> Option<&str>| {
        strings(it.clone().map(move |d| d.licence.as_ref().and_then(f)))
    };
    let licence = StructArray::new(
        licence_fields(),
        vec![
            lic(|l| Some(l.spdx.as_str())),
            lic(|l| Some(l.found_in.as_str())),
            lic(|l| l.url.as_deref()),
            lic(|l| l.snippet.as_deref()),
        ],
        Some(licence_nulls),
    );
    let consent = StructArray::new(
        consent_fields(),
        vec![
            strings(it.clone().map(|d| Some(d.consent.decision.as_str()))),
            reason_lists(it.clone().map(|d| d.consent.reasons.as_slice())),
            strings(
                it.clone()
                    .map(|d| Some(crate::evidence::evidence_to_json(&d.consent.evidence))),
            ),
            unchecked_lists(it.clone().map(|d| d.consent.unchecked.as_slice())),
        ],
        None,
    );
    let quality_items = StructArray::new(
        quality_item_fields(),
        vec![
            strings(
                it.clone()
                    .flat_map(|d| d.quality.keys().map(|k| Some(k.as_str()))),
            ),
            Arc::new(
                it.clone()
                    .flat_map(|d| d.quality.values().copied())
                    .collect::<Float64Array>(),
            ),
        ],
        None,
    );
    let DataType::List(quality_item) = quality_type() else {
        unreachable!()
    };
    let quality = ListArray::new(
        quality_item,
        offsets(it.clone().map(|d| d.quality.len())),
        Arc::new(quality_items),
        None,
    );
    let dedup = StructArray::new(
        dedup_fields(),
        vec![
            strings(it.clone().map(|d| d.dedup.cluster.as_deref())),
            Arc::new(
                it.clone()
                    .map(|d| d.dedup.cluster_size)
                    .collect::<UInt64Array>(),
            ),
            strings(it.clone().map(|d| d.dedup.duplicate_of.as_deref())),
        ],
        None,
    );
    let columns: Vec<ArrayRef> = vec![
        strings(it.clone().map(|d| Some(d.doc_id.as_str()))),
        strings(it.clone().map(|d| Some(d.url.as_str()))),
        strings(it.clone().map(|d| Some(d.host.as_str()))),
        source_column(it.clone().map(|d| &d.source)),
        times(it.clone().map(|d| d.fetched_at)),
        Arc::new(it.clone().map(|d| d.http_status).collect::<UInt16Array>()),
        strings(it.clone().map(|d| d.content_type.as_deref())),
        strings(it.clone().map(|d| Some(d.text.as_str()))),
        strings(it.clone().map(|d| Some(d.text_hash.as_str()))),
        strings(it.clone().map(|d| d.lang.as_deref())),
        Arc::new(it.clone().map(|d| d.lang_score).collect::<Float32Array>()),
        strings(it.clone().map(|d| d.script.as_deref())),
        Arc::new(licence),
        Arc::new(consent),
        Arc::new(quality),
        Arc::new(dedup),
        strings(it.clone().map(|d| Some(d.pipeline_version.as_str()))),
    ];
    Ok(RecordBatch::try_new(document_schema(), columns)?)
}

/// Converts ledger rows to a record batch of [`ledger_schema`].
pub fn ledger_to_batch(rows: &[LedgerRow]) -> Result<RecordBatch, ColumnsError> {
    let it = rows.iter();
    let columns: Vec<ArrayRef> = vec![
        strings(it.clone().map(|r| r.url.as_deref())),
        strings(it.clone().map(|r| r.doc_id.as_deref())),
        source_column(it.clone().map(|r| &r.source)),
        strings(it.clone().map(|r| Some(r.stage.as_str()))),
        strings(it.clone().map(|r| Some(r.decision.as_str()))),
        reason_lists(it.clone().map(|r| r.reasons.as_slice())),
        strings(it.clone().map(|r| Some(r.evidence.as_str()))),
        times(it.clone().map(|r| Some(r.recorded_at))),
        Arc::new(it.clone().map(|r| r.words).collect::<UInt64Array>()),
    ];
    Ok(RecordBatch::try_new(ledger_schema(), columns)?)
}

// ---------------------------------------------------------------- columns -> records

/// Typed access to the columns of one batch, with errors that name the column.
struct Columns<'a> {
    batch: &'a RecordBatch,
}

impl<'a> Columns<'a> {
    fn any(&self, name: &'static str) -> Result<&'a ArrayRef, ColumnsError> {
        self.batch
            .column_by_name(name)
            .ok_or(ColumnsError::Column(name))
    }
    fn string(&self, name: &'static str) -> Result<&'a StringArray, ColumnsError> {
        self.any(name)?
            .as_string_opt::<i32>()
            .ok_or(ColumnsError::Column(name))
    }
    fn structure(&self, name: &'static str) -> Result<&'a StructArray, ColumnsError> {
        self.any(name)?
            .as_struct_opt()
            .ok_or(ColumnsError::Column(name))
    }
    fn list(&self, name: &'static str) -> Result<&'a ListArray, ColumnsError> {
        self.any(name)?
            .as_list_opt::<i32>()
            .ok_or(ColumnsError::Column(name))
    }
    fn time(&self, name: &'static str) -> Result<&'a TimestampMicrosecondArray, ColumnsError> {
        self.any(name)?
            .as_primitive_opt::<arrow::datatypes::TimestampMicrosecondType>()
            .ok_or(ColumnsError::Column(name))
    }
}

fn field<'a>(s: &'a StructArray, name: &'static str) -> Result<&'a ArrayRef, ColumnsError> {
    s.column_by_name(name).ok_or(ColumnsError::Column(name))
}

fn field_str<'a>(s: &'a StructArray, name: &'static str) -> Result<&'a StringArray, ColumnsError> {
    field(s, name)?
        .as_string_opt::<i32>()
        .ok_or(ColumnsError::Column(name))
}

fn opt(a: &StringArray, i: usize) -> Option<String> {
    a.is_valid(i).then(|| a.value(i).to_string())
}

fn time_at(a: &TimestampMicrosecondArray, i: usize) -> Option<DateTime<Utc>> {
    a.is_valid(i)
        .then(|| DateTime::from_timestamp_micros(a.value(i)))
        .flatten()
}

fn sources(s: &StructArray) -> Result<Vec<Source>, ColumnsError> {
    let kind = field_str(s, "kind")?;
    let file = field_str(s, "file")?;
    let record_id = field_str(s, "record_id")?;
    let offset = field(s, "offset")?
        .as_primitive_opt::<UInt64Type>()
        .ok_or(ColumnsError::Column("offset"))?;
    (0..s.len())
        .map(|i| {
            Ok(Source {
                kind: SourceKind::parse(kind.value(i)).ok_or_else(|| ColumnsError::Value {
                    column: "source.kind",
                    row: i,
                    message: format!("unknown source kind {:?}", kind.value(i)),
                })?,
                file: opt(file, i),
                record_id: opt(record_id, i),
                offset: offset.is_valid(i).then(|| offset.value(i)),
            })
        })
        .collect()
}

/// Each row of a list-of-strings column, its names read back by `parse`.
fn parsed_lists<T>(
    list: &ListArray,
    column: &'static str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<Vec<T>>, ColumnsError> {
    (0..list.len())
        .map(|i| {
            let values = list.value(i);
            let values = values
                .as_string_opt::<i32>()
                .ok_or(ColumnsError::Column(column))?;
            values
                .iter()
                .flatten()
                .map(|v| {
                    parse(v).map_err(|message| ColumnsError::Value {
                        column,
                        row: i,
                        message,
                    })
                })
                .collect()
        })
        .collect()
}

fn reasons(list: &ListArray, column: &'static str) -> Result<Vec<Vec<ReasonCode>>, ColumnsError> {
    parsed_lists(list, column, str::parse)
}

fn unchecked(list: &ListArray) -> Result<Vec<Vec<Unchecked>>, ColumnsError> {
    parsed_lists(list, "consent.unchecked", |v| {
        Unchecked::parse(v).ok_or_else(|| format!("unknown unchecked part {v:?}"))
    })
}

fn decision(s: &str, column: &'static str, row: usize) -> Result<Decision, ColumnsError> {
    s.parse().map_err(|message| ColumnsError::Value {
        column,
        row,
        message,
    })
}

/// Reads documents back from a batch of [`document_schema`] (as read from a shard).
pub fn documents_from_batch(batch: &RecordBatch) -> Result<Vec<Document>, ColumnsError> {
    let c = Columns { batch };
    let (doc_id, url, host, text, text_hash) = (
        c.string("doc_id")?,
        c.string("url")?,
        c.string("host")?,
        c.string("text")?,
        c.string("text_hash")?,
    );
    let (content_type, lang, version) = (
        c.string("content_type")?,
        c.string("lang")?,
        c.string("pipeline_version")?,
    );
    let source = sources(c.structure("source")?)?;
    let fetched_at = c.time("fetched_at")?;
    let status = c
        .any("http_status")?
        .as_primitive_opt::<UInt16Type>()
        .ok_or(ColumnsError::Column("http_status"))?;
    let lang_score = c
        .any("lang_score")?
        .as_primitive_opt::<Float32Type>()
        .ok_or(ColumnsError::Column("lang_score"))?;
    // Added in 1.3: shards of 1.0 to 1.2 have no script.
    let script = match c.batch.column_by_name("script") {
        Some(_) => Some(c.string("script")?),
        None => None,
    };
    let licence = c.structure("licence")?;
    let (l_spdx, l_where, l_url) = (
        field_str(licence, "spdx")?,
        field_str(licence, "found_in")?,
        field_str(licence, "url")?,
    );
    // Added in 1.1: shards of 1.0 have no snippet.
    let l_snippet = match licence.column_by_name("snippet") {
        Some(a) => Some(
            a.as_string_opt::<i32>()
                .ok_or(ColumnsError::Column("snippet"))?,
        ),
        None => None,
    };
    let consent = c.structure("consent")?;
    let c_decision = field_str(consent, "decision")?;
    let c_reasons = reasons(
        field(consent, "reasons")?
            .as_list_opt::<i32>()
            .ok_or(ColumnsError::Column("reasons"))?,
        "consent.reasons",
    )?;
    let c_evidence = field_str(consent, "evidence")?;
    let c_unchecked = consent_unchecked(consent, batch.num_rows())?;
    let quality = c.list("quality")?;
    let dedup = c.structure("dedup")?;
    let (d_cluster, d_dup) = (
        field_str(dedup, "cluster")?,
        field_str(dedup, "duplicate_of")?,
    );
    // Added in 1.5.
    let d_size = dedup
        .column_by_name("cluster_size")
        .and_then(|a| a.as_primitive_opt::<UInt64Type>());

    let mut docs = Vec::with_capacity(batch.num_rows());
    let rows = source.into_iter().zip(c_reasons).zip(c_unchecked);
    for (i, ((source, reasons), unchecked)) in rows.enumerate() {
        let items = quality.value(i);
        let items = items
            .as_struct_opt()
            .ok_or(ColumnsError::Column("quality"))?;
        let names = field_str(items, "name")?;
        let values = field(items, "value")?
            .as_primitive_opt::<Float64Type>()
            .ok_or(ColumnsError::Column("value"))?;
        let quality: BTreeMap<String, f64> = names
            .iter()
            .flatten()
            .map(str::to_string)
            .zip(values.iter().flatten())
            .collect();
        docs.push(Document {
            doc_id: doc_id.value(i).to_string(),
            url: url.value(i).to_string(),
            host: host.value(i).to_string(),
            source,
            fetched_at: time_at(fetched_at, i),
            http_status: status.is_valid(i).then(|| status.value(i)),
            content_type: opt(content_type, i),
            text: text.value(i).to_string(),
            text_hash: text_hash.value(i).to_string(),
            lang: opt(lang, i),
            lang_score: lang_score.is_valid(i).then(|| lang_score.value(i)),
            script: script.and_then(|a| opt(a, i)),
            licence: licence.is_valid(i).then(|| Licence {
                spdx: l_spdx.value(i).to_string(),
                found_in: l_where.value(i).to_string(),
                url: opt(l_url, i),
                snippet: l_snippet.and_then(|a| opt(a, i)),
            }),
            consent: Consent {
                decision: decision(c_decision.value(i), "consent.decision", i)?,
                reasons,
                evidence: crate::evidence::evidence_from_json(c_evidence.value(i)),
                unchecked,
            },
            quality,
            dedup: Dedup {
                cluster: opt(d_cluster, i),
                cluster_size: d_size.and_then(|a| a.is_valid(i).then(|| a.value(i))),
                duplicate_of: opt(d_dup, i),
            },
            pipeline_version: version.value(i).to_string(),
        });
    }
    Ok(docs)
}

/// A kept document's text and what says where it came from: what the near-dedup stages read
/// of a shard, without the columns they do not need (consent evidence above all, JSON).
#[derive(Clone, Debug, PartialEq)]
pub struct Provenance {
    pub doc_id: String,
    pub url: String,
    pub source: Source,
    pub fetched_at: Option<DateTime<Utc>>,
    pub text: String,
    pub unchecked: Vec<Unchecked>,
}

/// The top-level columns of a shard that [`provenance_from_batch`] reads.
pub const PROVENANCE_COLUMNS: [&str; 6] =
    ["doc_id", "url", "source", "fetched_at", "text", "consent"];

/// Reads [`Provenance`] back from a batch holding at least [`PROVENANCE_COLUMNS`].
pub fn provenance_from_batch(batch: &RecordBatch) -> Result<Vec<Provenance>, ColumnsError> {
    let c = Columns { batch };
    let (doc_id, url, text) = (c.string("doc_id")?, c.string("url")?, c.string("text")?);
    let source = sources(c.structure("source")?)?;
    let fetched_at = c.time("fetched_at")?;
    let consent = c.structure("consent")?;
    let unchecked_rows = consent_unchecked(consent, batch.num_rows())?;
    Ok(source
        .into_iter()
        .zip(unchecked_rows)
        .enumerate()
        .map(|(i, (source, unchecked))| Provenance {
            doc_id: doc_id.value(i).to_string(),
            url: url.value(i).to_string(),
            source,
            fetched_at: time_at(fetched_at, i),
            text: text.value(i).to_string(),
            unchecked,
        })
        .collect())
}

/// Each row's `consent.unchecked`. Added in 1.2: shards of 1.0 and 1.1 checked nothing they
/// could not say.
fn consent_unchecked(
    consent: &StructArray,
    rows: usize,
) -> Result<Vec<Vec<Unchecked>>, ColumnsError> {
    match consent.column_by_name("unchecked") {
        Some(a) => unchecked(
            a.as_list_opt::<i32>()
                .ok_or(ColumnsError::Column("consent.unchecked"))?,
        ),
        None => Ok(vec![Vec::new(); rows]),
    }
}

/// Reads ledger rows back from a batch of [`ledger_schema`].
pub fn ledger_from_batch(batch: &RecordBatch) -> Result<Vec<LedgerRow>, ColumnsError> {
    let c = Columns { batch };
    let (url, doc_id, stage, dec, evidence) = (
        c.string("url")?,
        c.string("doc_id")?,
        c.string("stage")?,
        c.string("decision")?,
        c.string("evidence")?,
    );
    let recorded_at = c.time("recorded_at")?;
    // Added in 1.4: ledgers of 1.0 to 1.3 have no words.
    let words =
        match batch.column_by_name("words") {
            Some(a) => Some(a.as_any().downcast_ref::<UInt64Array>().ok_or(
                ColumnsError::Value {
                    column: "words",
                    row: 0,
                    message: "not an unsigned 64-bit integer column".into(),
                },
            )?),
            None => None,
        };
    let source = sources(c.structure("source")?)?;
    let reasons = reasons(c.list("reasons")?, "reasons")?;
    source
        .into_iter()
        .zip(reasons)
        .enumerate()
        .map(|(i, (source, reasons))| {
            Ok(LedgerRow {
                url: opt(url, i),
                doc_id: opt(doc_id, i),
                source,
                stage: stage
                    .value(i)
                    .parse()
                    .map_err(|message| ColumnsError::Value {
                        column: "stage",
                        row: i,
                        message,
                    })?,
                decision: decision(dec.value(i), "decision", i)?,
                reasons,
                evidence: evidence.value(i).to_string(),
                recorded_at: time_at(recorded_at, i).ok_or(ColumnsError::Value {
                    column: "recorded_at",
                    row: i,
                    message: "null or out of range".into(),
                })?,
                words: words.and_then(|w| w.is_valid(i).then(|| w.value(i))),
            })
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ids::{doc_id, text_hash};
    use crate::reason::Stage;

    /// Document `i`, with a consent signal, and a licence if `with_licence` (other modules'
    /// tests use it too).
    pub(crate) fn sample(i: u64, with_licence: bool) -> Document {
        let url = format!("https://site{i}.example/page");
        Document {
            doc_id: doc_id(&url, &format!("<urn:uuid:{i}>")),
            host: format!("site{i}.example"),
            url,
            source: Source {
                kind: SourceKind::Warc,
                file: Some("a.warc.gz".into()),
                record_id: Some(format!("<urn:uuid:{i}>")),
                offset: Some(i * 1000),
            },
            fetched_at: DateTime::from_timestamp(1_700_000_000 + i as i64, 0),
            http_status: Some(200),
            content_type: Some("text/html".into()),
            text: format!("Text number {i}."),
            text_hash: text_hash(&format!("Text number {i}.")),
            lang: i.is_multiple_of(2).then(|| "en".into()),
            lang_score: i.is_multiple_of(2).then_some(0.75),
            script: i.is_multiple_of(2).then(|| "Latin".to_string()),
            licence: with_licence.then(|| Licence {
                spdx: "CC-BY-4.0".into(),
                found_in: "link-rel".into(),
                url: Some("https://creativecommons.org/licenses/by/4.0/".into()),
                snippet: (i == 2).then(|| "<link rel=\"license\" href=\"…\">".into()),
            }),
            consent: Consent {
                decision: Decision::Kept,
                reasons: if i == 1 {
                    vec![ReasonCode::DedupExact]
                } else {
                    vec![]
                },
                evidence: vec![crate::Signal::new(
                    "robots",
                    "http://s.example/robots.txt",
                    &format!("Allow: /{i}"),
                    crate::Verdict::Allow,
                )],
                unchecked: if i == 2 {
                    vec![Unchecked::Site, Unchecked::Page]
                } else {
                    vec![]
                },
            },
            quality: (0..i)
                .map(|k| (format!("signal_{k}"), k as f64 / 2.0))
                .collect(),
            dedup: Dedup {
                cluster: Some(format!("c{i}")),
                cluster_size: (i > 0).then_some(i + 1),
                duplicate_of: None,
            },
            pipeline_version: "0.1.0".into(),
        }
    }

    #[test]
    fn documents_round_trip_through_arrow() {
        let docs = vec![
            sample(0, false),
            sample(1, true),
            sample(2, true),
            sample(3, false),
        ];
        let batch = documents_to_batch(&docs).unwrap();
        assert_eq!(batch.num_rows(), 4);
        assert_eq!(
            batch.schema().metadata()[SCHEMA_VERSION_KEY],
            SCHEMA_VERSION
        );
        assert_eq!(documents_from_batch(&batch).unwrap(), docs);
    }

    /// `batch` with the field `inner` of struct column `column` taken out, as an older
    /// schema wrote it.
    fn without_field(batch: &RecordBatch, column: &str, inner: &str) -> RecordBatch {
        let idx = batch.schema().index_of(column).unwrap();
        let st = batch.column(idx).as_struct().clone();
        let (fields, arrays, nulls) = st.into_parts();
        let keep: Vec<usize> = (0..fields.len())
            .filter(|&i| fields[i].name() != inner)
            .collect();
        let old = StructArray::new(
            keep.iter().map(|&i| fields[i].clone()).collect::<Fields>(),
            keep.iter().map(|&i| arrays[i].clone()).collect(),
            nulls,
        );
        let mut schema_fields: Vec<Field> = batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        let nullable = schema_fields[idx].is_nullable();
        schema_fields[idx] = Field::new(column, old.data_type().clone(), nullable);
        let mut cols = batch.columns().to_vec();
        cols[idx] = Arc::new(old);
        RecordBatch::try_new(Arc::new(Schema::new(schema_fields)), cols).unwrap()
    }

    #[test]
    fn shards_of_schema_1_0_without_licence_snippet_still_read() {
        let docs = vec![sample(1, true), sample(2, true)];
        let batch = documents_to_batch(&docs).unwrap();
        let old_batch = without_field(&batch, "licence", "snippet");
        let back = documents_from_batch(&old_batch).unwrap();
        assert_eq!(back[0].licence.as_ref().unwrap().snippet, None);
        assert_eq!(back[1].licence.as_ref().unwrap().spdx, "CC-BY-4.0");
        assert_eq!(back[0].text, docs[0].text);
    }

    #[test]
    fn shards_of_schema_1_2_without_script_still_read() {
        let docs = vec![sample(2, true), sample(3, true)];
        assert_eq!(docs[0].script.as_deref(), Some("Latin"));
        let batch = documents_to_batch(&docs).unwrap();
        assert_eq!(
            documents_from_batch(&batch).unwrap()[0].script,
            docs[0].script
        );
        let i = batch.schema().index_of("script").unwrap();
        let mut fields: Vec<_> = batch.schema().fields().iter().cloned().collect();
        let mut columns = batch.columns().to_vec();
        fields.remove(i);
        columns.remove(i);
        let old = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap();
        let back = documents_from_batch(&old).unwrap();
        assert!(back.iter().all(|d| d.script.is_none()));
        assert_eq!(back[1].text, docs[1].text);
    }

    #[test]
    fn shards_of_schema_1_1_without_consent_unchecked_still_read() {
        let docs = vec![sample(1, true), sample(2, true)];
        assert!(!docs[1].consent.unchecked.is_empty());
        let batch = documents_to_batch(&docs).unwrap();
        let back = documents_from_batch(&without_field(&batch, "consent", "unchecked")).unwrap();
        assert!(back.iter().all(|d| d.consent.unchecked.is_empty()));
        assert_eq!(back[1].consent.evidence, docs[1].consent.evidence);
    }

    #[test]
    fn ledger_round_trips_through_arrow() {
        let src = Source {
            kind: SourceKind::Jsonl,
            file: Some("x.jsonl".into()),
            record_id: None,
            offset: Some(7),
        };
        let mut row = LedgerRow::left(
            None,
            None,
            src,
            Stage::Input,
            ReasonCode::InputMalformed,
            serde_json::json!({"line": 7}),
        );
        row.recorded_at =
            DateTime::from_timestamp_micros(row.recorded_at.timestamp_micros()).unwrap();
        let kept = LedgerRow {
            recorded_at: row.recorded_at,
            ..LedgerRow::kept(&sample(3, false), "part-0-0")
        };
        let rows = vec![row.with_words(Some(41)), kept];
        let batch = ledger_to_batch(&rows).unwrap();
        let back = ledger_from_batch(&batch).unwrap();
        assert_eq!(back, rows);
        assert_eq!(back[0].decision, Decision::Failed);
        assert_eq!(back[1].decision, Decision::Kept);
        assert_eq!((back[0].words, back[1].words), (Some(41), None));
        // A ledger of schema 1.3 has no words column: it reads, with no words.
        let i = batch.schema().index_of("words").unwrap();
        let mut old = batch.clone();
        old.remove_column(i);
        let back = ledger_from_batch(&old).unwrap();
        assert!(back.iter().all(|r| r.words.is_none()));
        assert_eq!(back[0].evidence, rows[0].evidence);
    }

    #[test]
    fn ledger_schema_has_no_text_column() {
        let schema = ledger_schema();
        assert!(schema.field_with_name("text").is_err());
        assert!(document_schema().field_with_name("text").is_ok());
    }

    #[test]
    fn unknown_reason_in_a_file_is_an_error_naming_the_column() {
        let batch = ledger_to_batch(&[LedgerRow::left(
            Some("u".into()),
            None,
            Source {
                kind: SourceKind::Crawl,
                file: None,
                record_id: None,
                offset: None,
            },
            Stage::Dedup,
            ReasonCode::DedupExact,
            serde_json::json!({}),
        )])
        .unwrap();
        // Rebuild the batch with a reason name that this version does not know.
        let mut cols = batch.columns().to_vec();
        let field = Arc::new(Field::new("item", DataType::Utf8, false));
        cols[5] = Arc::new(ListArray::new(
            field,
            OffsetBuffer::from_lengths([1]),
            Arc::new(StringArray::from(vec!["dedup.unheard-of"])),
            None,
        ));
        let bad = RecordBatch::try_new(batch.schema(), cols).unwrap();
        let err = ledger_from_batch(&bad).unwrap_err().to_string();
        assert!(
            err.contains("reasons") && err.contains("dedup.unheard-of"),
            "{err}"
        );
    }
}
