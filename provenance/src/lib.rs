//! Provenance for the people outside a corpus: site owners, authors and auditors asking "was
//! my page, my site, my text used, under what licence, in which model?", and getting an
//! answer with a proof they can check themselves.
//!
//! - [`index`]: `DIR/index/provenance.sqlite`, built from the corpus's provenance log
//!   (`assent index`), incrementally as the log grows.
//! - [`evidence`]: the consent evidence the index holds, compressed with a dictionary.
//! - [`lookup`]: the answers (`assent query`, the service): status, reasons, consent
//!   evidence, licence, place, the training runs that read it, and the inclusion proof
//!   against the signed checkpoint.
//! - [`service`]: `assent serve`, the answers over HTTP with a page for people, and
//!   [`openapi`], its description.
//! - [`opt_out`]: opt-outs whose owners prove control of the site, into the registry the
//!   crawler reads and `assent forget` applies.
//! - [`sentences`]: how texts are cut into sentences for "did my words come in through
//!   someone else's page".

pub mod evidence;
pub mod index;
pub mod lookup;
pub mod openapi;
pub mod opt_out;
pub mod sentences;
pub mod service;

use std::path::{Path, PathBuf};

/// The runs registered with a corpus, one run directory a line, under `DIR/log/`.
pub const RUNS_FILE: &str = "runs.txt";

/// The index's layout version, in its `meta` table.
pub const INDEX_SCHEMA: &str = "assent-index/2";

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    Manifest(#[from] assent_manifests::ManifestError),
    #[error(transparent)]
    Output(#[from] assent_manifests::OutputError),
    #[error("{0}: the corpus has no provenance log (its manifest has no `log`): it was made before the log existed; run its curation again")]
    NoLog(PathBuf),
    #[error("{0}: no index: run `assent index` on the corpus first")]
    NoIndex(PathBuf),
    #[error("{0}")]
    Mismatch(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("index: {0}")]
    Sql(#[from] rusqlite::Error),
}

impl IndexError {
    fn io(path: &Path) -> impl Fn(std::io::Error) -> IndexError + '_ {
        move |source| IndexError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
