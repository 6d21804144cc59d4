//! Real `socket.io-client` 4.7.2 clients (`tests/peer/clients.js`), driven
//! from Rust: the package is installed with `npm ci` on first use, from the
//! committed lock file, so a clean clone needs only node and npm.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

fn peer_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peer")
}

/// Runs `npm ci` in `tests/peer` once per test run, unless a run of it
/// already left the lock file's packages there.
fn install() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let dir = peer_dir();
        if dir
            .join("node_modules/socket.io-client/package.json")
            .exists()
        {
            return;
        }
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .expect("npm is needed for the Socket.IO tests");
        assert!(status.success(), "npm ci in {} failed", dir.display());
    });
}

/// One client: its name in the results, its credentials and options.
#[derive(Clone, Debug, Default)]
pub struct Peer {
    pub name: &'static str,
    pub token: Option<String>,
    pub dialect: Option<&'static str>,
    /// `None` for the library's default (polling, then the upgrade).
    pub transports: Option<Vec<&'static str>>,
    /// The client stops listening once it got an event of this name.
    pub until: Option<String>,
    /// With `until`: the client stops only once it also completed its
    /// upgrade to WebSocket.
    pub until_upgraded: bool,
    /// The upgrade probe starts only once the client has this many events,
    /// rather than as soon as it opened (`tests/peer/clients.js`).
    pub upgrade_after: Option<usize>,
    /// How many more events the client takes over polling once its upgrade
    /// probe was answered, before it pauses polling and upgrades.
    pub hold_upgrade: Option<usize>,
    /// `pid` and `offset` to connect with, as the library does when it
    /// reconnects with connection-state recovery.
    pub recover: Option<(String, String)>,
}

/// Clients running in one node process.
pub struct Peers {
    child: Child,
    stdout: tokio::io::Lines<BufReader<ChildStdout>>,
    /// Open while live clients run; closing it stops them.
    stdin: Option<ChildStdin>,
    /// Live clients' events so far, each `[client, name, arg]`.
    seen: Vec<Value>,
}

impl Peers {
    /// Starts `peers` against `address` at `path` and waits until every one
    /// of them connected or was refused.
    pub async fn connect(address: &str, path: &str, peers: &[Peer]) -> Self {
        Self::start(address, path, peers, false).await
    }

    /// [`Self::connect`], for clients the test follows as they go
    /// ([`Self::wait_for`]) and stops itself ([`Self::finish`]); `until` is
    /// ignored.
    pub async fn connect_live(address: &str, path: &str, peers: &[Peer]) -> Self {
        Self::start(address, path, peers, true).await
    }

    async fn start(address: &str, path: &str, peers: &[Peer], live: bool) -> Self {
        tokio::task::spawn_blocking(install)
            .await
            .expect("npm ci ran");
        let clients: Vec<Value> = peers
            .iter()
            .map(|p| {
                json!({
                    "name": p.name,
                    "token": p.token,
                    "dialect": p.dialect,
                    "transports": p.transports,
                    "until": p.until,
                    "untilUpgraded": p.until_upgraded,
                    "upgradeAfter": p.upgrade_after,
                    "holdUpgrade": p.hold_upgrade,
                    "recover": p.recover.as_ref().map(|(pid, offset)| json!({
                        "pid": pid,
                        "offset": offset,
                    })),
                })
            })
            .map(|mut v| {
                // Absent, not null: the client would send `null` as a token.
                v.as_object_mut().unwrap().retain(|_, v| !v.is_null());
                v
            })
            .collect();
        let spec = json!({
            "url": address,
            "path": path,
            // A live run is a scenario of many steps, each waited for.
            "timeoutMs": if live { 60_000 } else { 10_000 },
            "clients": clients,
            "live": live,
        });
        let mut command = Command::new("node");
        command
            .arg(peer_dir().join("clients.js"))
            .arg(spec.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .expect("node is needed for the Socket.IO tests");
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let line = tokio::time::timeout(Duration::from_secs(15), stdout.next_line())
            .await
            .expect("the clients settled in time")
            .expect("read the clients' output");
        assert_eq!(line.as_deref(), Some("ready"));
        Self {
            child,
            stdout,
            stdin,
            seen: Vec::new(),
        }
    }

    /// Waits until live client `client` got event `name` carrying `message`
    /// (matched by its `id`).
    pub async fn wait_for(&mut self, client: &str, name: &str, message: &Value) {
        let matches = |e: &Value| e[0] == client && e[1] == name && e[2]["id"] == message["id"];
        while !self.seen.iter().any(matches) {
            let line = tokio::time::timeout(Duration::from_secs(15), self.stdout.next_line())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "{client} got no {name} {message} in time; saw {:?}",
                        self.seen
                    )
                })
                .expect("read the clients' output")
                .expect("the clients are still running");
            let event = line
                .strip_prefix("event ")
                .unwrap_or_else(|| panic!("not an event: {line}"));
            self.seen
                .push(serde_json::from_str(event).expect("an event is JSON"));
        }
    }

    /// Stops live clients and returns what each saw, as [`Self::results`].
    pub async fn finish(mut self) -> Value {
        drop(self.stdin.take());
        self.results().await
    }

    /// Sends one command to the clients (`tests/peer/clients.js` lists
    /// them) and returns its answer.
    async fn command(&mut self, command: Value) -> Value {
        let line = format!("{command}\n");
        self.stdin
            .as_mut()
            .expect("the clients' stdin is open")
            .write_all(line.as_bytes())
            .await
            .expect("write to the clients");
        let answer = tokio::time::timeout(Duration::from_secs(15), self.stdout.next_line())
            .await
            .unwrap_or_else(|_| panic!("no answer in time to {command}"))
            .expect("read the clients' output")
            .expect("the clients' answer");
        serde_json::from_str(&answer).expect("the answer is JSON")
    }

    /// Once client `name` has received `after` events, cuts its transport
    /// as a network failure would (the library does not reconnect on its
    /// own), and waits until it knows it is disconnected.
    pub async fn drop_after(&mut self, name: &str, after: usize) {
        let answer = self
            .command(json!({"op": "drop", "name": name, "after": after}))
            .await;
        assert_eq!(answer, json!({"dropped": name}));
    }

    /// Reconnects client `name`, to `address` when given (another node),
    /// with the `pid` and offset the library kept; returns whether the
    /// server recovered it (`socket.recovered`).
    pub async fn reconnect(&mut self, name: &str, address: Option<&str>) -> bool {
        let answer = self
            .command(json!({"op": "reconnect", "name": name, "url": address}))
            .await;
        assert_eq!(answer["reconnected"], name, "{answer}");
        answer["recovered"]
            .as_bool()
            .expect("recovered is a boolean")
    }

    /// What each client saw, by name, once each got its `until` event (or
    /// the script's time ran out).
    pub async fn results(mut self) -> Value {
        loop {
            let line = tokio::time::timeout(Duration::from_secs(15), self.stdout.next_line())
                .await
                .expect("the clients finished in time")
                .expect("read the clients' output")
                .expect("the clients' results");
            // A live client's events were already reported one by one.
            if line.starts_with("event ") {
                continue;
            }
            let _ = self.child.wait().await;
            return serde_json::from_str(&line).expect("the results are JSON");
        }
    }
}
