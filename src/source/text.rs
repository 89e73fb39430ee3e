//! The text reader: plain text and JSON lines as bytes. It reads an input
//! in blocks of about `chunk_size` bytes and cuts each block at its last
//! line break, so one large file becomes many chunks that the driver can
//! scan on every core, in bounded memory. A line longer than a block is
//! cut at a byte that can never be part of an identifier, so no candidate
//! straddles the cut.

use super::{ChunkSink, Input, Location, ReadStats, Reader, SourceError};
use crate::chunk::Chunk;
use crate::detect::normalize::BYTE_CLASS;
use std::fs::File;
use std::io::Read;

/// How far back from a block's end to look for a safe cut in a line
/// longer than a block.
const CUT_SEARCH: usize = 4096;

/// Bytes inspected for NUL to decide that an input is binary.
const BINARY_PROBE: usize = 8192;

/// Reads inputs as lines of bytes.
#[derive(Clone, Copy, Debug)]
pub struct TextReader {
    /// Target chunk size in bytes.
    pub chunk_size: usize,
}

impl Reader for TextReader {
    fn read(&self, input: &Input, sink: &mut ChunkSink<'_>) -> Result<ReadStats, SourceError> {
        match &input.location {
            Location::File(path) => self.read_from(File::open(path)?, input, sink),
            Location::Stdin => self.read_from(std::io::stdin().lock(), input, sink),
        }
    }
}

impl TextReader {
    fn read_from<R: Read>(
        &self,
        mut r: R,
        input: &Input,
        sink: &mut ChunkSink<'_>,
    ) -> Result<ReadStats, SourceError> {
        let chunk_size = self.chunk_size.max(1);
        let mut buf: Vec<u8> = Vec::with_capacity(chunk_size);
        let (mut line, mut column, mut total) = (1u64, 1u64, 0u64);
        let mut first = true;
        loop {
            let want = chunk_size.saturating_sub(buf.len()).max(1) as u64;
            let got = (&mut r).take(want).read_to_end(&mut buf)?;
            total += got as u64;
            let eof = (got as u64) < want;
            if first {
                first = false;
                if memchr::memchr(0, &buf[..buf.len().min(BINARY_PROBE)]).is_some() {
                    return Err(SourceError::Binary);
                }
            }
            if buf.is_empty() {
                break;
            }
            let cut = if eof { buf.len() } else { find_cut(&buf) };
            let rest = buf[cut..].to_vec();
            buf.truncate(cut);
            let data = std::mem::replace(&mut buf, rest);
            let chunk = Chunk {
                path: input.display.clone(),
                first_line: line,
                first_column: column,
                data,
            };
            match memchr::memrchr(b'\n', &chunk.data) {
                Some(last) => {
                    line += memchr::memchr_iter(b'\n', &chunk.data).count() as u64;
                    column = 1 + chars(&chunk.data[last + 1..]);
                }
                None => column += chars(&chunk.data),
            }
            if !sink(chunk) {
                return Err(SourceError::Stopped);
            }
            if eof && buf.is_empty() {
                break;
            }
        }
        Ok(ReadStats { bytes: total })
    }
}

/// Where to end a chunk: after the last line break, else after the last
/// byte that breaks every run (ASCII punctuation or control), else at a
/// character boundary.
fn find_cut(buf: &[u8]) -> usize {
    if let Some(nl) = memchr::memrchr(b'\n', buf) {
        return nl + 1;
    }
    let floor = buf.len().saturating_sub(CUT_SEARCH);
    if let Some(p) = (floor..buf.len())
        .rev()
        .find(|&i| BYTE_CLASS[buf[i] as usize] == 0)
    {
        return p + 1;
    }
    let mut p = buf.len();
    while p > floor && p > 0 && (buf[p - 1] as i8) < -0x40 {
        p -= 1; // back off UTF-8 continuation bytes
    }
    if p > 0 && buf[p - 1] >= 0xC0 {
        p -= 1; // and the lead byte of the cut character
    }
    if p == 0 {
        buf.len()
    } else {
        p
    }
}

fn chars(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn chunks(data: &[u8], chunk_size: usize) -> Vec<Chunk> {
        let input = Input {
            location: Location::Stdin,
            display: Arc::from("t"),
            size: None,
        };
        let mut out = Vec::new();
        TextReader { chunk_size }
            .read_from(data, &input, &mut |c| {
                out.push(c);
                true
            })
            .unwrap();
        out
    }

    #[test]
    fn cuts_at_line_breaks_and_counts_lines() {
        let data = b"aaa\nbbb\nccc\nddd\n";
        let cs = chunks(data, 6);
        let joined: Vec<u8> = cs.iter().flat_map(|c| c.data.clone()).collect();
        assert_eq!(joined, data);
        for c in &cs {
            assert!(c.data.ends_with(b"\n"));
        }
        assert_eq!(cs[1].first_line, 2);
    }

    #[test]
    fn long_line_cut_outside_identifiers() {
        let line = "手机:13800001234,".repeat(50);
        let cs = chunks(line.as_bytes(), 64);
        assert!(cs.len() > 1);
        let joined: Vec<u8> = cs.iter().flat_map(|c| c.data.clone()).collect();
        assert_eq!(joined, line.as_bytes());
        for c in &cs {
            assert!(std::str::from_utf8(&c.data).is_ok());
            assert!(!c.data.last().unwrap().is_ascii_digit());
        }
        assert!(cs[1].first_column > 1);
    }

    #[test]
    fn binary_is_refused() {
        let input = Input {
            location: Location::Stdin,
            display: Arc::from("t"),
            size: None,
        };
        let r = TextReader { chunk_size: 64 }.read_from(&b"ab\0cd"[..], &input, &mut |_| true);
        assert!(matches!(r, Err(SourceError::Binary)));
    }

    #[test]
    fn empty_input_has_no_chunk() {
        assert!(chunks(b"", 64).is_empty());
    }
}
