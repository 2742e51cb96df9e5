//! The record parser: version line, named fields, exactly `Content-Length` bytes of block, the
//! closing CRLF CRLF; and what to do when any of these is not there.
//!
//! After an error the reader resynchronises before the next record:
//! - a fault in the compressed input (broken gzip member, bytes that are not gzip): go to the
//!   next gzip header ([`Stream::recover`]);
//! - anything else (a bad version line, a missing or invalid `Content-Length`, garbage between
//!   records, a block not followed by CRLF CRLF): go to the next line that starts with `WARC/`,
//!   or to the next gzip member start, whichever comes first.
//!
//! A record whose `Content-Length` lies (longer than the record, or absurdly large) costs that
//! record alone:
//! - in a file compressed per record, a block never runs on into a gzip member that begins
//!   with a WARC version line: the record is reported and reading resumes at that member;
//! - in a plain or whole-file-compressed file, a block that is not followed by CRLF CRLF, or
//!   that the file ends inside, is searched for a line that begins a WARC record, and reading
//!   resumes there (the bytes are handed back to the stream). A block larger than the limit
//!   is skipped the same way, keeping at most the limit's worth of bytes from the first such
//!   line on.
//!
//! A line inside a block that merely looks like a record start is never taken for one while
//! the block's length checks out.
//!
//! A few liberties are taken with the format, each seen in real archives: lines may end in LF
//! alone; blank lines between records are skipped; a block followed by fewer than two line
//! ends (or by the end of a gzip member or of the file) is accepted.

use super::stream::{Fault, Stream, BUFFER_SIZE};
use super::{WarcError, WarcRecord, MAX_RECORD_BLOCK};
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

/// The most bytes a record header (version line and fields) may take.
const MAX_HEADER_BYTES: usize = 1024 * 1024;

/// Versions read. 0.17 and 0.18 predate the ISO standard but lay records out the same way;
/// ClueWeb09 is written in 0.18.
const VERSIONS: [&str; 4] = ["1.0", "1.1", "0.18", "0.17"];

/// Opens a WARC file, plain or gzip, for reading record by record.
pub fn open(path: &Path) -> io::Result<WarcReader<Box<dyn BufRead + Send>>> {
    let file = File::open(path)?;
    Ok(WarcReader::new(Box::new(BufReader::with_capacity(
        256 * 1024,
        file,
    ))))
}

/// Reads WARC records one at a time from plain or gzip input.
pub struct WarcReader<R> {
    stream: Stream<R>,
    max_block: u64,
    recovery: Recovery,
    done: bool,
}

/// How to find the next record after an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Recovery {
    None,
    /// The compressed input is broken: skip to the next gzip header.
    Stream,
    /// Skip to the next line starting `WARC/` (or gzip member); `at_line_start` says whether
    /// the current position begins a line, `skip_one` that the byte here is known bad.
    Scan {
        at_line_start: bool,
        skip_one: bool,
    },
}

/// A failed record: the error to report and how to go on.
struct Failure {
    error: WarcError,
    recovery: Recovery,
}

impl Failure {
    fn new(offset: u64, message: impl Into<String>, recovery: Recovery) -> Self {
        Failure {
            error: WarcError::at(offset, message),
            recovery,
        }
    }

    fn fault(offset: u64, what: &str, fault: Fault) -> Self {
        let message = format!("{what}: {}", fault.message);
        Failure::new(offset, message, Recovery::Stream)
    }

    fn of_record(mut self, header: &Header) -> Self {
        self.error.record_id = header.field("WARC-Record-ID").map(str::to_string);
        self.error.target_uri = header.field("WARC-Target-URI").map(str::to_string);
        self
    }
}

struct Header {
    version: String,
    fields: Vec<(String, String)>,
}

impl Header {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl<R: BufRead> WarcReader<R> {
    pub fn new(input: R) -> Self {
        WarcReader {
            stream: Stream::new(input),
            max_block: MAX_RECORD_BLOCK,
            recovery: Recovery::None,
            done: false,
        }
    }

    /// Sets the largest block read into memory (default [`MAX_RECORD_BLOCK`]).
    pub fn with_max_block(mut self, max_block: u64) -> Self {
        self.max_block = max_block;
        self
    }

    /// Whether the input is gzip (known once the first record has been read).
    pub fn is_gzip(&self) -> bool {
        self.stream.is_gzip()
    }

    /// Buffer size and member starts held, for tests of memory use.
    #[cfg(test)]
    pub(crate) fn footprint(&self) -> (usize, usize) {
        self.stream.footprint()
    }

    fn recover(&mut self) -> Result<(), Failure> {
        match std::mem::replace(&mut self.recovery, Recovery::None) {
            Recovery::None => Ok(()),
            Recovery::Stream => {
                self.stream.recover();
                Ok(())
            }
            Recovery::Scan {
                at_line_start,
                skip_one,
            } => self.scan_for_record(at_line_start, skip_one),
        }
    }

    /// Moves to the next line that starts with `WARC/`, or to the next gzip member start.
    fn scan_for_record(&mut self, mut at_line_start: bool, skip_one: bool) -> Result<(), Failure> {
        let fault = |f: Fault| Failure::fault(f.offset, "while looking for the next record", f);
        if skip_one {
            self.stream.fill_buf().map_err(fault)?;
            self.stream.consume(1);
            at_line_start = false;
        }
        loop {
            let head = self.stream.peek(5).map_err(fault)?;
            if head.is_empty() {
                return Ok(());
            }
            if head.starts_with(b"WARC/")
                && (at_line_start || self.stream.member_starting_here().is_some())
            {
                return Ok(());
            }
            // Consume up to the end of this line, or to the next member start if nearer.
            let limit = self.stream.bytes_before_next_member().max(1);
            let buf = self.stream.fill_buf().map_err(fault)?;
            let limit = limit.min(buf.len());
            match memchr::memchr(b'\n', &buf[..limit]) {
                Some(nl) => {
                    self.stream.consume(nl + 1);
                    at_line_start = true;
                }
                None => {
                    self.stream.consume(limit);
                    at_line_start = false;
                }
            }
        }
    }

    /// Reads the next record, `None` at the end of input.
    fn read_record(&mut self) -> Result<Option<WarcRecord>, Failure> {
        if !self.skip_blank_lines()? {
            return Ok(None);
        }
        let start = self.stream.position();
        let offset = self.stream.member_starting_here().unwrap_or(start);
        let header = self.read_header(offset)?;
        let length = content_length(&header).map_err(|m| {
            let scan = Recovery::Scan {
                at_line_start: true,
                skip_one: false,
            };
            Failure::new(offset, m, scan).of_record(&header)
        })?;
        if length > self.max_block {
            let tail = self
                .skip_block(offset, length)
                .map_err(|(f, tail)| self.resync(f, tail).of_record(&header))?;
            if let Err(f) = self.expect_record_end(offset, length) {
                return Err(self.resync(f, tail).of_record(&header));
            }
            let message = format!(
                "record block of {length} bytes is larger than the {} byte limit; skipped",
                self.max_block
            );
            return Err(Failure::new(offset, message, Recovery::None).of_record(&header));
        }
        let block_start = self.stream.position();
        let block = self.read_block(offset, length).map_err(|(f, block)| {
            let tail =
                first_record_line(&block).map(|i| (block_start + i as u64, block[i..].to_vec()));
            self.resync(f, tail).of_record(&header)
        })?;
        if let Err(f) = self.expect_record_end(offset, length) {
            let tail =
                first_record_line(&block).map(|i| (block_start + i as u64, block[i..].to_vec()));
            return Err(self.resync(f, tail).of_record(&header));
        }
        Ok(Some(WarcRecord {
            offset,
            version: header.version,
            fields: header.fields,
            block,
        }))
    }

    /// Skips CR and LF bytes; false at the end of input.
    fn skip_blank_lines(&mut self) -> Result<bool, Failure> {
        loop {
            let buf = self
                .stream
                .fill_buf()
                .map_err(|f| Failure::fault(f.offset, "unreadable input", f))?;
            if buf.is_empty() {
                return Ok(false);
            }
            let blank = buf
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
            if blank < buf.len() {
                self.stream.consume(blank);
                return Ok(true);
            }
            let n = buf.len();
            self.stream.consume(n);
        }
    }

    fn read_header(&mut self, offset: u64) -> Result<Header, Failure> {
        let head = self
            .stream
            .peek(5)
            .map_err(|f| Failure::fault(offset, "unreadable record header", f))?;
        if !head.starts_with(b"WARC/") {
            let found = String::from_utf8_lossy(&head[..head.len().min(5)]).into_owned();
            let scan = Recovery::Scan {
                at_line_start: false,
                skip_one: true,
            };
            let message = format!("expected a WARC version line, found {found:?}…");
            return Err(Failure::new(offset, message, scan));
        }
        let mut budget = MAX_HEADER_BYTES;
        let version_line = self.read_line(offset, &mut budget)?;
        let version = parse_version(&version_line).ok_or_else(|| {
            let line =
                String::from_utf8_lossy(&version_line[..version_line.len().min(40)]).into_owned();
            let scan = Recovery::Scan {
                at_line_start: true,
                skip_one: false,
            };
            Failure::new(
                offset,
                format!("unsupported WARC version line {line:?}"),
                scan,
            )
        })?;
        let fields = self.read_fields(offset, &mut budget)?;
        Ok(Header { version, fields })
    }

    fn read_fields(
        &mut self,
        offset: u64,
        budget: &mut usize,
    ) -> Result<Vec<(String, String)>, Failure> {
        let mut fields: Vec<(String, String)> = Vec::new();
        loop {
            let line = self.read_line(offset, budget)?;
            if line.is_empty() {
                return Ok(fields);
            }
            let text = String::from_utf8_lossy(&line);
            if line[0] == b' ' || line[0] == b'\t' {
                // A folded continuation of the previous field's value.
                if let Some((_, value)) = fields.last_mut() {
                    value.push(' ');
                    value.push_str(text.trim());
                    continue;
                }
            }
            match text.split_once(':') {
                Some((name, value)) if is_field_name(name.trim()) => {
                    fields.push((name.trim().to_string(), value.trim().to_string()));
                }
                _ => {
                    let shown: String = text.chars().take(60).collect();
                    let scan = Recovery::Scan {
                        at_line_start: true,
                        skip_one: false,
                    };
                    return Err(Failure::new(
                        offset,
                        format!("malformed header line {shown:?}"),
                        scan,
                    ));
                }
            }
        }
    }

    /// Reads one line without its line end. A header that ends before its blank line, or that
    /// is longer than the budget, is an error.
    fn read_line(&mut self, offset: u64, budget: &mut usize) -> Result<Vec<u8>, Failure> {
        let mut line = Vec::new();
        loop {
            let buf = self
                .stream
                .fill_buf()
                .map_err(|f| Failure::fault(offset, "record header cut short", f))?;
            if buf.is_empty() {
                let scan = Recovery::Scan {
                    at_line_start: false,
                    skip_one: false,
                };
                return Err(Failure::new(
                    offset,
                    "file ends inside a record header",
                    scan,
                ));
            }
            let (take, complete) = match memchr::memchr(b'\n', buf) {
                Some(nl) => (nl + 1, true),
                None => (buf.len(), false),
            };
            if take > *budget {
                let scan = Recovery::Scan {
                    at_line_start: false,
                    skip_one: false,
                };
                let message = format!("record header longer than {MAX_HEADER_BYTES} bytes");
                return Err(Failure::new(offset, message, scan));
            }
            *budget -= take;
            line.extend_from_slice(&buf[..take]);
            self.stream.consume(take);
            if complete {
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
        }
    }

    /// Reads `length` bytes of block. On failure, also returns what was read.
    fn read_block(&mut self, offset: u64, length: u64) -> Result<Vec<u8>, (Failure, Vec<u8>)> {
        // Never trust a length for an allocation: grow as bytes actually arrive.
        let mut block = Vec::with_capacity(length.min(BUFFER_SIZE as u64 * 4) as usize);
        let mut left = length;
        while left > 0 {
            let take = match self.next_block_bytes(offset, length, left) {
                Ok(take) => take,
                Err(f) => return Err((f, block)),
            };
            let buf = self.stream.fill_buf().expect("filled by next_block_bytes");
            block.extend_from_slice(&buf[..take]);
            self.stream.consume(take);
            left -= take as u64;
        }
        Ok(block)
    }

    /// Skips `length` bytes of block, keeping the bytes from the first line inside it that
    /// begins a record (at most `max_block` of them), in case the length turns out wrong.
    fn skip_block(&mut self, offset: u64, length: u64) -> Result<Tail, (Failure, Tail)> {
        let mut left = length;
        let mut tail: Tail = None;
        let mut after_newline = false;
        while left > 0 {
            let take = match self.next_block_bytes(offset, length, left) {
                Ok(take) => take,
                Err(f) => return Err((f, tail)),
            };
            let here = self.stream.position();
            let buf = self.stream.fill_buf().expect("filled by next_block_bytes");
            let chunk = &buf[..take];
            match &mut tail {
                Some((_, kept)) if kept.len() + chunk.len() <= self.max_block as usize => {
                    kept.extend_from_slice(chunk)
                }
                _ => {
                    // None yet, or the one kept grew past the limit: look for (another) one.
                    tail = None;
                    let start = if after_newline && starts_record(chunk) {
                        Some(0)
                    } else {
                        first_record_line(chunk)
                    };
                    if let Some(i) = start {
                        tail = Some((here + i as u64, chunk[i..].to_vec()));
                    }
                }
            }
            after_newline = chunk.last() == Some(&b'\n');
            self.stream.consume(take);
            left -= take as u64;
        }
        Ok(tail)
    }

    /// How many of the buffered bytes the block may take next (at least one is buffered).
    /// Fails when the input ends, or when a gzip member begins inside the block with a WARC
    /// version line: the length ran past its own record, and the next one starts here.
    fn next_block_bytes(&mut self, offset: u64, length: u64, left: u64) -> Result<usize, Failure> {
        let avail = self
            .stream
            .fill_buf()
            .map_err(|f| Failure::fault(offset, "record block cut short", f))?
            .len();
        if avail == 0 {
            return Err(truncated(offset, length, length - left));
        }
        if left < length {
            if let Some(member) = self.stream.member_starting_here() {
                let head = self
                    .stream
                    .peek(12)
                    .map_err(|f| Failure::fault(offset, "record block cut short", f))?;
                if starts_record(head) {
                    let message = format!(
                        "Content-Length {length} runs past the end of the record into the next one (at offset {member}); the length is wrong"
                    );
                    return Err(Failure::new(offset, message, Recovery::None));
                }
            }
        }
        let avail = self.stream.fill_buf().map_or(0, <[u8]>::len);
        let to_member = self.stream.bytes_before_next_member().max(1);
        Ok(avail
            .min(to_member)
            .min(left.min(usize::MAX as u64) as usize))
    }

    /// After a block whose length proved wrong: when a record starts inside what was read
    /// (`tail`: its position and the bytes from there on), hands those bytes back so that
    /// reading resumes at it; the failure then says so.
    fn resync(&mut self, failure: Failure, tail: Tail) -> Failure {
        let Some((at, bytes)) = tail else {
            return failure;
        };
        if failure.recovery == Recovery::Stream {
            return failure; // the input itself is broken there: recover the stream instead
        }
        self.stream.unread(&bytes, at);
        let mut failure = failure;
        failure.error.message = format!(
            "{}; the next record begins at offset {at}",
            failure.error.message
        );
        failure.recovery = Recovery::None;
        failure
    }

    /// Consumes the CRLF CRLF after a block. Accepts fewer line ends, or none at the end of the
    /// input or of a gzip member; anything else means the Content-Length is wrong.
    fn expect_record_end(&mut self, offset: u64, length: u64) -> Result<(), Failure> {
        let tail = self
            .stream
            .peek(4)
            .map_err(|f| Failure::fault(offset, "record end cut short", f))?;
        if tail.starts_with(b"\r\n\r\n") {
            self.stream.consume(4);
            return Ok(());
        }
        let line_ends = tail
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        if tail.is_empty() || line_ends > 0 || self.stream.member_starting_here().is_some() {
            self.stream.consume(line_ends);
            return Ok(());
        }
        let scan = Recovery::Scan {
            at_line_start: false,
            skip_one: false,
        };
        let message = format!(
            "block of Content-Length {length} is not followed by CRLF CRLF; the length is wrong"
        );
        Err(Failure::new(offset, message, scan))
    }
}

impl<R: BufRead> Iterator for WarcReader<R> {
    type Item = Result<WarcRecord, WarcError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let result = self.recover().and_then(|()| self.read_record());
        match result {
            Ok(Some(record)) => Some(Ok(record)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(failure) => {
                self.recovery = failure.recovery;
                Some(Err(failure.error))
            }
        }
    }
}

/// A position in the stream and the bytes from there on.
type Tail = Option<(u64, Vec<u8>)>;

/// Whether `bytes` begin with a WARC version line the reader knows.
fn starts_record(bytes: &[u8]) -> bool {
    let line_end = memchr::memchr(b'\n', bytes).unwrap_or(bytes.len());
    let line = bytes[..line_end]
        .strip_suffix(b"\r")
        .unwrap_or(&bytes[..line_end]);
    bytes.starts_with(b"WARC/") && (line_end == bytes.len() || parse_version(line).is_some())
}

/// The index of the first line of `block` (not its first byte) that begins a WARC record.
fn first_record_line(block: &[u8]) -> Option<usize> {
    memchr::memmem::find_iter(block, b"\nWARC/")
        .map(|i| i + 1)
        .find(|&i| starts_record(&block[i..]))
}

fn truncated(offset: u64, length: u64, got: u64) -> Failure {
    let message =
        format!("file ends inside the record block: Content-Length {length}, {got} bytes present");
    Failure::new(offset, message, Recovery::None)
}

fn parse_version(line: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(line).ok()?.trim();
    let version = text.strip_prefix("WARC/")?;
    VERSIONS.contains(&version).then(|| version.to_string())
}

fn content_length(header: &Header) -> Result<u64, String> {
    let raw = header
        .field("Content-Length")
        .ok_or_else(|| "record has no Content-Length".to_string())?;
    raw.trim()
        .parse::<u64>()
        .map_err(|_| format!("invalid Content-Length {raw:?}"))
}

/// A field name is an HTTP token: visible ASCII without separators.
fn is_field_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
}
