//! Figures, their targets and the verdicts: the printed table and the JSON
//! file (`target/bench/latest.json`).
//!
//! A figure that misses its target is printed and stored as a MISS; a
//! scenario that fails outright is a MISS too. Nothing is left out.

use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::procfs::CpuUsed;

/// What a figure is held to.
#[derive(Clone, Copy, Debug)]
pub enum Goal {
    AtLeast(f64),
    AtMost(f64),
    Exactly(f64),
    /// Measured and shown, with no target.
    Reported,
}

impl Goal {
    fn verdict(self, value: f64) -> Option<bool> {
        // NaN (nothing measured) fails every comparison: a MISS.
        match self {
            Self::AtLeast(t) => Some(value >= t),
            Self::AtMost(t) => Some(value <= t),
            Self::Exactly(t) => Some(value == t),
            Self::Reported => None,
        }
    }

    fn describe(self, unit: &str) -> String {
        match self {
            Self::AtLeast(t) => format!("≥ {}", format_value(t, unit)),
            Self::AtMost(t) => format!("≤ {}", format_value(t, unit)),
            Self::Exactly(t) => format!("= {}", format_value(t, unit)),
            Self::Reported => "reported".to_owned(),
        }
    }
}

/// One measured figure.
#[derive(Debug)]
pub struct Figure {
    pub scenario: &'static str,
    pub name: String,
    pub value: f64,
    pub unit: &'static str,
    pub goal: Goal,
    /// CPU used over the window the figure was measured in.
    pub cpu: Option<CpuUsed>,
}

impl Figure {
    fn json(&self) -> Value {
        let (op, target) = match self.goal {
            Goal::AtLeast(t) => (">=", Some(t)),
            Goal::AtMost(t) => ("<=", Some(t)),
            Goal::Exactly(t) => ("==", Some(t)),
            Goal::Reported => ("reported", None),
        };
        // CPU times are sums of 10 ms ticks: more digits would be noise.
        let cpu = |s: Option<f64>| s.map(|s| (s * 1000.0).round() / 1000.0);
        json!({
            "scenario": self.scenario,
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "target": { "op": op, "value": target },
            "pass": self.goal.verdict(self.value),
            "server_cpu_s": cpu(self.cpu.and_then(|c| c.server)),
            "bench_cpu_s": cpu(self.cpu.map(|c| c.client)),
            "machine_cpu_s": cpu(self.cpu.and_then(|c| c.machine)),
        })
    }
}

/// What one scenario produced: figures, plus details for the JSON only.
#[derive(Debug)]
pub struct Outcome {
    scenario: &'static str,
    figures: Vec<Figure>,
    details: Map<String, Value>,
}

impl Outcome {
    pub fn new(scenario: &'static str) -> Self {
        Self {
            scenario,
            figures: Vec::new(),
            details: Map::new(),
        }
    }

    pub fn figure(
        &mut self,
        name: impl Into<String>,
        value: f64,
        unit: &'static str,
        goal: Goal,
        cpu: Option<CpuUsed>,
    ) {
        self.figures.push(Figure {
            scenario: self.scenario,
            name: name.into(),
            value,
            unit,
            goal,
            cpu,
        });
    }

    pub fn detail(&mut self, key: &str, value: impl Serialize) {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.details.insert(key.to_owned(), value);
    }
}

/// Every outcome of the run.
#[derive(Debug, Default)]
pub struct Report {
    figures: Vec<Figure>,
    details: Map<String, Value>,
}

impl Report {
    pub fn add(&mut self, outcome: Outcome) {
        if !outcome.details.is_empty() {
            self.details
                .insert(outcome.scenario.to_owned(), Value::Object(outcome.details));
        }
        self.figures.extend(outcome.figures);
    }

    /// A scenario that could not finish: a MISS with the reason.
    pub fn failed(&mut self, scenario: &'static str, error: &anyhow::Error) {
        let mut outcome = Outcome::new(scenario);
        outcome.figure(
            format!("failed: {error:#}"),
            f64::NAN,
            "",
            Goal::Exactly(0.0),
            None,
        );
        self.add(outcome);
    }

    fn counts(&self) -> (usize, usize) {
        let verdicts = self.figures.iter().filter_map(|f| f.goal.verdict(f.value));
        verdicts.fold((0, 0), |(pass, miss), ok| {
            if ok {
                (pass + 1, miss)
            } else {
                (pass, miss + 1)
            }
        })
    }

    /// The table, one figure per line.
    pub fn print(&self) {
        let line = "-".repeat(136);
        println!("\n{line}");
        println!(
            "{:<10} {:<44} {:>17} {:>16} {:<6} {:>10} {:>10} {:>10}",
            "scenario", "figure", "value", "target", "result", "server CPU", "bench CPU", "all CPU"
        );
        println!("{line}");
        for f in &self.figures {
            let verdict = match f.goal.verdict(f.value) {
                Some(true) => "PASS",
                Some(false) => "MISS",
                None => "-",
            };
            let server = f.cpu.and_then(|c| c.server).map(|s| format!("{s:.2} s"));
            let bench = f.cpu.map(|c| format!("{:.2} s", c.client));
            let machine = f.cpu.and_then(|c| c.machine).map(|s| format!("{s:.2} s"));
            println!(
                "{:<10} {:<44} {:>17} {:>16} {:<6} {:>10} {:>10} {:>10}",
                f.scenario,
                f.name,
                format!("{} {}", format_value(f.value, f.unit), f.unit)
                    .trim_end()
                    .to_owned(),
                f.goal.describe(f.unit),
                verdict,
                server.as_deref().unwrap_or("-"),
                bench.as_deref().unwrap_or("-"),
                machine.as_deref().unwrap_or("-"),
            );
        }
        println!("{line}");
        println!(
            "CPU columns: CPU-seconds over the window each figure was measured in; server = Concord, \
             bench = this generator, all = the whole machine (Postgres included)."
        );
        let (pass, miss) = self.counts();
        println!("targets: {pass} PASS, {miss} MISS");
    }

    /// Writes the JSON file, with the machine and the commit measured.
    pub fn write(&self, path: &Path, args: &impl Serialize) -> anyhow::Result<()> {
        let (pass, miss) = self.counts();
        let unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let doc = json!({
            "timestamp": rfc3339(unix),
            "unix_time": unix,
            "git": git(),
            "machine": machine(),
            "args": args,
            "summary": { "pass": pass, "miss": miss },
            "figures": self.figures.iter().map(Figure::json).collect::<Vec<_>>(),
            "details": self.details,
        });
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
        }
        let text = serde_json::to_string_pretty(&doc)?;
        std::fs::write(path, text + "\n").with_context(|| format!("write {}", path.display()))
    }
}

/// `1234567.8` → `1,234,568`; small values and latencies keep decimals.
pub fn format_value(value: f64, unit: &str) -> String {
    if !value.is_finite() {
        return "n/a".to_owned();
    }
    let decimals = match unit {
        "ms" | "×" | "KiB/conn" | "%" => 2,
        "s" => 1,
        _ if value.fract() == 0.0 || value.abs() >= 100.0 => 0,
        _ => 1,
    };
    let text = format!("{value:.decimals$}");
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

/// Seconds since the epoch as `2026-11-21T09:00:00Z` (days-from-civil,
/// inverted, after Howard Hinnant).
fn rfc3339(unix: u64) -> String {
    let (days, secs) = (unix / 86_400, unix % 86_400);
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn run(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        // read-only: never let `git status` refresh and write the index
        .env("GIT_OPTIONAL_LOCKS", "0")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn git() -> Value {
    let commit = run("git", &["rev-parse", "--short", "HEAD"]);
    let dirty =
        run("git", &["status", "--porcelain", "--untracked-files=no"]).map(|s| !s.is_empty());
    json!({ "commit": commit, "dirty": dirty })
}

fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_owned());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_total_kib: Option<u64> = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok());
    json!({
        "nproc": std::thread::available_parallelism().map(|n| n.get()).ok(),
        "cpu_model": cpu_model,
        "mem_total_kib": mem_total_kib,
        "kernel": run("uname", &["-r"]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_grouped_and_rounded_by_unit() {
        assert_eq!(format_value(12_345.6, "posts/s"), "12,346");
        assert_eq!(format_value(1.23456, "ms"), "1.23");
        assert_eq!(format_value(1_234_567.0, ""), "1,234,567");
        assert_eq!(format_value(7.25, "KiB/conn"), "7.25");
        assert_eq!(format_value(f64::NAN, "ms"), "n/a");
        assert_eq!(format_value(-1_000.0, ""), "-1,000");
    }

    #[test]
    fn goals_judge_and_nothing_measured_misses() {
        assert_eq!(Goal::AtLeast(10.0).verdict(10.0), Some(true));
        assert_eq!(Goal::AtMost(3.0).verdict(3.5), Some(false));
        assert_eq!(Goal::AtMost(3.0).verdict(f64::NAN), Some(false));
        assert_eq!(Goal::Reported.verdict(1.0), None);
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_258_800), "2026-11-21T11:00:00Z");
    }
}
