//! Redaction: the only place where a raw value is turned into something
//! that may leave the process. [`mask()`] hides most of a value following the
//! spec's §8 conventions; [`fingerprint`] derives a keyed HMAC-SHA256 so
//! that values can be counted, compared and allowlisted without being
//! written down. Every output path renders values through this module.

pub mod fingerprint;
pub mod mask;

pub use fingerprint::{FingerprintKey, KeySource};
pub use mask::{MaskStyle, mask};
