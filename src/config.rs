//! The config file (`.leaksweep.toml`): the settings a team keeps next to
//! its data or code. This module only finds, parses and checks the file;
//! [`crate::app`] merges it with the environment and the flags, in that
//! order of precedence (flag > `LEAKSWEEP_*` variable > file > default).
//!
//! Which file: `--config FILE`, else `LEAKSWEEP_CONFIG`, else
//! `.leaksweep.toml` in the first scanned folder (or, when the first path
//! is a file or `-`, in the current folder). `--no-config` reads none.

use crate::finding::Severity;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The name of the file looked for.
pub const FILE_NAME: &str = ".leaksweep.toml";

/// Environment variable naming the config file.
pub const CONFIG_ENV: &str = "LEAKSWEEP_CONFIG";

/// The file as written. Unknown keys are an error: a misspelt key would
/// otherwise silently change nothing.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `low | medium | high | never`.
    #[serde(default)]
    pub fail_on: Option<String>,
    /// `low | medium | high`.
    #[serde(default)]
    pub min_confidence: Option<String>,
    /// Exit code when findings reach `fail_on`.
    #[serde(default)]
    pub exit_code: Option<u8>,
    /// Extra rule files or folders, relative to the config file.
    #[serde(default)]
    pub rules: Vec<String>,
    /// Rule ids to turn off.
    #[serde(default)]
    pub disable: Vec<String>,
    /// Opt-in rule ids to turn on.
    #[serde(default)]
    pub enable: Vec<String>,
    /// Paths not to read (gitignore syntax, relative to the scanned folder).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// New severities by rule id.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
    /// Allowlists.
    #[serde(default)]
    pub allow: AllowConfig,
    /// Thresholds of `leaksweep access`.
    #[serde(default)]
    pub access: AccessSettings,
    /// The folder holding the file (rule paths are relative to it).
    #[serde(skip)]
    pub dir: PathBuf,
    /// The file itself, for messages.
    #[serde(skip)]
    pub path: PathBuf,
}

/// The `[allow]` table.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowConfig {
    /// Keyed fingerprints (64 hex digits, or a prefix of at least 16).
    #[serde(default)]
    pub fingerprints: Vec<String>,
    /// Regexes over the normalized value.
    #[serde(default)]
    pub values: Vec<String>,
    /// Paths whose findings are allowed (gitignore syntax).
    #[serde(default)]
    pub paths: Vec<String>,
}

/// The `[access]` table: thresholds and windows of `leaksweep access`
/// (durations as `90s`, `10m`, `24h`, `2d`), and organisations by path.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessSettings {
    /// Rule 3 window.
    pub rebind_window: Option<String>,
    /// Rule 4 window.
    pub ip_window: Option<String>,
    /// Rule 4 account threshold.
    pub ip_max_accounts: Option<usize>,
    /// Rule 5 switch count.
    pub switch_min: Option<usize>,
    /// Rule 5 window.
    pub switch_window: Option<String>,
    /// Rule 8 threshold.
    pub bulk_min: Option<u64>,
    /// Organisation name = path (relative to the config file).
    #[serde(default)]
    pub orgs: BTreeMap<String, String>,
}

/// A config file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Unreadable.
    #[error("cannot read the config file {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// Not valid TOML, or not this schema.
    #[error("config file {path}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// The parser's message.
        message: String,
    },
}

impl Config {
    /// Reads and parses one file.
    pub fn read(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            path: path.display().to_string(),
            message: e.to_string().to_lowercase(),
        })?;
        let mut c: Config = toml::from_str(&text).map_err(|e| ConfigError::Syntax {
            path: path.display().to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        c.path = path.to_path_buf();
        c.dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Ok(c)
    }

    /// The rule paths, resolved against the file's folder.
    pub fn rule_paths(&self) -> Vec<PathBuf> {
        self.rules.iter().map(|r| self.dir.join(r)).collect()
    }
}

/// Where the config comes from, in order of precedence.
#[derive(Clone, Debug, Default)]
pub struct Lookup {
    /// `--config FILE`, else `LEAKSWEEP_CONFIG` (clap reads both).
    pub flag: Option<PathBuf>,
    /// `--no-config`.
    pub none: bool,
}

impl Lookup {
    /// The config to use for a scan of `paths`, if any. A file named by
    /// flag or environment must exist; a missing `.leaksweep.toml` is
    /// simply no config.
    pub fn load(&self, paths: &[String]) -> Result<Option<Config>, ConfigError> {
        if self.none {
            return Ok(None);
        }
        if let Some(p) = &self.flag {
            return Config::read(p).map(Some);
        }
        let first = paths.first().map(Path::new).filter(|p| p.is_dir());
        let found = first.unwrap_or(Path::new(".")).join(FILE_NAME);
        if found.is_file() {
            return Config::read(&found).map(Some);
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example_and_rejects_unknown_keys() {
        let c: Config = toml::from_str(
            r#"
fail_on = "high"
min_confidence = "low"
exit_code = 3
rules = ["rules/"]
disable = ["cn_landline"]
enable = ["sensitive_words"]
exclude = ["vendor/", "*.bak"]
[severity]
email = "medium"
[allow]
fingerprints = ["00112233445566778899aabbccddeeff"]
values = ['^1380013800\d$']
paths = ["tests/fixtures/"]
"#,
        )
        .unwrap();
        assert_eq!(c.exit_code, Some(3));
        assert_eq!(c.severity.get("email"), Some(&Severity::Medium));
        assert_eq!(c.allow.paths, ["tests/fixtures/"]);
        assert!(toml::from_str::<Config>("fail_onn = \"high\"").is_err());
        assert!(toml::from_str::<Config>("[allow]\nvalue = []").is_err());
    }
}
