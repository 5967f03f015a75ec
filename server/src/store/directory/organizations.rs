//! Organizations and their domains.

use super::*;

from_row! {
    #[derive(Debug)]
    pub(super) struct OrganizationRow {
        id: String,
        name: String,
        allow_profiles_outside_organization: i64,
        stripe_customer_id: Option<String>,
        external_id: Option<String>,
        metadata: String,
        created_at: i64,
        updated_at: i64,
    }
}

from_row! {
    #[derive(Debug)]
    pub(super) struct DomainRow {
        id: String,
        organization_id: String,
        domain: String,
        state: String,
        verification_strategy: String,
        verification_token: Option<String>,
        created_at: i64,
        updated_at: i64,
    }
}

impl From<DomainRow> for OrganizationDomain {
    fn from(row: DomainRow) -> Self {
        OrganizationDomain {
            id: OrganizationDomainId::from_trusted(row.id),
            domain: row.domain,
            organization_id: OrganizationId::from_trusted(row.organization_id),
            state: match row.state.as_str() {
                "verified" => DomainState::Verified,
                "failed" => DomainState::Failed,
                _ => DomainState::Pending,
            },
            verification_strategy: match row.verification_strategy.as_str() {
                "dns" => DomainVerificationStrategy::Dns,
                _ => DomainVerificationStrategy::Manual,
            },
            verification_token: row.verification_token,
            created_at: iso(row.created_at),
            updated_at: iso(row.updated_at),
        }
    }
}

pub(super) const ORGANIZATION_COLUMNS: &str = "o.id, o.name, o.allow_profiles_outside_organization, \
    o.stripe_customer_id, o.external_id, o.metadata, o.created_at, o.updated_at";

/// Inserts an organization with its domains.
pub async fn insert_organization(
    conn: &mut Connection,
    organization: &Organization,
    now: i64,
) -> Result<(), StoreError> {
    db::query(
        "INSERT INTO organizations (id, name, name_key, external_id, metadata, created_at, updated_at) \
         VALUES ($1, $2, $6, $3, $4, $5, $5)",
    )
    .bind(organization.id.as_str())
    .bind(&organization.name)
    .bind(organization.external_id.as_deref())
    .bind(serde_json::to_string(&organization.metadata).unwrap_or_else(|_| "{}".into()))
    .bind(now)
    .bind(organization.name.to_lowercase())
    .execute(&mut *conn)
    .await?;
    insert_domains(conn, organization, now).await
}

pub(super) async fn insert_domains(
    conn: &mut Connection,
    organization: &Organization,
    now: i64,
) -> Result<(), StoreError> {
    for domain in &organization.domains {
        insert_domain(conn, domain, now).await?;
    }
    Ok(())
}

/// The wire name of an enum that serializes to a string.
fn wire_name(value: impl serde::Serialize) -> Option<String> {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned))
}

/// Inserts one domain of an organization.
pub async fn insert_domain(conn: &mut Connection, domain: &OrganizationDomain, now: i64) -> Result<(), StoreError> {
    db::query(
        "INSERT INTO organization_domains \
         (id, organization_id, domain, state, verification_strategy, verification_token, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(domain.id.as_str())
    .bind(domain.organization_id.as_str())
    .bind(&domain.domain)
    .bind(wire_name(domain.state))
    .bind(wire_name(domain.verification_strategy))
    .bind(&domain.verification_token)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

const DOMAIN_COLUMNS: &str =
    "id, organization_id, domain, state, verification_strategy, verification_token, created_at, updated_at";

/// Reads one domain.
pub async fn find_domain(
    conn: &mut Connection,
    id: &OrganizationDomainId,
) -> Result<Option<OrganizationDomain>, StoreError> {
    let row: Option<DomainRow> = fetch_optional_by(
        conn,
        &format!("SELECT {DOMAIN_COLUMNS} FROM organization_domains WHERE id = $1"),
        id.as_str(),
    )
    .await?;
    Ok(row.map(OrganizationDomain::from))
}

/// True when another organization than `organization` has verified this domain.
pub async fn domain_verified_elsewhere(
    conn: &mut Connection,
    domain: &str,
    organization: &OrganizationId,
) -> Result<bool, StoreError> {
    let found: Option<String> = db::query_scalar(
        "SELECT id FROM organization_domains WHERE domain = $1 AND organization_id <> $2 AND state = 'verified'",
    )
    .bind(domain)
    .bind(organization.as_str())
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

/// True when the organization already claims this domain.
pub async fn organization_claims_domain(
    conn: &mut Connection,
    domain: &str,
    organization: &OrganizationId,
) -> Result<bool, StoreError> {
    let found: Option<String> =
        db::query_scalar("SELECT id FROM organization_domains WHERE domain = $1 AND organization_id = $2")
            .bind(domain)
            .bind(organization.as_str())
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}

/// Sets a domain's state.
pub async fn set_domain_state(
    conn: &mut Connection,
    id: &OrganizationDomainId,
    state: DomainState,
    now: i64,
) -> Result<(), StoreError> {
    db::query("UPDATE organization_domains SET state = $2, updated_at = $3 WHERE id = $1")
        .bind(id.as_str())
        .bind(wire_name(state))
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks a domain verified by hand: its state and strategy change together.
pub async fn set_domain_verified_manually(
    conn: &mut Connection,
    id: &OrganizationDomainId,
    now: i64,
) -> Result<(), StoreError> {
    db::query(
        "UPDATE organization_domains SET state = 'verified', verification_strategy = 'manual', updated_at = $2 \
         WHERE id = $1",
    )
    .bind(id.as_str())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes one domain.
pub async fn delete_domain(conn: &mut Connection, id: &OrganizationDomainId) -> Result<(), StoreError> {
    db::query("DELETE FROM organization_domains WHERE id = $1").bind(id.as_str()).execute(conn).await?;
    Ok(())
}

pub(super) async fn attach_domains(
    conn: &mut Connection,
    rows: Vec<OrganizationRow>,
) -> Result<Vec<Organization>, StoreError> {
    let mut domains: HashMap<String, Vec<OrganizationDomain>> = HashMap::new();
    if !rows.is_empty() {
        let mut sql =
            SqlBuilder::new(&format!("SELECT {DOMAIN_COLUMNS} FROM organization_domains WHERE organization_id IN "));
        sql.bind_list(rows.iter().map(|row| row.id.as_str())).push(" ORDER BY id");
        let found: Vec<DomainRow> =
            sql.query().try_map(|mut row| DomainRow::from_row(&mut row)).fetch_all(conn).await?;
        for domain in found {
            domains.entry(domain.organization_id.clone()).or_default().push(domain.into());
        }
    }
    Ok(rows
        .into_iter()
        .map(|row| Organization {
            domains: domains.remove(&row.id).unwrap_or_default(),
            id: OrganizationId::from_trusted(row.id),
            name: row.name,
            allow_profiles_outside_organization: row.allow_profiles_outside_organization != 0,
            stripe_customer_id: row.stripe_customer_id,
            external_id: row.external_id,
            metadata: serde_json::from_str(&row.metadata).unwrap_or_default(),
            created_at: iso(row.created_at),
            updated_at: iso(row.updated_at),
        })
        .collect())
}

/// Reads an organization with its domains.
pub async fn find_organization(conn: &mut Connection, id: &OrganizationId) -> Result<Option<Organization>, StoreError> {
    let row: Option<OrganizationRow> =
        db::query_as(&format!("SELECT {ORGANIZATION_COLUMNS} FROM organizations o WHERE o.id = $1"))
            .bind(id.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    match row {
        Some(row) => Ok(attach_domains(conn, vec![row]).await?.pop()),
        None => Ok(None),
    }
}

/// Reads an organization by the ID an application gave it.
pub async fn find_organization_by_external_id(
    conn: &mut Connection,
    external_id: &str,
) -> Result<Option<Organization>, StoreError> {
    let id: Option<String> = db::query_scalar("SELECT id FROM organizations WHERE external_id = $1")
        .bind(external_id)
        .fetch_optional(&mut *conn)
        .await?;
    match id {
        Some(id) => find_organization(conn, &OrganizationId::from_trusted(id)).await,
        None => Ok(None),
    }
}

/// Overwrites an organization's fields and, when given, its domains.
pub async fn update_organization(
    conn: &mut Connection,
    organization: &Organization,
    replace_domains: bool,
    now: i64,
) -> Result<(), StoreError> {
    db::query(
        "UPDATE organizations SET name = $2, name_key = $7, external_id = $3, stripe_customer_id = $4, metadata = $5, \
         updated_at = $6 WHERE id = $1",
    )
    .bind(organization.id.as_str())
    .bind(&organization.name)
    .bind(organization.external_id.as_deref())
    .bind(organization.stripe_customer_id.as_deref())
    .bind(serde_json::to_string(&organization.metadata).unwrap_or_else(|_| "{}".into()))
    .bind(now)
    .bind(organization.name.to_lowercase())
    .execute(&mut *conn)
    .await?;
    if replace_domains {
        db::query("DELETE FROM organization_domains WHERE organization_id = $1")
            .bind(organization.id.as_str())
            .execute(&mut *conn)
            .await?;
        insert_domains(conn, organization, now).await?;
    }
    Ok(())
}

/// Deletes an organization; memberships, domains and invitations go with it.
pub async fn delete_organization(conn: &mut Connection, id: &OrganizationId) -> Result<u64, StoreError> {
    Ok(db::query("DELETE FROM organizations WHERE id = $1").bind(id.as_str()).execute(conn).await?.rows_affected())
}

/// Lists organizations, optionally only one, or those claiming one of `domains`.
pub async fn list_organizations(
    conn: &mut Connection,
    only: Option<&OrganizationId>,
    domains: &[String],
    page: &Page,
) -> Result<List<Organization>, StoreError> {
    let mut sql = SqlBuilder::new(&format!("SELECT {ORGANIZATION_COLUMNS} FROM organizations o WHERE 1 = 1"));
    if let Some(only) = only {
        sql.push(" AND o.id = ").bind(only.as_str());
    }
    if !domains.is_empty() {
        sql.push(" AND EXISTS (SELECT 1 FROM organization_domains d WHERE d.organization_id = o.id AND d.domain IN ")
            .bind_list(domains.iter().map(String::as_str))
            .push(")");
    }
    sql.push_keyset("o.id", page);
    let rows: Vec<OrganizationRow> =
        sql.query().try_map(|mut row| OrganizationRow::from_row(&mut row)).fetch_all(&mut *conn).await?;
    let list = finish_page(rows, page, |row| row.id.clone());
    let data = attach_domains(conn, list.data).await?;
    Ok(List { data, list_metadata: list.list_metadata })
}

/// Names of organizations, for menus: either these IDs or, with `None`, all of them.
pub async fn organization_summaries(
    conn: &mut Connection,
    ids: Option<&[OrganizationId]>,
) -> Result<Vec<OrganizationSummary>, StoreError> {
    let mut sql = SqlBuilder::new("SELECT id, name FROM organizations");
    match ids {
        Some([]) => return Ok(Vec::new()),
        Some(ids) => {
            sql.push(" WHERE id IN ").bind_list(ids.iter().map(OrganizationId::as_str));
        }
        None => {}
    }
    sql.push(" ORDER BY name, id LIMIT 500");
    let rows = sql.query().fetch_all(conn).await?;
    rows.into_iter()
        .map(|row| {
            Ok(OrganizationSummary { id: OrganizationId::from_trusted(row.try_get("id")?), name: row.try_get("name")? })
        })
        .collect()
}

/// Lists organizations newest first for the organizations page: those whose name starts with
/// `search` (lower-cased) or that claim a domain starting with it; every one without a search.
///
/// Both matches are range scans over an index (`organizations_name_key`,
/// `organization_domains_domain`), never a scan of the table.
pub async fn search_organizations(
    conn: &mut Connection,
    search: Option<&str>,
    page: &Page,
) -> Result<List<Organization>, StoreError> {
    let mut sql = SqlBuilder::new(&format!("SELECT {ORGANIZATION_COLUMNS} FROM organizations o WHERE 1 = 1"));
    if let Some(search) = search {
        let upper = format!("{search}{}", char::MAX);
        sql.push(" AND ((o.name_key >= ")
            .bind(search)
            .push(" AND o.name_key < ")
            .bind(upper.as_str())
            .push(") OR o.id IN (SELECT d.organization_id FROM organization_domains d WHERE d.domain >= ")
            .bind(search)
            .push(" AND d.domain < ")
            .bind(upper.as_str())
            .push("))");
    }
    sql.push_keyset("o.id", page);
    let rows: Vec<OrganizationRow> =
        sql.query().try_map(|mut row| OrganizationRow::from_row(&mut row)).fetch_all(&mut *conn).await?;
    let list = finish_page(rows, page, |row| row.id.clone());
    let data = attach_domains(conn, list.data).await?;
    Ok(List { data, list_metadata: list.list_metadata })
}

/// What [`counts_by_organization`] counts.
#[derive(Clone, Copy, Debug)]
pub enum Counted {
    /// Memberships in any status.
    Memberships,
    /// Invitations in any state.
    Invitations,
}

/// How many memberships or invitations each of these organizations has: one grouped count over
/// the `(organization_id, id)` index for the whole page, not a query per organization.
/// Organizations with none are missing from the answer.
pub async fn counts_by_organization(
    conn: &mut Connection,
    counted: Counted,
    ids: &[OrganizationId],
) -> Result<HashMap<OrganizationId, u64>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let table = match counted {
        Counted::Memberships => "memberships",
        Counted::Invitations => "invitations",
    };
    let mut sql =
        SqlBuilder::new(&format!("SELECT organization_id, COUNT(*) AS counted FROM {table} WHERE organization_id IN "));
    sql.bind_list(ids.iter().map(OrganizationId::as_str)).push(" GROUP BY organization_id");
    let rows = sql.query().fetch_all(conn).await?;
    rows.into_iter()
        .map(|row| {
            let counted: i64 = row.try_get("counted")?;
            Ok((OrganizationId::from_trusted(row.try_get("organization_id")?), counted.max(0) as u64))
        })
        .collect()
}

/// Names of organizations whose name starts with `search` (lower-cased), by name: the
/// organization switcher's search.
pub async fn organization_summaries_named(
    conn: &mut Connection,
    search: &str,
    ids: Option<&[OrganizationId]>,
    limit: i64,
) -> Result<Vec<OrganizationSummary>, StoreError> {
    let mut sql = SqlBuilder::new("SELECT id, name FROM organizations WHERE name_key >= ");
    sql.bind(search).push(" AND name_key < ").bind(format!("{search}{}", char::MAX));
    match ids {
        Some([]) => return Ok(Vec::new()),
        Some(ids) => {
            sql.push(" AND id IN ").bind_list(ids.iter().map(OrganizationId::as_str));
        }
        None => {}
    }
    sql.push(" ORDER BY name_key, id LIMIT ").bind(limit);
    let rows = sql.query().fetch_all(conn).await?;
    rows.into_iter()
        .map(|row| {
            Ok(OrganizationSummary { id: OrganizationId::from_trusted(row.try_get("id")?), name: row.try_get("name")? })
        })
        .collect()
}
