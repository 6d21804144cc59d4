//! The command line: where Concord runs, which scenarios to run and how big.
//!
//! The defaults are the sizes the targets are stated for; every size can be
//! scaled down for a quick run (`--duration 3 --subscribers 100 --idle 1000
//! --history-rows 100000`).

use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use serde::Serialize;

/// Load generator for Concord's benchmark targets (`make bench`).
///
/// Runs the selected scenarios against a running Concord, prints one line per
/// figure with its target and PASS/MISS, and writes every figure as JSON.
#[derive(Debug, Parser, Serialize)]
#[command(name = "concord-bench", version, args_override_self = true)]
pub struct Args {
    /// Concord's base URL (plain HTTP; the gateway is at `ws://…/ws`).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub base_url: String,

    /// The database Concord runs on: for seeding history and the pgbench
    /// baseline. Without it those two scenarios report an error.
    #[arg(long, env = "DATABASE_URL")]
    #[serde(skip)]
    pub database_url: Option<String>,

    /// Concord's process id, to read its CPU time and RSS from /proc.
    /// Without it CPU-seconds are not reported and `idle` cannot run.
    #[arg(long)]
    pub server_pid: Option<u32>,

    /// The bcrypt cost Concord was started with (only printed beside `login`).
    #[arg(long)]
    pub bcrypt_cost: Option<u32>,

    /// Run only these scenarios (comma-separated), in the canonical order.
    /// `sio-fanout` is `fanout` with Socket.IO subscribers (WebSocket
    /// transport); its CPU-per-delivery ratio to `fanout` needs both in
    /// the same run.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<Scenario>,

    /// Where to write the figures as JSON.
    #[arg(long, default_value = "target/bench/latest.json")]
    pub output: PathBuf,

    /// Threads of the generator's runtime (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,

    /// Users signed up for the run; sockets and clients take turns among them.
    #[arg(long, default_value_t = 8)]
    pub users: usize,

    /// Concurrent keep-alive HTTP clients in `post` (and pgbench clients in `baseline`).
    #[arg(long, default_value_t = 64)]
    pub clients: usize,

    /// Measured seconds of `post` (each of its two runs), `baseline` and `history`.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,

    /// Seconds of unmeasured warm-up before each closed-loop HTTP run.
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,

    /// Channels in the many-channel run of `post`.
    #[arg(long, default_value_t = 100)]
    pub channels: usize,

    /// WebSocket subscribers in `fanout`, `sio-fanout` and `burst`.
    #[arg(long, default_value_t = 1000)]
    pub subscribers: usize,

    /// Posts per second in `fanout` and `sio-fanout`.
    #[arg(long, default_value_t = 20.0)]
    pub fanout_rate: f64,

    /// Seconds of posting in `fanout` and `sio-fanout`.
    #[arg(long, default_value_t = 30.0)]
    pub fanout_duration: f64,

    /// Bursts in `burst`.
    #[arg(long, default_value_t = 20)]
    pub bursts: usize,

    /// Posts per burst.
    #[arg(long, default_value_t = 100)]
    pub burst_size: usize,

    /// Idle authenticated, subscribed sockets held open in `idle`.
    #[arg(long, default_value_t = 10_000)]
    pub idle: usize,

    /// Seconds the idle sockets are held (pinging) while RSS is sampled.
    #[arg(long, default_value_t = 10.0)]
    pub idle_hold: f64,

    /// Connections opened in the `connect` storm.
    #[arg(long, default_value_t = 10_000)]
    pub connects: usize,

    /// Connections in flight at once while opening sockets (every WS scenario).
    #[arg(long, default_value_t = 500)]
    pub connect_concurrency: usize,

    /// Messages seeded into the `history` channel.
    #[arg(long, default_value_t = 10_000_000)]
    pub history_rows: u64,

    /// Concurrent keep-alive clients paging history.
    #[arg(long, default_value_t = 16)]
    pub history_clients: usize,

    /// Pages per second, from all clients together, in the paced run of
    /// `history` whose latency is judged.
    #[arg(long, default_value_t = 5_000.0)]
    pub history_rate: f64,

    /// Channels in the `unread` workspace.
    #[arg(long, default_value_t = 200)]
    pub unread_rooms: usize,

    /// Unread messages seeded into each `unread` channel.
    #[arg(long, default_value_t = 10_000)]
    pub unread_depth: u64,

    /// Concurrent keep-alive clients asking for the unread summary.
    #[arg(long, default_value_t = 8)]
    pub unread_clients: usize,

    /// Summaries per second, from all clients together, in the paced run
    /// of `unread` whose latency is judged.
    #[arg(long, default_value_t = 1_000.0)]
    pub unread_rate: f64,

    /// Depth of the anchor of `around`: how many messages of its room are
    /// newer than it.
    #[arg(long, default_value_t = 1_000_000)]
    pub around_depth: u64,

    /// Concurrent keep-alive clients reading windows around an anchor.
    #[arg(long, default_value_t = 16)]
    pub around_clients: usize,

    /// Windows per second, from all clients together, in the paced run of
    /// `around` whose latency is judged.
    #[arg(long, default_value_t = 1_000.0)]
    pub around_rate: f64,

    /// Messages seeded over the `search` workspace's channels.
    #[arg(long, default_value_t = 1_000_000)]
    pub search_rows: u64,

    /// Channels in the `search` workspace.
    #[arg(long, default_value_t = 100)]
    pub search_rooms: usize,

    /// Concurrent keep-alive clients searching.
    #[arg(long, default_value_t = 4)]
    pub search_clients: usize,

    /// Searches per second, from all clients together, in the paced runs of
    /// `search` whose latency is judged.
    #[arg(long, default_value_t = 20.0)]
    pub search_rate: f64,

    /// Concurrent clients logging in.
    #[arg(long, default_value_t = 4)]
    pub login_clients: usize,

    /// Seconds of logging in.
    #[arg(long, default_value_t = 5.0)]
    pub login_duration: f64,
}

/// One benchmark scenario. The declaration order is the run order: `idle`
/// measures memory, so it runs first, on the least-used server, where freed
/// memory from earlier scenarios cannot hide new allocations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    Idle,
    Connect,
    Fanout,
    #[serde(rename = "sio-fanout")]
    SioFanout,
    Burst,
    Post,
    Baseline,
    History,
    Around,
    Reactions,
    Unread,
    Search,
    Login,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Connect => "connect",
            Self::Fanout => "fanout",
            Self::SioFanout => "sio-fanout",
            Self::Burst => "burst",
            Self::Post => "post",
            Self::Baseline => "baseline",
            Self::History => "history",
            Self::Around => "around",
            Self::Reactions => "reactions",
            Self::Unread => "unread",
            Self::Search => "search",
            Self::Login => "login",
        }
    }
}

impl Args {
    /// The scenarios to run, in run order: all of them unless `--only` says.
    pub fn scenarios(&self) -> Vec<Scenario> {
        let mut chosen = if self.only.is_empty() {
            Scenario::value_variants().to_vec()
        } else {
            self.only.clone()
        };
        chosen.sort();
        chosen.dedup();
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_runs_the_named_scenarios_in_run_order() {
        let args = Args::parse_from(["concord-bench", "--only", "post,fanout,post"]);
        assert_eq!(args.scenarios(), vec![Scenario::Fanout, Scenario::Post]);
    }

    #[test]
    fn socket_io_fanout_runs_right_after_fanout() {
        let args = Args::parse_from(["concord-bench", "--only", "burst,sio-fanout,fanout"]);
        assert_eq!(
            args.scenarios(),
            vec![Scenario::Fanout, Scenario::SioFanout, Scenario::Burst]
        );
        assert_eq!(Scenario::SioFanout.name(), "sio-fanout");
    }

    #[test]
    fn no_only_runs_everything() {
        let args = Args::parse_from(["concord-bench"]);
        assert_eq!(args.scenarios().len(), 13);
    }
}
