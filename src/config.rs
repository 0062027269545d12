//! Settings, loaded once at start: defaults, then an optional `casedesk.toml`,
//! then `CASEDESK_*` / `DATABASE_URL` environment variables (the environment wins).
//! The result is passed down explicitly; there is no global.

use std::path::{Path, PathBuf};

use ipnet::IpNet;
use serde::Deserialize;

use crate::domain::figures::{Definition, Weight};
use crate::domain::rating::Rating;
use crate::domain::scorecard::Weights;

/// Shortest JWT secret accepted outside development mode.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// Everything the service can be configured with (DESIGN.md "Running it").
#[derive(Debug, Clone)]
pub struct Settings {
    /// `sqlite://PATH` or `postgres://…`.
    pub database_url: String,
    /// Address to serve on.
    pub listen: String,
    /// HS256 key; required (32+ bytes) unless `dev`.
    pub jwt_secret: Option<String>,
    /// Password of the `admin` account created on an empty database.
    pub admin_password: Option<String>,
    /// SMTP server for outgoing mail.
    pub smtp_url: Option<String>,
    /// Sender address of outgoing mail.
    pub mail_from: String,
    /// Base of links in mail.
    pub public_url: String,
    /// Development mode: a random JWT secret is made when none is set.
    pub dev: bool,
    /// Lifetime of a login token, in hours.
    pub token_ttl_hours: i64,
    /// Size of the database connection pool.
    pub db_pool_size: u32,
    /// HTTP worker threads; defaults to the number of cores.
    pub workers: Option<usize>,
    /// `text` (default) or `json` log lines.
    pub log_format: String,
    /// Whether this instance runs background work (deadline events,
    /// housekeeping, the mail sender, the text indexer). Several instances
    /// may all run it safely; at least one must.
    pub background_tasks: bool,
    /// Which ratings count as satisfied, and the composite weights: the
    /// definition printed with every report.
    pub definition: Definition,
    /// The scorecard's weights (`CASEDESK_SCORECARD_WEIGHTS`), printed with it.
    pub scorecard_weights: Weights,
    /// The first wait before a failed mail is tried again, in seconds (doubling after).
    pub mail_retry_base_secs: i64,
    /// Proxies whose `X-Forwarded-For` is believed; from anyone else the
    /// connection's address is the client's.
    pub trusted_proxies: Vec<IpNet>,
    /// Leading bits of an IPv6 address that name one client for the
    /// throttles and limits (`CASEDESK_IPV6_PREFIX`, 64): a subscriber is
    /// usually given a whole /64 and can pick any address in it.
    pub ipv6_prefix: u8,
    /// Bearer token that may read `/metrics` on the service's own address.
    pub metrics_token: Option<String>,
    /// A separate address serving `/metrics` alone, without a token.
    pub metrics_listen: Option<String>,
    /// A browser session ends after this many minutes without a request.
    pub session_idle_minutes: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: "sqlite://data/casedesk.db".into(),
            listen: "127.0.0.1:8080".into(),
            jwt_secret: None,
            admin_password: None,
            smtp_url: None,
            mail_from: "casedesk@localhost".into(),
            public_url: "http://127.0.0.1:8080".into(),
            dev: false,
            token_ttl_hours: 8,
            db_pool_size: 16,
            workers: None,
            log_format: "text".into(),
            background_tasks: true,
            definition: Definition::default(),
            scorecard_weights: Weights::default(),
            mail_retry_base_secs: 30,
            trusted_proxies: Vec::new(),
            ipv6_prefix: 64,
            metrics_token: None,
            metrics_listen: None,
            session_idle_minutes: 30,
        }
    }
}

/// A setting that cannot be used. The message names the setting and the
/// rule it breaks, `CASEDESK_TOKEN_TTL_HOURS: must be from 1 to 720 (hours),
/// got 0`, so that whoever starts the service knows what to change; a
/// secret's value is never repeated, only its length.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl ConfigError {
    fn new(setting: &str, rule: impl std::fmt::Display) -> ConfigError {
        ConfigError(format!("{setting}: {rule}"))
    }
}

/// Checks the password `CASEDESK_ADMIN_PASSWORD` gives the first admin. Only
/// when that account is created from it: once the database has accounts the
/// setting is not read, so a value left behind must not stop a start.
pub fn check_admin_password(password: &str) -> Result<(), ConfigError> {
    use crate::auth::password::{check_new, MAX_LEN, MIN_LEN};
    check_new("CASEDESK_ADMIN_PASSWORD", password).map_err(|_| {
        ConfigError::new(
            "CASEDESK_ADMIN_PASSWORD",
            format!("must be {MIN_LEN} to {MAX_LEN} characters, got {}", password.chars().count()),
        )
    })
}

/// `host:port`, as a listener takes it; what is wrong with it otherwise.
fn check_address(setting: &str, address: &str) -> Result<(), ConfigError> {
    let rule = "must be an address and port, e.g. 127.0.0.1:8080";
    match address.rsplit_once(':') {
        Some((host, port)) if !host.trim().is_empty() && port.parse::<u16>().is_ok() => Ok(()),
        _ => Err(ConfigError::new(setting, format!("{rule}, got '{address}'"))),
    }
}

/// The optional configuration file: the same names as the environment
/// variables, lower-case and without the `CASEDESK_` prefix.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    database_url: Option<String>,
    listen: Option<String>,
    jwt_secret: Option<String>,
    admin_password: Option<String>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    public_url: Option<String>,
    token_ttl_hours: Option<i64>,
    db_pool_size: Option<u32>,
    workers: Option<usize>,
    log_format: Option<String>,
    background_tasks: Option<bool>,
    satisfied_ratings: Option<String>,
    composite_weights: Option<String>,
    scorecard_weights: Option<String>,
    mail_retry_seconds: Option<i64>,
    session_idle_minutes: Option<i64>,
    trusted_proxies: Option<String>,
    ipv6_prefix: Option<i64>,
    metrics_token: Option<String>,
    metrics_listen: Option<String>,
}

/// `10.0.0.5, 10.1.0.0/16, ::1`: addresses or networks, comma-separated.
fn parse_proxies(raw: Option<&str>) -> Result<Vec<IpNet>, ConfigError> {
    let Some(raw) = raw else { return Ok(Vec::new()) };
    raw.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry.parse::<IpNet>().or_else(|_| entry.parse::<std::net::IpAddr>().map(IpNet::from)).map_err(
                |_| {
                    ConfigError::new(
                        "CASEDESK_TRUSTED_PROXIES",
                        format!("must be addresses or networks (10.0.0.5, 10.1.0.0/16), got '{entry}'"),
                    )
                },
            )
        })
        .collect()
}

/// `satisfied,basically_satisfied` and `1,0.8,0` (weights of 满意, 基本满意, 不满意).
fn parse_definition(ratings: Option<&str>, weights: Option<&str>) -> Result<Definition, ConfigError> {
    let mut definition = Definition::default();
    if let Some(ratings) = ratings {
        definition.satisfied_ratings = ratings
            .split(',')
            .map(|r| {
                // The outer levels of five-level channels already count
                // with their neighbours: naming them would count twice.
                Rating::parse(r.trim()).filter(|r| Rating::COUNTED.contains(r)).ok_or_else(|| {
                    ConfigError::new(
                        "CASEDESK_SATISFIED_RATINGS",
                        format!("must list satisfied, basically_satisfied or unsatisfied, got '{r}'"),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
    }
    if let Some(weights) = weights {
        let parsed: Vec<Weight> = weights.split(',').filter_map(Weight::parse).collect();
        definition.weights = parsed.try_into().map_err(|_| {
            ConfigError::new(
                "CASEDESK_COMPOSITE_WEIGHTS",
                format!("must be three weights from 0 to 1, e.g. 1,0.8,0, got '{weights}'"),
            )
        })?;
    }
    Ok(definition)
}

impl Settings {
    /// Loads settings from `file` (if given, it must exist; otherwise `casedesk.toml`
    /// in the working directory is read when present) and the environment.
    pub fn load(file: Option<&Path>, dev: bool) -> Result<Settings, ConfigError> {
        let path = file.map(Path::to_path_buf).or_else(|| {
            let default = PathBuf::from("casedesk.toml");
            default.exists().then_some(default)
        });
        let from_file = match path {
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
                toml::from_str(&text)
                    .map_err(|e| ConfigError(format!("{}: {}", path.display(), e.message())))?
            }
            None => FileSettings::default(),
        };
        // An empty variable counts as unset (compose files pass `${X:-}` through).
        Settings::merge(from_file, |name| std::env::var(name).ok().filter(|v| !v.is_empty()), dev)
    }

    fn merge(
        file: FileSettings,
        env: impl Fn(&str) -> Option<String>,
        dev: bool,
    ) -> Result<Settings, ConfigError> {
        let defaults = Settings::default();
        let parse_num = |name: &str, raw: String| {
            raw.parse::<i64>()
                .map_err(|_| ConfigError::new(name, format!("must be a whole number, got '{raw}'")))
        };
        // Counts are checked as whole numbers first and narrowed only once in
        // range, so that -1 is reported as -1 rather than as 4294967295.
        let in_range = |name: &str, value: i64, range: std::ops::RangeInclusive<i64>, unit: &str| {
            if range.contains(&value) {
                Ok(value)
            } else {
                Err(ConfigError::new(
                    name,
                    format!("must be from {} to {}{unit}, got {value}", range.start(), range.end()),
                ))
            }
        };
        let env_num = |name: &str| env(name).map(|raw| parse_num(name, raw)).transpose();
        let settings = Settings {
            database_url: env("DATABASE_URL").or(file.database_url).unwrap_or(defaults.database_url),
            listen: env("CASEDESK_LISTEN").or(file.listen).unwrap_or(defaults.listen),
            jwt_secret: env("CASEDESK_JWT_SECRET").or(file.jwt_secret),
            admin_password: env("CASEDESK_ADMIN_PASSWORD").or(file.admin_password),
            smtp_url: env("CASEDESK_SMTP_URL").or(file.smtp_url),
            mail_from: env("CASEDESK_MAIL_FROM").or(file.mail_from).unwrap_or(defaults.mail_from),
            public_url: env("CASEDESK_PUBLIC_URL").or(file.public_url).unwrap_or(defaults.public_url),
            dev,
            token_ttl_hours: env_num("CASEDESK_TOKEN_TTL_HOURS")?
                .or(file.token_ttl_hours)
                .unwrap_or(defaults.token_ttl_hours),
            db_pool_size: in_range(
                "CASEDESK_DB_POOL_SIZE",
                env_num("CASEDESK_DB_POOL_SIZE")?
                    .or(file.db_pool_size.map(i64::from))
                    .unwrap_or(i64::from(defaults.db_pool_size)),
                1..=256,
                " connections",
            )? as u32,
            workers: env_num("CASEDESK_WORKERS")?
                .or(file.workers.map(|n| i64::try_from(n).unwrap_or(i64::MAX)))
                .map(|n| in_range("CASEDESK_WORKERS", n, 1..=1024, " threads"))
                .transpose()?
                .map(|n| n as usize),
            log_format: env("CASEDESK_LOG_FORMAT").or(file.log_format).unwrap_or(defaults.log_format),
            background_tasks: match env("CASEDESK_BACKGROUND_TASKS").as_deref() {
                None => file.background_tasks.unwrap_or(defaults.background_tasks),
                Some("true" | "on" | "1") => true,
                Some("false" | "off" | "0") => false,
                Some(other) => {
                    return Err(ConfigError::new(
                        "CASEDESK_BACKGROUND_TASKS",
                        format!("must be true or false, got '{other}'"),
                    ))
                }
            },
            mail_retry_base_secs: env_num("CASEDESK_MAIL_RETRY_SECONDS")?
                .or(file.mail_retry_seconds)
                .unwrap_or(defaults.mail_retry_base_secs),
            session_idle_minutes: env_num("CASEDESK_SESSION_IDLE_MINUTES")?
                .or(file.session_idle_minutes)
                .unwrap_or(defaults.session_idle_minutes),
            definition: parse_definition(
                env("CASEDESK_SATISFIED_RATINGS").or(file.satisfied_ratings).as_deref(),
                env("CASEDESK_COMPOSITE_WEIGHTS").or(file.composite_weights).as_deref(),
            )?,
            scorecard_weights: match env("CASEDESK_SCORECARD_WEIGHTS").or(file.scorecard_weights) {
                None => defaults.scorecard_weights,
                Some(raw) => Weights::parse(&raw).map_err(|why| {
                    ConfigError::new(
                        "CASEDESK_SCORECARD_WEIGHTS",
                        format!(
                            "{why} (e.g. accepted_on_time_rate=15,completion_rate=20,on_time_rate=25,satisfaction_rate=25,resolution_rate=10,return_rate=5)"
                        ),
                    )
                })?,
            },
            trusted_proxies: parse_proxies(
                env("CASEDESK_TRUSTED_PROXIES").or(file.trusted_proxies).as_deref(),
            )?,
            ipv6_prefix: match env_num("CASEDESK_IPV6_PREFIX")?.or(file.ipv6_prefix) {
                None => defaults.ipv6_prefix,
                Some(bits) => u8::try_from(bits)
                    .ok()
                    .filter(|bits| (16..=128).contains(bits))
                    .ok_or_else(|| ConfigError("CASEDESK_IPV6_PREFIX must be between 16 and 128".into()))?,
            },
            metrics_token: env("CASEDESK_METRICS_TOKEN").or(file.metrics_token),
            metrics_listen: env("CASEDESK_METRICS_LISTEN").or(file.metrics_listen),
        };
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), ConfigError> {
        crate::db::Backend::of_url(&self.database_url).map_err(ConfigError)?;
        if self.database_url == "sqlite://" {
            return Err(ConfigError::new(
                "DATABASE_URL",
                "sqlite:// needs a file path, e.g. sqlite://data/casedesk.db",
            ));
        }
        check_address("CASEDESK_LISTEN", &self.listen)?;
        if let Some(address) = &self.metrics_listen {
            check_address("CASEDESK_METRICS_LISTEN", address)?;
        }
        if let Some(token) = &self.metrics_token {
            if token.chars().count() < 16 {
                return Err(ConfigError::new(
                    "CASEDESK_METRICS_TOKEN",
                    format!("must be at least 16 characters, got {}", token.chars().count()),
                ));
            }
        }
        let ranges: [(&str, i64, std::ops::RangeInclusive<i64>, &str); 3] = [
            ("CASEDESK_TOKEN_TTL_HOURS", self.token_ttl_hours, 1..=24 * 30, " hours"),
            ("CASEDESK_MAIL_RETRY_SECONDS", self.mail_retry_base_secs, 1..=3600, " seconds"),
            ("CASEDESK_SESSION_IDLE_MINUTES", self.session_idle_minutes, 1..=24 * 60, " minutes"),
        ];
        for (setting, value, range, unit) in ranges {
            if !range.contains(&value) {
                return Err(ConfigError::new(
                    setting,
                    format!("must be from {} to {}{unit}, got {value}", range.start(), range.end()),
                ));
            }
        }
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://"))
            || self.public_url.split("://").nth(1).is_none_or(|rest| rest.trim_matches('/').is_empty())
        {
            return Err(ConfigError::new(
                "CASEDESK_PUBLIC_URL",
                format!("must be an http:// or https:// address, got '{}'", self.public_url),
            ));
        }
        if let Some(url) = &self.smtp_url {
            // Only the scheme is echoed: the URL may hold a password.
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                return Err(ConfigError::new("CASEDESK_SMTP_URL", "must start with smtp:// or smtps://"));
            }
            lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url)
                .map_err(|e| ConfigError::new("CASEDESK_SMTP_URL", format!("is not usable: {e}")))?;
        }
        if self.mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::new(
                "CASEDESK_MAIL_FROM",
                format!("must be an email address, got '{}'", self.mail_from),
            ));
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return Err(ConfigError::new(
                "CASEDESK_LOG_FORMAT",
                format!("must be text or json, got '{}'", self.log_format),
            ));
        }
        Ok(())
    }

    /// The address of the service for a person on this machine or behind
    /// the proxy: `CASEDESK_PUBLIC_URL` when set, else the listen address
    /// (an unspecified address read as loopback).
    fn base_url(&self) -> String {
        if self.public_url != Settings::default().public_url {
            return self.public_url.trim_end_matches('/').to_owned();
        }
        let listen = self.listen.replace("0.0.0.0:", "127.0.0.1:").replace("[::]:", "[::1]:");
        format!("http://{listen}")
    }

    /// Where staff sign in to the console.
    pub fn console_url(&self) -> String {
        format!("{}/login", self.base_url())
    }

    /// Where citizens write to the public mailbox.
    pub fn mailbox_url(&self) -> String {
        format!("{}/mailbox", self.base_url())
    }

    /// The key that signs login tokens. Outside development mode a secret of
    /// 32+ bytes must be configured; in development mode a random one is made
    /// (tokens then die with the process).
    pub fn jwt_key(&self) -> Result<Vec<u8>, ConfigError> {
        match &self.jwt_secret {
            Some(secret) if secret.len() >= MIN_JWT_SECRET_BYTES => Ok(secret.as_bytes().to_vec()),
            Some(secret) => Err(ConfigError::new(
                "CASEDESK_JWT_SECRET",
                format!(
                    "must be at least {MIN_JWT_SECRET_BYTES} random bytes (e.g. `openssl rand -hex 32`), got {}",
                    secret.len()
                ),
            )),
            None if self.dev => Ok(rand::random::<[u8; 32]>().to_vec()),
            None => Err(ConfigError::new(
                "CASEDESK_JWT_SECRET",
                format!(
                    "is required without --dev: at least {MIN_JWT_SECRET_BYTES} random bytes (e.g. `openssl rand -hex 32`)"
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn merge(file: &str, env: &[(&str, &str)], dev: bool) -> Result<Settings, ConfigError> {
        let env: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::merge(toml::from_str(file).unwrap(), |k| env.get(k).cloned(), dev)
    }

    #[test]
    fn defaults_apply_without_file_or_environment() {
        let s = merge("", &[], false).unwrap();
        assert_eq!(s.database_url, "sqlite://data/casedesk.db");
        assert_eq!(s.listen, "127.0.0.1:8080");
        assert_eq!(s.mail_from, "casedesk@localhost");
        assert_eq!(s.token_ttl_hours, 8);
    }

    #[test]
    fn environment_wins_over_file() {
        let s = merge(
            "listen = \"0.0.0.0:9000\"\nmail_from = \"office@example.cn\"",
            &[("CASEDESK_LISTEN", "127.0.0.1:7000")],
            false,
        )
        .unwrap();
        assert_eq!(s.listen, "127.0.0.1:7000");
        assert_eq!(s.mail_from, "office@example.cn");
    }

    #[test]
    fn jwt_secret_is_required_and_long_outside_dev_mode() {
        let message = merge("", &[], false).unwrap().jwt_key().unwrap_err().0;
        assert!(message.contains("CASEDESK_JWT_SECRET"), "{message}");
        assert!(merge("", &[("CASEDESK_JWT_SECRET", "short")], false).unwrap().jwt_key().is_err());
        let long = "x".repeat(32);
        assert_eq!(merge("", &[("CASEDESK_JWT_SECRET", &long)], false).unwrap().jwt_key().unwrap().len(), 32);
        assert_eq!(merge("", &[], true).unwrap().jwt_key().unwrap().len(), 32);
    }

    #[test]
    fn the_satisfaction_definition_is_configurable() {
        let s =
            merge("composite_weights = \"1,0.6,0\"", &[("CASEDESK_SATISFIED_RATINGS", "satisfied")], false)
                .unwrap();
        assert_eq!(s.definition.satisfied_ratings, vec![Rating::Satisfied]);
        assert_eq!(s.definition.weights, [Weight(10_000), Weight(6_000), Weight(0)]);
        assert!(merge("", &[("CASEDESK_COMPOSITE_WEIGHTS", "1,0.8")], false).is_err());
        assert!(merge("", &[("CASEDESK_SATISFIED_RATINGS", "happy")], false).is_err());
        assert!(
            merge("", &[("CASEDESK_SATISFIED_RATINGS", "very_satisfied")], false).is_err(),
            "非常满意 counts as 满意 already"
        );
    }

    #[test]
    fn bad_numbers_are_reported_by_name() {
        let err = merge("", &[("CASEDESK_TOKEN_TTL_HOURS", "eight")], false).unwrap_err();
        assert!(err.0.contains("CASEDESK_TOKEN_TTL_HOURS"));
        assert!(merge("", &[("CASEDESK_TOKEN_TTL_HOURS", "0")], false).is_err());
    }

    /// One test per setting that can be wrong: the environment variable with
    /// a bad value is refused with `NAME: rule`.
    macro_rules! refused {
        ($($test:ident: $name:literal = $value:expr => $message:literal;)*) => {$(
            #[test]
            fn $test() {
                let error = merge("", &[($name, $value)], false).unwrap_err().0;
                assert_eq!(error, $message, "{}={}", $name, $value);
            }
        )*};
    }

    refused! {
        database_url_needs_a_known_scheme: "DATABASE_URL" = "mysql://db/casedesk"
            => "DATABASE_URL: must start with sqlite:// or postgres://, got 'mysql'";
        database_url_needs_a_sqlite_path: "DATABASE_URL" = "sqlite://"
            => "DATABASE_URL: sqlite:// needs a file path, e.g. sqlite://data/casedesk.db";
        listen_needs_a_port: "CASEDESK_LISTEN" = "127.0.0.1"
            => "CASEDESK_LISTEN: must be an address and port, e.g. 127.0.0.1:8080, got '127.0.0.1'";
        metrics_listen_needs_a_port: "CASEDESK_METRICS_LISTEN" = ":9091x"
            => "CASEDESK_METRICS_LISTEN: must be an address and port, e.g. 127.0.0.1:8080, got ':9091x'";
        smtp_url_needs_its_scheme: "CASEDESK_SMTP_URL" = "mail.example.cn:25"
            => "CASEDESK_SMTP_URL: must start with smtp:// or smtps://";
        mail_from_is_an_address: "CASEDESK_MAIL_FROM" = "casedesk"
            => "CASEDESK_MAIL_FROM: must be an email address, got 'casedesk'";
        public_url_is_http: "CASEDESK_PUBLIC_URL" = "casedesk.example.cn"
            => "CASEDESK_PUBLIC_URL: must be an http:// or https:// address, got 'casedesk.example.cn'";
        token_ttl_is_a_number: "CASEDESK_TOKEN_TTL_HOURS" = "eight"
            => "CASEDESK_TOKEN_TTL_HOURS: must be a whole number, got 'eight'";
        token_ttl_is_bounded: "CASEDESK_TOKEN_TTL_HOURS" = "0"
            => "CASEDESK_TOKEN_TTL_HOURS: must be from 1 to 720 hours, got 0";
        pool_size_is_bounded: "CASEDESK_DB_POOL_SIZE" = "-1"
            => "CASEDESK_DB_POOL_SIZE: must be from 1 to 256 connections, got -1";
        workers_are_bounded: "CASEDESK_WORKERS" = "0"
            => "CASEDESK_WORKERS: must be from 1 to 1024 threads, got 0";
        log_format_is_text_or_json: "CASEDESK_LOG_FORMAT" = "xml"
            => "CASEDESK_LOG_FORMAT: must be text or json, got 'xml'";
        scorecard_weights_sum_to_100: "CASEDESK_SCORECARD_WEIGHTS" = "accepted_on_time_rate=15,completion_rate=20,on_time_rate=25,satisfaction_rate=25,resolution_rate=10,return_rate=10"
            => "CASEDESK_SCORECARD_WEIGHTS: the weights must sum to 100, they sum to 105 (e.g. accepted_on_time_rate=15,completion_rate=20,on_time_rate=25,satisfaction_rate=25,resolution_rate=10,return_rate=5)";
        scorecard_weights_are_not_negative: "CASEDESK_SCORECARD_WEIGHTS" = "accepted_on_time_rate=-5,completion_rate=20,on_time_rate=25,satisfaction_rate=25,resolution_rate=10,return_rate=25"
            => "CASEDESK_SCORECARD_WEIGHTS: the weight of accepted_on_time_rate must be a whole number from 0 to 100, got '-5' (e.g. accepted_on_time_rate=15,completion_rate=20,on_time_rate=25,satisfaction_rate=25,resolution_rate=10,return_rate=5)";
        background_tasks_is_a_switch: "CASEDESK_BACKGROUND_TASKS" = "yes"
            => "CASEDESK_BACKGROUND_TASKS: must be true or false, got 'yes'";
        mail_retry_is_bounded: "CASEDESK_MAIL_RETRY_SECONDS" = "7200"
            => "CASEDESK_MAIL_RETRY_SECONDS: must be from 1 to 3600 seconds, got 7200";
        satisfied_ratings_are_ratings: "CASEDESK_SATISFIED_RATINGS" = "satisfied,happy"
            => "CASEDESK_SATISFIED_RATINGS: must list satisfied, basically_satisfied or unsatisfied, got 'happy'";
        composite_weights_are_three: "CASEDESK_COMPOSITE_WEIGHTS" = "1,0.8"
            => "CASEDESK_COMPOSITE_WEIGHTS: must be three weights from 0 to 1, e.g. 1,0.8,0, got '1,0.8'";
        trusted_proxies_are_addresses: "CASEDESK_TRUSTED_PROXIES" = "10.0.0.5, proxy.local"
            => "CASEDESK_TRUSTED_PROXIES: must be addresses or networks (10.0.0.5, 10.1.0.0/16), got 'proxy.local'";
        metrics_token_is_long: "CASEDESK_METRICS_TOKEN" = "short"
            => "CASEDESK_METRICS_TOKEN: must be at least 16 characters, got 5";
        session_idle_is_bounded: "CASEDESK_SESSION_IDLE_MINUTES" = "0"
            => "CASEDESK_SESSION_IDLE_MINUTES: must be from 1 to 1440 minutes, got 0";
    }

    #[test]
    fn jwt_secret_errors_name_the_setting_and_never_repeat_the_secret() {
        let short = merge("", &[("CASEDESK_JWT_SECRET", "hunter2")], false).unwrap().jwt_key().unwrap_err().0;
        assert_eq!(
            short,
            "CASEDESK_JWT_SECRET: must be at least 32 random bytes (e.g. `openssl rand -hex 32`), got 7"
        );
        let missing = merge("", &[], false).unwrap().jwt_key().unwrap_err().0;
        assert!(missing.starts_with("CASEDESK_JWT_SECRET: is required without --dev"), "{missing}");
    }

    #[test]
    fn the_admin_password_is_checked_against_the_password_rule() {
        assert_eq!(
            check_admin_password("x").unwrap_err().0,
            "CASEDESK_ADMIN_PASSWORD: must be 8 to 128 characters, got 1"
        );
        assert!(check_admin_password("长度足够的中文密码").is_ok());
    }

    #[test]
    fn a_value_from_the_file_is_checked_like_one_from_the_environment() {
        let error = merge("db_pool_size = 0", &[], false).unwrap_err().0;
        assert_eq!(error, "CASEDESK_DB_POOL_SIZE: must be from 1 to 256 connections, got 0");
    }

    #[test]
    fn ipv6_clients_are_counted_per_64_unless_set_otherwise() {
        assert_eq!(merge("", &[], false).unwrap().ipv6_prefix, 64);
        assert_eq!(merge("ipv6_prefix = 56", &[], false).unwrap().ipv6_prefix, 56);
        assert_eq!(merge("", &[("CASEDESK_IPV6_PREFIX", "128")], false).unwrap().ipv6_prefix, 128);
        for bad in ["0", "129", "-64", "sixty-four"] {
            let error = merge("", &[("CASEDESK_IPV6_PREFIX", bad)], false).unwrap_err();
            assert!(error.0.contains("CASEDESK_IPV6_PREFIX"), "{bad}: {error}");
        }
    }

    #[test]
    fn the_console_is_where_the_public_url_or_else_the_listen_address_says() {
        assert_eq!(merge("", &[], false).unwrap().console_url(), "http://127.0.0.1:8080/login");
        let listening = merge("", &[("CASEDESK_LISTEN", "0.0.0.0:9000")], false).unwrap();
        assert_eq!(listening.console_url(), "http://127.0.0.1:9000/login");
        let public = merge("", &[("CASEDESK_PUBLIC_URL", "https://xinfang.example.cn/")], false).unwrap();
        assert_eq!(public.console_url(), "https://xinfang.example.cn/login");
        assert_eq!(public.mailbox_url(), "https://xinfang.example.cn/mailbox");
    }

    #[test]
    fn the_session_idle_timeout_defaults_to_30_minutes() {
        assert_eq!(merge("", &[], false).unwrap().session_idle_minutes, 30);
        assert_eq!(merge("session_idle_minutes = 10", &[], false).unwrap().session_idle_minutes, 10);
        let s = merge("session_idle_minutes = 10", &[("CASEDESK_SESSION_IDLE_MINUTES", "5")], false).unwrap();
        assert_eq!(s.session_idle_minutes, 5);
        assert!(merge("", &[("CASEDESK_SESSION_IDLE_MINUTES", "0")], false).is_err());
    }
}
