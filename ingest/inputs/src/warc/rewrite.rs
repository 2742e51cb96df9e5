//! Taking records out of a WARC the pipeline wrote: the crawl's archive keeps only what the
//! job kept, so a page refused at the job's end (its licence not believed) leaves the archive
//! too. Every other record is copied byte for byte.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom};
use std::path::Path;

/// Rewrites the (gzip-per-record) WARC at `path` without the records whose `WARC-Record-ID`
/// is in `drop`, copying every other gzip member byte for byte (record ids and offsets of the
/// records before the first dropped one are unchanged). Returns how many were dropped.
pub fn drop_warc_records(path: &Path, drop: &HashSet<String>) -> io::Result<usize> {
    if drop.is_empty() {
        return Ok(0);
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let result = (|| -> io::Result<usize> {
        let len = std::fs::metadata(path)?.len();
        let mut raw = File::open(path)?;
        let mut out = BufWriter::new(File::create(&tmp)?);
        let mut dropped = 0;
        // (start offset, keep) of the record whose end is not known yet.
        let mut pending: Option<(u64, bool)> = None;
        let mut copy = |from: u64, to: u64, raw: &mut File| -> std::io::Result<()> {
            raw.seek(SeekFrom::Start(from))?;
            std::io::copy(&mut Read::by_ref(raw).take(to - from), &mut out)?;
            Ok(())
        };
        for item in crate::warc::open(path)? {
            let (offset, id) = match &item {
                Ok(r) => (r.offset, r.record_id().map(str::to_string)),
                Err(e) => (e.offset, e.record_id.clone()),
            };
            if let Some((start, keep)) = pending.take() {
                if keep && offset > start {
                    copy(start, offset, &mut raw)?;
                }
            }
            let keep = !id.is_some_and(|id| drop.contains(&id));
            dropped += usize::from(!keep);
            pending = Some((offset, keep));
        }
        if let Some((start, true)) = pending {
            copy(start, len, &mut raw)?;
        }
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        Ok(dropped)
    })();
    match result {
        Ok(n) => std::fs::rename(&tmp, path).map(|()| n).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot replace {}: {e}", path.display()))
        }),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(io::Error::new(
                e.kind(),
                format!("cannot remove refused pages from {}: {e}", path.display()),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::warc::WarcWriter;
    use chrono::Utc;

    #[test]
    fn warc_records_are_dropped_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crawl.warc.gz");
        let mut w = WarcWriter::new(Vec::new());
        w.write_warcinfo(Utc::now(), &[("software", "t")]).unwrap();
        let mut ids = Vec::new();
        for i in 0..4 {
            let body = format!("<p>page {i} secret-{i}</p>");
            let rec = w
                .write_response(
                    &format!("http://s.example/{i}"),
                    Utc::now(),
                    200,
                    &[],
                    body.as_bytes(),
                )
                .unwrap();
            ids.push(rec.record_id);
        }
        let bytes = w.into_inner();
        std::fs::write(&path, &bytes).unwrap();
        let drop: HashSet<String> = [ids[1].clone(), ids[3].clone()].into_iter().collect();
        assert_eq!(drop_warc_records(&path, &drop).unwrap(), 2);
        let records: Vec<_> = crate::warc::open(&path)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let kept: Vec<Option<&str>> = records.iter().map(|r| r.record_id()).collect();
        assert_eq!(kept.len(), 3);
        assert_eq!(kept[1], Some(ids[0].as_str()));
        assert_eq!(kept[2], Some(ids[2].as_str()));
        let all = records
            .iter()
            .map(|r| String::from_utf8_lossy(&r.block).into_owned())
            .collect::<String>();
        assert!(all.contains("secret-0") && all.contains("secret-2"));
        assert!(!all.contains("secret-1") && !all.contains("secret-3"));
        // The kept members are the original bytes.
        let after = std::fs::read(&path).unwrap();
        assert_eq!(
            after[..records[2].offset as usize],
            bytes[..records[2].offset as usize]
        );
        assert!(!dir.path().join(".crawl.warc.gz.tmp").exists());
        assert_eq!(drop_warc_records(&path, &HashSet::new()).unwrap(), 0);
    }
}
