//! Text encoding detection and transcoding for table files.
//!
//! Place: sources — turns the raw bytes of a text table file into a UTF-8
//! byte stream for the CSV reader; it knows nothing about rules or cells.
//! Key decision: the encoding is decided once, from the head of the file
//! (BOM, then a UTF-16 NUL-pattern check, then UTF-8 validity, else GB18030,
//! which covers GBK/GB2312 as written by Excel on Chinese Windows), and the
//! rest of the file is streamed through a decoder that never fails: invalid
//! sequences become U+FFFD so a scan is never stopped by a bad byte. Plain
//! UTF-8 is passed through untouched, at no transcoding cost.

use std::io::Read;

use encoding_rs::{Encoding, GB18030, UTF_8, UTF_16BE, UTF_16LE};
use encoding_rs_io::DecodeReaderBytesBuilder;

/// The text encoding of a table file, as decided by [`sniff`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextEncoding {
    /// UTF-8 without a byte order mark.
    Utf8,
    /// UTF-8 starting with the byte order mark EF BB BF.
    Utf8Bom,
    /// UTF-16 little endian (with the BOM FF FE, or recognised by its NUL pattern).
    Utf16Le,
    /// UTF-16 big endian (with the BOM FE FF, or recognised by its NUL pattern).
    Utf16Be,
    /// GB18030, a superset of GBK and GB2312 (the legacy Chinese Windows code page 936).
    Gb18030,
}

impl TextEncoding {
    /// A short, stable, lower-case name for reports: `"utf-8"`, `"utf-8-bom"`,
    /// `"utf-16le"`, `"utf-16be"` or `"gb18030"`.
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Utf8Bom => "utf-8-bom",
            TextEncoding::Utf16Le => "utf-16le",
            TextEncoding::Utf16Be => "utf-16be",
            TextEncoding::Gb18030 => "gb18030",
        }
    }

    fn encoding_rs(self) -> &'static Encoding {
        match self {
            TextEncoding::Utf8 | TextEncoding::Utf8Bom => UTF_8,
            TextEncoding::Utf16Le => UTF_16LE,
            TextEncoding::Utf16Be => UTF_16BE,
            TextEncoding::Gb18030 => GB18030,
        }
    }
}

/// Minimum head length for recognising UTF-16 without a BOM.
const UTF16_MIN_HEAD: usize = 64;

/// Decides the encoding of a file from its first bytes (`head`; a few KiB
/// up to 64 KiB is a good size, any length including 0 is accepted).
///
/// Order of checks:
/// 1. A byte order mark: `EF BB BF` → [`TextEncoding::Utf8Bom`], `FF FE` →
///    [`TextEncoding::Utf16Le`], `FE FF` → [`TextEncoding::Utf16Be`].
/// 2. UTF-16 without a BOM: when `head` is at least 64 bytes long and more
///    than 40% of the bytes at odd (resp. even) offsets are NUL while fewer
///    than 5% of the other parity are → `Utf16Le` (resp. `Utf16Be`). Only
///    text with ASCII in it shows this pattern.
/// 3. If `head` is valid UTF-8, allowing an incomplete character cut at the
///    very end of `head` → [`TextEncoding::Utf8`].
/// 4. Otherwise [`TextEncoding::Gb18030`] (GBK is a subset).
///
/// A file whose head is pure ASCII is reported as UTF-8 even if non-UTF-8
/// bytes come later; those then decode as U+FFFD downstream.
pub fn sniff(head: &[u8]) -> TextEncoding {
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return TextEncoding::Utf8Bom;
    }
    if head.starts_with(&[0xFF, 0xFE]) {
        return TextEncoding::Utf16Le;
    }
    if head.starts_with(&[0xFE, 0xFF]) {
        return TextEncoding::Utf16Be;
    }
    if let Some(enc) = sniff_utf16_without_bom(head) {
        return enc;
    }
    // `simdutf8`'s check (its `compat` flavour, which tells where an
    // invalid head goes wrong as `std`'s does): a small file's head is the
    // whole file, and `std`'s check ran at well under 1 GB/s on Chinese
    // text (16% of a pinned scan of a folder of 6-12 KB files).
    match simdutf8::compat::from_utf8(head) {
        Ok(_) => TextEncoding::Utf8,
        // `error_len() == None`: the input ended inside a character that was
        // valid so far, i.e. head was cut in the middle of a character.
        Err(e) if e.error_len().is_none() => TextEncoding::Utf8,
        // A UTF-8 file with a stray bad byte (a truncated download, a
        // mis-pasted character) is still UTF-8: decoding it as GB18030
        // would garble every Chinese word in it. GBK text almost never
        // forms valid multi-byte UTF-8 sequences, so count them.
        Err(_) if mostly_utf8(head) => TextEncoding::Utf8,
        Err(_) => TextEncoding::Gb18030,
    }
}

/// True when valid multi-byte UTF-8 sequences outnumber invalid bytes at
/// least four to one.
fn mostly_utf8(head: &[u8]) -> bool {
    let (mut valid, mut invalid) = (0usize, 0usize);
    let mut rest = head;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                valid += s.bytes().filter(|b| *b >= 0xC0).count();
                break;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                valid += good.iter().filter(|b| **b >= 0xC0).count();
                match e.error_len() {
                    Some(n) => {
                        invalid += n;
                        rest = &bad[n..];
                    }
                    None => break,
                }
            }
        }
    }
    valid > 0 && valid >= invalid * 4
}

fn sniff_utf16_without_bom(head: &[u8]) -> Option<TextEncoding> {
    // With no NUL at all, neither half has many (the usual case, found
    // at memchr's speed rather than by the count below, byte by byte).
    if head.len() < UTF16_MIN_HEAD || memchr::memchr(0, head).is_none() {
        return None;
    }
    let (mut even_total, mut odd_total, mut even_nul, mut odd_nul) =
        (0usize, 0usize, 0usize, 0usize);
    for (i, &b) in head.iter().enumerate() {
        if i % 2 == 0 {
            even_total += 1;
            even_nul += usize::from(b == 0);
        } else {
            odd_total += 1;
            odd_nul += usize::from(b == 0);
        }
    }
    // Ratios compared in integers: nul/total > 40%  <=>  nul*100 > total*40.
    let many = |nul: usize, total: usize| nul * 100 > total * 40;
    let few = |nul: usize, total: usize| nul * 100 < total * 5;
    if many(odd_nul, odd_total) && few(even_nul, even_total) {
        // "A\0B\0": the high byte (odd offset) is NUL in little endian.
        Some(TextEncoding::Utf16Le)
    } else if many(even_nul, even_total) && few(odd_nul, odd_total) {
        Some(TextEncoding::Utf16Be)
    } else {
        None
    }
}

/// Wraps `r` so that reading from the result yields UTF-8 with any BOM of
/// `enc` removed.
///
/// For [`TextEncoding::Utf8`] the reader is returned unchanged (boxed, no
/// transcoding cost; invalid bytes, if any, are left for the consumer to
/// handle lossily). For every other encoding the bytes are streamed through
/// an `encoding_rs` decoder for exactly `enc` (no BOM re-sniffing), and
/// invalid sequences become U+FFFD: decoding itself never produces an
/// error, only errors of `r` are passed on.
pub fn decode<'a, R: Read + 'a>(r: R, enc: TextEncoding) -> Box<dyn Read + 'a> {
    match enc {
        TextEncoding::Utf8 => Box::new(r),
        _ => Box::new(
            DecodeReaderBytesBuilder::new()
                .encoding(Some(enc.encoding_rs()))
                .build(r),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_a_stray_byte_stays_utf8() {
        let mut text = "手机号码 13800001234，联系人张三\n".repeat(10).into_bytes();
        text.insert(10, 0xFF);
        assert_eq!(sniff(&text), TextEncoding::Utf8);
        let (gbk, _, _) =
            encoding_rs::GBK.encode("姓名,手机\n张三,13800001234\n李四,13900001234\n");
        assert_eq!(sniff(&gbk), TextEncoding::Gb18030);
    }

    fn read_all(mut r: Box<dyn Read + '_>) -> String {
        let mut s = String::new();
        r.read_to_string(&mut s).expect("decoded output is UTF-8");
        s
    }

    fn utf16le(s: &str, bom: bool) -> Vec<u8> {
        let mut v = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        v
    }

    fn utf16be(s: &str, bom: bool) -> Vec<u8> {
        let mut v = if bom { vec![0xFE, 0xFF] } else { Vec::new() };
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_be_bytes());
        }
        v
    }

    const TEXT: &str = "姓名,手机,邮箱\n张三,13800001234,zhangsan@example.com\n李四,13900001234,lisi@example.com\n";

    #[test]
    fn names() {
        assert_eq!(TextEncoding::Utf8.name(), "utf-8");
        assert_eq!(TextEncoding::Utf8Bom.name(), "utf-8-bom");
        assert_eq!(TextEncoding::Utf16Le.name(), "utf-16le");
        assert_eq!(TextEncoding::Utf16Be.name(), "utf-16be");
        assert_eq!(TextEncoding::Gb18030.name(), "gb18030");
    }

    #[test]
    fn empty_and_ascii_are_utf8() {
        assert_eq!(sniff(b""), TextEncoding::Utf8);
        assert_eq!(sniff(b"a,b\n1,2\n"), TextEncoding::Utf8);
    }

    #[test]
    fn utf8_bom() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(TEXT.as_bytes());
        assert_eq!(sniff(&bytes), TextEncoding::Utf8Bom);
        assert_eq!(read_all(decode(&bytes[..], TextEncoding::Utf8Bom)), TEXT);
    }

    #[test]
    fn plain_utf8_with_chinese() {
        assert_eq!(sniff(TEXT.as_bytes()), TextEncoding::Utf8);
        assert_eq!(read_all(decode(TEXT.as_bytes(), TextEncoding::Utf8)), TEXT);
    }

    #[test]
    fn utf8_cut_mid_character_is_still_utf8() {
        let bytes = TEXT.as_bytes();
        // "姓" is 3 bytes: cut after 1 and after 2 of them.
        assert_eq!(sniff(&bytes[..1]), TextEncoding::Utf8);
        assert_eq!(sniff(&bytes[..2]), TextEncoding::Utf8);
        // Cut inside "张" on the second line.
        let pos = TEXT.find('张').unwrap();
        assert_eq!(sniff(&bytes[..pos + 2]), TextEncoding::Utf8);
    }

    #[test]
    fn invalid_utf8_in_the_middle_is_not_utf8() {
        let mut bytes = b"abc".to_vec();
        bytes.push(0xFF);
        bytes.extend_from_slice(b"def");
        assert_eq!(sniff(&bytes), TextEncoding::Gb18030);
    }

    #[test]
    fn gbk_is_gb18030_and_decodes_back() {
        let text = "姓名,手机\n张三,13800001234";
        let (bytes, _, had_errors) = encoding_rs::GBK.encode(text);
        assert!(!had_errors);
        assert_ne!(&bytes[..], text.as_bytes());
        assert_eq!(sniff(&bytes), TextEncoding::Gb18030);
        assert_eq!(read_all(decode(&bytes[..], TextEncoding::Gb18030)), text);
    }

    #[test]
    fn gbk_head_cut_mid_character_is_gb18030() {
        let (bytes, _, _) = encoding_rs::GBK.encode(TEXT);
        assert_eq!(sniff(&bytes[..3]), TextEncoding::Gb18030);
    }

    #[test]
    fn utf16le_with_bom() {
        let bytes = utf16le(TEXT, true);
        assert_eq!(sniff(&bytes), TextEncoding::Utf16Le);
        assert_eq!(read_all(decode(&bytes[..], TextEncoding::Utf16Le)), TEXT);
    }

    #[test]
    fn utf16le_without_bom() {
        let bytes = utf16le(TEXT, false);
        assert!(bytes.len() >= 64);
        assert_eq!(sniff(&bytes), TextEncoding::Utf16Le);
        assert_eq!(read_all(decode(&bytes[..], TextEncoding::Utf16Le)), TEXT);
    }

    #[test]
    fn utf16be_with_and_without_bom() {
        let bytes = utf16be(TEXT, true);
        assert_eq!(sniff(&bytes), TextEncoding::Utf16Be);
        assert_eq!(read_all(decode(&bytes[..], TextEncoding::Utf16Be)), TEXT);
        let bytes = utf16be(TEXT, false);
        assert_eq!(sniff(&bytes), TextEncoding::Utf16Be);
        assert_eq!(read_all(decode(&bytes[..], TextEncoding::Utf16Be)), TEXT);
    }

    #[test]
    fn short_utf16_without_bom_is_not_guessed() {
        let bytes = utf16le("a,b\n", false);
        assert!(bytes.len() < 64);
        assert_eq!(sniff(&bytes), TextEncoding::Utf8);
    }

    #[test]
    fn invalid_sequences_become_replacement_characters() {
        // A lone lead byte of GBK followed by a newline, then valid text.
        let bytes = b"a,\x81\nb,c\n";
        let out = read_all(decode(&bytes[..], TextEncoding::Gb18030));
        assert!(out.contains('\u{FFFD}'));
        assert!(out.ends_with("b,c\n"));
        // An invalid byte in a UTF-8 file with BOM.
        let bytes = b"\xEF\xBB\xBFa\xFFb";
        assert_eq!(
            read_all(decode(&bytes[..], TextEncoding::Utf8Bom)),
            "a\u{FFFD}b"
        );
    }

    #[test]
    fn utf8_is_passed_through_unchanged() {
        // Even invalid bytes are left as they are for plain UTF-8.
        let bytes: &[u8] = b"a\xFFb";
        let mut out = Vec::new();
        decode(bytes, TextEncoding::Utf8)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, bytes);
    }

    /// The sniff's shortcuts (the SIMD UTF-8 check, no parity count
    /// without a NUL) decide as the checks they stand in front of, on
    /// random heads of ASCII, Chinese in UTF-8 and GBK, stray bytes and
    /// NULs, cut anywhere.
    #[test]
    fn shortcuts_decide_as_the_full_checks() {
        fn reference(head: &[u8]) -> TextEncoding {
            for (bom, enc) in [
                (&[0xEF, 0xBB, 0xBF][..], TextEncoding::Utf8Bom),
                (&[0xFF, 0xFE], TextEncoding::Utf16Le),
                (&[0xFE, 0xFF], TextEncoding::Utf16Be),
            ] {
                if head.starts_with(bom) {
                    return enc;
                }
            }
            if head.len() >= UTF16_MIN_HEAD {
                let nul = |parity: usize| {
                    let all = head.iter().skip(parity).step_by(2);
                    (all.clone().filter(|b| **b == 0).count(), all.count())
                };
                let ((en, et), (on, ot)) = (nul(0), nul(1));
                if on * 100 > ot * 40 && en * 100 < et * 5 {
                    return TextEncoding::Utf16Le;
                }
                if en * 100 > et * 40 && on * 100 < ot * 5 {
                    return TextEncoding::Utf16Be;
                }
            }
            match std::str::from_utf8(head) {
                Ok(_) => TextEncoding::Utf8,
                Err(e) if e.error_len().is_none() => TextEncoding::Utf8,
                Err(_) if mostly_utf8(head) => TextEncoding::Utf8,
                Err(_) => TextEncoding::Gb18030,
            }
        }
        let (gbk, _, _) = GB18030.encode("张三的手机号");
        let pieces: Vec<Vec<u8>> = vec![
            b"a,b 1\n".to_vec(),
            "手机号码".as_bytes().to_vec(),
            gbk.to_vec(),
            vec![0],
            b"\0A\0B".to_vec(),
            b"A\0B\0".to_vec(),
            vec![0xFF],
            vec![0xE6],
            vec![0xEF, 0xBB, 0xBF],
        ];
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        };
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..4000 {
            // Mostly one piece, some others.
            let mut head = Vec::new();
            let main = next(pieces.len());
            for _ in 0..next(120) {
                let k = if next(8) == 0 {
                    next(pieces.len())
                } else {
                    main
                };
                head.extend_from_slice(&pieces[k]);
            }
            head.truncate(head.len().saturating_sub(next(3)));
            let want = reference(&head);
            assert_eq!(sniff(&head), want, "{head:?}");
            seen.insert(want.name());
        }
        assert_eq!(seen.len(), 5, "{seen:?}");
    }
}
