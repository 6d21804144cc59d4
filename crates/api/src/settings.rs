//! Typed configuration: `config/default.toml` (compiled in), then an optional
//! `config/local.toml` in the working directory, then `CONCORD__SECTION__KEY`
//! environment variables, with `DATABASE_URL` honoured for `database.url`.

use std::time::Duration;

use anyhow::{Context, bail};
use concord_adapters::realtime::{Broker, HubConfig};
use config::{Config, Environment, File, FileFormat};
use serde::{Deserialize, Serialize};

use crate::gateway::{SessionConfig, SioOptions};
use crate::limits::LimitsConfig;
use crate::socketio::SocketIoConfig;
use crate::socketio::engine::EngineConfig;

/// The secret shipped in `config/default.toml`, fit only for development.
pub const DEV_JWT_SECRET: &str = "concord-development-secret-change-me-in-production";

const DEFAULTS: &str = include_str!("../../../config/default.toml");

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub realtime: RealtimeSettings,
    pub rate_limit: RateLimitSettings,
    pub log: LogSettings,
    pub metrics: MetricsSettings,
    pub socketio: SocketIoSettings,
}

/// Socket.IO at `/api/socket/io` and `/socket.io` (API.md section 6).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SocketIoSettings {
    /// How often the server pings (Engine.IO's `pingInterval`).
    pub ping_interval_ms: u64,
    /// How long a client has to answer a ping (`pingTimeout`).
    pub ping_timeout_ms: u64,
    /// Largest POST body or WebSocket message accepted (`maxPayload`).
    pub max_payload_bytes: usize,
    /// A connection with no namespace connected by then is closed.
    pub connect_timeout_ms: u64,
    /// Messages a session may have waiting before it counts as too slow
    /// and is closed.
    pub queue_capacity: usize,
    /// Sockets one user may have connected on a node at once; 0 is no cap.
    pub max_sessions_per_user: usize,
    /// Engine.IO sessions one client address may have open on a node at
    /// once; 0 is no cap.
    pub max_sessions_per_address: usize,
    /// Accept a `concord_token` cookie as the last resort for credentials,
    /// from a first request whose `Origin` is in `cookie_origins`.
    pub cookie_auth: bool,
    pub cookie_origins: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Serve `GET /metrics` (Prometheus text) on a listener of its own.
    pub enabled: bool,
    /// Loopback by default: metrics are for the operator, not the public.
    pub host: String,
    /// 0 picks a free port (tests).
    pub port: u16,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    /// Worker threads; 0 means one per CPU core.
    pub workers: usize,
    /// `production` refuses the development secret and a broker that does
    /// not answer at start; `development` warns and goes on.
    pub environment: Mode,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Development,
    Production,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `text` for people, `json` (one object per line) for log shippers.
    pub format: LogFormat,
    /// A tracing filter (`info`, `concord_api=debug,info`, ...); `RUST_LOG`
    /// overrides it.
    pub level: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: String,
    pub pool_size: u32,
    pub connect_timeout_secs: u64,
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub jwt_secret: String,
    pub token_ttl_secs: u64,
    pub bcrypt_cost: u32,
    /// Password hashes run at once; 0 means half the CPU cores, at least one.
    pub hash_concurrency: usize,
    /// How long access grants are remembered; 0 turns the memo off.
    pub access_cache_ms: u64,
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RealtimeSettings {
    /// How events reach other nodes: `local`, `postgres` or `redis`.
    pub broker: BrokerKind,
    pub redis_url: String,
    pub heartbeat_interval_ms: u64,
    pub identify_timeout_ms: u64,
    /// Frames a slow connection may have waiting before it is closed.
    pub queue_capacity: usize,
    pub max_frame_bytes: usize,
    pub max_topics_per_connection: usize,
    /// Most events one `subscribe` frame may replay; further back, the
    /// client pages history over HTTP.
    pub max_replay: u32,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Requests per second a signed-in user may make after the burst; 0 is off.
    pub user_per_second: u32,
    pub user_burst: u32,
    /// Sign-in attempts per client address and email: a burst, then one per
    /// interval; an interval of 0 is off.
    pub sign_in_burst: u32,
    pub sign_in_interval_secs: u64,
    /// Sign-ins and sign-ups per client address, whatever the email: a
    /// burst, then one per interval; an interval of 0 is off.
    pub address_burst: u32,
    pub address_interval_secs: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BrokerKind {
    Local,
    Postgres,
    Redis,
}

// Credentials never reach a log line.
impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &"***")
            .field("pool_size", &self.pool_size)
            .field("connect_timeout_secs", &self.connect_timeout_secs)
            .finish()
    }
}

impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSettings")
            .field("jwt_secret", &"***")
            .field("token_ttl_secs", &self.token_ttl_secs)
            .field("bcrypt_cost", &self.bcrypt_cost)
            .field("hash_concurrency", &self.hash_concurrency)
            .field("access_cache_ms", &self.access_cache_ms)
            .finish()
    }
}

impl std::fmt::Debug for RealtimeSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RealtimeSettings")
            .field("broker", &self.broker)
            .field("redis_url", &"***")
            .field("heartbeat_interval_ms", &self.heartbeat_interval_ms)
            .field("identify_timeout_ms", &self.identify_timeout_ms)
            .field("queue_capacity", &self.queue_capacity)
            .field("max_frame_bytes", &self.max_frame_bytes)
            .field("max_topics_per_connection", &self.max_topics_per_connection)
            .field("max_replay", &self.max_replay)
            .finish()
    }
}

impl Settings {
    /// Load from the layered sources, reading the process environment.
    /// # Errors
    /// A message naming the offending key when a value is missing, of the wrong
    /// type, unknown, or out of range.
    pub fn load() -> anyhow::Result<Self> {
        Self::from_env(std::env::vars())
    }

    /// Load with `vars` standing in for the environment (tests use this).
    /// # Errors
    /// As [`Settings::load`].
    pub fn from_env(vars: impl IntoIterator<Item = (String, String)>) -> anyhow::Result<Self> {
        let vars: std::collections::HashMap<String, String> = vars.into_iter().collect();
        let mut builder = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .add_source(File::with_name("config/local").required(false))
            .add_source(
                Environment::with_prefix("CONCORD")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    .list_separator(",")
                    .with_list_parse_key("socketio.cookie_origins")
                    .source(Some(
                        vars.clone()
                            .into_iter()
                            .filter(|(k, _)| k.starts_with("CONCORD__"))
                            .collect(),
                    )),
            );
        if let (Some(url), false) = (
            vars.get("DATABASE_URL"),
            vars.contains_key("CONCORD__DATABASE__URL"),
        ) {
            builder = builder.set_override("database.url", url.as_str())?;
        }
        let settings: Settings = builder
            .build()
            .context("reading configuration")?
            .try_deserialize()
            .context("invalid configuration")?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if !(4..=31).contains(&self.auth.bcrypt_cost) {
            bail!(
                "invalid configuration: auth.bcrypt_cost must be between 4 and 31, got {}",
                self.auth.bcrypt_cost
            );
        }
        if self.auth.jwt_secret.len() < 32 {
            bail!("invalid configuration: auth.jwt_secret must be at least 32 bytes");
        }
        if self.server.environment == Mode::Production && self.uses_dev_secret() {
            bail!(
                "invalid configuration: auth.jwt_secret is the built-in development secret, \
                 refused with server.environment = \"production\"; set CONCORD__AUTH__JWT_SECRET"
            );
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log.level) {
            bail!(
                "invalid configuration: log.level {:?} is not a tracing filter: {e}",
                self.log.level
            );
        }
        if self.auth.token_ttl_secs == 0 {
            bail!("invalid configuration: auth.token_ttl_secs must be positive");
        }
        if self.database.pool_size == 0 {
            bail!("invalid configuration: database.pool_size must be positive");
        }
        let rt = &self.realtime;
        if rt.heartbeat_interval_ms < 100 || rt.identify_timeout_ms < 100 {
            bail!(
                "invalid configuration: realtime.heartbeat_interval_ms and realtime.identify_timeout_ms must be at least 100"
            );
        }
        if rt.queue_capacity == 0
            || rt.max_frame_bytes < 1024
            || rt.max_topics_per_connection == 0
            || rt.max_replay == 0
        {
            bail!(
                "invalid configuration: realtime.queue_capacity, realtime.max_topics_per_connection and realtime.max_replay must be positive, realtime.max_frame_bytes at least 1024"
            );
        }
        let limits = &self.rate_limit;
        if (limits.user_per_second > 0 && limits.user_burst == 0)
            || (limits.sign_in_interval_secs > 0 && limits.sign_in_burst == 0)
            || (limits.address_interval_secs > 0 && limits.address_burst == 0)
        {
            bail!(
                "invalid configuration: rate_limit.user_burst, rate_limit.sign_in_burst and rate_limit.address_burst must be positive while their limit is on"
            );
        }
        if rt.broker == BrokerKind::Redis
            && !rt.redis_url.starts_with("redis://")
            && !rt.redis_url.starts_with("rediss://")
        {
            bail!("invalid configuration: realtime.redis_url must be a redis:// URL");
        }
        if !self.database.url.starts_with("postgres://")
            && !self.database.url.starts_with("postgresql://")
        {
            bail!("invalid configuration: database.url must be a postgres:// URL");
        }
        self.validate_socketio()
    }

    fn validate_socketio(&self) -> anyhow::Result<()> {
        let sio = &self.socketio;
        for (key, ms) in [
            ("ping_interval_ms", sio.ping_interval_ms),
            ("ping_timeout_ms", sio.ping_timeout_ms),
            ("connect_timeout_ms", sio.connect_timeout_ms),
        ] {
            if ms < 100 {
                bail!("invalid configuration: socketio.{key} must be at least 100, got {ms}");
            }
        }
        if sio.max_payload_bytes < 1024 {
            bail!(
                "invalid configuration: socketio.max_payload_bytes must be at least 1024, got {}",
                sio.max_payload_bytes
            );
        }
        if sio.queue_capacity == 0 {
            bail!("invalid configuration: socketio.queue_capacity must be positive");
        }
        if let Some(bad) = sio.cookie_origins.iter().find(|o| !is_origin(o)) {
            bail!(
                "invalid configuration: socketio.cookie_origins: {bad:?} is not an origin like \
                 \"https://chat.example.com\" (scheme and host, an optional port, no path)"
            );
        }
        if sio.cookie_auth && sio.cookie_origins.is_empty() {
            bail!(
                "invalid configuration: socketio.cookie_origins must list at least one origin \
                 while socketio.cookie_auth is on"
            );
        }
        Ok(())
    }

    /// Every setting as `section.key = value` lines, sorted, with secrets
    /// masked: the JWT secret wholly, the password in URLs.
    pub fn effective(&self) -> Vec<String> {
        let Ok(serde_json::Value::Object(sections)) = serde_json::to_value(self) else {
            return Vec::new();
        };
        let mut lines = Vec::new();
        for (section, keys) in sections {
            let serde_json::Value::Object(keys) = keys else {
                continue;
            };
            for (key, value) in keys {
                let shown = match (section.as_str(), key.as_str()) {
                    ("auth", "jwt_secret") => "\"***\"".to_owned(),
                    (_, k) if k.ends_with("url") => {
                        format!("{:?}", mask_password(value.as_str().unwrap_or_default()))
                    }
                    _ => value.to_string(),
                };
                lines.push(format!("{section}.{key} = {shown}"));
            }
        }
        lines
    }

    /// Whether the server runs with the development secret.
    pub fn uses_dev_secret(&self) -> bool {
        self.auth.jwt_secret == DEV_JWT_SECRET
    }

    pub fn token_ttl(&self) -> Duration {
        Duration::from_secs(self.auth.token_ttl_secs)
    }

    pub fn access_cache_ttl(&self) -> Duration {
        Duration::from_millis(self.auth.access_cache_ms)
    }

    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.database.connect_timeout_secs.max(1))
    }

    /// The gateway's broker, with its connection URL.
    pub fn broker(&self) -> Broker {
        match self.realtime.broker {
            BrokerKind::Local => Broker::Local,
            BrokerKind::Postgres => Broker::Postgres {
                url: self.database.url.clone(),
            },
            BrokerKind::Redis => Broker::Redis {
                url: self.realtime.redis_url.clone(),
            },
        }
    }

    pub fn hub_config(&self) -> HubConfig {
        HubConfig {
            queue_capacity: self.realtime.queue_capacity,
            ..HubConfig::default()
        }
    }

    pub fn limits_config(&self) -> LimitsConfig {
        let limits = &self.rate_limit;
        LimitsConfig {
            user_per_second: limits.user_per_second,
            user_burst: limits.user_burst,
            sign_in_burst: limits.sign_in_burst,
            sign_in_interval: Duration::from_secs(limits.sign_in_interval_secs),
            address_burst: limits.address_burst,
            address_interval: Duration::from_secs(limits.address_interval_secs),
        }
    }

    /// Password hashes run at once: as configured, else half the cores.
    pub fn hash_concurrency(&self) -> usize {
        match self.auth.hash_concurrency {
            0 => std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
            n => n,
        }
    }

    /// The Engine.IO side of `[socketio]`.
    pub fn engine_config(&self) -> EngineConfig {
        let sio = &self.socketio;
        EngineConfig {
            ping_interval: Duration::from_millis(sio.ping_interval_ms),
            ping_timeout: Duration::from_millis(sio.ping_timeout_ms),
            max_payload: sio.max_payload_bytes,
            outgoing_capacity: sio.queue_capacity,
            max_sessions_per_address: sio.max_sessions_per_address,
            ..EngineConfig::default()
        }
    }

    /// The Socket.IO side of `[socketio]`.
    pub fn socketio_config(&self) -> SocketIoConfig {
        SocketIoConfig {
            connect_timeout: Duration::from_millis(self.socketio.connect_timeout_ms),
            ..SocketIoConfig::default()
        }
    }

    /// What Concord's namespace needs of `[socketio]`.
    pub fn sio_options(&self) -> SioOptions {
        let sio = &self.socketio;
        SioOptions {
            max_sessions_per_user: sio.max_sessions_per_user,
            cookie_origins: if sio.cookie_auth {
                sio.cookie_origins
                    .iter()
                    .map(|o| o.trim_end_matches('/').to_ascii_lowercase())
                    .collect()
            } else {
                Vec::new()
            },
        }
    }

    pub fn session_config(&self) -> SessionConfig {
        SessionConfig {
            heartbeat_interval: Duration::from_millis(self.realtime.heartbeat_interval_ms),
            identify_timeout: Duration::from_millis(self.realtime.identify_timeout_ms),
            max_frame_bytes: self.realtime.max_frame_bytes,
            max_topics: self.realtime.max_topics_per_connection,
            max_replay: self.realtime.max_replay,
        }
    }
}

/// Whether `raw` is an origin as browsers send it: `http` or `https`, a
/// host, an optional port, nothing after (a trailing `/` is forgiven).
fn is_origin(raw: &str) -> bool {
    let Some(rest) = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))
    else {
        return false;
    };
    let host = rest.strip_suffix('/').unwrap_or(rest);
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

/// `url` with the password of its user info, if any, as `***`.
pub fn mask_password(url: &str) -> String {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let authority_end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    let Some(at) = url[start..authority_end].rfind('@').map(|i| start + i) else {
        return url.to_owned();
    };
    match url[start..at].find(':').map(|i| start + i) {
        Some(colon) => format!("{}:***{}", &url[..colon], &url[at..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_load_without_any_environment() {
        let s = Settings::from_env(env(&[])).unwrap();
        assert_eq!((s.server.host.as_str(), s.server.port), ("127.0.0.1", 8080));
        assert_eq!(s.auth.bcrypt_cost, 12);
        assert!(s.uses_dev_secret());
    }

    #[test]
    fn environment_variables_override_each_key() {
        let s = Settings::from_env(env(&[
            ("CONCORD__SERVER__PORT", "9001"),
            ("CONCORD__AUTH__BCRYPT_COST", "4"),
            ("DATABASE_URL", "postgres://db.example/x"),
        ]))
        .unwrap();
        assert_eq!(s.server.port, 9001);
        assert_eq!(s.auth.bcrypt_cost, 4);
        assert_eq!(s.database.url, "postgres://db.example/x");
    }

    #[test]
    fn the_prefixed_database_url_wins_over_database_url() {
        let s = Settings::from_env(env(&[
            ("CONCORD__DATABASE__URL", "postgres://a/one"),
            ("DATABASE_URL", "postgres://b/two"),
        ]))
        .unwrap();
        assert_eq!(s.database.url, "postgres://a/one");
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let err = format!(
            "{:#}",
            Settings::from_env(env(&[("CONCORD__SERVER__PORT", "eighty")])).unwrap_err()
        );
        assert!(err.contains("port"), "{err}");
        let err = format!(
            "{:#}",
            Settings::from_env(env(&[("CONCORD__AUTH__BCRYPT_COST", "99")])).unwrap_err()
        );
        assert!(err.contains("auth.bcrypt_cost"), "{err}");
        let err = format!(
            "{:#}",
            Settings::from_env(env(&[("CONCORD__RATE_LIMIT__USER_BURST", "0")])).unwrap_err()
        );
        assert!(err.contains("rate_limit.user_burst"), "{err}");
        assert!(
            Settings::from_env(env(&[
                ("CONCORD__RATE_LIMIT__USER_BURST", "0"),
                ("CONCORD__RATE_LIMIT__USER_PER_SECOND", "0"),
            ]))
            .is_ok(),
            "a burst of 0 is fine while the limit is off"
        );
    }

    #[test]
    fn the_broker_is_postgres_by_default_and_redis_when_asked() {
        let s = Settings::from_env(env(&[("DATABASE_URL", "postgres://db/x")])).unwrap();
        assert_eq!(
            s.broker(),
            Broker::Postgres {
                url: "postgres://db/x".into()
            }
        );
        let s = Settings::from_env(env(&[
            ("CONCORD__REALTIME__BROKER", "redis"),
            ("CONCORD__REALTIME__REDIS_URL", "redis://cache:6379"),
        ]))
        .unwrap();
        assert_eq!(
            s.broker(),
            Broker::Redis {
                url: "redis://cache:6379".into()
            }
        );
        assert!(Settings::from_env(env(&[("CONCORD__REALTIME__BROKER", "kafka")])).is_err());
    }

    #[test]
    fn an_unknown_key_is_refused() {
        assert!(Settings::from_env(env(&[("CONCORD__SERVER__PROT", "1")])).is_err());
    }

    #[test]
    fn production_refuses_the_development_secret_naming_the_key() {
        let err = format!(
            "{:#}",
            Settings::from_env(env(&[("CONCORD__SERVER__ENVIRONMENT", "production")])).unwrap_err()
        );
        assert!(err.contains("auth.jwt_secret"), "{err}");
        let s = Settings::from_env(env(&[
            ("CONCORD__SERVER__ENVIRONMENT", "production"),
            (
                "CONCORD__AUTH__JWT_SECRET",
                "a-real-secret-of-thirty-two-bytes-or-more",
            ),
        ]))
        .unwrap();
        assert_eq!(s.server.environment, Mode::Production);
    }

    #[test]
    fn a_bad_log_setting_names_its_key() {
        let err = format!(
            "{:#}",
            Settings::from_env(env(&[("CONCORD__LOG__FORMAT", "xml")])).unwrap_err()
        );
        assert!(err.contains("format"), "{err}");
        let err = format!(
            "{:#}",
            Settings::from_env(env(&[("CONCORD__LOG__LEVEL", "info,=[")])).unwrap_err()
        );
        assert!(err.contains("log.level"), "{err}");
    }

    #[test]
    fn effective_settings_mask_every_secret() {
        let s = Settings::from_env(env(&[
            ("DATABASE_URL", "postgres://concord:hunter2@db:5432/chat"),
            (
                "CONCORD__REALTIME__REDIS_URL",
                "redis://:swordfish@cache:6379/0",
            ),
            (
                "CONCORD__AUTH__JWT_SECRET",
                "the-secret-that-signs-every-token-0123",
            ),
        ]))
        .unwrap();
        let lines = s.effective().join("\n");
        for secret in ["hunter2", "swordfish", "the-secret-that-signs"] {
            assert!(!lines.contains(secret), "{secret} shown:\n{lines}");
        }
        assert!(
            lines.contains("database.url = \"postgres://concord:***@db:5432/chat\""),
            "{lines}"
        );
        assert!(lines.contains("server.port = 8080"), "{lines}");
        assert!(lines.contains("auth.jwt_secret = \"***\""), "{lines}");
    }

    #[test]
    fn passwords_are_masked_in_urls_and_nothing_else_is_touched() {
        for (url, masked) in [
            ("postgres://u:p@h/db", "postgres://u:***@h/db"),
            ("postgres://u@h/db", "postgres://u@h/db"),
            ("redis://:pw@h:6379", "redis://:***@h:6379"),
            ("redis://h:6379/0?x=a@b", "redis://h:6379/0?x=a@b"),
            ("not a url", "not a url"),
        ] {
            assert_eq!(mask_password(url), masked);
        }
    }

    #[test]
    fn socketio_defaults_are_the_reference_servers() {
        let s = Settings::from_env(env(&[])).unwrap();
        let engine = s.engine_config();
        let defaults = EngineConfig::default();
        assert_eq!(engine.ping_interval, defaults.ping_interval);
        assert_eq!(engine.ping_timeout, defaults.ping_timeout);
        assert_eq!(engine.max_payload, defaults.max_payload);
        assert_eq!(engine.outgoing_capacity, defaults.outgoing_capacity);
        assert_eq!(engine.max_sessions_per_address, 0);
        assert_eq!(
            s.socketio_config().connect_timeout,
            SocketIoConfig::default().connect_timeout
        );
        let options = s.sio_options();
        assert_eq!(options.max_sessions_per_user, 0);
        assert!(options.cookie_origins.is_empty(), "cookie auth is off");
    }

    #[test]
    fn socketio_settings_come_from_the_environment() {
        let s = Settings::from_env(env(&[
            ("CONCORD__SOCKETIO__PING_INTERVAL_MS", "1000"),
            ("CONCORD__SOCKETIO__CONNECT_TIMEOUT_MS", "500"),
            ("CONCORD__SOCKETIO__MAX_SESSIONS_PER_USER", "3"),
            ("CONCORD__SOCKETIO__COOKIE_AUTH", "true"),
            (
                "CONCORD__SOCKETIO__COOKIE_ORIGINS",
                "https://Chat.example.com/,http://localhost:5173",
            ),
        ]))
        .unwrap();
        assert_eq!(s.engine_config().ping_interval, Duration::from_secs(1));
        assert_eq!(
            s.socketio_config().connect_timeout,
            Duration::from_millis(500)
        );
        let options = s.sio_options();
        assert_eq!(options.max_sessions_per_user, 3);
        assert_eq!(
            options.cookie_origins,
            ["https://chat.example.com", "http://localhost:5173"]
        );
        let lines = s.effective().join("\n");
        assert!(lines.contains("socketio.cookie_auth = true"), "{lines}");
        assert!(
            lines.contains("socketio.max_sessions_per_address = 0"),
            "{lines}"
        );
        // Listed origins are ignored while cookie auth is off.
        let s = Settings::from_env(env(&[(
            "CONCORD__SOCKETIO__COOKIE_ORIGINS",
            "https://chat.example.com",
        )]))
        .unwrap();
        assert!(s.sio_options().cookie_origins.is_empty());
    }

    #[test]
    fn a_bad_socketio_setting_names_its_key() {
        for (pairs, key) in [
            (
                &[("CONCORD__SOCKETIO__PING_TIMEOUT_MS", "10")][..],
                "socketio.ping_timeout_ms",
            ),
            (
                &[("CONCORD__SOCKETIO__MAX_PAYLOAD_BYTES", "12")][..],
                "socketio.max_payload_bytes",
            ),
            (
                &[("CONCORD__SOCKETIO__QUEUE_CAPACITY", "0")][..],
                "socketio.queue_capacity",
            ),
            (
                &[("CONCORD__SOCKETIO__COOKIE_AUTH", "true")][..],
                "socketio.cookie_origins",
            ),
            (
                &[
                    ("CONCORD__SOCKETIO__COOKIE_AUTH", "true"),
                    ("CONCORD__SOCKETIO__COOKIE_ORIGINS", "chat.example.com"),
                ][..],
                "socketio.cookie_origins",
            ),
            (
                &[(
                    "CONCORD__SOCKETIO__COOKIE_ORIGINS",
                    "https://chat.example.com/app",
                )][..],
                "socketio.cookie_origins",
            ),
        ] {
            let err = format!("{:#}", Settings::from_env(env(pairs)).unwrap_err());
            assert!(err.contains(key), "{key} not named: {err}");
            assert_eq!(err.lines().count(), 1, "{err}");
        }
    }

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        for good in [
            "https://chat.example.com",
            "http://localhost:5173",
            "https://chat.example.com/",
            "http://[::1]:8080",
        ] {
            assert!(is_origin(good), "{good}");
        }
        for bad in [
            "",
            "chat.example.com",
            "https://",
            "ftp://chat.example.com",
            "https://chat.example.com/app",
            "https://chat.example.com?x",
            "*",
        ] {
            assert!(!is_origin(bad), "{bad}");
        }
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let s = Settings::from_env(env(&[])).unwrap();
        let dbg = format!("{s:?}");
        assert!(
            !dbg.contains(DEV_JWT_SECRET) && !dbg.contains("postgres://"),
            "{dbg}"
        );
    }
}
