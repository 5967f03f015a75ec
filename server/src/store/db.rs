//! The store's one seam onto the two engines: SQLite through `rusqlite` on connection
//! threads, PostgreSQL through sqlx.
//!
//! Queries are written once, in portable SQL with `$n` placeholders, and read through the
//! sqlx-shaped calls here ([`query`], [`query_as`], [`query_scalar`]). A SQLite connection
//! lives on a thread of its own: a query is one job sent to it and one answer back, with every
//! row read, decoded into owned [`Cell`]s and collected there, so a query costs one hand-off
//! whatever its rows (sqlx's SQLite driver hands each row across separately). Short reads
//! skip even that hand-off, in a transaction or outside one (see [`SqliteReads`]): they run
//! on the caller's thread within a budget of half a millisecond, anything longer on a thread.

use rusqlite::types::ValueRef;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::{Column as _, Postgres, Row as _, TypeInfo as _};
use std::collections::HashMap;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

/// A boxed, sendable future.
type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a database call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// SQLite refused or failed the statement.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL (or the connection to it) failed.
    #[error(transparent)]
    Postgres(#[from] sqlx::Error),
    /// `fetch_one` found no row.
    #[error("the query returned no row")]
    RowNotFound,
    /// A column held a value the reading type cannot take.
    #[error("column {column}: {problem}")]
    Decode { column: String, problem: String },
    /// No connection came free in time.
    #[error("no database connection came free within {0:?}")]
    PoolTimedOut(Duration),
    /// A connection thread is gone (it only stops when its pool is dropped).
    #[error("the database connection thread stopped")]
    ConnectionClosed,
}

impl Error {
    /// True when a unique constraint (or primary key) refused the write.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            Error::Sqlite(rusqlite::Error::SqliteFailure(failure, _)) => matches!(
                failure.extended_code,
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            ),
            Error::Postgres(sqlx::Error::Database(db)) => db.is_unique_violation(),
            _ => false,
        }
    }

    fn decode(column: impl Into<String>, problem: impl Into<String>) -> Self {
        Error::Decode { column: column.into(), problem: problem.into() }
    }
}

/// A value bound to a placeholder. Nulls keep their type: PostgreSQL is told each
/// parameter's type, and a text null cannot go into a `BIGINT` column.
#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    Int(Option<i64>),
    Real(Option<f64>),
    Text(Option<String>),
}

macro_rules! param_from {
    ($($from:ty => |$value:ident| $variant:ident($make:expr)),* $(,)?) => {$(
        impl From<$from> for Param {
            fn from($value: $from) -> Self {
                Param::$variant(Some($make))
            }
        }
        impl From<Option<$from>> for Param {
            fn from(value: Option<$from>) -> Self {
                Param::$variant(value.map(|$value| $make))
            }
        }
    )*};
}

param_from! {
    i64 => |value| Int(value),
    i32 => |value| Int(i64::from(value)),
    u32 => |value| Int(i64::from(value)),
    bool => |value| Int(i64::from(value)),
    f64 => |value| Real(value),
    String => |value| Text(value),
    &str => |value| Text(value.to_owned()),
    &String => |value| Text(value.clone()),
}

impl From<&Option<String>> for Param {
    fn from(value: &Option<String>) -> Self {
        Param::Text(value.clone())
    }
}

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::Borrowed(match self {
            Param::Int(Some(value)) => ValueRef::Integer(*value),
            Param::Real(Some(value)) => ValueRef::Real(*value),
            Param::Text(Some(value)) => ValueRef::Text(value.as_bytes()),
            Param::Int(None) | Param::Real(None) | Param::Text(None) => ValueRef::Null,
        }))
    }
}

/// One value of a row, owned.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Cell {
    #[default]
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl Cell {
    fn from_sqlite(value: ValueRef<'_>) -> Self {
        match value {
            ValueRef::Null => Cell::Null,
            ValueRef::Integer(value) => Cell::Int(value),
            ValueRef::Real(value) => Cell::Real(value),
            ValueRef::Text(text) | ValueRef::Blob(text) => Cell::Text(match std::str::from_utf8(text) {
                Ok(text) => text.to_owned(),
                // SQLite stores what it is given; Roster only ever gives it UTF-8.
                Err(_) => String::from_utf8_lossy(text).into_owned(),
            }),
        }
    }

    /// Reads column `index` of a PostgreSQL row by its type; the schema uses `BIGINT` and
    /// `TEXT`, expressions may give other integer types, booleans or numerics.
    fn from_postgres(row: &PgRow, index: usize) -> Result<Self, Error> {
        let column = row.column(index);
        let cell = match column.type_info().name() {
            "INT8" => row.try_get::<Option<i64>, _>(index)?.map(Cell::Int),
            "INT4" => row.try_get::<Option<i32>, _>(index)?.map(|value| Cell::Int(value.into())),
            "INT2" => row.try_get::<Option<i16>, _>(index)?.map(|value| Cell::Int(value.into())),
            "BOOL" => row.try_get::<Option<bool>, _>(index)?.map(|value| Cell::Int(value.into())),
            "FLOAT8" => row.try_get::<Option<f64>, _>(index)?.map(Cell::Real),
            "FLOAT4" => row.try_get::<Option<f32>, _>(index)?.map(|value| Cell::Real(value.into())),
            "TEXT" | "VARCHAR" | "NAME" | "BPCHAR" | "UNKNOWN" => {
                row.try_get::<Option<String>, _>(index)?.map(Cell::Text)
            }
            other => return Err(Error::decode(column.name(), format!("the PostgreSQL type {other} is not read"))),
        };
        Ok(cell.unwrap_or(Cell::Null))
    }
}

/// A type a column can be read as.
pub trait Decode: Sized {
    /// Takes the value out of a cell.
    fn decode(cell: Cell) -> Result<Self, String>;
}

impl Decode for i64 {
    fn decode(cell: Cell) -> Result<Self, String> {
        match cell {
            Cell::Int(value) => Ok(value),
            other => Err(format!("expected an integer, found {other:?}")),
        }
    }
}

impl Decode for f64 {
    fn decode(cell: Cell) -> Result<Self, String> {
        match cell {
            Cell::Real(value) => Ok(value),
            Cell::Int(value) => Ok(value as f64),
            other => Err(format!("expected a number, found {other:?}")),
        }
    }
}

impl Decode for bool {
    fn decode(cell: Cell) -> Result<Self, String> {
        i64::decode(cell).map(|value| value != 0)
    }
}

impl Decode for String {
    fn decode(cell: Cell) -> Result<Self, String> {
        match cell {
            Cell::Text(text) => Ok(text),
            other => Err(format!("expected text, found {other:?}")),
        }
    }
}

impl<T: Decode> Decode for Option<T> {
    fn decode(cell: Cell) -> Result<Self, String> {
        match cell {
            Cell::Null => Ok(None),
            cell => T::decode(cell).map(Some),
        }
    }
}

/// One row: the statement's column names and this row's values.
#[derive(Debug)]
pub struct Row {
    columns: Arc<[String]>,
    cells: Vec<Cell>,
}

/// Names a column of a [`Row`]: by name or by position.
pub trait ColumnIndex {
    /// The column's position in `row`.
    fn position(&self, row: &Row) -> Result<usize, Error>;
}

impl ColumnIndex for &str {
    fn position(&self, row: &Row) -> Result<usize, Error> {
        row.columns.iter().position(|column| column == self).ok_or_else(|| Error::decode(*self, "no such column"))
    }
}

impl ColumnIndex for usize {
    fn position(&self, row: &Row) -> Result<usize, Error> {
        if *self < row.cells.len() { Ok(*self) } else { Err(Error::decode(self.to_string(), "no such column")) }
    }
}

impl Row {
    /// Reads a column, leaving the row as it was.
    pub fn try_get<T: Decode>(&self, column: impl ColumnIndex) -> Result<T, Error> {
        let position = column.position(self)?;
        T::decode(self.cells[position].clone()).map_err(|problem| Error::decode(&self.columns[position], problem))
    }

    /// Moves a column's value out (a second read finds a null).
    pub fn take<T: Decode>(&mut self, column: impl ColumnIndex) -> Result<T, Error> {
        let position = column.position(self)?;
        T::decode(std::mem::take(&mut self.cells[position]))
            .map_err(|problem| Error::decode(&self.columns[position], problem))
    }
}

/// A type built from a whole row: the structs of [`from_row!`](crate::from_row) and tuples.
pub trait FromRow: Sized {
    /// Builds the value, moving the cells it reads out of the row (so two types can be read
    /// from one row of a join, each taking its own columns).
    fn from_row(row: &mut Row) -> Result<Self, Error>;
}

macro_rules! tuple_from_row {
    ($($name:ident: $index:tt),+) => {
        impl<$($name: Decode),+> FromRow for ($($name,)+) {
            fn from_row(row: &mut Row) -> Result<Self, Error> {
                Ok(($(row.take::<$name>($index as usize)?,)+))
            }
        }
    };
}

tuple_from_row!(A: 0);
tuple_from_row!(A: 0, B: 1);
tuple_from_row!(A: 0, B: 1, C: 2);
tuple_from_row!(A: 0, B: 1, C: 2, D: 3);
tuple_from_row!(A: 0, B: 1, C: 2, D: 3, E: 4);
tuple_from_row!(A: 0, B: 1, C: 2, D: 3, E: 4, F: 5);

/// Declares a struct read from a row by its field names (each a column of the query).
#[macro_export]
macro_rules! from_row {
    ($(#[$meta:meta])* $vis:vis struct $name:ident { $($(#[$field_meta:meta])* $field_vis:vis $field:ident: $type:ty),* $(,)? }) => {
        $(#[$meta])*
        $vis struct $name { $($(#[$field_meta])* $field_vis $field: $type),* }

        impl $crate::store::db::FromRow for $name {
            fn from_row(row: &mut $crate::store::db::Row) -> Result<Self, $crate::store::db::Error> {
                Ok(Self { $($field: row.take(stringify!($field))?),* })
            }
        }
    };
}

/// What a statement changed.
#[derive(Clone, Copy, Debug)]
pub struct Done {
    rows_affected: u64,
}

impl Done {
    /// How many rows it inserted, updated or deleted.
    pub fn rows_affected(&self) -> u64 {
        self.rows_affected
    }
}

/// A statement with its parameters.
#[must_use = "a query does nothing until it is run"]
pub struct Query<'q> {
    sql: &'q str,
    params: Vec<Param>,
}

/// Starts a statement.
pub fn query(sql: &str) -> Query<'_> {
    Query { sql, params: Vec::new() }
}

/// Starts a statement whose rows are read as `T`.
pub fn query_as<T: FromRow>(sql: &str) -> QueryAs<'_, T> {
    query(sql).try_map(|mut row| T::from_row(&mut row))
}

/// Starts a statement whose first column is read as `T`.
pub fn query_scalar<T: Decode>(sql: &str) -> QueryAs<'_, T> {
    query(sql).try_map(|mut row| row.take(0))
}

/// A statement whose rows are read as `T` by a plain function ([`query_as`],
/// [`query_scalar`]).
pub type QueryAs<'q, T> = QueryMap<'q, fn(Row) -> Result<T, Error>>;

/// How many rows a run reads at most.
#[derive(Clone, Copy)]
enum Rows {
    None,
    One,
    All,
}

impl<'q> Query<'q> {
    /// Starts a statement with its parameters already gathered.
    pub fn with(sql: &'q str, params: Vec<Param>) -> Self {
        Self { sql, params }
    }

    /// Binds the next placeholder.
    pub fn bind(mut self, value: impl Into<Param>) -> Self {
        self.params.push(value.into());
        self
    }

    /// Runs a statement for its effect.
    pub async fn execute(self, conn: &mut Connection) -> Result<Done, Error> {
        Ok(conn.run(self, Rows::None).await?.1)
    }

    /// Reads every row.
    pub async fn fetch_all(self, conn: &mut Connection) -> Result<Vec<Row>, Error> {
        Ok(conn.run(self, Rows::All).await?.0)
    }

    /// Reads the first row, if any.
    pub async fn fetch_optional(self, conn: &mut Connection) -> Result<Option<Row>, Error> {
        Ok(conn.run(self, Rows::One).await?.0.into_iter().next())
    }

    /// Reads the first row, which must exist.
    pub async fn fetch_one(self, conn: &mut Connection) -> Result<Row, Error> {
        self.fetch_optional(conn).await?.ok_or(Error::RowNotFound)
    }
}

impl<'q> Query<'q> {
    /// Reads each row with `map`.
    pub fn try_map<T, F: FnMut(Row) -> Result<T, Error>>(self, map: F) -> QueryMap<'q, F> {
        QueryMap { query: self, map }
    }
}

/// A statement whose rows are read by a function.
#[must_use = "a query does nothing until it is run"]
pub struct QueryMap<'q, F> {
    query: Query<'q>,
    map: F,
}

impl<T, F: FnMut(Row) -> Result<T, Error>> QueryMap<'_, F> {
    /// Binds the next placeholder.
    pub fn bind(mut self, value: impl Into<Param>) -> Self {
        self.query.params.push(value.into());
        self
    }

    /// Reads every row.
    pub async fn fetch_all(self, conn: &mut Connection) -> Result<Vec<T>, Error> {
        self.query.fetch_all(conn).await?.into_iter().map(self.map).collect()
    }

    /// Reads the first row, if any.
    pub async fn fetch_optional(mut self, conn: &mut Connection) -> Result<Option<T>, Error> {
        self.query.fetch_optional(conn).await?.map(&mut self.map).transpose()
    }

    /// Reads the first row, which must exist.
    pub async fn fetch_one(mut self, conn: &mut Connection) -> Result<T, Error> {
        (self.map)(self.query.fetch_one(conn).await?)
    }
}

/// A connection to either engine, borrowed from its pool.
pub struct Connection {
    engine: Engine,
    /// Set by [`record_plans`](Self::record_plans): statements are explained, not run.
    plans: Option<Vec<String>>,
}

/// The engine-specific connection.
pub(super) enum Engine {
    /// A SQLite connection thread held for as long as this connection lives (a transaction's).
    /// Its short reads run on the caller's thread, on the same connection (see
    /// [`SqliteConnection::run_here_or_there`]).
    Sqlite(SqliteConnection),
    /// SQLite reads outside a transaction: each statement goes to whichever connection can
    /// answer it first (see [`SqliteReads`]).
    SqliteReads(SqliteReads),
    Postgres(sqlx::pool::PoolConnection<Postgres>),
    /// A PostgreSQL connection inside a transaction, which sqlx rolls back if it is dropped.
    PostgresTransaction(sqlx::Transaction<'static, Postgres>),
}

impl From<Engine> for Connection {
    fn from(engine: Engine) -> Self {
        Connection { engine, plans: None }
    }
}

impl Connection {
    fn is_postgres(&self) -> bool {
        matches!(self.engine, Engine::Postgres(_) | Engine::PostgresTransaction(_))
    }

    /// From now on, statements on this connection are not run: each one's query plan is
    /// recorded instead (SQLite's `EXPLAIN QUERY PLAN`, PostgreSQL's `EXPLAIN`) and it reads
    /// no rows. For checking that the store's queries use their indexes.
    pub fn record_plans(&mut self) {
        self.plans.get_or_insert_with(Vec::new);
    }

    /// The plans recorded so far, each the statement followed by its plan, one step a line.
    pub fn take_plans(&mut self) -> Vec<String> {
        self.plans.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Explains a statement into `plans` instead of running it.
    async fn explain(&mut self, query: Query<'_>) -> Result<(Vec<Row>, Done), Error> {
        let postgres = self.is_postgres();
        let explain = if postgres {
            format!("EXPLAIN (COSTS OFF) {}", query.sql)
        } else {
            format!("EXPLAIN QUERY PLAN {}", query.sql)
        };
        let steps = self.run_unboxed(Query::with(&explain, query.params), Rows::All).await?.0;
        let mut plan = query.sql.to_owned();
        // SQLite gives each step with its parent's id; PostgreSQL indents its text itself.
        let mut depth: HashMap<i64, usize> = HashMap::new();
        for step in steps {
            let line = if postgres {
                step.try_get::<String>(0)?
            } else {
                let (id, parent): (i64, i64) = (step.try_get("id")?, step.try_get("parent")?);
                let level = depth.get(&parent).map_or(0, |level| level + 1);
                depth.insert(id, level);
                format!("{}{}", "  ".repeat(level), step.try_get::<String>("detail")?)
            };
            plan.push_str("\n  ");
            plan.push_str(&line);
        }
        self.plans.get_or_insert_with(Vec::new).push(plan);
        Ok((Vec::new(), Done { rows_affected: 0 }))
    }

    /// Runs a statement. Boxed: the future's type then names no sqlx executor lifetime, which
    /// the `Send` check of the callers' futures cannot otherwise see through.
    fn run<'a>(&'a mut self, query: Query<'a>, rows: Rows) -> BoxFuture<'a, Result<(Vec<Row>, Done), Error>> {
        if self.plans.is_some() {
            return Box::pin(self.explain(query));
        }
        Box::pin(self.run_unboxed(query, rows))
    }

    async fn run_unboxed(&mut self, query: Query<'_>, rows: Rows) -> Result<(Vec<Row>, Done), Error> {
        let Query { sql, params } = query;
        let started = std::time::Instant::now();
        let result = match &mut self.engine {
            Engine::Sqlite(conn) => conn.run_here_or_there(sql, params, rows).await,
            Engine::SqliteReads(reads) => reads.run(sql, params, rows).await,
            Engine::Postgres(conn) => return run_postgres(conn, sql, params, rows).await,
            Engine::PostgresTransaction(tx) => return run_postgres(tx, sql, params, rows).await,
        };
        log_statement(sql, &result, started.elapsed());
        result
    }

    /// Runs a script of statements without parameters (schema changes, pragmas).
    pub fn execute_script<'a>(&'a mut self, script: &'a str) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.execute_script_unboxed(script))
    }

    async fn execute_script_unboxed(&mut self, script: &str) -> Result<(), Error> {
        let owned = script.to_owned();
        let run = move |state: &mut SqliteState| Ok(state.conn.execute_batch(&owned)?);
        match &mut self.engine {
            Engine::Sqlite(conn) => conn.call(run).await,
            Engine::SqliteReads(reads) => reads.threads().acquire_thread().await?.call(run).await,
            Engine::Postgres(conn) => Ok(sqlx::Executor::execute(&mut **conn, script).await.map(drop)?),
            Engine::PostgresTransaction(tx) => Ok(sqlx::Executor::execute(&mut **tx, script).await.map(drop)?),
        }
    }
}

/// Runs a statement on PostgreSQL, reading at most `rows`.
async fn run_postgres(
    conn: &mut sqlx::PgConnection,
    sql: &str,
    params: Vec<Param>,
    rows: Rows,
) -> Result<(Vec<Row>, Done), Error> {
    let query = params.into_iter().fold(sqlx::query::<Postgres>(sql), bind_postgres);
    match rows {
        Rows::None => {
            let done = query.execute(conn).await?;
            Ok((Vec::new(), Done { rows_affected: done.rows_affected() }))
        }
        Rows::One => {
            let row = query.fetch_optional(conn).await?;
            Ok((row.iter().map(postgres_row).collect::<Result<_, _>>()?, Done { rows_affected: 0 }))
        }
        Rows::All => {
            let found = query.fetch_all(conn).await?;
            let Some(columns) = found.first().map(postgres_columns) else {
                return Ok((Vec::new(), Done { rows_affected: 0 }));
            };
            let rows = found
                .iter()
                .map(|row| Ok(Row { columns: columns.clone(), cells: postgres_cells(row)? }))
                .collect::<Result<_, Error>>()?;
            Ok((rows, Done { rows_affected: 0 }))
        }
    }
}

/// How long a statement may take before it is logged as slow (the threshold sqlx uses for
/// PostgreSQL's statements).
const SLOW_STATEMENT: std::time::Duration = std::time::Duration::from_secs(1);

/// Logs a SQLite statement the way sqlx logs PostgreSQL's: its text (never its bound values,
/// which carry secrets), rows and time at debug, or at warn when slow. Logged on the caller's
/// task, so the line carries the request's span.
fn log_statement(sql: &str, result: &Result<(Vec<Row>, Done), Error>, elapsed: std::time::Duration) {
    let elapsed_ms = elapsed.as_secs_f64() * 1000.0;
    let (rows_returned, rows_affected) = match result {
        Ok((rows, done)) => (rows.len(), done.rows_affected),
        Err(_) => (0, 0),
    };
    // The fields are only evaluated when the line is logged: nothing is formatted at the
    // default level.
    if elapsed >= SLOW_STATEMENT {
        let summary = StatementSummary(sql);
        tracing::warn!(target: "roster::sql", %summary, sql, rows_returned, rows_affected, elapsed_ms, "slow statement");
    } else {
        let summary = StatementSummary(sql);
        tracing::debug!(target: "roster::sql", %summary, sql, rows_returned, rows_affected, elapsed_ms, "statement");
    }
}

/// The first words of a statement, as a log line's summary; formatted only when written.
struct StatementSummary<'a>(&'a str);

impl std::fmt::Display for StatementSummary<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (index, word) in self.0.split_whitespace().take(4).enumerate() {
            if index > 0 {
                f.write_str(" ")?;
            }
            f.write_str(word)?;
        }
        Ok(())
    }
}

fn bind_postgres<'q>(
    query: sqlx::query::Query<'q, Postgres, PgArguments>,
    param: Param,
) -> sqlx::query::Query<'q, Postgres, PgArguments> {
    match param {
        Param::Int(value) => query.bind(value),
        Param::Real(value) => query.bind(value),
        Param::Text(value) => query.bind(value),
    }
}

fn postgres_columns(row: &PgRow) -> Arc<[String]> {
    row.columns().iter().map(|column| column.name().to_owned()).collect()
}

fn postgres_cells(row: &PgRow) -> Result<Vec<Cell>, Error> {
    (0..row.len()).map(|index| Cell::from_postgres(row, index)).collect()
}

fn postgres_row(row: &PgRow) -> Result<Row, Error> {
    Ok(Row { columns: postgres_columns(row), cells: postgres_cells(row)? })
}

/// A connection from a pool: returned to it when dropped.
pub struct PoolConnection(pub(super) Connection);

impl Deref for PoolConnection {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.0
    }
}

impl DerefMut for PoolConnection {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.0
    }
}

/// An open transaction: rolled back if dropped before [`commit`](Self::commit).
pub struct Transaction {
    /// `None` only once committed.
    conn: Option<Connection>,
}

impl Transaction {
    /// Opens a transaction on a SQLite connection with `begin`.
    pub(super) async fn begin_sqlite(conn: Connection, begin: &'static str) -> Result<Self, Error> {
        // Built before the statement runs: if this future is dropped while BEGIN is on its
        // way, dropping the transaction still rolls back whatever it started.
        let mut tx = Transaction { conn: Some(conn) };
        tx.execute_script(begin).await?;
        Ok(tx)
    }

    /// Opens a transaction on PostgreSQL with `begin`.
    pub(super) async fn begin_postgres(pool: &sqlx::PgPool, begin: &'static str) -> Result<Self, Error> {
        Ok(Transaction { conn: Some(Engine::PostgresTransaction(pool.begin_with(begin).await?).into()) })
    }

    /// Commits the transaction.
    pub async fn commit(mut self) -> Result<(), Error> {
        match self.conn.take() {
            Some(Connection { engine: Engine::PostgresTransaction(tx), .. }) => tx.commit().await?,
            Some(mut conn) => {
                let committed = conn.execute_script("COMMIT").await;
                // Still open if COMMIT failed: put it back so dropping rolls it back.
                self.conn = Some(conn);
                committed?;
                self.conn = None;
            }
            None => {}
        }
        Ok(())
    }
}

impl Deref for Transaction {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("a transaction is used only until it commits")
    }
}

impl DerefMut for Transaction {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().expect("a transaction is used only until it commits")
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        // Queued before the connection goes back to its pool, so its next user finds it
        // clean: the thread runs jobs in order. (sqlx rolls back its own transactions.)
        if let Some(Connection { engine: Engine::Sqlite(conn), .. }) = &self.conn {
            conn.send(Box::new(|state| {
                let state = lock(state);
                if !state.conn.is_autocommit() {
                    let _ = state.conn.execute_batch("ROLLBACK");
                }
            }));
        }
    }
}

/// A job for a SQLite connection thread: it locks the connection while it uses it.
type Job = Box<dyn FnOnce(&Mutex<SqliteState>) + Send>;

/// A SQLite connection, with what it keeps between statements.
pub struct SqliteState {
    conn: rusqlite::Connection,
    /// Column names by statement text, so a query does not build them again each time.
    columns: HashMap<String, Arc<[String]>>,
    /// When the statement running on the caller's thread must stop, in nanoseconds since
    /// `clock_start`; zero when none does (a connection thread's statements run to the end).
    /// Read by SQLite's progress handler.
    deadline: Arc<AtomicU64>,
    clock_start: std::time::Instant,
}

/// How many statements each SQLite connection keeps prepared.
const STATEMENT_CACHE: usize = 256;

/// Locks a connection or the idle list, whether or not a holder panicked: SQLite keeps its
/// own state consistent (a panicking job only loses its answer), and a list push or pop is
/// never left half done.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SqliteState {
    fn new(conn: rusqlite::Connection) -> Self {
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let deadline = Arc::new(AtomicU64::new(0));
        let clock_start = std::time::Instant::now();
        let watched = deadline.clone();
        conn.progress_handler(
            STEPS_BETWEEN_CHECKS,
            Some(move || {
                let deadline = watched.load(Ordering::Relaxed);
                deadline != 0 && clock_start.elapsed().as_nanos() as u64 > deadline
            }),
        );
        Self { conn, columns: HashMap::new(), deadline, clock_start }
    }

    fn run(&mut self, sql: &str, params: &[Param], rows: Rows) -> Result<(Vec<Row>, Done), Error> {
        let statement = self.conn.prepare_cached(sql)?;
        run_prepared(&self.conn, &mut self.columns, statement, sql, params, rows)
    }

    /// Answers a query that only reads, on the caller's thread, unless it would wait for a
    /// lock or run past [`INLINE_BUDGET`]: `None` leaves it to a connection thread.
    ///
    /// Only statements that return columns qualify: `BEGIN`, `COMMIT` and `SAVEPOINT` also
    /// count as reading only, and must never run here. Stopping a read inside a transaction
    /// ends that statement alone; the transaction and what it wrote stay.
    fn answer_within_budget(
        &mut self,
        sql: &str,
        params: &[Param],
        rows: Rows,
    ) -> Option<Result<(Vec<Row>, Done), Error>> {
        let Self { conn, columns, deadline, clock_start } = self;
        let statement =
            conn.prepare_cached(sql).ok().filter(|statement| statement.readonly() && statement.column_count() > 0)?;
        deadline.store((clock_start.elapsed() + INLINE_BUDGET).as_nanos() as u64, Ordering::Relaxed);
        let answer = run_prepared(conn, columns, statement, sql, params, rows);
        deadline.store(0, Ordering::Relaxed);
        match answer {
            Err(Error::Sqlite(rusqlite::Error::SqliteFailure(failure, _)))
                if matches!(
                    failure.code,
                    rusqlite::ErrorCode::OperationInterrupted
                        | rusqlite::ErrorCode::DatabaseBusy
                        | rusqlite::ErrorCode::DatabaseLocked
                ) =>
            {
                None
            }
            answer => Some(answer),
        }
    }
}

/// Binds `params` to `statement` (prepared from `sql` on `conn`) and runs it, reading at most
/// `rows`; `columns` keeps each statement's column names.
fn run_prepared(
    conn: &rusqlite::Connection,
    columns: &mut HashMap<String, Arc<[String]>>,
    mut statement: rusqlite::CachedStatement<'_>,
    sql: &str,
    params: &[Param],
    rows: Rows,
) -> Result<(Vec<Row>, Done), Error> {
    bind_sqlite(&mut statement, params)?;
    let columns = match columns.get(sql) {
        Some(known) => known.clone(),
        None => {
            let named: Arc<[String]> = statement.column_names().into_iter().map(str::to_owned).collect();
            if columns.len() >= STATEMENT_CACHE * 4 {
                columns.clear();
            }
            columns.insert(sql.to_owned(), named.clone());
            named
        }
    };
    let width = columns.len();
    let mut found = Vec::new();
    let mut raw = statement.raw_query();
    while let Some(row) = raw.next()? {
        if let Rows::None = rows {
            continue;
        }
        let cells = (0..width).map(|index| row.get_ref(index).map(Cell::from_sqlite)).collect::<Result<_, _>>()?;
        found.push(Row { columns: columns.clone(), cells });
        if let Rows::One = rows {
            break;
        }
    }
    drop(raw);
    Ok((found, Done { rows_affected: conn.changes() }))
}

/// Binds `params` to a statement's placeholders: plain `?` ones by position, `$n` ones by
/// their number (SQLite numbers named placeholders in order of first use, so `$2` may come
/// first).
fn bind_sqlite(statement: &mut rusqlite::CachedStatement<'_>, params: &[Param]) -> Result<(), Error> {
    let count = statement.parameter_count();
    for index in 1..=count {
        let param = match statement.parameter_name(index) {
            None => params.get(index - 1),
            Some(name) => name.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()).and_then(|n| params.get(n - 1)),
        };
        let param = param.ok_or_else(|| Error::decode(format!("parameter {index}"), "no value bound"))?;
        statement.raw_bind_parameter(index, param)?;
    }
    Ok(())
}

/// A connection thread's way in: its job queue, and the connection it works on.
struct ConnectionThread {
    jobs: std::sync::mpsc::Sender<Job>,
    state: Arc<Mutex<SqliteState>>,
}

/// One SQLite connection on its own thread.
pub struct SqliteConnection {
    thread: Option<ConnectionThread>,
    pool: Arc<SqlitePoolInner>,
    _permit: OwnedSemaphorePermit,
}

impl SqliteConnection {
    fn send(&self, job: Job) {
        if let Some(thread) = &self.thread {
            let _ = thread.jobs.send(job);
        }
    }

    /// Runs `work` on the connection's thread and waits for its answer.
    async fn call<R: Send + 'static>(
        &mut self,
        work: impl FnOnce(&mut SqliteState) -> Result<R, Error> + Send + 'static,
    ) -> Result<R, Error> {
        let (answer, answered) = oneshot::channel();
        let thread = self.thread.as_ref().ok_or(Error::ConnectionClosed)?;
        thread
            .jobs
            .send(Box::new(move |state| {
                // Unlocked before the answer goes: its receiver may want the connection next.
                let result = work(&mut lock(state));
                let _ = answer.send(result);
            }))
            .map_err(|_| Error::ConnectionClosed)?;
        answered.await.map_err(|_| Error::ConnectionClosed)?
    }

    /// Runs a statement on the connection's thread.
    async fn run(&mut self, sql: &str, params: Vec<Param>, rows: Rows) -> Result<(Vec<Row>, Done), Error> {
        let sql = sql.to_owned();
        self.call(move |state| state.run(&sql, &params, rows)).await
    }

    /// Runs a statement of this connection's transaction: a short read here, on the caller's
    /// thread (the connection is this transaction's alone, and its thread idle between
    /// statements), anything else on the connection's thread. A transaction's reads then cost
    /// no hand-off, and SQLite's one writer is held for less time.
    async fn run_here_or_there(
        &mut self,
        sql: &str,
        params: Vec<Param>,
        rows: Rows,
    ) -> Result<(Vec<Row>, Done), Error> {
        let answered = self.thread.as_ref().and_then(|thread| {
            let mut state = thread.state.try_lock().ok()?;
            // A deferred transaction takes its snapshot at its first read, which may wait for
            // a lock: that read goes to the thread. After it, reads wait for nothing.
            let reading = state.conn.transaction_state(None).ok()? != rusqlite::TransactionState::None;
            reading.then(|| state.answer_within_budget(sql, &params, rows))?
        });
        match answered {
            Some(answer) => answer,
            None => self.run(sql, params, rows).await,
        }
    }

    /// Runs `work` with the raw connection on its thread (migrations, whole-file work).
    pub async fn with<R: Send + 'static>(
        &mut self,
        work: impl FnOnce(&mut rusqlite::Connection) -> anyhow::Result<R> + Send + 'static,
    ) -> anyhow::Result<R> {
        self.call(move |state| Ok(work(&mut state.conn))).await?
    }
}

impl Drop for SqliteConnection {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            lock(&self.pool.idle).push(thread);
        }
    }
}

struct SqlitePoolInner {
    idle: Mutex<Vec<ConnectionThread>>,
    permits: Arc<Semaphore>,
    size: usize,
}

/// A fixed set of SQLite connection threads.
#[derive(Clone)]
pub struct SqlitePool {
    inner: Arc<SqlitePoolInner>,
}

impl std::fmt::Debug for SqlitePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlitePool").field("size", &self.inner.size).finish()
    }
}

/// How long a caller waits for a free connection before giving up.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

impl SqlitePool {
    /// Starts `size` connection threads, each opened by `open`.
    pub fn start(
        size: usize,
        name: &str,
        open: impl Fn() -> rusqlite::Result<rusqlite::Connection>,
    ) -> Result<Self, Error> {
        let mut idle = Vec::with_capacity(size);
        for index in 0..size {
            let state = Arc::new(Mutex::new(SqliteState::new(open()?)));
            let (jobs, receiver) = std::sync::mpsc::channel::<Job>();
            let worked_on = state.clone();
            std::thread::Builder::new()
                .name(format!("{name}-{index}"))
                .spawn(move || {
                    while let Ok(job) = receiver.recv() {
                        // A panicking job loses its answer (its caller sees the connection
                        // closed), not the connection.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&worked_on)));
                    }
                })
                .map_err(|error| Error::decode(name, format!("starting a connection thread: {error}")))?;
            idle.push(ConnectionThread { jobs, state });
        }
        let inner = SqlitePoolInner { idle: Mutex::new(idle), permits: Arc::new(Semaphore::new(size)), size };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// Borrows a connection, waiting up to [`ACQUIRE_TIMEOUT`] for one to come free.
    pub async fn acquire(&self) -> Result<Connection, Error> {
        Ok(Engine::Sqlite(self.acquire_thread().await?).into())
    }

    /// Like [`acquire`](Self::acquire), for work on the raw connection.
    pub async fn acquire_thread(&self) -> Result<SqliteConnection, Error> {
        let permit = tokio::time::timeout(ACQUIRE_TIMEOUT, self.inner.permits.clone().acquire_owned())
            .await
            .map_err(|_| Error::PoolTimedOut(ACQUIRE_TIMEOUT))?
            .map_err(|_| Error::ConnectionClosed)?;
        let thread = lock(&self.inner.idle).pop();
        let thread = thread.ok_or(Error::ConnectionClosed)?;
        Ok(SqliteConnection { thread: Some(thread), pool: self.inner.clone(), _permit: permit })
    }

    /// How many connections it has, and how many are idle.
    pub fn sizes(&self) -> (usize, usize) {
        (self.inner.size, self.inner.permits.available_permits())
    }
}

/// How long a statement may run on the caller's thread before it is handed to a connection
/// thread instead. Point reads and pages of a list take tens of microseconds; holding an async
/// worker longer would stall every other request it serves.
const INLINE_BUDGET: Duration = Duration::from_micros(500);

/// How many virtual-machine steps SQLite takes between looks at the clock (a few microseconds'
/// worth).
const STEPS_BETWEEN_CHECKS: i32 = 1_000;

/// SQLite reads outside a transaction.
///
/// A statement that only reads is first tried on the caller's own thread, on one of a few
/// connections kept for that (as many as there are cores, so each async worker finds one
/// free): no hand-off to another thread and back, which under load cost more than the read
/// itself (two context switches and their wake-ups). It is taken back to a connection thread
/// when every inline connection is busy, when it would write, when it would wait for a lock,
/// or when it runs past [`INLINE_BUDGET`] (SQLite interrupts it; a read leaves nothing to undo).
/// So the async workers are never held long, except by a page that must come from the disk.
///
/// Each statement is answered on its own, possibly by a different SQLite connection than the
/// one before: a connection from [`Store::read`](super::Store::read) is for single statements,
/// and one moment of the store across statements is what [`Transaction`]s are for. (Their
/// short reads skip the hand-off too, on their own connection: see
/// [`SqliteConnection::run_here_or_there`].)
#[derive(Clone)]
pub struct SqliteReads {
    inner: Arc<SqliteReadsInner>,
}

struct SqliteReadsInner {
    threads: SqlitePool,
    inline: Vec<Mutex<SqliteState>>,
}

impl std::fmt::Debug for SqliteReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteReads")
            .field("threads", &self.inner.threads)
            .field("inline", &self.inner.inline.len())
            .finish()
    }
}

impl SqliteReads {
    /// Starts `threads` connection threads and opens `inline` connections for the callers'
    /// own threads, each connection opened by `open`.
    pub fn start(
        threads: usize,
        inline: usize,
        name: &str,
        open: impl Fn() -> rusqlite::Result<rusqlite::Connection>,
    ) -> Result<Self, Error> {
        let threads = SqlitePool::start(threads, name, &open)?;
        let inline = (0..inline)
            .map(|_| {
                let conn = open()?;
                // A lock is waited for on a connection thread, not here.
                conn.busy_timeout(Duration::ZERO)?;
                Ok(Mutex::new(SqliteState::new(conn)))
            })
            .collect::<Result<_, Error>>()?;
        Ok(Self { inner: Arc::new(SqliteReadsInner { threads, inline }) })
    }

    /// The connection threads, for work that needs one connection throughout.
    pub fn threads(&self) -> &SqlitePool {
        &self.inner.threads
    }

    /// Borrows a connection for statements answered one by one.
    pub fn connection(&self) -> Connection {
        Engine::SqliteReads(self.clone()).into()
    }

    /// Runs a statement: on this thread when it can (see [`SqliteReads`]), else on a
    /// connection thread.
    async fn run(&self, sql: &str, params: Vec<Param>, rows: Rows) -> Result<(Vec<Row>, Done), Error> {
        let answered = self
            .inner
            .inline
            .iter()
            .find_map(|conn| conn.try_lock().ok())
            .and_then(|mut conn| conn.answer_within_budget(sql, &params, rows));
        match answered {
            Some(answer) => answer,
            None => self.inner.threads.acquire_thread().await?.run(sql, params, rows).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ScratchDatabase, Store};

    async fn store() -> (ScratchDatabase, Store) {
        let database = ScratchDatabase::new().await.unwrap();
        let store = Store::open(&database.url).await.unwrap();
        (database, store)
    }

    #[tokio::test]
    async fn numbered_placeholders_bind_by_number_whatever_their_order() {
        let (_database, store) = store().await;
        let mut conn = store.read().await.unwrap();
        let (text, number): (String, i64) =
            query_as("SELECT $2 || '', $1 + 0").bind(7_i64).bind("seven").fetch_one(&mut conn).await.unwrap();
        assert_eq!((text.as_str(), number), ("seven", 7));
        let missing = query("SELECT $1, $2").bind(1_i64).execute(&mut conn).await;
        assert!(missing.is_err(), "an unbound placeholder is an error, not a null");
    }

    #[tokio::test]
    async fn unique_violations_are_told_apart_and_dropped_transactions_roll_back() {
        let (_database, store) = store().await;
        let insert = || query("INSERT INTO settings (key, value) VALUES ('k', 'v')");
        let mut tx = store.begin().await.unwrap();
        insert().execute(&mut tx).await.unwrap();
        assert!(insert().execute(&mut tx).await.unwrap_err().is_unique_violation());
        drop(tx);
        let mut conn = store.read().await.unwrap();
        let count: i64 =
            query_scalar("SELECT COUNT(*) FROM settings WHERE key = 'k'").fetch_one(&mut conn).await.unwrap();
        assert_eq!(count, 0, "the dropped transaction's insert is gone");
        let mut tx = store.begin().await.unwrap();
        insert().execute(&mut tx).await.unwrap();
        tx.commit().await.unwrap();
        let count: i64 =
            query_scalar("SELECT COUNT(*) FROM settings WHERE key = 'k'").fetch_one(&mut conn).await.unwrap();
        assert_eq!(count, 1);
    }

    #[tokio::test]
    async fn a_value_of_the_wrong_type_names_its_column() {
        let (_database, store) = store().await;
        let mut conn = store.read().await.unwrap();
        let error = query_scalar::<i64>("SELECT 'text' AS label").fetch_one(&mut conn).await.unwrap_err().to_string();
        assert!(error.contains("label") && error.contains("integer"), "{error}");
        let absent: Option<i64> = query_scalar("SELECT NULL AS absent").fetch_one(&mut conn).await.unwrap();
        assert_eq!(absent, None);
    }

    /// The recursive count of a read that takes far longer than the inline budget.
    const LONG_READ: &str =
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) SELECT COUNT(*) FROM n";

    #[test]
    fn only_short_reads_are_answered_within_the_budget() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (n INTEGER)").unwrap();
        let mut here = SqliteState::new(conn);
        let (rows, _) =
            here.answer_within_budget("SELECT 41 + $1 AS n", &[Param::from(1_i64)], Rows::One).unwrap().unwrap();
        assert_eq!(rows[0].try_get::<i64>("n").unwrap(), 42);
        let write = here.answer_within_budget("INSERT INTO t VALUES (1)", &[], Rows::None);
        assert!(write.is_none(), "a write is left to a thread");
        assert!(here.answer_within_budget(LONG_READ, &[], Rows::One).is_none(), "a long read is interrupted");
        for control in ["BEGIN", "SAVEPOINT s"] {
            assert!(here.answer_within_budget(control, &[], Rows::None).is_none(), "{control}");
        }
        assert!(here.conn.is_autocommit(), "no transaction was opened here");
        let (rows, _) = here.answer_within_budget("SELECT COUNT(*) FROM t", &[], Rows::One).unwrap().unwrap();
        assert_eq!(rows[0].try_get::<i64>(0).unwrap(), 0, "the write was not run here");
        let error = here.answer_within_budget("SELECT nothing FROM t", &[], Rows::One);
        assert!(error.is_none(), "a statement that does not prepare is left to a thread, which reports it");
    }

    #[test]
    fn a_read_stopped_inside_a_transaction_leaves_the_transaction_and_its_writes() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (n INTEGER); BEGIN IMMEDIATE; INSERT INTO t VALUES (1);").unwrap();
        let mut here = SqliteState::new(conn);
        assert!(here.answer_within_budget(LONG_READ, &[], Rows::One).is_none(), "a long read is interrupted");
        assert!(!here.conn.is_autocommit(), "the transaction is still open");
        let (rows, _) = here.answer_within_budget("SELECT COUNT(*) FROM t", &[], Rows::One).unwrap().unwrap();
        assert_eq!(rows[0].try_get::<i64>(0).unwrap(), 1, "its write is still there");
        here.conn.execute_batch("COMMIT").unwrap();
        let count: i64 = here.conn.query_row("SELECT COUNT(*) FROM t", [], |row| row.get(0)).unwrap();
        assert_eq!(count, 1);
    }

    #[tokio::test]
    async fn reads_too_long_to_answer_inline_are_answered_by_a_connection_thread() {
        let (_database, store) = store().await;
        let mut conn = store.read().await.unwrap();
        let count: i64 = query_scalar(LONG_READ).fetch_one(&mut conn).await.unwrap();
        assert_eq!(count, 3_000_000);
        query("INSERT INTO settings (key, value) VALUES ('k', 'v')").execute(&mut conn).await.unwrap();
        let value: String =
            query_scalar("SELECT value FROM settings WHERE key = 'k'").fetch_one(&mut conn).await.unwrap();
        assert_eq!(value, "v", "a write through a read connection is run, and seen by the next read");
        let missing = query("SELECT nothing FROM settings").fetch_all(&mut conn).await.unwrap_err();
        assert!(missing.to_string().contains("nothing"), "{missing}");
    }

    #[tokio::test]
    async fn a_transaction_reads_its_own_writes_whichever_thread_answers() {
        let (_database, store) = store().await;
        let mut tx = store.begin().await.unwrap();
        query("INSERT INTO settings (key, value) VALUES ('k', 'v')").execute(&mut tx).await.unwrap();
        let value: String =
            query_scalar("SELECT value FROM settings WHERE key = 'k'").fetch_one(&mut tx).await.unwrap();
        assert_eq!(value, "v", "a short read, answered here, sees the transaction's write");
        let count: i64 = query_scalar(LONG_READ).fetch_one(&mut tx).await.unwrap();
        assert_eq!(count, 3_000_000, "a long read is finished by the connection's thread");
        tx.commit().await.unwrap();
        let mut conn = store.read().await.unwrap();
        let value: String =
            query_scalar("SELECT value FROM settings WHERE key = 'k'").fetch_one(&mut conn).await.unwrap();
        assert_eq!(value, "v");
    }

    /// SQLite is built with STAT4, whose samples let searches be planned for their text; a
    /// cursor bound through [`SqlBuilder::bind_keeping_plan`](crate::store::sql::SqlBuilder::bind_keeping_plan)
    /// keeps its statement's plan from page to page, where a bare one has it planned again.
    #[test]
    fn cursor_pages_keep_their_plan_under_stat4() {
        use rusqlite::StatementStatus;
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let options: Vec<String> = conn
            .prepare("PRAGMA compile_options")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(options.iter().any(|option| option == "ENABLE_STAT4"), "{options:?}");
        conn.execute_batch("CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER)").unwrap();
        for n in 0..2_000 {
            conn.execute("INSERT INTO t VALUES (?1, ?2)", rusqlite::params![format!("id_{n:05}"), n]).unwrap();
        }
        conn.execute_batch("ANALYZE").unwrap();
        let replans = |sql: &str| {
            let mut statement = conn.prepare(sql).unwrap();
            for cursor in ["id_01500", "id_00900", "id_00100"] {
                let mut rows = statement.query([cursor]).unwrap();
                while rows.next().unwrap().is_some() {}
            }
            statement.get_status(StatementStatus::RePrepare)
        };
        assert!(
            replans("SELECT id FROM t WHERE id < ?1 ORDER BY id DESC LIMIT 11") > 0,
            "a bare cursor is planned again"
        );
        assert_eq!(replans("SELECT id FROM t WHERE id < (?1 || '') ORDER BY id DESC LIMIT 11"), 0);
    }
}
