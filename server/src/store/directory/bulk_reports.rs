//! Bulk reports: what a bulk action on the users table did, kept briefly for the page that a
//! form posted without JavaScript is sent back to.

use super::*;

from_row! {
    #[derive(Debug, Clone)]
    /// A kept bulk report: its organization and the report as JSON.
    pub struct BulkReportRow {
        pub organization_id: String,
        pub data: String,
        pub created_at: i64,
    }
}

/// Keeps a report, and forgets those created before `forget_before`.
pub async fn insert_bulk_report(
    conn: &mut Connection,
    id: &BulkReportId,
    organization: &OrganizationId,
    data: &str,
    now: i64,
    forget_before: i64,
) -> Result<(), StoreError> {
    db::query("DELETE FROM bulk_reports WHERE created_at < $1").bind(forget_before).execute(&mut *conn).await?;
    db::query("INSERT INTO bulk_reports (id, organization_id, data, created_at) VALUES ($1, $2, $3, $4)")
        .bind(id.as_str())
        .bind(organization.as_str())
        .bind(data)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Reads a kept report.
pub async fn find_bulk_report(conn: &mut Connection, id: &BulkReportId) -> Result<Option<BulkReportRow>, StoreError> {
    fetch_optional_by(conn, "SELECT organization_id, data, created_at FROM bulk_reports WHERE id = $1", id.as_str())
        .await
}
