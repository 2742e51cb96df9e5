//! The bytes of a WARC file after decompression, with the knowledge the record parser needs
//! about where gzip members start.
//!
//! A WARC file is plain, one gzip member, or (the usual form, and what Common Crawl indexes
//! point into) one gzip member per record. The stream hides the difference: it yields the
//! uncompressed bytes as one sequence, reading gzip member by member with
//! `flate2::bufread::GzDecoder` (which stops exactly at the end of its member) over a reader that
//! counts the compressed bytes consumed. It remembers, for each member it opens, the
//! uncompressed position where the member's bytes begin and the compressed offset where the
//! member begins, so that a record that starts a member can be given the member's offset.
//! A record may also span members (some writers cut members at arbitrary points); the stream
//! does not care.
//!
//! A broken member (bad deflate data, truncated, bad CRC) or bytes between members that are
//! not gzip become a [`Fault`]; after the parser reports it, [`Stream::recover`] scans the
//! compressed input for the next gzip header and decoding goes on from there.
//!
//! A record whose `Content-Length` lies has swallowed the records after it; the parser hands
//! those bytes back ([`Stream::unread`]) and they are read again, before the rest of the
//! input, from the next record's start.
//!
//! Memory is one fixed buffer plus the list of member starts inside it, and bytes handed
//! back (at most one record block).

use flate2::bufread::GzDecoder;
use std::collections::VecDeque;
use std::io::{self, BufRead, Read};

/// Size of the decompressed buffer; also the longest stretch [`Stream::peek`] can look at.
pub(crate) const BUFFER_SIZE: usize = 64 * 1024;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// A place in the input the stream cannot read past as it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fault {
    /// Byte offset in the file (compressed offset for gzip input).
    pub offset: u64,
    pub message: String,
}

/// A `BufRead` that counts the bytes consumed through it.
pub(crate) struct Counting<R> {
    inner: R,
    count: u64,
}

impl<R: BufRead> Read for Counting<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(out)?;
        self.count += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.count += amt as u64;
        self.inner.consume(amt);
    }
}

enum State<R> {
    /// Not yet known whether the input is gzip.
    Fresh(Counting<R>),
    Plain(Counting<R>),
    /// Gzip input, at a member boundary.
    Between(Counting<R>),
    /// Gzip input, inside the member that starts at `start`.
    Member {
        decoder: GzDecoder<Counting<R>>,
        start: u64,
    },
    /// Stopped at a fault until [`Stream::recover`] is called.
    Broken {
        input: Counting<R>,
        fault: Fault,
        gzip: bool,
    },
    Done,
    /// Only while the state is being replaced.
    Taken,
}

/// A member start: uncompressed position of its first byte, compressed offset of its header.
#[derive(Clone, Copy, Debug)]
struct MemberStart {
    upos: u64,
    offset: u64,
}

pub(crate) struct Stream<R> {
    state: State<R>,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
    /// Uncompressed bytes produced into the buffer so far (the position of `buf[len]`).
    produced: u64,
    members: VecDeque<MemberStart>,
    gzip: bool,
    /// Bytes handed back by [`Stream::unread`], read before `buf`; `replay[rpos]` is at
    /// uncompressed position `rstart + rpos`.
    replay: Vec<u8>,
    rpos: usize,
    rstart: u64,
}

impl<R: BufRead> Stream<R> {
    pub fn new(input: R) -> Self {
        Stream {
            state: State::Fresh(Counting {
                inner: input,
                count: 0,
            }),
            buf: vec![0; BUFFER_SIZE].into_boxed_slice(),
            pos: 0,
            len: 0,
            produced: 0,
            members: VecDeque::new(),
            gzip: false,
            replay: Vec::new(),
            rpos: 0,
            rstart: 0,
        }
    }

    fn replaying(&self) -> bool {
        self.rpos < self.replay.len()
    }

    /// Uncompressed position of the next unread byte.
    pub fn position(&self) -> u64 {
        if self.replaying() {
            return self.rstart + self.rpos as u64;
        }
        self.produced - (self.len - self.pos) as u64
    }

    /// Hands back `bytes`, consumed earlier from uncompressed position `at` up to the
    /// current position: they are read again next.
    pub fn unread(&mut self, bytes: &[u8], at: u64) {
        debug_assert_eq!(at + bytes.len() as u64, self.position());
        let mut replay = bytes.to_vec();
        replay.extend_from_slice(&self.replay[self.rpos.min(self.replay.len())..]);
        self.replay = replay;
        self.rpos = 0;
        self.rstart = at;
    }

    /// Whether the input turned out to be gzip (known after the first read).
    pub fn is_gzip(&self) -> bool {
        self.gzip
    }

    /// The compressed offset of the gzip member whose first byte is the next unread byte, if
    /// one starts there. Call after [`Stream::fill_buf`] returned data at this position.
    pub fn member_starting_here(&mut self) -> Option<u64> {
        if self.replaying() {
            return None; // bytes handed back lie inside a member already read
        }
        let here = self.position();
        while self.members.front().is_some_and(|m| m.upos < here) {
            self.members.pop_front();
        }
        self.members
            .front()
            .filter(|m| m.upos == here)
            .map(|m| m.offset)
    }

    /// Buffered bytes from here to the next member start, if one lies inside the buffer and
    /// after the current position; otherwise all buffered bytes.
    pub fn bytes_before_next_member(&self) -> usize {
        if self.replaying() {
            return self.replay.len() - self.rpos;
        }
        let here = self.position();
        self.members
            .iter()
            .find(|m| m.upos > here)
            .map_or(self.len - self.pos, |m| {
                ((m.upos - here) as usize).min(self.len - self.pos)
            })
    }

    /// The buffered bytes, reading more when none are left; empty at the end of input.
    pub fn fill_buf(&mut self) -> Result<&[u8], Fault> {
        if self.replaying() {
            return Ok(&self.replay[self.rpos..]);
        }
        if self.pos == self.len {
            self.pos = 0;
            self.len = 0;
            self.read_more()?;
        }
        Ok(&self.buf[self.pos..self.len])
    }

    /// At least `n` buffered bytes (`n` ≤ [`BUFFER_SIZE`]) unless the input ends first.
    pub fn peek(&mut self, n: usize) -> Result<&[u8], Fault> {
        let n = n.min(BUFFER_SIZE);
        if self.replaying() {
            // Top the bytes handed back up from the input.
            while self.replay.len() - self.rpos < n {
                let want = n - (self.replay.len() - self.rpos);
                let more = self.peek_input(want)?;
                if more.is_empty() {
                    break;
                }
                let take = more.len().min(want);
                let bytes = more[..take].to_vec();
                self.pos += take;
                self.replay.extend_from_slice(&bytes);
            }
            return Ok(&self.replay[self.rpos..]);
        }
        self.peek_input(n)
    }

    fn peek_input(&mut self, n: usize) -> Result<&[u8], Fault> {
        while self.len - self.pos < n {
            if self.pos > 0 {
                self.buf.copy_within(self.pos..self.len, 0);
                self.len -= self.pos;
                self.pos = 0;
            }
            if self.read_more()? == 0 {
                break;
            }
        }
        Ok(&self.buf[self.pos..self.len])
    }

    /// Buffer size and member starts held: what the stream keeps in memory.
    #[cfg(test)]
    pub fn footprint(&self) -> (usize, usize) {
        (self.buf.len(), self.members.len())
    }

    pub fn consume(&mut self, n: usize) {
        if self.replaying() {
            self.rpos = (self.rpos + n).min(self.replay.len());
            if self.rpos == self.replay.len() {
                self.replay = Vec::new();
                self.rpos = 0;
            }
            return;
        }
        self.pos = (self.pos + n).min(self.len);
    }

    /// Reads into the free end of the buffer. Returns how many bytes arrived (0 at the end).
    fn read_more(&mut self) -> Result<usize, Fault> {
        if self.len == self.buf.len() {
            return Ok(0);
        }
        loop {
            match std::mem::replace(&mut self.state, State::Taken) {
                State::Fresh(mut input) => {
                    self.gzip = input.fill_buf().map(looks_like_gzip).unwrap_or(false);
                    self.state = if self.gzip {
                        State::Between(input)
                    } else {
                        State::Plain(input)
                    };
                }
                State::Plain(mut input) => {
                    let read = input.read(&mut self.buf[self.len..]);
                    let offset = input.count;
                    self.state = State::Plain(input);
                    return match read {
                        Ok(n) => Ok(self.produced_bytes(n)),
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => Err(self.fail(offset, format!("read error: {e}"))),
                    };
                }
                State::Between(input) => self.open_member(input)?,
                State::Member { mut decoder, start } => {
                    match decoder.read(&mut self.buf[self.len..]) {
                        Ok(0) => self.state = State::Between(decoder.into_inner()),
                        Ok(n) => {
                            self.state = State::Member { decoder, start };
                            return Ok(self.produced_bytes(n));
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                            self.state = State::Member { decoder, start };
                        }
                        Err(e) => {
                            let message = format!("broken gzip member at offset {start}: {e}");
                            self.state = State::Broken {
                                input: decoder.into_inner(),
                                fault: Fault {
                                    offset: start,
                                    message,
                                },
                                gzip: true,
                            };
                        }
                    }
                }
                State::Broken { input, fault, gzip } => {
                    self.state = State::Broken {
                        input,
                        fault: fault.clone(),
                        gzip,
                    };
                    return Err(fault);
                }
                State::Done | State::Taken => {
                    self.state = State::Done;
                    return Ok(0);
                }
            }
        }
    }

    fn produced_bytes(&mut self, n: usize) -> usize {
        self.len += n;
        self.produced += n as u64;
        n
    }

    /// At a member boundary: starts the next member, or ends, or faults on non-gzip bytes.
    fn open_member(&mut self, mut input: Counting<R>) -> Result<(), Fault> {
        let offset = input.count;
        let head = match input.fill_buf() {
            Ok(head) => head,
            Err(e) => return Err(self.fail(offset, format!("read error: {e}"))),
        };
        if head.is_empty() {
            self.state = State::Done;
            return Ok(());
        }
        if !looks_like_gzip(head) {
            self.state = State::Broken {
                input,
                fault: Fault {
                    offset,
                    message: format!("data that is not a gzip member at offset {offset}"),
                },
                gzip: true,
            };
            return Ok(());
        }
        // An empty member before this one started at the same position: forget it.
        if self.members.back().is_some_and(|m| m.upos == self.produced) {
            self.members.pop_back();
        }
        let here = self.position();
        while self.members.front().is_some_and(|m| m.upos < here) {
            self.members.pop_front();
        }
        self.members.push_back(MemberStart {
            upos: self.produced,
            offset,
        });
        self.state = State::Member {
            decoder: GzDecoder::new(input),
            start: offset,
        };
        Ok(())
    }

    /// Records a fault that leaves nothing to recover (an I/O error) and returns it.
    fn fail(&mut self, offset: u64, message: String) -> Fault {
        self.state = State::Done;
        Fault { offset, message }
    }

    /// After a fault: drops what is buffered and, for gzip input, moves to the next gzip header
    /// after the faulty place. Always makes progress, so a caller that recovers after each
    /// fault cannot loop forever.
    pub fn recover(&mut self) {
        self.pos = self.len;
        self.replay = Vec::new();
        self.rpos = 0;
        self.state = match std::mem::replace(&mut self.state, State::Taken) {
            State::Broken {
                input,
                fault,
                gzip: true,
            } => scan_to_gzip_header(input, fault.offset + 1),
            State::Broken { .. } => State::Done,
            other => other,
        };
    }
}

/// Whether buffered input starts like a gzip member. A buffer may hold only the first byte
/// of the magic (the rest comes with the next fill); the decoder then has the last word.
fn looks_like_gzip(head: &[u8]) -> bool {
    match head {
        [first] => *first == GZIP_MAGIC[0],
        _ => head.starts_with(&GZIP_MAGIC),
    }
}

/// Skips compressed input to the next gzip header at or after `from`.
fn scan_to_gzip_header<R: BufRead>(mut input: Counting<R>, from: u64) -> State<R> {
    const MEMBER_HEAD: [u8; 3] = [0x1f, 0x8b, 0x08];
    loop {
        let count = input.count;
        let Ok(buf) = input.fill_buf() else {
            return State::Done;
        };
        if buf.is_empty() {
            return State::Done;
        }
        let skip = from.saturating_sub(count).min(buf.len() as u64) as usize;
        let step = if skip > 0 {
            skip
        } else {
            match memchr::memmem::find(buf, &MEMBER_HEAD) {
                Some(0) => return State::Between(input),
                Some(at) => at,
                // Keep the last two bytes: they may begin a header split across buffers.
                // A header may be split between two fills of the buffer: stop at a tail
                // that could begin one, and let the decoder decide.
                None => match (1..=2).rev().find(|&k| buf.ends_with(&MEMBER_HEAD[..k])) {
                    Some(k) if k == buf.len() => return State::Between(input),
                    Some(k) => buf.len() - k,
                    None => buf.len(),
                },
            }
        };
        input.consume(step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn drain(s: &mut Stream<&[u8]>) -> (Vec<u8>, Vec<Fault>) {
        let mut out = Vec::new();
        let mut faults = Vec::new();
        loop {
            match s.fill_buf() {
                Ok([]) => return (out, faults),
                Ok(b) => {
                    let n = b.len();
                    out.extend_from_slice(b);
                    s.consume(n);
                }
                Err(f) => {
                    faults.push(f);
                    s.recover();
                }
            }
        }
    }

    #[test]
    fn plain_input_passes_through() {
        let data = b"WARC/1.1\r\nplain".repeat(10_000);
        let mut s = Stream::new(&data[..]);
        let (out, faults) = drain(&mut s);
        assert_eq!(out, data);
        assert!(faults.is_empty());
        assert!(!s.is_gzip());
    }

    #[test]
    fn members_are_joined_and_their_starts_known() {
        let a = gzip(b"first");
        let b = gzip(b"");
        let c = gzip(b"second");
        let file = [a.clone(), b.clone(), c].concat();
        let mut s = Stream::new(&file[..]);
        assert_eq!(s.peek(11).unwrap(), b"firstsecond");
        assert!(s.is_gzip());
        assert_eq!(s.member_starting_here(), Some(0));
        s.consume(5);
        // The empty member is forgotten: "second" starts the third member.
        assert_eq!(s.member_starting_here(), Some((a.len() + b.len()) as u64));
        s.consume(1);
        assert_eq!(s.member_starting_here(), None);
        assert_eq!(s.position(), 6);
    }

    #[test]
    fn broken_member_faults_then_recovers_at_next_member() {
        let a = gzip(b"good one|");
        let mut bad = gzip(&b"x".repeat(1000));
        let bad_len = bad.len();
        // From the first deflate byte on: 0xff starts a block of the reserved type 3, invalid
        // whatever encoder made the member.
        bad[10..bad_len - 8].fill(0xff);
        let c = gzip(b"good two");
        let file = [a.clone(), bad, c].concat();
        let mut s = Stream::new(&file[..]);
        let (out, faults) = drain(&mut s);
        assert_eq!(out, b"good one|good two");
        assert_eq!(faults.len(), 1);
        assert_eq!(faults[0].offset, a.len() as u64);
        assert!(
            faults[0].message.contains("broken gzip member"),
            "{}",
            faults[0].message
        );
    }

    #[test]
    fn garbage_between_members_and_truncation_fault() {
        let a = gzip(b"one");
        let c = gzip(b"two");
        let file = [
            a.clone(),
            b"garbage!".to_vec(),
            c.clone(),
            c[..c.len() - 5].to_vec(),
        ]
        .concat();
        let mut s = Stream::new(&file[..]);
        let (out, faults) = drain(&mut s);
        assert!(out.starts_with(b"onetwo"), "{out:?}");
        let offsets: Vec<u64> = faults.iter().map(|f| f.offset).collect();
        assert_eq!(
            offsets,
            vec![a.len() as u64, (a.len() + 8 + c.len()) as u64]
        );
        assert!(faults[0].message.contains("not a gzip member"));
    }
}
