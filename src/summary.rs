//! The one-screen summary printed at the end of a run.

use assent_manifests::CorpusManifest;
use assent_schemas::{Decision, ReasonCode, Unchecked};
use std::fmt::Write;

/// Records in, kept, refused, dropped and failed by reason, shards written, seconds.
pub fn curation(manifest: &CorpusManifest, out: &std::path::Path) -> String {
    let c = &manifest.counts;
    let mut s = String::new();
    let _ = writeln!(s, "assent {} — {}", manifest.command, out.display());
    let _ = writeln!(s, "  inputs        {:>10} files", manifest.inputs.len());
    let _ = writeln!(s, "  records in    {:>10}", c.records);
    for decision in Decision::ALL {
        let n = c.decision(decision);
        let _ = writeln!(s, "  {:<13} {:>10}", decision.as_str(), n);
        if decision == Decision::Kept {
            continue;
        }
        for code in ReasonCode::ALL.iter().filter(|r| r.decision() == decision) {
            if let Some(n) = c.by_reason.get(code.as_str()) {
                let _ = writeln!(s, "    {:<28} {:>6}", code.as_str(), n);
            }
        }
    }
    let consent = &manifest.consent;
    if consent.site_signals == "archive" || consent.site_signals == "live" {
        let _ = writeln!(
            s,
            "  site signals  {:>10}  (robots.txt of {} origins archived, {} site files)",
            consent.site_signals, consent.archived_robots_origins, consent.archived_site_files
        );
    }
    if consent.unchecked_kept > 0 {
        let _ = writeln!(
            s,
            "  kept, consent unchecked {:>4}  (site {}, page {}; [consent] unchecked = {})",
            consent.unchecked_kept,
            consent.unchecked(Unchecked::Site),
            consent.unchecked(Unchecked::Page),
            consent.unchecked_policy
        );
    }
    let rows: u64 = manifest.shards.iter().map(|f| f.rows).sum();
    let bytes: u64 = manifest.shards.iter().map(|f| f.bytes).sum();
    let _ = writeln!(
        s,
        "  shards        {:>10} files, {} rows, {:.1} MiB",
        manifest.shards.len(),
        rows,
        bytes as f64 / (1 << 20) as f64
    );
    let _ = writeln!(s, "  ledger        {:>10} files", manifest.ledger.len());
    if let Some(log) = &manifest.log {
        let _ = writeln!(
            s,
            "  log           {:>10} kept leaves, {} refused; checkpoints signed as {}",
            log.kept.size, log.refused.size, log.origin
        );
    }
    let rate = if manifest.seconds > 0.0 {
        c.records as f64 / manifest.seconds
    } else {
        0.0
    };
    let _ = writeln!(
        s,
        "  seconds       {:>10.2}  ({rate:.0} records/s)",
        manifest.seconds
    );
    s
}
