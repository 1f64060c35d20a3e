//! The office's configuration file (`office.toml`): where its data lives, where it listens, its
//! TLS files, the proxies it believes, its limits and its nightly backups.
//!
//! Every key is optional and has today's default; an unknown key, a value of the wrong type and
//! a value out of range are each refused with the file, line and column of the value
//! (`office.toml:7:10: listen: invalid socket address "0.0.0.0"`). Relative paths are read from
//! the file's own folder. Command-line flags override the file ([`ServeFlags::over`]).

use std::net::{IpAddr, SocketAddr};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveTime;
use serde::Deserialize;
use toml::Spanned;

use crate::limits::{Limits, Rate, WriteRates};

/// Where `serve` listens when neither the file nor a flag says.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8480";
/// The archives a nightly backup keeps when the file does not say.
pub const DEFAULT_KEEP: u32 = 14;
/// The first part of a nightly archive's name when the file does not say.
pub const DEFAULT_BACKUP_NAME: &str = "liaison-office";

const MIB: u64 = 1024 * 1024;

/// The configuration as read and checked; the default is today's defaults, nothing set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    /// The data folder (`office.db`, `files/`).
    pub data: Option<PathBuf>,
    /// A PostgreSQL database (`postgres://…`) instead of `office.db`, shared by every office
    /// process that names it.
    pub database: Option<String>,
    pub listen: Option<SocketAddr>,
    pub tls: Option<TlsFiles>,
    pub trusted_proxies: Vec<IpAddr>,
    pub limits: Limits,
    pub backup: Option<BackupSchedule>,
}

pub use crate::tls::TlsFiles;

/// The nightly backup: into `dir` at `at` (the server's local time), keeping the newest `keep`
/// archives named `<name>-<UTC time>.zip`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSchedule {
    pub dir: PathBuf,
    pub at: NaiveTime,
    pub keep: u32,
    pub name: String,
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    /// A value (or key) at a place in the file.
    #[error("{file}:{line}:{column}: {message}")]
    Invalid {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// Something the file and the flags together leave out (e.g. no data folder at all).
    #[error("{0}")]
    Missing(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    data: Option<Spanned<String>>,
    database: Option<Spanned<String>>,
    listen: Option<Spanned<String>>,
    trusted_proxies: Option<Vec<Spanned<String>>>,
    tls: Option<RawTls>,
    limits: Option<RawLimits>,
    backup: Option<RawBackup>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTls {
    cert: Spanned<String>,
    key: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    min_free_mib: Option<u64>,
    pending_upload_mib: Option<Spanned<u64>>,
    unused_upload_mib: Option<Spanned<u64>>,
    upload_idle_hours: Option<Spanned<u32>>,
    sweep_every_minutes: Option<Spanned<u32>>,
    writes_per_minute: Option<RawWrites>,
}

/// Writes per seat and minute, by kind (`limits.rs`'s `WriteRates`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWrites {
    send: Option<Spanned<u32>>,
    comment: Option<Spanned<u32>>,
    urge: Option<Spanned<u32>>,
    draft_backup: Option<Spanned<u32>>,
    upload: Option<Spanned<u32>>,
    review: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBackup {
    dir: Spanned<String>,
    at: Option<Spanned<String>>,
    keep: Option<Spanned<u32>>,
    name: Option<Spanned<String>>,
}

/// Reads and checks the configuration file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let base = path.parent().unwrap_or(Path::new(""));
    parse(&text, &path.display().to_string(), base)
}

/// Parses configuration `text` read from `file` (named in errors); relative paths are taken from
/// `base`.
pub fn parse(text: &str, file: &str, base: &Path) -> Result<Config, ConfigError> {
    let at = |span: Range<usize>, message: String| {
        let (line, column) = line_column(text, span.start);
        ConfigError::Invalid {
            file: file.to_owned(),
            line,
            column,
            message,
        }
    };
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let message = e.message().trim().to_owned();
        match e.span() {
            Some(span) => at(span, message),
            None => ConfigError::Invalid {
                file: file.to_owned(),
                line: 1,
                column: 1,
                message,
            },
        }
    })?;
    let path_of = |s: &Spanned<String>, key: &str| -> Result<PathBuf, ConfigError> {
        if s.get_ref().trim().is_empty() {
            return Err(at(s.span(), format!("{key}: a path must not be empty")));
        }
        Ok(base.join(s.get_ref()))
    };

    let mut config = Config::default();
    if let Some(data) = &raw.data {
        config.data = Some(path_of(data, "data")?);
    }
    if let Some(database) = &raw.database {
        config.database = Some(
            database_url(database.get_ref())
                .map_err(|message| at(database.span(), format!("database: {message}")))?,
        );
    }
    if let Some(listen) = &raw.listen {
        config.listen = Some(listen.get_ref().parse().map_err(|_| {
            at(
                listen.span(),
                format!("listen: invalid socket address {:?}", listen.get_ref()),
            )
        })?);
    }
    for proxy in raw.trusted_proxies.iter().flatten() {
        config
            .trusted_proxies
            .push(proxy.get_ref().parse().map_err(|_| {
                at(
                    proxy.span(),
                    format!("trusted_proxies: invalid IP address {:?}", proxy.get_ref()),
                )
            })?);
    }
    if let Some(tls) = &raw.tls {
        config.tls = Some(TlsFiles {
            cert: path_of(&tls.cert, "tls.cert")?,
            key: path_of(&tls.key, "tls.key")?,
        });
    }
    if let Some(limits) = &raw.limits {
        let l = &mut config.limits;
        if let Some(mib) = limits.min_free_mib {
            l.min_free_bytes = mib.saturating_mul(MIB);
        }
        let positive_mib = |v: &Spanned<u64>, key: &str| {
            if *v.get_ref() == 0 {
                Err(at(v.span(), format!("limits.{key}: must be at least 1")))
            } else {
                Ok(v.get_ref().saturating_mul(MIB))
            }
        };
        if let Some(v) = &limits.pending_upload_mib {
            l.pending_upload_bytes = positive_mib(v, "pending_upload_mib")?;
        }
        if let Some(v) = &limits.unused_upload_mib {
            l.unused_upload_bytes = positive_mib(v, "unused_upload_mib")?;
        }
        if let Some(v) = &limits.upload_idle_hours {
            if *v.get_ref() == 0 {
                return Err(at(
                    v.span(),
                    "limits.upload_idle_hours: must be at least 1".into(),
                ));
            }
            l.upload_idle = chrono::Duration::hours(i64::from(*v.get_ref()));
        }
        if let Some(v) = &limits.sweep_every_minutes {
            if *v.get_ref() == 0 {
                return Err(at(
                    v.span(),
                    "limits.sweep_every_minutes: must be at least 1".into(),
                ));
            }
            l.sweep_every = Duration::from_secs(u64::from(*v.get_ref()) * 60);
        }
        if let Some(w) = &limits.writes_per_minute {
            l.writes = write_rates(w, l.writes, &at)?;
        }
    }
    if let Some(b) = &raw.backup {
        let at_time = match &b.at {
            None => NaiveTime::from_hms_opt(2, 30, 0).unwrap_or(NaiveTime::MIN),
            Some(s) => NaiveTime::parse_from_str(s.get_ref(), "%H:%M").map_err(|_| {
                at(
                    s.span(),
                    format!(
                        "backup.at: not a time of day {:?} (HH:MM, 00:00 to 23:59)",
                        s.get_ref()
                    ),
                )
            })?,
        };
        let keep = match &b.keep {
            None => DEFAULT_KEEP,
            Some(k) if *k.get_ref() == 0 => {
                return Err(at(
                    k.span(),
                    "backup.keep: must be at least 1 (the archive just taken)".into(),
                ));
            }
            Some(k) => *k.get_ref(),
        };
        let name = match &b.name {
            None => DEFAULT_BACKUP_NAME.to_owned(),
            Some(n) => {
                let ok = !n.get_ref().is_empty()
                    && n.get_ref()
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
                if !ok {
                    return Err(at(
                        n.span(),
                        format!(
                            "backup.name: {:?} must be letters, digits, '-', '_' or '.'",
                            n.get_ref()
                        ),
                    ));
                }
                n.get_ref().clone()
            }
        };
        config.backup = Some(BackupSchedule {
            dir: path_of(&b.dir, "backup.dir")?,
            at: at_time,
            keep,
            name,
        });
    }
    Ok(config)
}

fn write_rates(
    w: &RawWrites,
    mut rates: WriteRates,
    at: &impl Fn(Range<usize>, String) -> ConfigError,
) -> Result<WriteRates, ConfigError> {
    let fields: [(&Option<Spanned<u32>>, &str, &mut Rate); 6] = [
        (&w.send, "send", &mut rates.send),
        (&w.comment, "comment", &mut rates.comment),
        (&w.urge, "urge", &mut rates.urge),
        (&w.draft_backup, "draft_backup", &mut rates.draft_backup),
        (&w.upload, "upload", &mut rates.upload),
        (&w.review, "review", &mut rates.review),
    ];
    for (value, key, rate) in fields {
        if let Some(v) = value {
            let n = *v.get_ref();
            if n == 0 || n > 60_000 {
                return Err(at(
                    v.span(),
                    format!("limits.writes_per_minute.{key}: must be 1 to 60000, not {n}"),
                ));
            }
            *rate = Rate::per_minute(n);
        }
    }
    Ok(rates)
}

/// A database address as the office takes it: PostgreSQL's URL form only.
pub fn database_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{text:?} is not a PostgreSQL address (postgres://user@host:port/database)"
        ))
    }
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

/// What `serve`'s flags say; each one set overrides the file.
#[derive(Debug, Clone, Default)]
pub struct ServeFlags {
    pub data: Option<PathBuf>,
    pub database: Option<String>,
    pub listen: Option<SocketAddr>,
    pub trusted_proxies: Vec<IpAddr>,
    pub min_free_mib: Option<u64>,
    /// `--tls-cert` and `--tls-key`, over the file's `[tls]`.
    pub tls: Option<TlsFiles>,
}

/// What `serve` runs with: the file's values under the flags', defaults for the rest.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub data: PathBuf,
    /// The PostgreSQL database, if the office runs on one (else `office.db` in `data`).
    pub database: Option<String>,
    pub listen: SocketAddr,
    pub tls: Option<TlsFiles>,
    pub trusted_proxies: Vec<IpAddr>,
    pub limits: Limits,
    pub backup: Option<BackupSchedule>,
}

impl ServeFlags {
    /// These flags over `config` (the file's, or the defaults without one).
    pub fn over(self, config: Config) -> Result<Settings, ConfigError> {
        let data = self.data.or(config.data).ok_or_else(|| {
            ConfigError::Missing(
                "no data folder: give --data DIR or `data = \"…\"` in the configuration".into(),
            )
        })?;
        let listen = match self.listen.or(config.listen) {
            Some(listen) => listen,
            None => DEFAULT_LISTEN
                .parse()
                .map_err(|_| ConfigError::Missing("no address to listen on".into()))?,
        };
        let mut limits = config.limits;
        if let Some(mib) = self.min_free_mib {
            limits.min_free_bytes = mib.saturating_mul(MIB);
        }
        Ok(Settings {
            data,
            database: self.database.or(config.database),
            listen,
            tls: self.tls.or(config.tls),
            trusted_proxies: if self.trusted_proxies.is_empty() {
                config.trusted_proxies
            } else {
                self.trusted_proxies
            },
            limits,
            backup: config.backup,
        })
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
