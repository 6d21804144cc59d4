//! `login`: logins per second at the bcrypt cost Concord was started with
//! (`POST /api/session`). No target: the figure shows what the configured
//! cost costs, which is the point of choosing it.

use bytes::Bytes;

use super::{Bench, Client, closed_loop};
use crate::api::login_body;
use crate::http::Conn;
use crate::report::{Goal, Outcome};

struct LogIn {
    bodies: Vec<Bytes>,
    next: usize,
}

impl Client for LogIn {
    async fn call(&mut self, conn: &mut Conn) -> anyhow::Result<()> {
        let body = self.bodies[self.next % self.bodies.len()].clone();
        self.next += 1;
        let response = conn.post("/api/session", None, body).await?;
        if response.status != 200 {
            anyhow::bail!(
                "{} {}",
                response.status,
                String::from_utf8_lossy(&response.body)
            );
        }
        Ok(())
    }
}

pub async fn run(bench: &Bench) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::new("login");
    let bodies: Vec<Bytes> = bench.fixture.users.iter().map(login_body).collect();
    let clients = (0..bench.args.login_clients.max(1))
        .map(|i| LogIn {
            bodies: bodies.clone(),
            next: i,
        })
        .collect();
    let mut run = closed_loop(bench, clients, 0.0, bench.args.login_duration).await?;
    let latency = std::mem::take(&mut run.latencies).summary();
    let cost = bench
        .args
        .bcrypt_cost
        .map_or_else(|| "configured cost".to_owned(), |c| format!("cost {c}"));
    let cpu = Some(run.cpu);
    outcome.figure(
        format!("logins/s (bcrypt {cost})"),
        run.rate(),
        "logins/s",
        Goal::Reported,
        cpu,
    );
    outcome.figure("p50 latency", latency.p50(), "ms", Goal::Reported, cpu);
    outcome.figure(
        "failed logins",
        run.failed as f64,
        "",
        Goal::Exactly(0.0),
        cpu,
    );
    if let Some(server) = run.cpu.server.filter(|s| *s > 0.0) {
        outcome.figure(
            "server CPU-ms per login",
            1000.0 * server / run.ok as f64,
            "ms",
            Goal::Reported,
            cpu,
        );
    }
    outcome.detail("clients", bench.args.login_clients);
    outcome.detail("bcrypt_cost", bench.args.bcrypt_cost);
    outcome.detail("latency", latency.json());
    if let Some(first) = &run.first_failure {
        outcome.detail("first_failure", first);
    }
    Ok(outcome)
}
