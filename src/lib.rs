//! leaksweep finds exposed personal identifiers in the exports Chinese
//! organisations pass around (WeCom session archives, directory exports)
//! and reports them without ever printing a raw value.
//!
//! The crate is three rooms joined by plain types, with dependencies
//! pointing one way:
//!
//! - [`source`] turns inputs into [`chunk::Chunk`]s (formats, no rules);
//! - [`detect`] turns chunks into [`finding::Finding`]s (rules, no formats),
//!   masking and fingerprinting through [`redact`];
//! - [`report`] writes findings (formats of output, never scans).
//!
//! [`scan`] is the driver that runs them in parallel; [`cli`] and [`app`]
//! are the edges.

#![warn(missing_docs)]

pub mod access;
pub mod app;
pub mod chunk;
pub mod cli;
pub mod config;
pub mod detect;
pub mod exit_codes;
pub mod finding;
pub mod policy;
pub mod pool;
pub mod redact;
pub mod report;
pub mod sanitize;
pub mod scan;
pub mod source;
