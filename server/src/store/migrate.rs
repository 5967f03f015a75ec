//! Applying SQLite migrations through `rusqlite`, keeping sqlx's bookkeeping table: stores
//! migrated by earlier builds (through sqlx) carry on where they were, and the same embedded
//! migrations, with their checksums, are the one list of schema changes.

use anyhow::{Context, bail};
use rusqlite::{OptionalExtension, params};
use sqlx::migrate::Migration;
use std::collections::HashMap;

/// sqlx's migrations table, as its SQLite driver creates it.
const MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
)";

/// Applies the migrations `conn`'s database lacks, each in its own transaction, after
/// checking that those already applied are the ones this build carries.
pub(super) fn sqlite(conn: &mut rusqlite::Connection, migrations: &[Migration]) -> anyhow::Result<()> {
    conn.execute_batch(MIGRATIONS_TABLE)?;
    let dirty: Option<i64> = conn
        .query_row("SELECT version FROM _sqlx_migrations WHERE success = false ORDER BY version LIMIT 1", [], |row| {
            row.get(0)
        })
        .optional()?;
    if let Some(version) = dirty {
        bail!("migration {version} was left half applied; restore a backup taken before it");
    }
    let applied: HashMap<i64, Vec<u8>> = conn
        .prepare("SELECT version, checksum FROM _sqlx_migrations")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let known: HashMap<i64, &[u8]> =
        migrations.iter().map(|migration| (migration.version, migration.checksum.as_ref())).collect();
    if let Some(version) = applied.keys().filter(|version| !known.contains_key(version)).max() {
        bail!(
            "the database has migration {version}, which this build does not carry: it was written by a newer Roster"
        );
    }
    for migration in migrations.iter().filter(|migration| !migration.migration_type.is_down_migration()) {
        match applied.get(&migration.version) {
            Some(checksum) if checksum.as_slice() == migration.checksum.as_ref() => continue,
            Some(_) => bail!("migration {} was changed after it was applied", migration.version),
            None => {}
        }
        let started = std::time::Instant::now();
        // IMMEDIATE: two processes opening one new file migrate one after the other.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let already: bool = tx
            .query_row("SELECT 1 FROM _sqlx_migrations WHERE version = ?1", [migration.version], |_| Ok(()))
            .optional()?
            .is_some();
        if already {
            continue;
        }
        tx.execute_batch(&migration.sql)
            .with_context(|| format!("applying migration {} ({})", migration.version, migration.description))?;
        tx.execute(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (?1, ?2, TRUE, ?3, ?4)",
            params![
                migration.version,
                migration.description.as_ref(),
                migration.checksum.as_ref(),
                started.elapsed().as_nanos() as i64
            ],
        )?;
        tx.commit()?;
    }
    Ok(())
}
