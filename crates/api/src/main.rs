//! `concord`: load the configuration, start the server.

use concord_api::{Application, Settings};
use tracing_subscriber::EnvFilter;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        // Colour codes only where a person reads them, never in log files.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let settings = Settings::load()?;
    let app = Application::build(&settings)?;
    tracing::info!(host = %settings.server.host, port = app.port(), "Concord is listening");
    app.run_until_stopped().await?;
    Ok(())
}
