//! A small builder for dynamic SQL with numbered `$n` placeholders, which both engines
//! accept.

use crate::store::db::{Param, Query};
use app::model::{List, ListMetadata, Order, Page};

/// A value bound to a placeholder.
pub type Value = Param;

/// SQL text and the values for its placeholders, in order.
#[derive(Debug, Default)]
pub struct SqlBuilder {
    sql: String,
    values: Vec<Value>,
    /// Plain `?` placeholders instead of `$n` (SQLite only).
    anonymous: bool,
}

impl SqlBuilder {
    /// Starts a statement.
    pub fn new(sql: &str) -> Self {
        Self { sql: sql.to_owned(), values: Vec::new(), anonymous: false }
    }

    /// Starts a statement with the placeholders the engine binds fastest: plain `?` on SQLite,
    /// `$n` on PostgreSQL. SQLite finds a numbered parameter's name by a linear search of the
    /// statement's parameters, which sqlx does for each one, so a statement of n numbered
    /// parameters costs n² (a thousand-row insert spent most of its time there); plain `?`
    /// ones have no name to search. For bulk statements; the text then suits one engine only.
    pub fn for_engine(backend: crate::store::Backend, sql: &str) -> Self {
        Self { anonymous: backend == crate::store::Backend::Sqlite, ..Self::new(sql) }
    }

    /// Appends SQL text.
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        if self.anonymous {
            self.sql.push('?');
        } else {
            self.sql.push('$');
            self.sql.push_str(&self.values.len().to_string());
        }
        self
    }

    /// Appends a placeholder for a value the planner does not read, wrapped in an expression
    /// that leaves it unchanged (`($n || '')` for text, `($n + 0)` for numbers): for cursors,
    /// and for conditions whose best plan is the same whatever the value.
    ///
    /// SQLite's planner reads a bare placeholder's value to estimate its rows from the index
    /// samples of `ANALYZE` (STAT4), and must then plan the statement again every time a value
    /// is bound to it: every cursor page paid for planning once more. It does not look inside
    /// an expression, so the statement keeps its plan, which for a keyset page is the same
    /// index range whatever the cursor. Searches bind theirs bare: their best plan depends on
    /// the text (a common prefix walks the index in order, a rare one looks matches up).
    pub fn bind_keeping_plan(&mut self, value: impl Into<Value>) -> &mut Self {
        let value = value.into();
        let wrap = if matches!(value, Value::Text(_)) { " || '')" } else { " + 0)" };
        self.push("(").bind(value).push(wrap)
    }

    /// Appends `(p1, p2, …)` binding every value.
    pub fn bind_list<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Self {
        self.push("(");
        for (index, value) in values.into_iter().enumerate() {
            if index > 0 {
                self.push(", ");
            }
            self.bind(value);
        }
        self.push(")")
    }

    /// Appends a keyset condition on `column` and the ordering and limit for `page`.
    ///
    /// One more row than the page holds is fetched, so [`finish_page`] can tell whether
    /// another page follows.
    pub fn push_keyset(&mut self, column: &str, page: &Page) -> &mut Self {
        let backwards = page.after.is_none() && page.before.is_some();
        let ascending = (page.order == Order::Asc) != backwards;
        if let Some(cursor) = page.after.as_ref().or(page.before.as_ref()) {
            self.push(&format!(" AND {column} {} ", if ascending { ">" } else { "<" }));
            self.bind_keeping_plan(cursor.as_str());
        }
        self.push(&format!(" ORDER BY {column} {} LIMIT ", if ascending { "ASC" } else { "DESC" }));
        self.bind(i64::from(page.limit) + 1)
    }

    /// Like [`push_keyset`](Self::push_keyset), for a list ordered by `sort` with `id`
    /// breaking ties; the cursor is the last (or first) row's `(sort value, id)`.
    ///
    /// Without a cursor this pages from the start; a malformed cursor is treated the same.
    pub fn push_sorted_keyset(
        &mut self,
        sort: &str,
        id: &str,
        cursor: Option<(String, Value)>,
        page: &Page,
    ) -> &mut Self {
        let backwards = page.after.is_none() && page.before.is_some();
        let ascending = (page.order == Order::Asc) != backwards;
        let (direction, comparison) = if ascending { ("ASC", ">") } else { ("DESC", "<") };
        if let Some((cursor_id, value)) = cursor {
            self.push(&format!(" AND ({sort}, {id}) {comparison} ("));
            self.bind_keeping_plan(value).push(", ").bind_keeping_plan(cursor_id).push(")");
        }
        self.push(&format!(" ORDER BY {sort} {direction}, {id} {direction} LIMIT "));
        self.bind(i64::from(page.limit) + 1)
    }

    /// The SQL text.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// A query with every value bound.
    pub fn query(&self) -> Query<'_> {
        Query::with(&self.sql, self.values.clone())
    }
}

/// Turns the rows of a [`SqlBuilder::push_keyset`] query into a page with its cursors.
pub fn finish_page<T>(mut rows: Vec<T>, page: &Page, cursor: impl Fn(&T) -> String) -> List<T> {
    let limit = page.limit as usize;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let backwards = page.after.is_none() && page.before.is_some();
    let list_metadata = if backwards {
        rows.reverse();
        ListMetadata { before: if more { rows.first().map(&cursor) } else { None }, after: rows.last().map(&cursor) }
    } else {
        ListMetadata {
            before: if page.after.is_some() { rows.first().map(&cursor) } else { None },
            after: if more { rows.last().map(&cursor) } else { None },
        }
    };
    List { data: rows, list_metadata }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(after: Option<&str>, before: Option<&str>) -> Page {
        Page { limit: 2, after: after.map(Into::into), before: before.map(Into::into), order: Order::Desc }
    }

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut sql = SqlBuilder::new("SELECT 1 WHERE a = ");
        sql.bind("x").push(" AND b IN ").bind_list([1_i64, 2]);
        assert_eq!(sql.sql(), "SELECT 1 WHERE a = $1 AND b IN ($2, $3)");
    }

    #[test]
    fn bulk_statements_use_plain_placeholders_on_sqlite_only() {
        let build = |backend| {
            let mut sql = SqlBuilder::for_engine(backend, "SELECT 1 WHERE a IN ");
            sql.bind_list(["x", "y"]);
            sql.sql().to_owned()
        };
        assert_eq!(build(crate::store::Backend::Sqlite), "SELECT 1 WHERE a IN (?, ?)");
        assert_eq!(build(crate::store::Backend::Postgres), "SELECT 1 WHERE a IN ($1, $2)");
    }

    #[test]
    fn keyset_goes_backwards_for_before() {
        let mut sql = SqlBuilder::new("SELECT id FROM t WHERE 1 = 1");
        sql.push_keyset("id", &page(None, Some("c")));
        assert_eq!(sql.sql(), "SELECT id FROM t WHERE 1 = 1 AND id > ($1 || '') ORDER BY id ASC LIMIT $2");
    }

    #[test]
    fn first_page_has_only_an_after_cursor() {
        let list = finish_page(vec!["e", "d", "c"], &page(None, None), |s| s.to_string());
        assert_eq!(list.data, vec!["e", "d"]);
        assert_eq!(list.list_metadata, ListMetadata { before: None, after: Some("d".into()) });
    }

    #[test]
    fn last_page_has_no_after_cursor() {
        let list = finish_page(vec!["b"], &page(Some("c"), None), |s| s.to_string());
        assert_eq!(list.list_metadata, ListMetadata { before: Some("b".into()), after: None });
    }

    #[test]
    fn backwards_pages_come_out_in_list_order() {
        // Fetched ascending after the cursor "b": c, d, e (one extra).
        let list = finish_page(vec!["c", "d", "e"], &page(None, Some("b")), |s| s.to_string());
        assert_eq!(list.data, vec!["d", "c"]);
        assert_eq!(list.list_metadata, ListMetadata { before: Some("d".into()), after: Some("c".into()) });
    }
}
