//! Concord as a separate process: for tests where nodes share a database and
//! one of them dies.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The `concord` binary: `CONCORD_BIN`, or the debug build next to this
/// workspace (`make test` builds it first).
pub fn binary() -> PathBuf {
    if let Ok(path) = std::env::var("CONCORD_BIN") {
        return PathBuf::from(path);
    }
    let target = std::env::var("CARGO_TARGET_DIR").map_or_else(
        |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    let path = target.join("debug/concord");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --bin concord` first (make test does)",
        path.display()
    );
    path
}

/// The Redis the Redis-broker tests use (`scripts/dev-redis.sh` exports it).
pub fn redis_url() -> String {
    std::env::var("CONCORD_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A running `concord` process; killed when dropped.
pub struct Node {
    pub address: String,
    /// The metrics listener, when metrics are on.
    pub metrics_address: Option<String>,
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
}

impl Node {
    /// Starts `concord` on a free port against `database_url` with `env`
    /// (`CONCORD__...` pairs) and waits until it listens.
    pub async fn start(database_url: &str, env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(binary())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", "info")
            .env("DATABASE_URL", database_url)
            .env("CONCORD__SERVER__PORT", "0")
            .env("CONCORD__SERVER__WORKERS", "2")
            .env("CONCORD__AUTH__BCRYPT_COST", "4")
            .env("CONCORD__METRICS__PORT", "0")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start concord");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let log = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&log);
        let keep = move |line: &str| kept.lock().expect("log lines").push(line.to_owned());
        let (port, metrics_port) = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.expect("read the log") {
                keep(&line);
                if line.contains("Concord is listening") {
                    return (field(&line, "port"), field(&line, "metrics_port"));
                }
            }
            panic!("concord exited before listening");
        })
        .await
        .expect("concord did not start within 30 s");
        let port = port.expect("the listening line names the port");
        // Keep draining the log so the process never blocks on a full pipe.
        let kept = Arc::clone(&log);
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                kept.lock().expect("log lines").push(line);
            }
        });
        Self {
            address: format!("http://127.0.0.1:{port}"),
            metrics_address: metrics_port.map(|port| format!("http://127.0.0.1:{port}")),
            child,
            log,
        }
    }

    /// Every line the node has logged so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().expect("log lines").clone()
    }

    /// SIGTERM, then waits for the process to end (its last lines logged).
    pub async fn stop(mut self) -> Vec<String> {
        let pid = self.child.id().expect("a running node");
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
        tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .expect("concord did not stop within 20 s")
            .expect("wait for concord");
        // The reader task drains the pipe to its end.
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.log()
    }

    /// SIGKILL: no close frames, no cleanup, as a crash would.
    pub async fn kill(mut self) {
        self.child.kill().await.expect("kill concord");
    }
}

/// A number field of the "Concord is listening" line, as text
/// (`port=8080`) or JSON (`"port":8080`); `None` when absent.
fn field(line: &str, name: &str) -> Option<u16> {
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(line) {
        return json[name].as_u64().and_then(|n| u16::try_from(n).ok());
    }
    let prefix = format!("{name}=");
    line.split_whitespace()
        .find_map(|word| word.strip_prefix(prefix.as_str()))
        .and_then(|n| n.parse().ok())
}
