//! Online backups of a SQLite store, taken while a server is serving from it.
//!
//! `VACUUM INTO` writes the database as one read transaction sees it, so the copy is a
//! consistent snapshot however many writers commit meanwhile (WAL lets them go on). The copy is
//! written to a temporary file beside the destination, checked, flushed to disk, and only then
//! given its final name: a backup cut short never looks like a finished one.

use super::Backend;
use anyhow::Context;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a finished backup wrote.
#[derive(Debug)]
pub struct BackupReport {
    /// The backup file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// The newest migration applied to it, which `roster migrate` continues from.
    pub schema_version: i64,
}

/// How to back up and restore a PostgreSQL store, which `pg_dump` does better than Roster could.
pub const POSTGRES_RECIPE: &str = "\
roster backup copies SQLite stores only; back PostgreSQL up with its own tools, which take a
consistent snapshot while Roster serves:

  pg_dump --format=custom --file=roster-$(date +%Y%m%d-%H%M%S).dump \"$ROSTER_DATABASE_URL\"

To restore: stop Roster, create an empty database and load the dump into it, then start Roster
on it (it applies any newer migrations on start):

  createdb roster_restored
  pg_restore --no-owner --exit-on-error --dbname=postgres://…/roster_restored roster-….dump
  ROSTER_DATABASE_URL=postgres://…/roster_restored roster serve";

/// Copies the store at `database_url` to `destination`, refusing to replace an existing file
/// unless `force`.
pub async fn backup(database_url: &str, destination: &Path, force: bool) -> anyhow::Result<BackupReport> {
    if Backend::from_url(database_url)? == Backend::Postgres {
        anyhow::bail!("{POSTGRES_RECIPE}");
    }
    let (source, _) = super::sqlite_path(database_url);
    if source == ":memory:" || source.is_empty() {
        anyhow::bail!("{database_url} is not a file: there is nothing to back up");
    }
    let source = Path::new(source);
    if !source.is_file() {
        anyhow::bail!("there is no database at {}", source.display());
    }
    if destination.is_dir() {
        anyhow::bail!("{} is a folder: name the backup file", destination.display());
    }
    if destination.exists() {
        if !force {
            anyhow::bail!("{} exists: pass --force to replace it", destination.display());
        }
        let companions = ["", "-wal", "-shm", "-journal"].map(|suffix| {
            let mut name = source.as_os_str().to_owned();
            name.push(suffix);
            PathBuf::from(name)
        });
        if companions.iter().any(|file| same_file(file, destination)) {
            anyhow::bail!("{} is the database itself", destination.display());
        }
    }
    let file_name = destination.file_name().context("the backup path names no file")?.to_string_lossy().into_owned();
    let folder = match destination.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    // Beside the destination, so the final rename stays within one file system. It is removed
    // if anything below fails.
    let partial = tempfile::Builder::new()
        .prefix(&format!(".{file_name}."))
        .suffix(".partial")
        .tempfile_in(folder)
        .with_context(|| format!("creating a temporary file in {}", folder.display()))?;

    snapshot(source, partial.path()).await?;
    let schema_version = verify(partial.path()).await?;
    // VACUUM INTO does not flush the file it writes; the rename must not reach the disk first.
    partial.as_file().sync_all().context("flushing the backup to disk")?;
    let bytes = partial.as_file().metadata()?.len();
    if force {
        partial.persist(destination).map_err(|error| error.error)
    } else {
        // Refuses (atomically) if the destination appeared meanwhile.
        partial.persist_noclobber(destination).map_err(|error| error.error)
    }
    .with_context(|| format!("naming the backup {}", destination.display()))?;
    sync_folder(folder)?;
    Ok(BackupReport { path: destination.to_owned(), bytes, schema_version })
}

/// Writes the snapshot of the live database into the (empty) file at `into`.
async fn snapshot(source: &Path, into: &Path) -> anyhow::Result<()> {
    let (source, into) = (source.to_owned(), into.to_str().context("the backup path is not valid UTF-8")?.to_owned());
    blocking(move || {
        // Read and write, never create: SQLite needs write access to the WAL index to read a
        // WAL database, but VACUUM INTO writes nothing to its source.
        let live = Connection::open_with_flags(&source, OpenFlags::SQLITE_OPEN_READ_WRITE)
            .with_context(|| format!("opening {}", source.display()))?;
        live.busy_timeout(Duration::from_secs(30))?;
        live.execute("VACUUM INTO ?1", [into]).context("copying the database")?;
        Ok(())
    })
    .await
}

/// Checks the copy page by page and reads its schema version. It is left in rollback-journal
/// mode, one self-contained file (Roster turns WAL on again when it opens it).
async fn verify(copy: &Path) -> anyhow::Result<i64> {
    let copy = copy.to_owned();
    blocking(move || {
        let conn = Connection::open_with_flags(&copy, OpenFlags::SQLITE_OPEN_READ_WRITE).context("opening the copy")?;
        conn.pragma_update(None, "journal_mode", "DELETE")?;
        let problems: Vec<String> = conn
            .prepare("PRAGMA integrity_check")?
            .query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()
            .context("checking the copy")?;
        if problems != ["ok"] {
            anyhow::bail!("the copy failed its integrity check: {}", problems.join("; "));
        }
        let version: Option<i64> = conn
            .query_row("SELECT MAX(version) FROM _sqlx_migrations WHERE success", [], |row| row.get(0))
            .context("the database is not a Roster store (it has no migrations table)")?;
        version.context("the database is not a Roster store (no migration was applied)")
    })
    .await
}

/// Runs file-bound SQLite work off the async runtime.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> anyhow::Result<T> + Send + 'static) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(work).await.context("the backup task stopped")?
}

/// True when both paths name one file, as `--force` onto the live database (or its WAL)
/// would.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Makes the rename itself durable.
fn sync_folder(folder: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(folder)
        .and_then(|dir| dir.sync_all())
        .with_context(|| format!("flushing {}", folder.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Store, db};

    async fn store_with_rows(dir: &Path, rows: usize) -> (Store, String) {
        let url = format!("sqlite:{}", dir.join("live.db").display());
        let store = Store::open(&url).await.unwrap();
        let mut conn = store.read().await.unwrap();
        for n in 0..rows {
            db::query("INSERT INTO settings (key, value) VALUES ($1, 'x')")
                .bind(format!("k{n}"))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        drop(conn);
        (store, url)
    }

    async fn count_settings(path: &Path) -> i64 {
        let store = Store::open(&format!("sqlite:{}", path.display())).await.unwrap();
        let mut conn = store.read().await.unwrap();
        db::query_scalar("SELECT COUNT(*) FROM settings WHERE key LIKE 'k%'").fetch_one(&mut conn).await.unwrap()
    }

    #[tokio::test]
    async fn a_backup_of_a_live_store_opens_with_its_data_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let (_live, url) = store_with_rows(dir.path(), 25).await;
        let target = dir.path().join("copies").join("roster-backup.db");
        std::fs::create_dir(target.parent().unwrap()).unwrap();

        let report = backup(&url, &target, false).await.unwrap();
        assert!(report.bytes > 0 && report.schema_version > 0, "{report:?}");
        let left: Vec<_> =
            std::fs::read_dir(target.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["roster-backup.db"], "only the finished file");
        assert_eq!(count_settings(&target).await, 25);
    }

    #[tokio::test]
    async fn an_existing_file_is_replaced_only_with_force_and_never_the_database_itself() {
        let dir = tempfile::tempdir().unwrap();
        let (_live, url) = store_with_rows(dir.path(), 3).await;
        let target = dir.path().join("backup.db");
        std::fs::write(&target, "precious").unwrap();

        let refused = backup(&url, &target, false).await.unwrap_err().to_string();
        assert!(refused.contains("--force"), "{refused}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");

        backup(&url, &target, true).await.unwrap();
        assert_eq!(count_settings(&target).await, 3);

        for own in ["live.db", "live.db-wal", "live.db-shm"] {
            let refused = backup(&url, &dir.path().join(own), true).await.unwrap_err().to_string();
            assert!(refused.contains("the database itself"), "{own}: {refused}");
        }
    }

    #[tokio::test]
    async fn postgres_urls_get_the_pg_dump_recipe_and_missing_files_an_error() {
        let error = backup("postgres://localhost/roster", Path::new("x.db"), false).await.unwrap_err().to_string();
        assert!(error.contains("pg_dump") && error.contains("pg_restore"), "{error}");
        let dir = tempfile::tempdir().unwrap();
        let missing = format!("sqlite:{}", dir.path().join("none.db").display());
        let error = backup(&missing, &dir.path().join("b.db"), false).await.unwrap_err().to_string();
        assert!(error.contains("there is no database"), "{error}");
        assert!(!dir.path().join("none.db").exists(), "a backup never creates the database");
    }
}
