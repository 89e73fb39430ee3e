//! Keyed fingerprints. A bare SHA-256 of an 11-digit mobile number is
//! reversed by brute force in seconds, so fingerprints are always
//! HMAC-SHA256 under a key the user controls (`--fingerprint-key` or
//! `LEAKSWEEP_FINGERPRINT_KEY`). Without one, a documented built-in key is
//! used and the run says so on stderr: such fingerprints are stable across
//! runs but offer no secrecy against someone who has read the README.
//!
//! Key decision: the HMAC of a short value (nearly all: a kind's name and
//! an identifier) is computed straight on SHA-256's compression function,
//! from the two states the key leaves after its inner and outer pad
//! blocks, with the message padded in a block or two on the stack: two
//! compressions per finding, as the `hmac` crate does, without cloning and
//! finalising its buffered state (about 300 bytes copied twice, and the
//! buffer bookkeeping). On the 30 MB directory CSV of the benchmark corpus
//! (half a million findings) that bookkeeping was about 3% of a `-j1`
//! scan (perf, 2026-12). A longer message goes through the `hmac` crate;
//! a test checks the two agree on messages of every length around the
//! block boundaries.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use sha2::digest::generic_array::GenericArray;

/// The built-in key used when the user gives none. Public by design; see
/// the module docs and the README.
pub const BUILTIN_KEY: &str = "leaksweep-builtin-fingerprint-key-v1";

/// Where the key in use came from; reported in JSON and SARIF output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// `--fingerprint-key`.
    Flag,
    /// `LEAKSWEEP_FINGERPRINT_KEY`.
    Env,
    /// [`BUILTIN_KEY`].
    Builtin,
}

impl KeySource {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            KeySource::Flag => "flag",
            KeySource::Env => "env",
            KeySource::Builtin => "builtin",
        }
    }
}

/// A prepared HMAC key: cloning the initialised state is cheaper than
/// re-keying for every finding.
#[derive(Clone)]
pub struct FingerprintKey {
    /// The keyed HMAC, for messages too long for [`FingerprintKey::short`].
    mac: Hmac<Sha256>,
    /// SHA-256 state after the block `key ^ ipad`.
    inner: [u32; 8],
    /// SHA-256 state after the block `key ^ opad`.
    outer: [u32; 8],
    source: KeySource,
}

/// SHA-256's initial state (FIPS 180-4, 5.3.3).
const IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// Longest message (kind, a zero byte, value) [`FingerprintKey::short`]
/// takes: with the `0x80` byte and the 8-byte length, two blocks.
const SHORT: usize = 128 - 9;

/// Compresses one 64-byte block into `state`.
fn compress(state: &mut [u32; 8], block: &[u8; 64]) {
    sha2::compress256(state, std::slice::from_ref(GenericArray::from_slice(block)));
}

/// The digest a SHA-256 `state` stands for: its words, big-endian.
fn digest_of(state: &[u32; 8]) -> [u8; 32] {
    let mut digest = [0u8; 32];
    for (word, b) in state.iter().zip(digest.chunks_exact_mut(4)) {
        b.copy_from_slice(&word.to_be_bytes());
    }
    digest
}

/// `state` after the key block `key ^ pad` (the key hashed first when
/// longer than a block, then zero-padded, as RFC 2104 says).
fn keyed(key: &[u8], pad: u8) -> [u32; 8] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        use sha2::Digest;
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    for b in &mut block {
        *b ^= pad;
    }
    let mut state = IV;
    compress(&mut state, &block);
    state
}

impl std::fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key itself.
        f.debug_struct("FingerprintKey")
            .field("source", &self.source)
            .finish()
    }
}

impl FingerprintKey {
    /// Builds a key from its bytes and records where it came from.
    pub fn new(key: &[u8], source: KeySource) -> Self {
        let mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
        FingerprintKey {
            mac,
            inner: keyed(key, 0x36),
            outer: keyed(key, 0x5c),
            source,
        }
    }

    /// The built-in, publicly documented key.
    pub fn builtin() -> Self {
        Self::new(BUILTIN_KEY.as_bytes(), KeySource::Builtin)
    }

    /// Where this key came from.
    pub fn source(&self) -> KeySource {
        self.source
    }

    /// Hex HMAC-SHA256 of `kind` and the normalized value. The kind is
    /// mixed in so that the same digits found as two kinds (a number that
    /// is both an account and a card) do not collide across kinds by
    /// accident, while the same value of one kind always gives the same
    /// fingerprint across files and runs.
    pub fn fingerprint(&self, kind: &str, normalized: &[u8]) -> String {
        let mut out = String::with_capacity(64);
        self.fingerprint_into(kind, normalized, &mut out);
        out
    }

    /// [`FingerprintKey::fingerprint`], written over `out`: the detector
    /// writes each finding's fingerprint into a string it reuses.
    pub fn fingerprint_into(&self, kind: &str, normalized: &[u8], out: &mut String) {
        out.clear();
        match self.short(kind.as_bytes(), normalized) {
            Some(digest) => to_hex(&digest, out),
            None => to_hex(&self.long(kind.as_bytes(), normalized), out),
        }
    }

    /// The HMAC of `kind`, a zero byte and `normalized` by the `hmac`
    /// crate.
    fn long(&self, kind: &[u8], normalized: &[u8]) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(kind);
        mac.update(&[0]);
        mac.update(normalized);
        mac.finalize().into_bytes().into()
    }

    /// The same HMAC on the compression function, or `None` when the
    /// message is longer than [`SHORT`]. The inner hash continues the
    /// inner key state over the message and its padding (`0x80`, zeros,
    /// the bit length of key block and message, big-endian, in the last
    /// 8 bytes); the outer hash continues the outer key state over the
    /// inner digest, padded the same way in one block.
    fn short(&self, kind: &[u8], normalized: &[u8]) -> Option<[u8; 32]> {
        let len = kind.len() + 1 + normalized.len();
        if len > SHORT {
            return None;
        }
        let mut buf = [0u8; 128];
        buf[..kind.len()].copy_from_slice(kind);
        buf[kind.len() + 1..len].copy_from_slice(normalized);
        buf[len] = 0x80;
        let blocks = if len + 9 <= 64 { 1 } else { 2 };
        let bits = ((64 + len) as u64 * 8).to_be_bytes();
        buf[blocks * 64 - 8..blocks * 64].copy_from_slice(&bits);
        let mut state = self.inner;
        for block in buf[..blocks * 64].chunks_exact(64) {
            compress(&mut state, block.try_into().ok()?);
        }
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&digest_of(&state));
        block[32] = 0x80;
        block[56..].copy_from_slice(&((64 + 32) as u64 * 8).to_be_bytes());
        let mut state = self.outer;
        compress(&mut state, &block);
        Some(digest_of(&state))
    }
}

/// Appends the lower-case hex of `bytes`, as `hex::encode` writes it:
/// sixteen bytes at a time with SSE2 (part of every x86-64 CPU, so no
/// run-time choice), the rest through [`to_hex_table`].
/// Key decision: the digits go into a buffer on the stack and into `out`
/// in one piece, without checking them as UTF-8 again (they are ASCII by
/// construction). The table's two look-ups and stores per byte and the
/// check of the buffer were about 2% of a scan of a directory export
/// (callgrind, one fingerprint per finding); a test checks the two ways
/// agree with the `hex` crate.
fn to_hex(bytes: &[u8], out: &mut String) {
    #[cfg(target_arch = "x86_64")]
    {
        let mut blocks = bytes.chunks_exact(16);
        let mut buf = [0u8; 64];
        loop {
            let mut len = 0;
            // The buffer first: `zip` asks it for room before taking a
            // block, so no block is taken and then dropped.
            for (dst, block) in buf.chunks_exact_mut(32).zip(blocks.by_ref()) {
                // SAFETY: SSE2 is part of x86-64: every CPU that runs this
                // has it.
                let hex = unsafe { hex16(block) };
                dst.copy_from_slice(&hex);
                len += 32;
            }
            if len == 0 {
                break;
            }
            debug_assert!(buf[..len].is_ascii());
            // SAFETY: `hex16` writes hex digits only, which are ASCII:
            // the string stays UTF-8.
            unsafe { out.as_mut_vec() }.extend_from_slice(&buf[..len]);
        }
        to_hex_table(blocks.remainder(), out);
    }
    #[cfg(not(target_arch = "x86_64"))]
    to_hex_table(bytes, out);
}

/// The lower-case hex digits of sixteen bytes (`block` holds exactly 16):
/// each byte's nibbles side by side (the high one first), each nibble
/// made a digit by adding `'0'`, and `'a' - '0' - 10` more above nine.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn hex16(block: &[u8]) -> [u8; 32] {
    use std::arch::x86_64::{
        __m128i, _mm_add_epi8, _mm_and_si128, _mm_cmpgt_epi8, _mm_loadu_si128, _mm_set1_epi8,
        _mm_srli_epi16, _mm_storeu_si128, _mm_unpackhi_epi8, _mm_unpacklo_epi8,
    };
    /// Nibbles (0 to 15 in each byte) as hex digits.
    #[target_feature(enable = "sse2")]
    fn digits(n: __m128i) -> __m128i {
        let above_nine = _mm_cmpgt_epi8(n, _mm_set1_epi8(9));
        let letters = _mm_and_si128(above_nine, _mm_set1_epi8((b'a' - b'0' - 10) as i8));
        _mm_add_epi8(_mm_add_epi8(n, _mm_set1_epi8(b'0' as i8)), letters)
    }
    assert_eq!(block.len(), 16);
    // SAFETY: `block` holds 16 bytes (asserted): an unaligned load.
    let v = unsafe { _mm_loadu_si128(block.as_ptr().cast()) };
    let low = _mm_set1_epi8(0x0f);
    // The shift is by 16-bit lanes: the mask drops the bits it moves
    // across bytes.
    let high = _mm_and_si128(_mm_srli_epi16(v, 4), low);
    let low = _mm_and_si128(v, low);
    let mut out = [0u8; 32];
    // SAFETY: two unaligned stores of 16 bytes into the 32 of `out`.
    unsafe {
        _mm_storeu_si128(
            out.as_mut_ptr().cast(),
            digits(_mm_unpacklo_epi8(high, low)),
        );
        _mm_storeu_si128(
            out.as_mut_ptr().add(16).cast(),
            digits(_mm_unpackhi_epi8(high, low)),
        );
    }
    out
}

/// [`to_hex`] through a table: the reference, and the way for what is
/// left after the blocks of sixteen (nothing, for a digest).
/// The digits go through a buffer on the stack and into `out` in one piece
/// (a push per digit checks the string's room and encodes a `char` each
/// time).
fn to_hex_table(bytes: &[u8], out: &mut String) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    let mut buf = [0u8; 64];
    for piece in bytes.chunks(buf.len() / 2) {
        for (pair, &b) in buf.chunks_exact_mut(2).zip(piece) {
            pair[0] = DIGITS[usize::from(b >> 4)];
            pair[1] = DIGITS[usize::from(b & 15)];
        }
        let hex = &buf[..piece.len() * 2];
        // Hex digits are ASCII: the check cannot fail.
        out.push_str(std::str::from_utf8(hex).unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_and_stable() {
        let a = FingerprintKey::new(b"k1", KeySource::Flag);
        let b = FingerprintKey::new(b"k2", KeySource::Flag);
        let fa = a.fingerprint("cn_mobile", b"13800001234");
        assert_eq!(fa, a.fingerprint("cn_mobile", b"13800001234"));
        assert_ne!(fa, b.fingerprint("cn_mobile", b"13800001234"));
        assert_ne!(fa, a.fingerprint("cn_mobile", b"13800001235"));
        assert_ne!(fa, a.fingerprint("bank_account", b"13800001234"));
        assert_eq!(fa.len(), 64);
    }

    #[test]
    fn not_a_bare_hash() {
        use sha2::Digest;
        let bare = hex::encode(Sha256::digest(b"13800001234"));
        let keyed = FingerprintKey::builtin().fingerprint("cn_mobile", b"13800001234");
        assert_ne!(bare, keyed);
    }

    #[test]
    fn hex_as_the_hex_crate_writes_it() {
        let all: Vec<u8> = (0..=255).collect();
        let hex = |b: &[u8]| {
            let mut s = String::new();
            to_hex(b, &mut s);
            s
        };
        let table = |b: &[u8]| {
            let mut s = String::new();
            to_hex_table(b, &mut s);
            s
        };
        assert_eq!(hex(&all), hex::encode(&all));
        assert_eq!(table(&all), hex::encode(&all));
        assert_eq!(hex(&[]), "");
        // Every length around the 32-byte pieces of the buffer.
        for n in 0..100 {
            assert_eq!(hex(&all[n..2 * n]), hex::encode(&all[n..2 * n]));
            assert_eq!(table(&all[n..2 * n]), hex::encode(&all[n..2 * n]));
            // After text already in the string.
            let mut s = String::from("é");
            to_hex(&all[n..2 * n], &mut s);
            assert_eq!(s, format!("é{}", hex::encode(&all[n..2 * n])));
        }
    }

    #[test]
    fn fingerprint_into_overwrites() {
        let k = FingerprintKey::new(b"k1", KeySource::Flag);
        let mut out = String::from("left over from the last finding");
        k.fingerprint_into("cn_mobile", b"13800001234", &mut out);
        assert_eq!(out, k.fingerprint("cn_mobile", b"13800001234"));
    }

    /// The compression-function HMAC is the `hmac` crate's, for keys
    /// shorter than, as long as and longer than a block, and messages of
    /// every length up to past [`SHORT`] (one block, two, the crate).
    #[test]
    fn short_is_the_hmac_crate() {
        let long_key = [7u8; 100];
        for key in [&b""[..], b"k", &[0xA5; 64], &[0x3C; 65], &long_key] {
            let k = FingerprintKey::new(key, KeySource::Flag);
            for kind in ["", "cn_mobile", "cn_resident_id"] {
                for n in 0..140 {
                    let value: Vec<u8> = (0..n).map(|i| (i * 37 + n) as u8).collect();
                    let want = k.long(kind.as_bytes(), &value);
                    let len = kind.len() + 1 + n;
                    match k.short(kind.as_bytes(), &value) {
                        Some(got) => assert_eq!(got, want, "key {}, {kind}, {n}", key.len()),
                        None => assert!(len > SHORT, "{len}"),
                    }
                    let mut out = String::new();
                    k.fingerprint_into(kind, &value, &mut out);
                    assert_eq!(out, hex::encode(want));
                }
            }
        }
    }

    #[test]
    fn debug_hides_key() {
        let k = FingerprintKey::new(b"super-secret", KeySource::Flag);
        assert!(!format!("{k:?}").contains("super-secret"));
    }
}
