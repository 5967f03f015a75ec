//! The store: one SQL implementation for SQLite and PostgreSQL.
//!
//! Queries are written once in portable SQL with `$n` placeholders (both engines accept them)
//! and run through [`db`], the seam onto the engines: SQLite on `rusqlite` connection threads,
//! PostgreSQL on sqlx. What differs per engine (connection set-up and the migrations) is
//! isolated in this module and in `migrations/<backend>/`.

pub mod api;
pub mod backup;
pub mod db;
pub mod directory;
mod migrate;
mod scratch;
pub mod sql;

use app::error::AppError;
use db::{PoolConnection, SqlitePool, SqliteReads, Transaction};
use std::time::Duration;

pub use db::Connection;
pub use scratch::{ScratchDatabase, TEST_POSTGRES};

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

/// The connections of a store.
#[derive(Clone, Debug)]
enum Pools {
    /// Connections for reads (and single statements), and one thread for transactions:
    /// SQLite lets one writer in at a time, so writers queue for the writer instead of
    /// spinning on the file lock.
    Sqlite {
        readers: SqliteReads,
        writer: SqlitePool,
    },
    Postgres(sqlx::PgPool),
}

/// A store: its engine and connections.
#[derive(Clone, Debug)]
pub struct Store {
    pools: Pools,
    backend: Backend,
}

/// How many SQLite reader threads a store runs: enough to keep every core busy while some
/// wait on the disk.
fn sqlite_readers() -> usize {
    (cores() * 2).clamp(4, 16)
}

/// How many cores this process may use: as many async workers as the runtime starts.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |cores| cores.get())
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

    /// Opens a store migrated only up to (not including) migration `version`, to test a
    /// migration against data an older schema held; [`open`](Self::open) applies the rest.
    pub async fn open_migrated_before(url: &str, version: i64) -> anyhow::Result<Self> {
        let store = Self::connect(url, None).await?;
        store.migrate_before(version).await?;
        Ok(store)
    }

    async fn open_with_cache(url: &str, cache_mib: Option<u32>) -> anyhow::Result<Self> {
        let store = Self::connect(url, cache_mib).await?;
        store.migrate().await?;
        Ok(store)
    }

    async fn connect(url: &str, cache_mib: Option<u32>) -> anyhow::Result<Self> {
        let backend = Backend::from_url(url)?;
        let pools = match backend {
            Backend::Sqlite => {
                let file = SqliteFile::parse(url)?;
                // WAL lets readers proceed while one writer commits; it persists in the file.
                file.open(cache_mib)?.pragma_update(None, "journal_mode", "WAL")?;
                let readers = SqliteReads::start(sqlite_readers(), cores(), "sqlite-read", || file.open(cache_mib))?;
                let writer = SqlitePool::start(1, "sqlite-write", || file.open(cache_mib))?;
                Pools::Sqlite { readers, writer }
            }
            Backend::Postgres => {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(16)
                    .min_connections(1)
                    .acquire_timeout(db::ACQUIRE_TIMEOUT)
                    // The users table's best plan depends on the values (a common search
                    // prefix walks the index in order, a rare one looks matches up), which a
                    // cached generic plan cannot see.
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            sqlx::Executor::execute(conn, "SET plan_cache_mode = force_custom_plan").await?;
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await?;
                Pools::Postgres(pool)
            }
        };
        Ok(Self { pools, backend })
    }

    /// Applies any migrations not yet applied.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        self.migrate_before(i64::MAX).await
    }

    async fn migrate_before(&self, version: i64) -> anyhow::Result<()> {
        let migrations: Vec<_> =
            migrator(self.backend).iter().filter(|migration| migration.version < version).cloned().collect();
        match &self.pools {
            Pools::Sqlite { writer, .. } => {
                let mut conn = writer.acquire_thread().await?;
                conn.with(move |conn| migrate::sqlite(conn, &migrations)).await
            }
            Pools::Postgres(pool) => {
                let migrator =
                    sqlx::migrate::Migrator { migrations: migrations.into(), ..sqlx::migrate::Migrator::DEFAULT };
                Ok(migrator.run(pool).await?)
            }
        }
    }

    /// True when every migration this build carries is applied (the readiness check): one
    /// query, so it also tells that the database answers.
    pub async fn migrations_current(&self) -> Result<bool, StoreError> {
        let mut conn = self.read().await?;
        let applied: Vec<i64> =
            db::query_scalar("SELECT version FROM _sqlx_migrations WHERE success").fetch_all(&mut conn).await?;
        let applied: std::collections::HashSet<i64> = applied.into_iter().collect();
        Ok(migrator(self.backend).iter().all(|migration| applied.contains(&migration.version)))
    }

    /// Refreshes the query planner's statistics, as after a bulk load.
    pub async fn analyze(&self) -> Result<(), StoreError> {
        Ok(self.read().await?.execute_script("ANALYZE").await?)
    }

    /// The engine behind this store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// How many connections the store may open, has open, and has idle.
    pub fn connection_counts(&self) -> (usize, usize, usize) {
        match &self.pools {
            Pools::Sqlite { readers, writer } => {
                let ((reader_count, readers_idle), (writer_count, writer_idle)) =
                    (readers.threads().sizes(), writer.sizes());
                let open = reader_count + writer_count;
                (open, open, readers_idle + writer_idle)
            }
            Pools::Postgres(pool) => {
                (pool.options().get_max_connections() as usize, pool.size() as usize, pool.num_idle())
            }
        }
    }

    /// Starts a transaction for a change.
    ///
    /// On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`): a transaction that reads
    /// and then writes could otherwise fail when another writer commits in between. On
    /// PostgreSQL the core locks the rows it checks instead.
    pub async fn begin(&self) -> Result<Transaction, StoreError> {
        Ok(match &self.pools {
            Pools::Sqlite { writer, .. } => {
                Transaction::begin_sqlite(writer.acquire().await?, "BEGIN IMMEDIATE").await?
            }
            Pools::Postgres(pool) => Transaction::begin_postgres(pool, "BEGIN").await?,
        })
    }

    /// Starts a transaction that only reads, every statement seeing one moment of the store
    /// (an export's). It holds no write lock, so writers go on meanwhile.
    pub async fn begin_snapshot(&self) -> Result<Transaction, StoreError> {
        Ok(match &self.pools {
            Pools::Sqlite { readers, .. } => {
                Transaction::begin_sqlite(readers.threads().acquire().await?, "BEGIN").await?
            }
            Pools::Postgres(pool) => {
                Transaction::begin_postgres(pool, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?
            }
        })
    }

    /// Borrows a connection for reads, and for single statements that are atomic on their own.
    pub async fn read(&self) -> Result<PoolConnection, StoreError> {
        Ok(PoolConnection(match &self.pools {
            Pools::Sqlite { readers, .. } => readers.connection(),
            Pools::Postgres(pool) => db::Engine::Postgres(pool.acquire().await.map_err(db::Error::from)?).into(),
        }))
    }
}

/// The migrations this build carries for `backend`.
pub fn migrator(backend: Backend) -> &'static sqlx::migrate::Migrator {
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

/// A SQLite database as its URL names it: `sqlite:path?mode=ro|rw|rwc&synchronous=…`.
#[derive(Clone, Debug, PartialEq)]
struct SqliteFile {
    path: String,
    /// `PRAGMA synchronous`: `NORMAL`, `FULL` or `EXTRA`.
    synchronous: &'static str,
    flags: rusqlite::OpenFlags,
}

impl SqliteFile {
    /// Reads the URL, and creates the file's folder when the file may be created.
    fn parse(url: &str) -> anyhow::Result<Self> {
        use rusqlite::OpenFlags;
        let (path, query) = sqlite_path(url);
        let mut synchronous = DEFAULT_SYNCHRONOUS;
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
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
                Some(("mode", mode)) => {
                    flags = match mode {
                        "ro" => OpenFlags::SQLITE_OPEN_READ_ONLY,
                        "rw" => OpenFlags::SQLITE_OPEN_READ_WRITE,
                        "rwc" => OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
                        _ => anyhow::bail!("mode={mode} in the database URL: use ro, rw or rwc"),
                    };
                }
                _ => anyhow::bail!("{pair} in the database URL: only mode and synchronous are understood"),
            }
        }
        if path.is_empty() || path == ":memory:" {
            anyhow::bail!("{url}: name a database file (an in-memory database would differ per connection)");
        }
        if flags.contains(OpenFlags::SQLITE_OPEN_CREATE)
            && let Some(parent) = std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent)?;
        }
        Ok(Self { path: path.to_owned(), synchronous, flags: flags | OpenFlags::SQLITE_OPEN_NO_MUTEX })
    }

    /// Opens one connection with the per-connection settings: foreign keys, the busy
    /// timeout, the sync level and the page cache.
    fn open(&self, cache_mib: Option<u32>) -> rusqlite::Result<rusqlite::Connection> {
        let conn = rusqlite::Connection::open_with_flags(&self.path, self.flags)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "synchronous", self.synchronous)?;
        if let Some(mib) = cache_mib {
            // A negative size is in KiB rather than pages.
            conn.pragma_update(None, "cache_size", -(i64::from(mib) * 1024))?;
        }
        Ok(conn)
    }
}

/// The file path and the query string of a `sqlite:` URL.
fn sqlite_path(url: &str) -> (&str, &str) {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    rest.split_once('?').unwrap_or((rest, ""))
}

/// Reads at most one row of a query with a single text parameter.
pub async fn fetch_optional_by<T: db::FromRow>(
    conn: &mut Connection,
    sql: &str,
    value: &str,
) -> Result<Option<T>, StoreError> {
    Ok(db::query_as(sql).bind(value).fetch_optional(conn).await?)
}

/// What a store call can fail with: every function of the store returns it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write; the core says what that means to the caller.
    #[error("a unique constraint refused the write")]
    Duplicate,
    /// Anything else: the connection, the SQL, decoding a row.
    #[error(transparent)]
    Database(db::Error),
}

impl From<db::Error> for StoreError {
    fn from(error: db::Error) -> Self {
        if error.is_unique_violation() { StoreError::Duplicate } else { StoreError::Database(error) }
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
pub async fn commit(tx: Transaction) -> Result<(), StoreError> {
    Ok(tx.commit().await?)
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
    fn sqlite_urls_name_a_file() {
        assert!(SqliteFile::parse("sqlite::memory:").is_err());
        assert!(Backend::from_url("mysql://x").is_err());
    }

    #[test]
    fn the_sync_level_and_mode_come_from_the_url() {
        use rusqlite::OpenFlags;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("r.db");
        let file = SqliteFile::parse(&format!("sqlite:{}?synchronous=FULL", path.display())).unwrap();
        assert_eq!(file.synchronous, "FULL");
        assert!(file.flags.contains(OpenFlags::SQLITE_OPEN_CREATE));
        assert!(path.parent().unwrap().is_dir(), "the folder is created");
        let file = SqliteFile::parse(&format!("sqlite:{}?mode=rw&synchronous=extra", path.display())).unwrap();
        assert_eq!(file.synchronous, "EXTRA");
        assert!(!file.flags.contains(OpenFlags::SQLITE_OPEN_CREATE));
        let error = SqliteFile::parse("sqlite:x.db?synchronous=off").unwrap_err().to_string();
        assert!(error.contains("normal, full or extra"), "{error}");
        let error = SqliteFile::parse("sqlite:x.db?cache=shared").unwrap_err().to_string();
        assert!(error.contains("cache=shared"), "{error}");
    }

    /// The settings an acknowledged write's durability rests on (see `DEFAULT_SYNCHRONOUS`).
    #[tokio::test]
    async fn sqlite_stores_use_wal_and_the_sync_level_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        for (query, expected) in [("", 1), ("?synchronous=full", 2)] {
            let store = Store::open(&format!("sqlite:{}{query}", dir.path().join("r.db").display())).await.unwrap();
            let mut conn = store.read().await.unwrap();
            let mode: String = db::query_scalar("PRAGMA journal_mode").fetch_one(&mut conn).await.unwrap();
            let level: i64 = db::query_scalar("PRAGMA synchronous").fetch_one(&mut conn).await.unwrap();
            assert_eq!((mode.as_str(), level), ("wal", expected), "{query}");
        }
    }
}
