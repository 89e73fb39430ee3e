//! Keyed fingerprints. A bare SHA-256 of an 11-digit mobile number is
//! reversed by brute force in seconds, so fingerprints are always
//! HMAC-SHA256 under a key the user controls (`--fingerprint-key` or
//! `LEAKSWEEP_FINGERPRINT_KEY`). Without one, a documented built-in key is
//! used and the run says so on stderr: such fingerprints are stable across
//! runs but offer no secrecy against someone who has read the README.

use hmac::{Hmac, Mac};
use sha2::Sha256;

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
    mac: Hmac<Sha256>,
    source: KeySource,
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
        FingerprintKey { mac, source }
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
        let mut mac = self.mac.clone();
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(normalized);
        out.clear();
        to_hex(&mac.finalize().into_bytes(), out);
    }
}

/// Appends the lower-case hex of `bytes`, as `hex::encode` writes it,
/// through a table: `hex::encode` collects an iterator of `char`s, which
/// cost as much as the HMAC itself in a table holding an identifier in
/// every row.
/// The digits go through a buffer on the stack and into `out` in one piece
/// (a push per digit checks the string's room and encodes a `char` each
/// time).
fn to_hex(bytes: &[u8], out: &mut String) {
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
        assert_eq!(hex(&all), hex::encode(&all));
        assert_eq!(hex(&[]), "");
        // Every length around the 32-byte pieces of the buffer.
        for n in 0..100 {
            assert_eq!(hex(&all[n..2 * n]), hex::encode(&all[n..2 * n]));
        }
    }

    #[test]
    fn fingerprint_into_overwrites() {
        let k = FingerprintKey::new(b"k1", KeySource::Flag);
        let mut out = String::from("left over from the last finding");
        k.fingerprint_into("cn_mobile", b"13800001234", &mut out);
        assert_eq!(out, k.fingerprint("cn_mobile", b"13800001234"));
    }

    #[test]
    fn debug_hides_key() {
        let k = FingerprintKey::new(b"super-secret", KeySource::Flag);
        assert!(!format!("{k:?}").contains("super-secret"));
    }
}
