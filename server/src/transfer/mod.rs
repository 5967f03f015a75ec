//! Moving a directory in and out: `roster export` writes it as JSON Lines and `roster import`
//! reads such a file back, keeping IDs and password hashes.
//!
//! Each line is one object with a `type` tag, in the order a line may refer only to lines
//! above it: `permission`, `organization`, `role`, `user`, `membership`, `invitation`.
//! Timestamps are ISO-8601 strings (as the API writes them); on import they may be left out.

mod export;
mod import;

pub use export::export;
pub use import::{ImportOptions, Outcome, Report, RowReport, import};

use crate::store::db;
use app::model::{DomainState, DomainVerificationStrategy, MembershipStatus, Metadata};
use serde::{Deserialize, Serialize};

/// One line of an export file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Line {
    /// An entry of the permissions catalog.
    Permission(PermissionLine),
    /// An organization with its domains.
    Organization(OrganizationLine),
    /// An environment role (no `organization_id`) or an organization's own role.
    Role(RoleLine),
    /// A user, with their password hash as stored.
    User(UserLine),
    /// A user's membership of an organization with its roles.
    Membership(MembershipLine),
    /// A pending invitation.
    Invitation(InvitationLine),
}

impl Line {
    /// The tag, for reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Line::Permission(_) => "permission",
            Line::Organization(_) => "organization",
            Line::Role(_) => "role",
            Line::User(_) => "user",
            Line::Membership(_) => "membership",
            Line::Invitation(_) => "invitation",
        }
    }
}

/// A permission, identified by its slug.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PermissionLine {
    #[serde(default)]
    pub id: Option<String>,
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// An organization, identified by its external ID, else its ID.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationLine {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub allow_profiles_outside_organization: bool,
    #[serde(default)]
    pub domains: Vec<DomainLine>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// A domain of an organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainLine {
    pub domain: String,
    pub state: DomainState,
    pub verification_strategy: DomainVerificationStrategy,
}

/// A role, identified by its scope and slug.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleLine {
    #[serde(default)]
    pub id: Option<String>,
    /// `null` for an environment role.
    #[serde(default)]
    pub organization_id: Option<String>,
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub priority: Option<i64>,
    #[serde(default)]
    pub is_default: bool,
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// A user, identified by their external ID, else their email.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserLine {
    pub id: String,
    pub email: String,
    #[serde(default)]
    pub email_verified: bool,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(default)]
    pub profile_picture_url: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub is_platform_admin: bool,
    /// The hash as stored: Roster's own Argon2id, or one imported and not yet replaced.
    #[serde(default)]
    pub password_hash: Option<String>,
    /// Its algorithm (`bcrypt`, `argon2`, `scrypt`, `firebase-scrypt`, `pbkdf2`, `ssha`).
    #[serde(default)]
    pub password_hash_type: Option<String>,
    #[serde(default)]
    pub last_sign_in_at: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// A membership, identified by its organization and user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MembershipLine {
    pub id: String,
    pub organization_id: String,
    pub user_id: String,
    pub status: MembershipStatus,
    /// Role slugs, the first being the main one.
    pub roles: Vec<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// A pending invitation, identified by its ID or token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationLine {
    pub id: String,
    /// `null` for an invitation to the environment.
    #[serde(default)]
    pub organization_id: Option<String>,
    pub email: String,
    #[serde(default)]
    pub role_slug: Option<String>,
    /// The secret of the invitation's link, so links already sent keep working.
    pub token: String,
    #[serde(default)]
    pub inviter_user_id: Option<String>,
    pub expires_at: String,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// Milliseconds from an ISO-8601 timestamp.
fn parse_time(field: &str, raw: &Option<String>, default: i64) -> Result<i64, String> {
    match raw {
        None => Ok(default),
        Some(raw) => chrono::DateTime::parse_from_rfc3339(raw)
            .map(|time| time.timestamp_millis())
            .map_err(|_| format!("{field}: {raw:?} is not an ISO-8601 timestamp")),
    }
}

/// The `roster export` and `roster import` commands: files, progress bars and the report.
pub mod cli {
    use crate::cli::ImportArgs;
    use crate::store::Store;
    use anyhow::Context;
    use indicatif::{ProgressBar, ProgressStyle};
    use std::io::{BufReader, BufWriter, Write};

    /// The SQLite page cache of each connection during an import, in MiB.
    const BULK_LOAD_CACHE_MIB: u32 = 256;

    /// `roster export [--output FILE]`.
    pub async fn export(database_url: &str, output: Option<std::path::PathBuf>) -> anyhow::Result<()> {
        let store = Store::open(database_url).await.with_context(|| format!("opening {database_url}"))?;
        let bar = ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{elapsed_precise} {spinner} {pos} lines ({per_sec})")
                .expect("valid template"),
        );
        let started = std::time::Instant::now();
        let lines = match &output {
            Some(path) => {
                let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
                let mut out = BufWriter::new(file);
                let lines = super::export(&store, &mut out, |n| bar.set_position(n)).await?;
                out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
                lines
            }
            None => {
                let mut out = BufWriter::new(std::io::stdout().lock());
                super::export(&store, &mut out, |n| bar.set_position(n)).await?
            }
        };
        bar.finish_and_clear();
        eprintln!("Exported {lines} lines in {:.1}s.", started.elapsed().as_secs_f64());
        Ok(())
    }

    /// `roster import FILE [--dry-run] [--report FILE]`: prints the errors and skipped rows,
    /// then the counts; fails when a row failed.
    pub async fn import(database_url: &str, args: ImportArgs) -> anyhow::Result<()> {
        let store = Store::open_for_bulk_load(database_url, BULK_LOAD_CACHE_MIB)
            .await
            .with_context(|| format!("opening {database_url}"))?;
        // The built-in roles and permissions exist before any line refers to them, as on a
        // store that has served once.
        crate::core::Core::new(store.clone(), crate::core::CoreSettings::default())
            .await
            .map_err(|error| anyhow::anyhow!("starting the core: {error}"))?;
        let file = std::fs::File::open(&args.file).with_context(|| format!("opening {}", args.file.display()))?;
        let size = file.metadata()?.len();
        let bar = ProgressBar::new(size).with_style(
            ProgressStyle::with_template(
                "{elapsed_precise} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        let mut report = super::Report::default();
        if let Some(path) = &args.report {
            let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
            report.full = Some(Box::new(BufWriter::new(file)));
        }
        let options = super::ImportOptions { dry_run: args.dry_run, batch_size: args.batch_size };
        let started = std::time::Instant::now();
        let report =
            super::import(&store, BufReader::with_capacity(1 << 20, file), options, report, |n| bar.set_position(n))
                .await?;
        bar.finish_and_clear();
        let elapsed = started.elapsed().as_secs_f64();
        let mut out = std::io::stdout().lock();
        for row in &report.problems {
            writeln!(out, "{row}")?;
        }
        let rows: u64 = report.counts.values().sum();
        writeln!(
            out,
            "{} {rows} lines in {elapsed:.1}s ({:.0} lines/s){}:",
            if args.dry_run { "Checked" } else { "Imported" },
            rows as f64 / elapsed.max(0.001),
            if args.dry_run { ", dry run: nothing was written" } else { "" }
        )?;
        for ((kind, outcome), count) in &report.counts {
            writeln!(out, "  {kind:<13} {outcome:<10} {count}")?;
        }
        match report.errors() {
            0 => Ok(()),
            errors => anyhow::bail!("{errors} lines failed (listed above with their line numbers)"),
        }
    }
}
