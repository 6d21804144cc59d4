//! Postgres through its own command-line tools: `psql` seeds and inspects,
//! `pgbench` measures the baseline. Shelling out keeps a Postgres driver out
//! of the generator, and the two tools are what any DBA would reach for.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// The database Concord runs on.
#[derive(Clone, Debug)]
pub struct Db {
    url: String,
    psql: PathBuf,
}

impl Db {
    pub fn new(url: &str) -> anyhow::Result<Self> {
        Ok(Self {
            url: url.to_owned(),
            psql: find_tool("psql")?,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Runs each statement as its own psql command (so `VACUUM` may follow
    /// an `INSERT`), stopping at the first error; returns the last output,
    /// unaligned and without headers.
    pub async fn run(&self, statements: &[String]) -> anyhow::Result<String> {
        let mut cmd = Command::new(&self.psql);
        cmd.args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            &self.url,
        ]);
        for s in statements {
            cmd.args(["-c", s]);
        }
        output(cmd, "psql").await
    }

    /// One query's single value.
    pub async fn scalar(&self, query: &str) -> anyhow::Result<String> {
        self.run(&[query.to_owned()]).await
    }

    /// One query's single value read as comma-separated ids, the way
    /// `string_agg(id::text, ',')` gives them; empty (or NULL) is none.
    pub async fn ids(&self, query: &str) -> anyhow::Result<Vec<i64>> {
        let value = self.scalar(query).await?;
        value
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().with_context(|| format!("id {s:?}")))
            .collect()
    }
}

/// `ids` as SQL list items: `1,2,3`.
pub fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// Runs `cmd` off the async runtime and returns its stdout, or its stderr as
/// the error.
pub async fn output(mut cmd: Command, what: &'static str) -> anyhow::Result<String> {
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await?
        .with_context(|| format!("run {what}"))?;
    if !out.status.success() {
        bail!(
            "{what} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// A Postgres client tool: on `PATH`, else in the newest
/// `/usr/lib/postgresql/*/bin` (Debian installs pgbench only there).
pub fn find_tool(name: &str) -> anyhow::Result<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if let Some(found) = on_path {
        return Ok(found);
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin").join(name))
        .filter(|p| p.is_file())
        .collect();
    versions.sort_by_key(|p| version_of(p));
    versions
        .pop()
        .with_context(|| format!("{name} is neither on PATH nor in /usr/lib/postgresql/*/bin"))
}

/// The major version in `/usr/lib/postgresql/15/bin/x`, for sorting.
fn version_of(path: &Path) -> u32 {
    path.components()
        .filter_map(|c| c.as_os_str().to_str()?.parse().ok())
        .next()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_lists_are_comma_separated() {
        assert_eq!(id_list(&[3, 14, 15]), "3,14,15");
        assert_eq!(id_list(&[]), "");
    }

    #[test]
    fn versions_sort_numerically() {
        assert_eq!(
            version_of(Path::new("/usr/lib/postgresql/15/bin/pgbench")),
            15
        );
        assert!(version_of(Path::new("/usr/lib/postgresql/9/bin/x")) < 15);
    }
}
