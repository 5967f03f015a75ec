//! `roster import`: reads an export file back, batching writes (multi-row inserts, one
//! transaction per batch) and never rehashing a password hash.
//!
//! Rows are matched to what the store holds, so importing a file twice changes nothing the
//! second time: users by external ID, else email; organizations by external ID, else ID;
//! permissions by slug; roles by scope and slug; memberships by organization and user;
//! invitations by ID or token. A new row keeps the file's ID unless another row holds it.

use super::*;
use crate::core::{password, validate};
use crate::store::directory::name_keys;
use crate::store::sql::SqlBuilder;
use crate::store::{Connection, Store, now_ms};
use app::error::AppError;
use app::ids::{InvitationId, MembershipId, OrganizationId, PermissionId, RoleId, UserId};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, Write};

/// Rows a multi-row statement carries: within SQLite's limit of 32,766 parameters (17 a user)
/// and PostgreSQL's of 65,535. The import's statements use SQLite's plain `?` parameters (see
/// [`SqlBuilder::for_engine`]), whose cost does not grow with their number.
fn rows_per_statement(backend: crate::store::Backend) -> usize {
    match backend {
        crate::store::Backend::Sqlite => 500,
        crate::store::Backend::Postgres => 1_000,
    }
}

/// A batch of new users whose member-search entries are written once, after the batch, rather
/// than by the insert trigger row by row (SQLite only; see migration 0014). Lives within one
/// transaction, so no other connection sees the deferral.
struct SearchFill {
    /// The users table's highest rowid before the batch: the batch's rows are the ones above.
    rowid_before: i64,
}

impl SearchFill {
    /// Turns the trigger off for the rest of the transaction; `None` where nothing is deferred.
    async fn defer(tx: &mut crate::store::Connection, backend: crate::store::Backend) -> anyhow::Result<Option<Self>> {
        if backend != crate::store::Backend::Sqlite {
            return Ok(None);
        }
        let rowid_before: i64 =
            db::query_scalar("SELECT COALESCE(MAX(rowid), 0) FROM users").fetch_one(&mut *tx).await?;
        db::query("UPDATE search_fill_deferral SET deferred = 1").execute(&mut *tx).await?;
        Ok(Some(Self { rowid_before }))
    }

    /// Indexes the batch's rows and turns the trigger back on.
    async fn complete(self, tx: &mut crate::store::Connection) -> anyhow::Result<()> {
        db::query(
            "INSERT INTO user_search (rowid, text) SELECT rowid, email || ' ' || name_key FROM users WHERE rowid > $1",
        )
        .bind(self.rowid_before)
        .execute(&mut *tx)
        .await?;
        db::query("UPDATE search_fill_deferral SET deferred = 0").execute(&mut *tx).await?;
        Ok(())
    }
}

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Check every row against the store without writing anything.
    pub dry_run: bool,
    /// Users or memberships written per transaction; by default 5,000 users and 1,000
    /// memberships on SQLite, and 1,000 of each on PostgreSQL.
    pub batch_size: Option<usize>,
}

/// What happened to a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new row was written (or would be, in a dry run).
    Created,
    /// A matching row took the line's values.
    Updated,
    /// A matching row already had the line's values.
    Unchanged,
    /// The line was left out, for the reason given.
    Skipped(String),
    /// The line is wrong, for the reason given; nothing of it was written.
    Error(String),
}

impl Outcome {
    /// The outcome's name.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Skipped(_) => "skipped",
            Outcome::Error(_) => "error",
        }
    }
}

/// One row of the report.
#[derive(Debug, Clone)]
pub struct RowReport {
    /// The line number in the file, from 1.
    pub line: u64,
    /// What the line is, e.g. `user alice@example.com`.
    pub what: String,
    /// What happened.
    pub outcome: Outcome,
}

impl std::fmt::Display for RowReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}\t{}\t{}", self.line, self.what, self.outcome.name())?;
        match &self.outcome {
            Outcome::Skipped(reason) | Outcome::Error(reason) => write!(f, ": {reason}"),
            _ => Ok(()),
        }
    }
}

/// The outcome of an import: counts by type and outcome, the errors and skipped rows, and
/// optionally every row written to a report file as it is decided.
#[derive(Default)]
pub struct Report {
    /// Rows by (type, outcome).
    pub counts: BTreeMap<(&'static str, &'static str), u64>,
    /// Every error and skipped row, in line order.
    pub problems: Vec<RowReport>,
    /// Where every row goes, if anywhere.
    pub full: Option<Box<dyn Write + Send>>,
}

impl Report {
    fn record(&mut self, kind: &'static str, row: RowReport) {
        *self.counts.entry((kind, row.outcome.name())).or_default() += 1;
        if let Some(full) = &mut self.full {
            // A report file that cannot be written is told about once, at the end.
            if writeln!(full, "{row}").is_err() {
                self.full = None;
            }
        }
        if matches!(row.outcome, Outcome::Error(_) | Outcome::Skipped(_)) {
            self.problems.push(row);
        }
    }

    /// The number of rows that failed.
    pub fn errors(&self) -> u64 {
        self.counts.iter().filter(|((_, outcome), _)| *outcome == "error").map(|(_, n)| n).sum()
    }

    /// How many rows of a type had an outcome.
    pub fn count(&self, kind: &str, outcome: &str) -> u64 {
        self.counts.iter().find(|((k, o), _)| *k == kind && *o == outcome).map(|(_, n)| *n).unwrap_or(0)
    }
}

/// A field error's text for the report.
fn reason(error: &AppError) -> String {
    match error {
        AppError::Validation(errors) => {
            errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    }
}

/// Reads `input` line by line and imports it; `progress` is told of the bytes read.
pub async fn import(
    store: &Store,
    input: impl BufRead,
    options: ImportOptions,
    report: Report,
    mut progress: impl FnMut(u64),
) -> anyhow::Result<Report> {
    let mut importer = Importer {
        store,
        dry_run: options.dry_run,
        report,
        users: HashMap::new(),
        organizations: HashMap::new(),
        created_users: HashSet::new(),
        created_organizations: HashSet::new(),
        created_permissions: HashSet::new(),
        role_slugs: HashMap::new(),
    };
    // On SQLite, large transactions write each index page to the WAL fewer times; users'
    // statements and lookups are chunked within them, memberships' fit in one statement.
    let (user_batch, membership_batch) = match (options.batch_size, store.backend()) {
        (Some(size), _) => (size.max(1), size.max(1)),
        (None, crate::store::Backend::Sqlite) => (5_000, 1_000),
        (None, crate::store::Backend::Postgres) => (1_000, 1_000),
    };
    let mut users: Vec<(u64, UserLine)> = Vec::new();
    let mut memberships: Vec<(u64, MembershipLine)> = Vec::new();
    let mut read = 0u64;
    for (index, text) in input.lines().enumerate() {
        let number = index as u64 + 1;
        let text = text?;
        read += text.len() as u64 + 1;
        progress(read);
        if text.trim().is_empty() {
            continue;
        }
        let line = match serde_json::from_str::<Line>(&text) {
            Ok(line) => line,
            Err(error) => {
                let row = RowReport { line: number, what: "line".into(), outcome: Outcome::Error(error.to_string()) };
                importer.report.record("line", row);
                continue;
            }
        };
        // A line may refer to any line above it, so batches are written before a line of
        // another type is looked at.
        if !matches!(line, Line::User(_)) && !users.is_empty() {
            importer.users(std::mem::take(&mut users)).await?;
        }
        if !matches!(line, Line::Membership(_)) && !memberships.is_empty() {
            importer.memberships(std::mem::take(&mut memberships)).await?;
        }
        match line {
            Line::User(user) => {
                users.push((number, user));
                if users.len() >= user_batch {
                    importer.users(std::mem::take(&mut users)).await?;
                }
            }
            Line::Membership(membership) => {
                memberships.push((number, membership));
                if memberships.len() >= membership_batch {
                    importer.memberships(std::mem::take(&mut memberships)).await?;
                }
            }
            Line::Permission(permission) => importer.permission(number, permission).await?,
            Line::Organization(organization) => importer.organization(number, organization).await?,
            Line::Role(role) => importer.role(number, role).await?,
            Line::Invitation(invitation) => importer.invitation(number, invitation).await?,
        }
    }
    importer.users(users).await?;
    importer.memberships(memberships).await?;
    if !importer.dry_run {
        store.analyze().await?;
    }
    if let Some(full) = &mut importer.report.full {
        full.flush()?;
    }
    Ok(importer.report)
}

struct Importer<'a> {
    store: &'a Store,
    dry_run: bool,
    report: Report,
    /// File user IDs that became other IDs in the store (matched, or taken).
    users: HashMap<String, String>,
    /// The same for organizations.
    organizations: HashMap<String, String>,
    /// In a dry run, what would have been created, so later lines may refer to it.
    created_users: HashSet<String>,
    created_organizations: HashSet<String>,
    created_permissions: HashSet<String>,
    /// Role slugs by scope (`None`: the environment), read once per scope.
    role_slugs: HashMap<Option<String>, HashSet<String>>,
}

/// Binds an optional text, or writes `NULL`.
fn bind_text(sql: &mut SqlBuilder, value: Option<&str>) {
    match value {
        Some(value) => {
            sql.bind(value);
        }
        None => {
            sql.push("NULL");
        }
    }
}

fn bind_int(sql: &mut SqlBuilder, value: Option<i64>) {
    match value {
        Some(value) => {
            sql.bind(value);
        }
        None => {
            sql.push("NULL");
        }
    }
}

/// A user line checked and normalized.
struct CheckedUser {
    line: u64,
    source_id: String,
    email: String,
    email_verified: bool,
    first_name: Option<String>,
    last_name: Option<String>,
    locale: Option<String>,
    profile_picture_url: Option<String>,
    external_id: Option<String>,
    metadata: Metadata,
    is_platform_admin: bool,
    password: Option<(String, &'static str)>,
    last_sign_in_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

fn check_user(line: u64, user: UserLine, now: i64) -> Result<CheckedUser, String> {
    let fail = |error: AppError| reason(&error);
    let email = validate::email("email", &user.email).map_err(fail)?;
    let first_name = validate::name("first_name", user.first_name).map_err(fail)?;
    let last_name = validate::name("last_name", user.last_name).map_err(fail)?;
    let external_id = validate::external_id("external_id", user.external_id).map_err(fail)?;
    let profile_picture_url = validate::picture_url("profile_picture_url", user.profile_picture_url).map_err(fail)?;
    validate::metadata("metadata", &user.metadata).map_err(fail)?;
    let password = match (user.password_hash, user.password_hash_type) {
        (None, None) => None,
        (Some(hash), Some(kind)) => {
            let kind = password::check_imported("password_hash", &hash, &kind).map_err(fail)?;
            Some((hash, kind))
        }
        (Some(_), None) => return Err("password_hash_type: required with password_hash".into()),
        (None, Some(_)) => return Err("password_hash: required with password_hash_type".into()),
    };
    let created_at = parse_time("created_at", &user.created_at, now)?;
    Ok(CheckedUser {
        line,
        source_id: user.id,
        email,
        email_verified: user.email_verified,
        first_name,
        last_name,
        locale: user.locale.filter(|locale| !locale.is_empty()),
        profile_picture_url,
        external_id,
        metadata: user.metadata,
        is_platform_admin: user.is_platform_admin,
        password,
        last_sign_in_at: user
            .last_sign_in_at
            .as_ref()
            .map(|_| parse_time("last_sign_in_at", &user.last_sign_in_at, now))
            .transpose()?,
        created_at,
        updated_at: parse_time("updated_at", &user.updated_at, created_at)?,
    })
}

/// A stored user, as far as an import compares it.
#[derive(Debug, Clone)]
struct StoredUser {
    id: String,
    email: String,
    email_verified: bool,
    first_name: Option<String>,
    last_name: Option<String>,
    locale: Option<String>,
    profile_picture_url: Option<String>,
    external_id: Option<String>,
    metadata: Metadata,
    is_platform_admin: bool,
    password_hash: Option<String>,
}

impl CheckedUser {
    fn same_as(&self, stored: &StoredUser) -> bool {
        self.email == stored.email
            && self.email_verified == stored.email_verified
            && self.first_name == stored.first_name
            && self.last_name == stored.last_name
            && self.locale == stored.locale
            && self.profile_picture_url == stored.profile_picture_url
            && self.external_id == stored.external_id
            && self.metadata == stored.metadata
            && self.is_platform_admin == stored.is_platform_admin
            && self.password.as_ref().map(|(hash, _)| hash) == stored.password_hash.as_ref()
    }
}

impl Importer<'_> {
    fn record(&mut self, kind: &'static str, line: u64, what: String, outcome: Outcome) {
        self.report.record(kind, RowReport { line, what, outcome });
    }

    /// The store ID a file's user ID stands for.
    fn user_id(&self, source: &str) -> String {
        self.users.get(source).cloned().unwrap_or_else(|| source.to_owned())
    }

    fn organization_id(&self, source: &str) -> String {
        self.organizations.get(source).cloned().unwrap_or_else(|| source.to_owned())
    }

    /// A statement with the placeholders the store's engine binds fastest.
    fn sql(&self, text: &str) -> SqlBuilder {
        SqlBuilder::for_engine(self.store.backend(), text)
    }

    async fn begin(&self) -> anyhow::Result<crate::store::db::Transaction> {
        Ok(self.store.begin().await?)
    }

    async fn users(&mut self, batch: Vec<(u64, UserLine)>) -> anyhow::Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        let mut checked = Vec::with_capacity(batch.len());
        for (line, user) in batch {
            let what = format!("user {}", user.email.trim().to_lowercase());
            match check_user(line, user, now) {
                Ok(user) => checked.push(user),
                Err(error) => self.record("user", line, what, Outcome::Error(error)),
            }
        }
        if checked.is_empty() {
            return Ok(());
        }
        let mut conn = self.store.read().await?;
        let mut by_email = HashMap::new();
        let mut by_external = HashMap::new();
        let mut taken_ids = HashSet::new();
        for chunk in checked.chunks(rows_per_statement(self.store.backend())) {
            let mut sql = self.sql(
                "SELECT id, email, email_verified, first_name, last_name, locale, profile_picture_url, external_id, \
                 metadata, is_platform_admin, password_hash FROM users WHERE email IN ",
            );
            sql.bind_list(chunk.iter().map(|user| user.email.as_str())).push(" OR id IN ");
            sql.bind_list(chunk.iter().map(|user| user.source_id.as_str()));
            let external: Vec<&str> = chunk.iter().filter_map(|user| user.external_id.as_deref()).collect();
            if !external.is_empty() {
                sql.push(" OR external_id IN ").bind_list(external);
            }
            for row in sql.query().fetch_all(&mut conn).await? {
                let stored = StoredUser {
                    id: row.try_get("id")?,
                    email: row.try_get("email")?,
                    email_verified: row.try_get::<i64>("email_verified")? != 0,
                    first_name: row.try_get("first_name")?,
                    last_name: row.try_get("last_name")?,
                    locale: row.try_get("locale")?,
                    profile_picture_url: row.try_get("profile_picture_url")?,
                    external_id: row.try_get("external_id")?,
                    metadata: serde_json::from_str(&row.try_get::<String>("metadata")?).unwrap_or_default(),
                    is_platform_admin: row.try_get::<i64>("is_platform_admin")? != 0,
                    password_hash: row.try_get("password_hash")?,
                };
                taken_ids.insert(stored.id.clone());
                if let Some(external) = &stored.external_id {
                    by_external.insert(external.clone(), stored.clone());
                }
                by_email.insert(stored.email.clone(), stored);
            }
        }
        drop(conn);

        let mut new = Vec::new();
        let mut changed = Vec::new();
        let mut batch_emails = HashMap::new();
        let mut batch_external = HashMap::new();
        for mut user in checked {
            let what = format!("user {}", user.email);
            let by_id = user.external_id.as_ref().and_then(|external| by_external.get(external));
            let by_mail = by_email.get(&user.email);
            let matched = match (by_id, by_mail) {
                (Some(a), Some(b)) if a.id != b.id => {
                    let error = format!("external_id belongs to {} but email to {}", a.id, b.id);
                    self.record("user", user.line, what, Outcome::Error(error));
                    continue;
                }
                (Some(found), _) | (None, Some(found)) => Some(found.clone()),
                (None, None) => None,
            };
            if let Some(first) = batch_emails.insert(user.email.clone(), user.line) {
                self.record("user", user.line, what, Outcome::Error(format!("email already on line {first}")));
                continue;
            }
            if let Some(external) = &user.external_id
                && let Some(first) = batch_external.insert(external.clone(), user.line)
            {
                self.record("user", user.line, what, Outcome::Error(format!("external_id already on line {first}")));
                continue;
            }
            match matched {
                Some(stored) => {
                    if stored.external_id.is_some()
                        && user.external_id.is_some()
                        && stored.external_id != user.external_id
                    {
                        let error = format!("email belongs to {} with another external_id", stored.id);
                        self.record("user", user.line, what, Outcome::Error(error));
                        continue;
                    }
                    if stored.id != user.source_id {
                        self.users.insert(user.source_id.clone(), stored.id.clone());
                    }
                    if user.same_as(&stored) {
                        self.record("user", user.line, what, Outcome::Unchanged);
                    } else {
                        changed.push((user, stored));
                    }
                }
                None => {
                    let id = match UserId::parse(&user.source_id) {
                        Some(id) if !taken_ids.contains(id.as_str()) => id.to_string(),
                        _ => UserId::generate().to_string(),
                    };
                    if id != user.source_id {
                        self.users.insert(user.source_id.clone(), id.clone());
                    }
                    taken_ids.insert(id.clone());
                    user.source_id = id;
                    new.push(user);
                }
            }
        }

        if self.dry_run {
            for user in new {
                self.created_users.insert(user.source_id.clone());
                self.record("user", user.line, format!("user {}", user.email), Outcome::Created);
            }
            for (user, _) in changed {
                self.record("user", user.line, format!("user {}", user.email), Outcome::Updated);
            }
            return Ok(());
        }
        let written = self.write_users(&new, &changed, now).await;
        let outcome = |created: bool| match &written {
            Ok(()) if created => Outcome::Created,
            Ok(()) => Outcome::Updated,
            Err(error) => Outcome::Error(format!("the store refused the batch: {error}")),
        };
        for user in &new {
            self.record("user", user.line, format!("user {}", user.email), outcome(true));
        }
        for (user, _) in &changed {
            self.record("user", user.line, format!("user {}", user.email), outcome(false));
        }
        Ok(())
    }

    async fn write_users(
        &self,
        new: &[CheckedUser],
        changed: &[(CheckedUser, StoredUser)],
        now: i64,
    ) -> anyhow::Result<()> {
        let mut tx = self.begin().await?;
        let search_fill = SearchFill::defer(&mut tx, self.store.backend()).await?;
        for chunk in new.chunks(rows_per_statement(self.store.backend())) {
            let mut sql = self.sql(
                "INSERT INTO users (id, email, email_verified, first_name, last_name, name_key, last_name_key, \
                 profile_picture_url, locale, external_id, metadata, password_hash, password_hash_type, \
                 is_platform_admin, last_sign_in_at, created_at, updated_at) VALUES ",
            );
            for (index, user) in chunk.iter().enumerate() {
                let (name_key, last_name_key) = name_keys(user.first_name.as_deref(), user.last_name.as_deref());
                sql.push(if index == 0 { "(" } else { ", (" });
                sql.bind(user.source_id.as_str()).push(", ").bind(user.email.as_str()).push(", ");
                sql.bind(i64::from(user.email_verified)).push(", ");
                bind_text(&mut sql, user.first_name.as_deref());
                sql.push(", ");
                bind_text(&mut sql, user.last_name.as_deref());
                sql.push(", ").bind(name_key).push(", ").bind(last_name_key).push(", ");
                bind_text(&mut sql, user.profile_picture_url.as_deref());
                sql.push(", ");
                bind_text(&mut sql, user.locale.as_deref());
                sql.push(", ");
                bind_text(&mut sql, user.external_id.as_deref());
                sql.push(", ").bind(serde_json::to_string(&user.metadata)?).push(", ");
                bind_text(&mut sql, user.password.as_ref().map(|(hash, _)| hash.as_str()));
                sql.push(", ");
                // Roster's own Argon2id hashes keep no type, as when they were made.
                bind_text(
                    &mut sql,
                    user.password.as_ref().filter(|(hash, _)| !password::is_current(hash)).map(|(_, kind)| *kind),
                );
                sql.push(", ").bind(i64::from(user.is_platform_admin)).push(", ");
                bind_int(&mut sql, user.last_sign_in_at);
                sql.push(", ").bind(user.created_at).push(", ").bind(user.updated_at).push(")");
            }
            sql.query().execute(&mut tx).await?;
        }
        if let Some(search_fill) = search_fill {
            search_fill.complete(&mut tx).await?;
        }
        for (user, stored) in changed {
            let id = UserId::from_trusted(stored.id.clone());
            let record = app::model::User {
                id: id.clone(),
                email: user.email.clone(),
                email_verified: user.email_verified,
                first_name: user.first_name.clone(),
                last_name: user.last_name.clone(),
                profile_picture_url: user.profile_picture_url.clone(),
                last_sign_in_at: None,
                locale: user.locale.clone(),
                external_id: user.external_id.clone(),
                metadata: user.metadata.clone(),
                created_at: String::new(),
                updated_at: String::new(),
            };
            crate::store::directory::update_user(&mut tx, &record, now).await?;
            db::query("UPDATE users SET is_platform_admin = $2 WHERE id = $1")
                .bind(id.as_str())
                .bind(i64::from(user.is_platform_admin))
                .execute(&mut tx)
                .await?;
            if let Some((hash, kind)) = &user.password
                && Some(hash) != stored.password_hash.as_ref()
            {
                crate::store::directory::set_password_hash(&mut tx, &id, hash, now).await?;
                if !password::is_current(hash) {
                    crate::store::directory::set_password_hash_type(&mut tx, &id, kind).await?;
                }
                // Whoever knew the old password is signed out everywhere.
                crate::store::directory::end_sessions_of(&mut tx, &id, now).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The role slugs of a scope (`None`: the environment's).
    async fn slugs(&mut self, organization: Option<&str>) -> anyhow::Result<&mut HashSet<String>> {
        let key = organization.map(str::to_owned);
        if !self.role_slugs.contains_key(&key) {
            let mut conn = self.store.read().await?;
            let slugs: Vec<String> = match organization {
                Some(organization) => {
                    db::query_scalar("SELECT slug FROM roles WHERE organization_id = $1")
                        .bind(organization)
                        .fetch_all(&mut conn)
                        .await?
                }
                None => {
                    db::query_scalar("SELECT slug FROM roles WHERE organization_id IS NULL")
                        .fetch_all(&mut conn)
                        .await?
                }
            };
            self.role_slugs.insert(key.clone(), slugs.into_iter().collect());
        }
        Ok(self.role_slugs.get_mut(&key).expect("just inserted"))
    }

    async fn role_exists(&mut self, organization: &str, slug: &str) -> anyhow::Result<bool> {
        Ok(self.slugs(None).await?.contains(slug) || self.slugs(Some(organization)).await?.contains(slug))
    }

    async fn memberships(&mut self, batch: Vec<(u64, MembershipLine)>) -> anyhow::Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        // Resolve the file's IDs to the store's.
        let lines: Vec<(u64, MembershipLine, String, String)> = batch
            .into_iter()
            .map(|(line, membership)| {
                let user = self.user_id(&membership.user_id);
                let organization = self.organization_id(&membership.organization_id);
                (line, membership, user, organization)
            })
            .collect();
        let mut conn = self.store.read().await?;
        let mut sql = self.sql("SELECT id, email, name_key, last_name_key, last_sign_in_at FROM users WHERE id IN ");
        sql.bind_list(lines.iter().map(|(_, _, user, _)| user.as_str()));
        let mut users: HashMap<String, (String, String, String, i64)> = HashMap::new();
        for row in sql.query().fetch_all(&mut conn).await? {
            users.insert(
                row.try_get("id")?,
                (
                    row.try_get("email")?,
                    row.try_get("name_key")?,
                    row.try_get("last_name_key")?,
                    row.try_get::<Option<i64>>("last_sign_in_at")?.unwrap_or(0),
                ),
            );
        }
        let mut sql = self.sql("SELECT id FROM organizations WHERE id IN ");
        sql.bind_list(lines.iter().map(|(_, _, _, organization)| organization.as_str()));
        let organizations: HashSet<String> =
            sql.query().fetch_all(&mut conn).await?.iter().map(|row| row.try_get("id")).collect::<Result<_, _>>()?;
        let mut sql = self.sql("SELECT id, organization_id, user_id, status FROM memberships WHERE user_id IN ");
        sql.bind_list(lines.iter().map(|(_, _, user, _)| user.as_str())).push(" OR id IN ");
        sql.bind_list(lines.iter().map(|(_, membership, _, _)| membership.id.as_str()));
        let mut existing: HashMap<(String, String), (String, String)> = HashMap::new();
        let mut taken_ids = HashSet::new();
        for row in sql.query().fetch_all(&mut conn).await? {
            let id: String = row.try_get("id")?;
            taken_ids.insert(id.clone());
            existing.insert((row.try_get("organization_id")?, row.try_get("user_id")?), (id, row.try_get("status")?));
        }
        let mut held: HashMap<String, Vec<String>> = HashMap::new();
        if !existing.is_empty() {
            let mut sql = self.sql("SELECT membership_id, role_slug FROM membership_roles WHERE membership_id IN ");
            sql.bind_list(existing.values().map(|(id, _)| id.as_str())).push(" ORDER BY membership_id, position");
            for row in sql.query().fetch_all(&mut conn).await? {
                held.entry(row.try_get("membership_id")?).or_default().push(row.try_get("role_slug")?);
            }
        }
        drop(conn);

        struct Write {
            line: u64,
            what: String,
            id: String,
            organization: String,
            user: String,
            status: &'static str,
            roles: Vec<String>,
            created_at: i64,
            updated_at: i64,
            new: bool,
        }
        let mut writes = Vec::new();
        let mut seen = HashSet::new();
        for (line, membership, user, organization) in lines {
            let what = format!("membership {user} in {organization}");
            let known_user = users.contains_key(&user) || self.created_users.contains(&user);
            let known_organization =
                organizations.contains(&organization) || self.created_organizations.contains(&organization);
            let problem = if !known_user {
                Some(format!("user_id: no user {} above or in the store", membership.user_id))
            } else if !known_organization {
                Some(format!("organization_id: no organization {} above or in the store", membership.organization_id))
            } else if membership.roles.is_empty() {
                Some("roles: a membership needs at least one role".to_owned())
            } else if !seen.insert((organization.clone(), user.clone())) {
                Some("the same membership is on an earlier line".to_owned())
            } else {
                None
            };
            if let Some(problem) = problem {
                self.record("membership", line, what, Outcome::Error(problem));
                continue;
            }
            let mut unknown = None;
            for slug in &membership.roles {
                if !self.role_exists(&organization, slug).await? {
                    unknown = Some(slug.clone());
                }
            }
            if let Some(slug) = unknown {
                self.record("membership", line, what, Outcome::Error(format!("roles: no role {slug:?}")));
                continue;
            }
            let created_at = match parse_time("created_at", &membership.created_at, now) {
                Ok(time) => time,
                Err(error) => {
                    self.record("membership", line, what, Outcome::Error(error));
                    continue;
                }
            };
            let updated_at = parse_time("updated_at", &membership.updated_at, created_at).unwrap_or(created_at);
            let status = membership.status.as_str();
            let (id, updated_at, new) = match existing.get(&(organization.clone(), user.clone())) {
                Some((id, stored_status)) if stored_status == status && held.get(id) == Some(&membership.roles) => {
                    self.record("membership", line, what, Outcome::Unchanged);
                    continue;
                }
                Some((id, _)) => (id.clone(), now, false),
                None => {
                    let id = match MembershipId::parse(&membership.id) {
                        Some(id) if !taken_ids.contains(id.as_str()) => id.to_string(),
                        _ => MembershipId::generate().to_string(),
                    };
                    taken_ids.insert(id.clone());
                    (id, updated_at, true)
                }
            };
            let roles = membership.roles;
            writes.push(Write { line, what, id, organization, user, status, roles, created_at, updated_at, new });
        }
        let written = match self.dry_run || writes.is_empty() {
            true => Ok(()),
            false => {
                async {
                    let mut tx = self.begin().await?;
                    let new: Vec<&Write> = writes.iter().filter(|write| write.new).collect();
                    for chunk in new.chunks(1_000) {
                        let mut sql = self.sql(
                            "INSERT INTO memberships (id, organization_id, user_id, status, created_at, updated_at, \
                             user_email, user_name_key, user_last_name_key, user_last_sign_in_at) VALUES ",
                        );
                        for (index, write) in chunk.iter().enumerate() {
                            let (email, name_key, last_name_key, signed_in) =
                                users.get(&write.user).cloned().unwrap_or_default();
                            sql.push(if index == 0 { "(" } else { ", (" });
                            sql.bind(write.id.as_str()).push(", ").bind(write.organization.as_str()).push(", ");
                            sql.bind(write.user.as_str()).push(", ").bind(write.status).push(", ");
                            sql.bind(write.created_at).push(", ").bind(write.updated_at).push(", ");
                            sql.bind(email).push(", ").bind(name_key).push(", ").bind(last_name_key).push(", ");
                            sql.bind(signed_in).push(")");
                        }
                        sql.query().execute(&mut tx).await?;
                    }
                    for write in writes.iter().filter(|write| !write.new) {
                        db::query("UPDATE memberships SET status = $2, updated_at = $3 WHERE id = $1")
                            .bind(write.id.as_str())
                            .bind(write.status)
                            .bind(write.updated_at)
                            .execute(&mut tx)
                            .await?;
                        db::query("DELETE FROM membership_roles WHERE membership_id = $1")
                            .bind(write.id.as_str())
                            .execute(&mut tx)
                            .await?;
                    }
                    let roles: Vec<(&Write, usize, &String)> = writes
                        .iter()
                        .flat_map(|write| write.roles.iter().enumerate().map(move |(at, slug)| (write, at, slug)))
                        .collect();
                    for chunk in roles.chunks(1_000) {
                        let mut sql = self.sql(
                        "INSERT INTO membership_roles (membership_id, role_slug, position, organization_id) VALUES ",
                    );
                        for (index, (write, position, slug)) in chunk.iter().enumerate() {
                            sql.push(if index == 0 { "(" } else { ", (" });
                            sql.bind(write.id.as_str()).push(", ").bind(slug.as_str()).push(", ");
                            sql.bind(*position as i64).push(", ").bind(write.organization.as_str()).push(")");
                        }
                        sql.query().execute(&mut tx).await?;
                    }
                    tx.commit().await?;
                    anyhow::Ok(())
                }
                .await
            }
        };
        for write in writes {
            let outcome = match &written {
                Ok(()) if write.new => Outcome::Created,
                Ok(()) => Outcome::Updated,
                Err(error) => Outcome::Error(format!("the store refused the batch: {error}")),
            };
            self.record("membership", write.line, write.what, outcome);
        }
        Ok(())
    }

    async fn permission(&mut self, line: u64, permission: PermissionLine) -> anyhow::Result<()> {
        let what = format!("permission {}", permission.slug);
        let valid_slug = !permission.slug.is_empty()
            && permission.slug.len() <= 100
            && permission.slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_:.".contains(&b));
        if !valid_slug || permission.name.trim().is_empty() {
            let error = "slug: lower-case letters, digits and - _ : . only, and a name".to_owned();
            self.record("permission", line, what, Outcome::Error(error));
            return Ok(());
        }
        let now = now_ms();
        let mut conn = self.store.read().await?;
        let stored = db::query("SELECT name, description FROM permissions WHERE slug = $1")
            .bind(&permission.slug)
            .fetch_optional(&mut conn)
            .await?;
        drop(conn);
        let outcome = match stored {
            Some(row) => {
                let (name, description): (String, Option<String>) = (row.try_get("name")?, row.try_get("description")?);
                if name == permission.name && description == permission.description {
                    Outcome::Unchanged
                } else {
                    if !self.dry_run {
                        db::query(
                            "UPDATE permissions SET name = $2, description = $3, updated_at = $4 WHERE slug = $1",
                        )
                        .bind(&permission.slug)
                        .bind(&permission.name)
                        .bind(permission.description.as_deref())
                        .bind(now)
                        .execute(&mut *self.store.read().await?)
                        .await?;
                    }
                    Outcome::Updated
                }
            }
            None if self.created_permissions.contains(&permission.slug) => {
                Outcome::Error("the same permission is on an earlier line".into())
            }
            None => {
                if self.dry_run {
                    self.created_permissions.insert(permission.slug.clone());
                } else {
                    let created_at = parse_time("created_at", &permission.created_at, now).unwrap_or(now);
                    let id =
                        permission.id.as_deref().and_then(PermissionId::parse).unwrap_or_else(PermissionId::generate);
                    let mut conn = self.store.read().await?;
                    let taken: Option<String> = db::query_scalar("SELECT id FROM permissions WHERE id = $1")
                        .bind(id.as_str())
                        .fetch_optional(&mut conn)
                        .await?;
                    let id = if taken.is_some() { PermissionId::generate() } else { id };
                    db::query(
                        "INSERT INTO permissions (id, slug, name, description, resource_type_slug, system, \
                         created_at, updated_at) VALUES ($1, $2, $3, $4, 'organization', 0, $5, $6)",
                    )
                    .bind(id.as_str())
                    .bind(&permission.slug)
                    .bind(&permission.name)
                    .bind(permission.description.as_deref())
                    .bind(created_at)
                    .bind(parse_time("updated_at", &permission.updated_at, created_at).unwrap_or(created_at))
                    .execute(&mut conn)
                    .await?;
                }
                Outcome::Created
            }
        };
        self.record("permission", line, what, outcome);
        Ok(())
    }

    async fn organization(&mut self, line: u64, organization: OrganizationLine) -> anyhow::Result<()> {
        let what = format!("organization {}", organization.name);
        let now = now_ms();
        let checked = (|| {
            let name = validate::required_name("name", &organization.name, 200).map_err(|e| reason(&e))?;
            let external_id =
                validate::external_id("external_id", organization.external_id.clone()).map_err(|e| reason(&e))?;
            validate::metadata("metadata", &organization.metadata).map_err(|e| reason(&e))?;
            for domain in &organization.domains {
                let plausible = domain.domain.contains('.')
                    && domain.domain.len() <= 253
                    && domain
                        .domain
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(&b));
                if !plausible {
                    return Err(format!("domains: {:?} is not a lower-case domain name", domain.domain));
                }
            }
            let created_at = parse_time("created_at", &organization.created_at, now)?;
            Ok((name, external_id, created_at))
        })();
        let (name, external_id, created_at) = match checked {
            Ok(checked) => checked,
            Err(error) => {
                self.record("organization", line, what, Outcome::Error(error));
                return Ok(());
            }
        };
        let mut conn = self.store.read().await?;
        let by_external = match &external_id {
            Some(external) => {
                db::query_scalar::<String>("SELECT id FROM organizations WHERE external_id = $1")
                    .bind(external)
                    .fetch_optional(&mut conn)
                    .await?
            }
            None => None,
        };
        let by_id: Option<String> = db::query_scalar("SELECT id FROM organizations WHERE id = $1")
            .bind(&organization.id)
            .fetch_optional(&mut conn)
            .await?;
        // A row with the file's ID but another external ID is another organization.
        let matched = match (&by_external, &by_id, &external_id) {
            (Some(found), _, _) => Some(found.clone()),
            (None, Some(found), None) => Some(found.clone()),
            (None, Some(found), Some(_)) => {
                let stored: Option<String> = db::query_scalar("SELECT external_id FROM organizations WHERE id = $1")
                    .bind(found)
                    .fetch_one(&mut conn)
                    .await?;
                stored.is_none().then(|| found.clone())
            }
            (None, None, _) => None,
        };
        let outcome = match matched {
            Some(id) => {
                if id != organization.id {
                    self.organizations.insert(organization.id.clone(), id.clone());
                }
                let row = db::query(
                    "SELECT name, external_id, metadata, allow_profiles_outside_organization FROM organizations \
                     WHERE id = $1",
                )
                .bind(&id)
                .fetch_one(&mut conn)
                .await?;
                let domains: Vec<String> =
                    db::query_scalar("SELECT domain FROM organization_domains WHERE organization_id = $1")
                        .bind(&id)
                        .fetch_all(&mut conn)
                        .await?;
                let missing: Vec<&DomainLine> =
                    organization.domains.iter().filter(|domain| !domains.contains(&domain.domain)).collect();
                let metadata: Metadata = serde_json::from_str(&row.try_get::<String>("metadata")?).unwrap_or_default();
                let same = row.try_get::<String>("name")? == name
                    && row.try_get::<Option<String>>("external_id")? == external_id
                    && metadata == organization.metadata
                    && (row.try_get::<i64>("allow_profiles_outside_organization")? != 0)
                        == organization.allow_profiles_outside_organization
                    && missing.is_empty();
                drop(conn);
                if same {
                    Outcome::Unchanged
                } else {
                    if !self.dry_run {
                        let mut tx = self.begin().await?;
                        db::query(
                            "UPDATE organizations SET name = $2, name_key = $3, external_id = $4, metadata = $5, \
                             allow_profiles_outside_organization = $6, updated_at = $7 WHERE id = $1",
                        )
                        .bind(&id)
                        .bind(&name)
                        .bind(name.to_lowercase())
                        .bind(external_id.as_deref())
                        .bind(serde_json::to_string(&organization.metadata)?)
                        .bind(i64::from(organization.allow_profiles_outside_organization))
                        .bind(now)
                        .execute(&mut tx)
                        .await?;
                        insert_domains(&mut tx, &id, &missing, now).await?;
                        tx.commit().await?;
                    }
                    Outcome::Updated
                }
            }
            None => {
                let id = match (OrganizationId::parse(&organization.id), &by_id) {
                    (Some(id), None) => id.to_string(),
                    _ => OrganizationId::generate().to_string(),
                };
                drop(conn);
                if id != organization.id {
                    self.organizations.insert(organization.id.clone(), id.clone());
                }
                if self.dry_run {
                    self.created_organizations.insert(id);
                } else {
                    let mut tx = self.begin().await?;
                    db::query(
                        "INSERT INTO organizations (id, name, name_key, external_id, metadata, \
                         allow_profiles_outside_organization, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(&id)
                    .bind(&name)
                    .bind(name.to_lowercase())
                    .bind(external_id.as_deref())
                    .bind(serde_json::to_string(&organization.metadata)?)
                    .bind(i64::from(organization.allow_profiles_outside_organization))
                    .bind(created_at)
                    .bind(parse_time("updated_at", &organization.updated_at, created_at).unwrap_or(created_at))
                    .execute(&mut tx)
                    .await
                    .map_err(|error| anyhow::anyhow!("inserting the organization of line {line}: {error}"))?;
                    insert_domains(&mut tx, &id, &organization.domains.iter().collect::<Vec<_>>(), now).await?;
                    tx.commit().await?;
                }
                Outcome::Created
            }
        };
        self.record("organization", line, what, outcome);
        Ok(())
    }

    async fn role(&mut self, line: u64, role: RoleLine) -> anyhow::Result<()> {
        let organization = role.organization_id.as_deref().map(|id| self.organization_id(id));
        let what = match &organization {
            Some(organization) => format!("role {} of {organization}", role.slug),
            None => format!("role {}", role.slug),
        };
        let valid_slug = !role.slug.is_empty()
            && role.slug.len() <= 100
            && role.slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_".contains(&b));
        if !valid_slug || role.name.trim().is_empty() {
            let error = "slug: lower-case letters, digits, - and _ only, and a name".to_owned();
            self.record("role", line, what, Outcome::Error(error));
            return Ok(());
        }
        let now = now_ms();
        let mut conn = self.store.read().await?;
        if let Some(organization) = &organization {
            let exists: Option<String> = db::query_scalar("SELECT id FROM organizations WHERE id = $1")
                .bind(organization)
                .fetch_optional(&mut conn)
                .await?;
            if exists.is_none() && !self.created_organizations.contains(organization) {
                let error = format!("organization_id: no organization {organization} above or in the store");
                self.record("role", line, what, Outcome::Error(error));
                return Ok(());
            }
        }
        let mut permissions = role.permissions.clone();
        permissions.sort();
        permissions.dedup();
        let mut known: HashSet<String> = HashSet::new();
        if !permissions.is_empty() {
            let mut sql = self.sql("SELECT slug FROM permissions WHERE slug IN ");
            sql.bind_list(permissions.iter().map(String::as_str));
            for row in sql.query().fetch_all(&mut conn).await? {
                known.insert(row.try_get("slug")?);
            }
        }
        if let Some(unknown) =
            permissions.iter().find(|slug| !known.contains(*slug) && !self.created_permissions.contains(*slug))
        {
            self.record("role", line, what, Outcome::Error(format!("permissions: no permission {unknown:?}")));
            return Ok(());
        }
        let mut sql = self.sql("SELECT id, name, description, is_default FROM roles WHERE slug = ");
        sql.bind(role.slug.as_str());
        match &organization {
            Some(organization) => sql.push(" AND organization_id = ").bind(organization.as_str()),
            None => sql.push(" AND organization_id IS NULL"),
        };
        let stored = sql.query().fetch_optional(&mut conn).await?;
        let outcome = match stored {
            Some(row) => {
                let id: String = row.try_get("id")?;
                let held: Vec<String> = db::query_scalar(
                    "SELECT permission_slug FROM role_permissions WHERE role_id = $1 ORDER BY permission_slug",
                )
                .bind(&id)
                .fetch_all(&mut conn)
                .await?;
                let same = row.try_get::<String>("name")? == role.name
                    && row.try_get::<Option<String>>("description")? == role.description
                    // A scope always has a default: a line can make a role it, not unmake it.
                    && (!role.is_default || row.try_get::<i64>("is_default")? != 0)
                    && held == permissions;
                drop(conn);
                if same {
                    Outcome::Unchanged
                } else {
                    if !self.dry_run {
                        let mut tx = self.begin().await?;
                        db::query("UPDATE roles SET name = $2, description = $3, updated_at = $4 WHERE id = $1")
                            .bind(&id)
                            .bind(&role.name)
                            .bind(role.description.as_deref())
                            .bind(now)
                            .execute(&mut tx)
                            .await?;
                        write_role_details(&mut tx, &id, organization.as_deref(), role.is_default, &permissions)
                            .await?;
                        tx.commit().await?;
                    }
                    Outcome::Updated
                }
            }
            None => {
                let id = role.id.as_deref().and_then(RoleId::parse).unwrap_or_else(RoleId::generate);
                let taken: Option<String> = db::query_scalar("SELECT id FROM roles WHERE id = $1")
                    .bind(id.as_str())
                    .fetch_optional(&mut conn)
                    .await?;
                let id = if taken.is_some() { RoleId::generate() } else { id };
                let priority = match role.priority {
                    Some(priority) => priority,
                    None => {
                        let mut sql = self.sql("SELECT COALESCE(MAX(priority), 0) + 1 FROM roles WHERE ");
                        match &organization {
                            Some(organization) => sql.push("organization_id = ").bind(organization.as_str()),
                            None => sql.push("organization_id IS NULL"),
                        };
                        sql.query().fetch_one(&mut conn).await?.try_get(0)?
                    }
                };
                drop(conn);
                if !self.dry_run {
                    let created_at = parse_time("created_at", &role.created_at, now).unwrap_or(now);
                    let mut tx = self.begin().await?;
                    db::query(
                        "INSERT INTO roles (id, slug, organization_id, name, description, priority, is_default, \
                         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8)",
                    )
                    .bind(id.as_str())
                    .bind(&role.slug)
                    .bind(organization.as_deref())
                    .bind(&role.name)
                    .bind(role.description.as_deref())
                    .bind(priority)
                    .bind(created_at)
                    .bind(parse_time("updated_at", &role.updated_at, created_at).unwrap_or(created_at))
                    .execute(&mut tx)
                    .await?;
                    write_role_details(&mut tx, id.as_str(), organization.as_deref(), role.is_default, &permissions)
                        .await?;
                    tx.commit().await?;
                }
                self.slugs(organization.as_deref()).await?.insert(role.slug.clone());
                Outcome::Created
            }
        };
        self.record("role", line, what, outcome);
        Ok(())
    }

    async fn invitation(&mut self, line: u64, invitation: InvitationLine) -> anyhow::Result<()> {
        let what = format!("invitation {}", invitation.email.trim().to_lowercase());
        let now = now_ms();
        let organization = invitation.organization_id.as_deref().map(|id| self.organization_id(id));
        let inviter = invitation.inviter_user_id.as_deref().map(|id| self.user_id(id));
        let checked = (|| {
            let email = validate::email("email", &invitation.email).map_err(|e| reason(&e))?;
            if InvitationId::parse(&invitation.id).is_none() {
                return Err(format!("id: {:?} is not an invitation ID", invitation.id));
            }
            if invitation.token.len() < 16 {
                return Err("token: too short to be an invitation's secret".to_owned());
            }
            let expires_at = parse_time("expires_at", &Some(invitation.expires_at.clone()), now)?;
            let created_at = parse_time("created_at", &invitation.created_at, now)?;
            Ok((email, expires_at, created_at))
        })();
        let (email, expires_at, created_at) = match checked {
            Ok(checked) => checked,
            Err(error) => {
                self.record("invitation", line, what, Outcome::Error(error));
                return Ok(());
            }
        };
        if let (Some(organization), Some(slug)) = (&organization, &invitation.role_slug)
            && !self.role_exists(organization, slug).await?
        {
            self.record("invitation", line, what, Outcome::Error(format!("role_slug: no role {slug:?}")));
            return Ok(());
        }
        let mut conn = self.store.read().await?;
        if let Some(organization) = &organization {
            let exists: Option<String> = db::query_scalar("SELECT id FROM organizations WHERE id = $1")
                .bind(organization)
                .fetch_optional(&mut conn)
                .await?;
            if exists.is_none() && !self.created_organizations.contains(organization) {
                let error = format!("organization_id: no organization {organization} above or in the store");
                self.record("invitation", line, what, Outcome::Error(error));
                return Ok(());
            }
        }
        let stored = db::query("SELECT id, email, organization_id FROM invitations WHERE id = $1 OR token = $2")
            .bind(&invitation.id)
            .bind(&invitation.token)
            .fetch_optional(&mut conn)
            .await?;
        let outcome = match stored {
            Some(row) => {
                let same = row.try_get::<String>("id")? == invitation.id
                    && row.try_get::<String>("email")? == email
                    && row.try_get::<Option<String>>("organization_id")? == organization;
                match same {
                    true => Outcome::Unchanged,
                    false => Outcome::Skipped("another invitation has this ID or token".into()),
                }
            }
            None => {
                // An inviter who is not in the store is forgotten, not refused.
                let inviter = match inviter {
                    Some(inviter) if self.created_users.contains(&inviter) => Some(inviter),
                    Some(inviter) => {
                        db::query_scalar::<String>("SELECT id FROM users WHERE id = $1")
                            .bind(&inviter)
                            .fetch_optional(&mut conn)
                            .await?
                    }
                    None => None,
                };
                if !self.dry_run {
                    let row = crate::store::directory::InvitationRow {
                        id: invitation.id.clone(),
                        organization_id: organization.clone(),
                        email: email.clone(),
                        state: "pending".into(),
                        role_slug: invitation.role_slug.clone(),
                        token: invitation.token.clone(),
                        inviter_user_id: inviter,
                        accepted_user_id: None,
                        accepted_at: None,
                        revoked_at: None,
                        expires_at,
                        created_at,
                        updated_at: parse_time("updated_at", &invitation.updated_at, created_at).unwrap_or(created_at),
                    };
                    crate::store::directory::insert_invitation(&mut conn, &row).await?;
                }
                Outcome::Created
            }
        };
        self.record("invitation", line, what, outcome);
        Ok(())
    }
}

async fn insert_domains(
    conn: &mut Connection,
    organization: &str,
    domains: &[&DomainLine],
    now: i64,
) -> anyhow::Result<()> {
    for domain in domains {
        db::query(
            "INSERT INTO organization_domains (id, organization_id, domain, state, verification_strategy, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(app::ids::OrganizationDomainId::generate().as_str())
        .bind(organization)
        .bind(&domain.domain)
        .bind(wire(&domain.state))
        .bind(wire(&domain.verification_strategy))
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The wire name of a domain enum, as the store keeps it.
fn wire(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        _ => String::new(),
    }
}

/// Sets a role's permissions and, if it is its scope's default, makes it the only default.
async fn write_role_details(
    conn: &mut Connection,
    id: &str,
    organization: Option<&str>,
    is_default: bool,
    permissions: &[String],
) -> anyhow::Result<()> {
    db::query("DELETE FROM role_permissions WHERE role_id = $1").bind(id).execute(&mut *conn).await?;
    for slug in permissions {
        db::query("INSERT INTO role_permissions (role_id, permission_slug) VALUES ($1, $2)")
            .bind(id)
            .bind(slug)
            .execute(&mut *conn)
            .await?;
    }
    if is_default {
        let mut sql = SqlBuilder::new("UPDATE roles SET is_default = CASE WHEN id = ");
        sql.bind(id).push(" THEN 1 ELSE 0 END WHERE ");
        match organization {
            Some(organization) => sql.push("organization_id = ").bind(organization),
            None => sql.push("organization_id IS NULL"),
        };
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}
