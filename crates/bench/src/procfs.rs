//! CPU time and memory of Concord (and of the generator itself), from /proc.
//!
//! The generator and the server share the machine's cores, so a wall-clock
//! rate alone says little: every rate is reported beside the server's
//! CPU-seconds over the same window, and the generator's own, which shows
//! whether the generator was the bottleneck.

use std::process::Command;
use std::sync::OnceLock;

use anyhow::Context;

/// Which process to read: Concord's pid, or the generator itself.
#[derive(Clone, Copy, Debug)]
pub enum Proc {
    Pid(u32),
    Myself,
}

impl Proc {
    fn path(self, file: &str) -> String {
        match self {
            Self::Pid(pid) => format!("/proc/{pid}/{file}"),
            Self::Myself => format!("/proc/self/{file}"),
        }
    }

    /// User plus system CPU time of every thread, in seconds.
    pub fn cpu_seconds(self) -> anyhow::Result<f64> {
        let path = self.path("stat");
        let stat = std::fs::read_to_string(&path).with_context(|| format!("read {path}"))?;
        let ticks = parse_stat_ticks(&stat).with_context(|| format!("parse {path}"))?;
        Ok(ticks as f64 / clock_ticks_per_second())
    }

    /// Resident set size, in KiB.
    pub fn rss_kib(self) -> anyhow::Result<u64> {
        let path = self.path("status");
        let status = std::fs::read_to_string(&path).with_context(|| format!("read {path}"))?;
        parse_vm_rss(&status).with_context(|| format!("no VmRSS in {path}"))
    }
}

/// utime + stime (fields 14 and 15) of a `/proc/PID/stat` line. The command
/// name (field 2) may contain spaces and parentheses, so fields are counted
/// from the last `)`.
fn parse_stat_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11); // field 3 is index 0
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

fn parse_vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `CLK_TCK`, the unit of /proc CPU times. Linux reports 100 to user space on
/// every common architecture; `getconf` confirms it without unsafe `sysconf`.
fn clock_ticks_per_second() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// Busy CPU time of the whole machine (every core, every process: Postgres
/// too), in seconds, from the first line of `/proc/stat`.
fn machine_busy_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    parse_machine_busy(stat.lines().next()?).map(|t| t as f64 / clock_ticks_per_second())
}

/// user + nice + system + irq + softirq + steal of a `cpu ...` line: all but
/// idle and iowait.
fn parse_machine_busy(line: &str) -> Option<u64> {
    let ticks: Vec<u64> = line
        .strip_prefix("cpu ")?
        .split_whitespace()
        .take(8)
        .map(|t| t.parse().ok())
        .collect::<Option<_>>()?;
    let (idle, iowait) = (*ticks.get(3)?, *ticks.get(4)?);
    Some(ticks.iter().sum::<u64>() - idle - iowait)
}

/// How many times a listen queue overflowed, machine-wide (`TcpExt:
/// ListenOverflows` in `/proc/net/netstat`). Each overflow drops a SYN, which
/// the client resends only after a second: the usual cause of connect
/// latencies of just over 1,000 ms.
pub fn listen_overflows() -> Option<u64> {
    let netstat = std::fs::read_to_string("/proc/net/netstat").ok()?;
    parse_netstat(&netstat, "TcpExt:", "ListenOverflows")
}

/// One counter of `/proc/net/netstat`, where each group is a line of names
/// followed by a line of values.
fn parse_netstat(netstat: &str, group: &str, name: &str) -> Option<u64> {
    let mut lines = netstat.lines().filter(|l| l.starts_with(group));
    while let (Some(names), Some(values)) = (lines.next(), lines.next()) {
        let at = names.split_whitespace().position(|n| n == name);
        if let Some(at) = at {
            return values.split_whitespace().nth(at)?.parse().ok();
        }
    }
    None
}

/// CPU time of the server, the generator and the machine since the meter
/// started.
#[derive(Clone, Copy, Debug)]
pub struct CpuMeter {
    server: Option<(Proc, f64)>,
    client: f64,
    machine: Option<f64>,
}

/// CPU-seconds spent over a window.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuUsed {
    pub server: Option<f64>,
    pub client: f64,
    /// Every process together; what is neither server nor generator is
    /// mostly Postgres.
    pub machine: Option<f64>,
}

impl CpuMeter {
    pub fn start(server: Option<u32>) -> Self {
        let server = server.and_then(|pid| {
            let p = Proc::Pid(pid);
            p.cpu_seconds().ok().map(|s| (p, s))
        });
        Self {
            server,
            client: Proc::Myself.cpu_seconds().unwrap_or(0.0),
            machine: machine_busy_seconds(),
        }
    }

    pub fn used(&self) -> CpuUsed {
        CpuUsed {
            server: self
                .server
                .and_then(|(p, start)| p.cpu_seconds().ok().map(|now| now - start)),
            client: Proc::Myself.cpu_seconds().unwrap_or(0.0) - self.client,
            machine: self
                .machine
                .zip(machine_busy_seconds())
                .map(|(start, now)| now - start),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_ticks_are_counted_after_the_command_name() {
        let stat = "4242 (con cord) (x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 9 0";
        assert_eq!(parse_stat_ticks(stat), Some(325));
    }

    #[test]
    fn rss_comes_from_the_vm_rss_line() {
        let status = "Name:\tconcord\nVmPeak:\t  9000 kB\nVmRSS:\t   12345 kB\nThreads: 9\n";
        assert_eq!(parse_vm_rss(status), Some(12345));
    }

    #[test]
    fn machine_busy_time_leaves_out_idle_and_iowait() {
        let line = "cpu  100 5 50 9000 300 1 2 3 0 0";
        assert_eq!(parse_machine_busy(line), Some(161));
        assert_eq!(parse_machine_busy("cpu0 1 2 3 4 5 6 7 8"), None);
    }

    #[test]
    fn netstat_counters_are_found_by_name() {
        let netstat = "TcpExt: SyncookiesSent ListenOverflows ListenDrops\n\
                       TcpExt: 0 145 146\n\
                       IpExt: InNoRoutes\nIpExt: 3\n";
        assert_eq!(
            parse_netstat(netstat, "TcpExt:", "ListenOverflows"),
            Some(145)
        );
        assert_eq!(parse_netstat(netstat, "IpExt:", "InNoRoutes"), Some(3));
        assert_eq!(parse_netstat(netstat, "TcpExt:", "Nope"), None);
    }

    #[test]
    fn the_generator_can_read_itself() {
        assert!(Proc::Myself.cpu_seconds().unwrap() >= 0.0);
        assert!(Proc::Myself.rss_kib().unwrap() > 0);
    }
}
