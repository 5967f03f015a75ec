//! The store: one SQL implementation over sqlx's `Any` driver, for SQLite and PostgreSQL.
//!
//! Queries are written once in portable SQL with `$n` placeholders (both engines accept them).
//! What differs per engine (connection set-up and the migrations) is isolated in this module
//! and in `migrations/<backend>/`.

pub mod api;
pub mod backup;
pub mod directory;
mod scratch;
pub mod sql;

use app::error::AppError;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::str::FromStr;
use std::time::Duration;

pub use scratch::{ScratchDatabase, TEST_POSTGRES};
pub use sqlx::AnyConnection as Connection;

/// The database engine behind a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file: the zero-set-up default.
    Sqlite,
    /// A PostgreSQL server shared by several replicas.
    Postgres,
}

impl Backend {
    /// Picks the engine from a database URL.
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            anyhow::bail!("unsupported database URL {url:?}: use sqlite:<path> or postgres://…")
        }
    }
}

impl Backend {
    /// Appends a "contains" condition on a user's email and full name (lower-case `needle`),
    /// answered from each engine's trigram index: SQLite's FTS5 `trigram` tokenizer, or
    /// PostgreSQL's `pg_trgm`.
    pub fn push_contains(self, sql: &mut sql::SqlBuilder, needle: &str) {
        match self {
            Backend::Sqlite => {
                // An FTS5 phrase: double quotes inside are doubled.
                let phrase = format!("\"{}\"", needle.replace('"', "\"\""));
                sql.push("u.rowid IN (SELECT rowid FROM user_search WHERE user_search MATCH ").bind(phrase).push(")");
            }
            Backend::Postgres => {
                let escaped = needle.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
                sql.push("u.search_text LIKE ").bind(format!("%{escaped}%"));
            }
        }
    }
}

/// A connection pool with its engine.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// Connects, creating the SQLite file (and its folder) when missing, and migrates.
    pub async fn open(url: &str) -> anyhow::Result<Self> {
        Self::open_with_cache(url, None).await
    }

    /// Like [`open`](Self::open), for a bulk load: on SQLite each connection keeps up to
    /// `cache_mib` of pages, so a large transaction's index pages stay in memory until it
    /// commits instead of spilling to the WAL page by page (SQLite's default is 2 MiB).
    pub async fn open_for_bulk_load(url: &str, cache_mib: u32) -> anyhow::Result<Self> {
        Self::open_with_cache(url, Some(cache_mib)).await
    }

    async fn open_with_cache(url: &str, cache_mib: Option<u32>) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let (url, synchronous) = match backend {
            Backend::Sqlite => prepare_sqlite_url(url)?,
            Backend::Postgres => (url.to_owned(), DEFAULT_SYNCHRONOUS),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .min_connections(1)
            // An embedded file cannot drop a connection the way a network can, so checking
            // each one before use would only cost a round trip to its worker thread.
            .test_before_acquire(backend == Backend::Postgres)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    match backend {
                        // Foreign keys, the busy timeout and the sync level are per
                        // connection in SQLite.
                        Backend::Sqlite => {
                            let mut pragmas = format!(
                                "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = {synchronous};"
                            );
                            if let Some(mib) = cache_mib {
                                // A negative size is in KiB rather than pages.
                                pragmas.push_str(&format!(" PRAGMA cache_size = -{};", u64::from(mib) * 1024));
                            }
                            conn.execute(pragmas.as_str()).await?;
                        }
                        // The users table's best plan depends on the values (a common search
                        // prefix walks the index in order, a rare one looks matches up), which
                        // a cached generic plan cannot see.
                        Backend::Postgres => {
                            conn.execute("SET plan_cache_mode = force_custom_plan").await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        if backend == Backend::Sqlite {
            // WAL lets readers proceed while one writer commits; it persists in the file.
            pool.execute("PRAGMA journal_mode = WAL").await?;
        }
        let store = Self { pool, backend };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies any migrations not yet applied.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        migrator(self.backend).run(&self.pool).await?;
        Ok(())
    }

    /// True when every migration this build carries is applied (the readiness check): one
    /// query, so it also tells that the database answers.
    pub async fn migrations_current(&self) -> Result<bool, StoreError> {
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success").fetch_all(&self.pool).await?;
        let applied: std::collections::HashSet<i64> = applied.into_iter().collect();
        Ok(migrator(self.backend).iter().all(|migration| applied.contains(&migration.version)))
    }

    /// Refreshes the query planner's statistics, as after a bulk load.
    pub async fn analyze(&self) -> Result<(), StoreError> {
        self.pool.execute("ANALYZE").await.map(drop).map_err(StoreError::from)
    }

    /// The engine behind this store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a transaction for a change.
    ///
    /// On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`): a transaction that reads
    /// and then writes could otherwise fail when another writer commits in between. On
    /// PostgreSQL the core locks the rows it checks instead.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
        .map_err(StoreError::from)
    }

    /// Borrows a connection for reads, and for single statements that are atomic on their own.
    pub async fn read(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, StoreError> {
        self.pool.acquire().await.map_err(StoreError::from)
    }
}

/// The migrations this build carries for `backend`.
fn migrator(backend: Backend) -> &'static sqlx::migrate::Migrator {
    static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
    static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");
    match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    }
}

/// How often SQLite flushes to disk unless the URL says otherwise. In WAL mode, `NORMAL`
/// writes every commit to the WAL before it is acknowledged (so it survives the process being
/// killed) and flushes at checkpoints; only an OS crash or power loss can take back the last
/// commits, never corrupt the file. `synchronous=full` in the URL flushes every commit.
const DEFAULT_SYNCHRONOUS: &str = "NORMAL";

/// Turns `sqlite:path` into a URL that creates the file, and creates its folder. Roster's own
/// `synchronous=normal|full|extra` parameter is taken out (sqlx does not know it) and
/// returned as the `PRAGMA synchronous` level.
fn prepare_sqlite_url(url: &str) -> anyhow::Result<(String, &'static str)> {
    let (path, query) = sqlite_path(url);
    let mut synchronous = DEFAULT_SYNCHRONOUS;
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        match pair.split_once('=') {
            Some(("synchronous", level)) => {
                synchronous = match level.to_ascii_lowercase().as_str() {
                    "normal" => "NORMAL",
                    "full" => "FULL",
                    "extra" => "EXTRA",
                    _ => anyhow::bail!("synchronous={level} in the database URL: use normal, full or extra"),
                };
            }
            _ => rest.push(pair),
        }
    }
    if path != ":memory:"
        && let Some(parent) = std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)?;
    }
    let query = if rest.is_empty() { "mode=rwc".to_owned() } else { rest.join("&") };
    Ok((format!("sqlite://{path}?{query}"), synchronous))
}

/// The file path and the query string of a `sqlite:` URL.
fn sqlite_path(url: &str) -> (&str, &str) {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    rest.split_once('?').unwrap_or((rest, ""))
}

/// Reads at most one row of a query with a single text parameter.
pub async fn fetch_optional_by<T>(conn: &mut Connection, sql: &str, value: &str) -> Result<Option<T>, StoreError>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    sqlx::query_as(sql).bind(value).fetch_optional(conn).await.map_err(StoreError::from)
}

/// What a store call can fail with: every function of the store returns it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write; the core says what that means to the caller.
    #[error("a unique constraint refused the write")]
    Duplicate,
    /// Anything else: the connection, the SQL, decoding a row.
    #[error(transparent)]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate,
            _ => StoreError::Database(error),
        }
    }
}

impl StoreError {
    /// The caller's answer to a duplicate (`on_duplicate`); anything else is internal.
    pub fn duplicate_as(self, on_duplicate: impl FnOnce() -> AppError) -> AppError {
        match self {
            StoreError::Duplicate => on_duplicate(),
            other => other.into(),
        }
    }
}

/// The one place a store failure becomes an answer: the cause is logged, the caller is told
/// only that something failed on our side.
impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        tracing::error!(%error, "database call failed");
        AppError::Internal
    }
}

/// Commits a change's transaction.
pub async fn commit(tx: sqlx::Transaction<'static, sqlx::Any>) -> Result<(), StoreError> {
    tx.commit().await.map_err(StoreError::from)
}

/// The current time in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Formats stored milliseconds as a WorkOS timestamp: ISO-8601 UTC with milliseconds.
pub fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_milliseconds_and_a_z() {
        assert_eq!(iso(1_689_646_039_911), "2023-07-18T02:07:19.911Z");
    }

    #[test]
    fn sqlite_urls_create_the_file() {
        assert_eq!(prepare_sqlite_url("sqlite::memory:").unwrap(), ("sqlite://:memory:?mode=rwc".into(), "NORMAL"));
        assert!(Backend::from_url("mysql://x").is_err());
    }

    #[test]
    fn the_sync_level_comes_from_the_url_and_is_not_passed_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let (url, level) = prepare_sqlite_url(&format!("sqlite:{}?synchronous=FULL", path.display())).unwrap();
        assert_eq!((url, level), (format!("sqlite://{}?mode=rwc", path.display()), "FULL"));
        let (url, level) = prepare_sqlite_url(&format!("sqlite:{}?mode=rw&synchronous=extra", path.display())).unwrap();
        assert_eq!((url, level), (format!("sqlite://{}?mode=rw", path.display()), "EXTRA"));
        let error = prepare_sqlite_url("sqlite::memory:?synchronous=off").unwrap_err().to_string();
        assert!(error.contains("normal, full or extra"), "{error}");
    }

    /// The settings an acknowledged write's durability rests on (see `DEFAULT_SYNCHRONOUS`).
    #[tokio::test]
    async fn sqlite_stores_use_wal_and_the_sync_level_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        for (query, expected) in [("", 1), ("?synchronous=full", 2)] {
            let store = Store::open(&format!("sqlite:{}{query}", dir.path().join("r.db").display())).await.unwrap();
            let mut conn = store.read().await.unwrap();
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut *conn).await.unwrap();
            let level: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&mut *conn).await.unwrap();
            assert_eq!((mode.as_str(), level), ("wal", expected), "{query}");
        }
    }
}
