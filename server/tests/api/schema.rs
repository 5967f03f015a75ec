//! Schema parity: both migration folders must build the same tables, columns, keys and
//! indexes, up to the types each engine spells its own way, so the two cannot drift apart.
//!
//! The comparison needs a PostgreSQL server (`ROSTER_TEST_POSTGRES`, which `make test`
//! provides on its PostgreSQL pass); without one only the SQLite side is read and checked.

use server::store::{Store, TEST_POSTGRES};
use std::collections::{BTreeMap, BTreeSet};

/// What the comparison looks at in one table. Partial indexes are compared by their columns;
/// their conditions are not read.
#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    /// Column names, each with whether it is NOT NULL (primary-key columns count as such).
    columns: BTreeMap<String, bool>,
    primary_key: Vec<String>,
    /// Column lists of UNIQUE constraints.
    unique: BTreeSet<Vec<String>>,
    /// Indexes created by name, with their columns.
    indexes: BTreeMap<String, Vec<String>>,
}

type Schema = BTreeMap<String, Table>;

/// What each engine has that the other does without, on purpose: "contains" search is
/// SQLite's FTS5 table `user_search` (kept by triggers, which the one-row
/// `search_fill_deferral` lets an import pause), and on PostgreSQL a generated
/// `users.search_text` column under a `pg_trgm` index.
fn engine_specific(schema: &mut Schema) {
    // sqlx's bookkeeping differs by engine too.
    let specific = ["user_search", "search_fill_deferral", "_sqlx"];
    schema.retain(|name, _| !specific.iter().any(|prefix| name.starts_with(prefix)));
    if let Some(users) = schema.get_mut("users") {
        users.columns.remove("search_text");
        users.indexes.remove("users_search_text");
    }
}

async fn sqlite_schema(store: &Store) -> Schema {
    let mut conn = store.read().await.unwrap();
    let names: Vec<String> = server::store::db::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for name in names {
        let mut table = Table::default();
        let columns =
            server::store::db::query("SELECT name, \"notnull\" AS not_null, pk FROM pragma_table_info($1) ORDER BY pk")
                .bind(&name)
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        for column in columns {
            let column_name: String = column.try_get("name").unwrap();
            let pk: i64 = column.try_get("pk").unwrap();
            let not_null: i64 = column.try_get("not_null").unwrap();
            if pk > 0 {
                table.primary_key.push(column_name.clone());
            }
            table.columns.insert(column_name, not_null != 0 || pk > 0);
        }
        let indexes = server::store::db::query("SELECT name, origin FROM pragma_index_list($1)")
            .bind(&name)
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        for index in indexes {
            let index_name: String = index.try_get("name").unwrap();
            let origin: String = index.try_get("origin").unwrap();
            let columns: Vec<String> =
                server::store::db::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                    .bind(&index_name)
                    .fetch_all(&mut *conn)
                    .await
                    .unwrap();
            match origin.as_str() {
                "c" => {
                    table.indexes.insert(index_name, columns);
                }
                "u" => {
                    table.unique.insert(columns);
                }
                _ => {}
            }
        }
        schema.insert(name, table);
    }
    schema
}

async fn postgres_schema(store: &Store) -> Schema {
    let mut conn = store.read().await.unwrap();
    let columns = server::store::db::query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name, is_nullable::text AS is_nullable \
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for column in columns {
        let table: String = column.try_get("table_name").unwrap();
        let nullable: String = column.try_get("is_nullable").unwrap();
        schema.entry(table).or_default().columns.insert(column.try_get("column_name").unwrap(), nullable == "NO");
    }
    let constraints = server::store::db::query(
        "SELECT c.table_name::text AS table_name, c.constraint_type::text AS kind, \
                string_agg(k.column_name::text, ',' ORDER BY k.ordinal_position) AS columns \
         FROM information_schema.table_constraints c \
         JOIN information_schema.key_column_usage k \
           ON k.constraint_name = c.constraint_name AND k.table_schema = c.table_schema \
         WHERE c.table_schema = 'public' AND c.constraint_type IN ('PRIMARY KEY', 'UNIQUE') \
         GROUP BY c.table_name, c.constraint_name, c.constraint_type",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    for constraint in constraints {
        let table = schema.entry(constraint.try_get("table_name").unwrap()).or_default();
        let columns: Vec<String> =
            constraint.try_get::<String>("columns").unwrap().split(',').map(str::to_owned).collect();
        match constraint.try_get::<String>("kind").unwrap().as_str() {
            "PRIMARY KEY" => table.primary_key = columns,
            _ => {
                table.unique.insert(columns);
            }
        }
    }
    // Indexes created by name: those behind constraints are compared above.
    let indexes = server::store::db::query(
        "SELECT i.tablename::text AS table_name, i.indexname::text AS index_name, i.indexdef::text AS definition \
         FROM pg_indexes i WHERE i.schemaname = 'public' AND NOT EXISTS \
           (SELECT 1 FROM information_schema.table_constraints c \
            WHERE c.constraint_name = i.indexname AND c.table_schema = 'public')",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    for index in indexes {
        let definition: String = index.try_get("definition").unwrap();
        // `… USING btree (a, b COLLATE "C") [WHERE (…)]`: the list after the method.
        let after_method = &definition[definition.find(" USING ").unwrap()..];
        let open = after_method.find('(').unwrap();
        let close = open + after_method[open..].find(')').unwrap();
        let columns = after_method[open + 1..close]
            .split(',')
            .map(|column| column.split_whitespace().next().unwrap_or_default().trim_matches('"').to_owned())
            .collect();
        schema
            .entry(index.try_get("table_name").unwrap())
            .or_default()
            .indexes
            .insert(index.try_get("index_name").unwrap(), columns);
    }
    schema
}

#[tokio::test]
async fn both_migration_folders_build_the_same_schema() {
    let folder = tempfile::tempdir().unwrap();
    let sqlite = Store::open(&format!("sqlite:{}", folder.path().join("roster.db").display())).await.unwrap();
    let mut sqlite = sqlite_schema(&sqlite).await;
    for table in ["users", "organizations", "memberships", "invitations", "sessions", "one_time_codes"] {
        assert!(sqlite.get(table).is_some_and(|t| !t.columns.is_empty()), "SQLite has no {table} table");
    }
    engine_specific(&mut sqlite);
    let Some(server) = std::env::var(TEST_POSTGRES).ok().filter(|url| !url.is_empty()) else {
        eprintln!("PostgreSQL side skipped: set {TEST_POSTGRES} to compare");
        return;
    };
    let database = server::store::ScratchDatabase::new().await.unwrap();
    assert!(database.url.starts_with("postgres"), "{server} gave a PostgreSQL database");
    let postgres = Store::open(&database.url).await.unwrap();
    let mut postgres = postgres_schema(&postgres).await;
    engine_specific(&mut postgres);
    let tables: BTreeSet<&String> = sqlite.keys().chain(postgres.keys()).collect();
    let mut differences = Vec::new();
    for table in tables {
        match (sqlite.get(table), postgres.get(table)) {
            (Some(left), Some(right)) if left == right => {}
            (left, right) => differences.push(format!("{table}:\n  SQLite:     {left:?}\n  PostgreSQL: {right:?}")),
        }
    }
    assert!(differences.is_empty(), "the schemas differ:\n{}", differences.join("\n"));
}
