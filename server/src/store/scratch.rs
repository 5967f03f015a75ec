//! Throwaway databases for tests and benchmarks.

use sqlx::{Connection as _, Executor};

/// The variable naming a PostgreSQL server (`postgres://user@host:port`) to test against;
/// without it, tests use SQLite files.
pub const TEST_POSTGRES: &str = "ROSTER_TEST_POSTGRES";

/// A fresh, empty database: a SQLite file in a temporary folder, or, when
/// `ROSTER_TEST_POSTGRES` names a server, a new database on it. The SQLite folder is removed
/// when this is dropped; PostgreSQL databases live as long as the throwaway test cluster.
pub struct ScratchDatabase {
    /// The URL to open it with.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl ScratchDatabase {
    /// Creates the database.
    pub async fn new() -> anyhow::Result<Self> {
        match std::env::var(TEST_POSTGRES).ok().filter(|url| !url.is_empty()) {
            Some(server) => {
                let server = server.trim_end_matches('/');
                let name = format!("roster_test_{}", app::ids::new_ulid().to_lowercase());
                let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres")).await?;
                admin.execute(format!("CREATE DATABASE \"{name}\"").as_str()).await?;
                admin.close().await?;
                Ok(Self { url: format!("{server}/{name}"), _dir: None })
            }
            None => {
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite:{}", dir.path().join("roster.db").display());
                Ok(Self { url, _dir: Some(dir) })
            }
        }
    }
}
