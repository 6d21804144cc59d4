//! `concord`: the server, and the commands an operator scripts around it.
//!
//! Every failure ends in one line on stderr, `concord: <what>`, naming the
//! setting at fault where there is one, and a non-zero exit status: 2 for a
//! configuration that does not load, 1 for anything else.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use concord_api::settings::{LogFormat, Mode, mask_password};
use concord_api::{Application, Settings};
use tracing_subscriber::EnvFilter;

/// Concord, a self-hostable team-chat server.
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API and the realtime gateway (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load and validate the configuration, check the database and broker
    /// answer, print the effective settings (secrets masked) and exit.
    CheckConfig,
}

/// How long `check-config` and a production start wait on a broker.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(e) => return fail(2, &e),
    };
    let done = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            init_logging(&settings);
            serve(&settings)
        }
        Command::Migrate => {
            init_logging(&settings);
            migrate(&settings)
        }
        Command::CheckConfig => check_config(&settings),
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(1, &e),
    }
}

fn fail(code: u8, e: &anyhow::Error) -> ExitCode {
    // `{:#}` puts the whole chain of causes on one line; libpq's messages
    // bring line breaks of their own.
    let line = format!("{e:#}");
    eprintln!(
        "concord: {}",
        line.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    ExitCode::from(code)
}

/// Text for people (coloured on a terminal), or one JSON object per line.
/// Either way each line logged while serving a request carries the
/// request's span, and so its `request_id`.
fn init_logging(settings: &Settings) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.log.level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match settings.log.format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(true)
            .init(),
    }
}

fn serve(settings: &Settings) -> anyhow::Result<()> {
    // In development the broker's own task retries, and says so, in the
    // background; production must not start without it.
    if settings.server.environment == Mode::Production
        && let Err(e) = settings.broker().probe(PROBE_TIMEOUT)
    {
        anyhow::bail!(
            "{}: the realtime broker does not answer: {e:#}",
            broker_key(settings)
        );
    }
    actix_web::rt::System::new().block_on(async {
        let app = Application::build(settings)?;
        match app.metrics_port() {
            Some(metrics_port) => tracing::info!(
                host = %settings.server.host,
                port = app.port(),
                metrics_port,
                "Concord is listening"
            ),
            None => tracing::info!(host = %settings.server.host, port = app.port(), "Concord is listening"),
        }
        app.run_until_stopped().await?;
        Ok(())
    })
}

fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let applied = concord_adapters::postgres::migrate(&settings.database.url)
        .map_err(|e| e.context("database.url"))?;
    if applied.is_empty() {
        println!("the database is up to date");
    }
    for name in applied {
        println!("applied migration {name}");
    }
    Ok(())
}

/// Prints the effective settings, then checks what they point at.
fn check_config(settings: &Settings) -> anyhow::Result<()> {
    for line in settings.effective() {
        println!("{line}");
    }
    if settings.uses_dev_secret() {
        println!("warning: auth.jwt_secret is the built-in development secret");
    }
    concord_adapters::postgres::probe(&settings.database.url).map_err(|e| {
        e.context(format!(
            "database.url: cannot connect to {}",
            mask_password(&settings.database.url)
        ))
    })?;
    println!("database: answers");
    settings.broker().probe(PROBE_TIMEOUT).map_err(|e| {
        e.context(format!(
            "{}: the realtime broker does not answer",
            broker_key(settings)
        ))
    })?;
    println!("broker: answers");
    println!("configuration OK");
    Ok(())
}

/// The setting that points at the broker.
fn broker_key(settings: &Settings) -> &'static str {
    match settings.realtime.broker {
        concord_api::settings::BrokerKind::Redis => "realtime.redis_url",
        _ => "database.url",
    }
}
