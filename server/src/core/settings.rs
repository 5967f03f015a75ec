//! The environment's settings: stored in the `settings` table as one JSON document, with the
//! server's configuration taking the place of any field it sets (such a field is *locked*:
//! the dashboard shows it read-only, and changing it through the directory is refused).
//!
//! Configuration overrides rather than seeds: what the operator wrote in the deployment stays
//! true across restarts and replicas, and the stored value comes back when the variable goes.

use super::{Core, record};
use crate::store::directory as db;
use crate::store::{Connection, commit};
use app::directory::{Admin, Environment};
use app::error::{AppError, FieldErrors};
use app::ids::SessionId;
use app::model::*;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use url::Url;

/// The key of the stored document in the `settings` table.
const SETTINGS_KEY: &str = "environment.settings";

/// Settings the server's configuration sets; each `Some` locks its field.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentOverrides {
    pub redirect_uris: Option<Vec<String>>,
    pub default_logout_url: Option<String>,
    pub cors_origins: Option<Vec<String>>,
    pub password_enabled: Option<bool>,
    pub magic_code_enabled: Option<bool>,
    pub sign_up_enabled: Option<bool>,
    pub email_verification_required: Option<bool>,
    pub mfa: Option<MfaPolicy>,
    pub platform_admin_mfa_required: Option<bool>,
    pub session_lifetime_minutes: Option<u32>,
    pub refresh_token_lifetime_minutes: Option<u32>,
}

impl EnvironmentOverrides {
    /// Checks the configured values by the rules the dashboard's values follow, and keeps
    /// them in their normal form; an error names the variable.
    pub fn checked(self) -> Result<Self, String> {
        let update = SettingsUpdate {
            redirect_uris: self.redirect_uris,
            default_logout_url: self.default_logout_url,
            cors_origins: self.cors_origins,
            password_enabled: self.password_enabled,
            magic_code_enabled: self.magic_code_enabled,
            sign_up_enabled: self.sign_up_enabled,
            email_verification_required: self.email_verification_required,
            mfa: self.mfa,
            platform_admin_mfa_required: self.platform_admin_mfa_required,
            session_lifetime_minutes: self.session_lifetime_minutes,
            refresh_token_lifetime_minutes: self.refresh_token_lifetime_minutes,
        };
        let stored = checked_update(&update).map_err(|error| match error {
            AppError::Validation(errors) => errors
                .iter()
                .map(|e| {
                    let variable = SettingsField::ALL
                        .iter()
                        .find(|field| field.name() == e.field)
                        .map_or(e.field.as_str(), |field| field.env_var());
                    format!("{variable}: {}", e.message)
                })
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        })?;
        Ok(Self {
            redirect_uris: stored.redirect_uris,
            default_logout_url: stored.default_logout_url.map(Option::unwrap_or_default),
            cors_origins: stored.cors_origins,
            password_enabled: stored.password_enabled,
            magic_code_enabled: stored.magic_code_enabled,
            sign_up_enabled: stored.sign_up_enabled,
            email_verification_required: stored.email_verification_required,
            mfa: stored.mfa,
            platform_admin_mfa_required: stored.platform_admin_mfa_required,
            session_lifetime_minutes: stored.session_lifetime_minutes,
            refresh_token_lifetime_minutes: stored.refresh_token_lifetime_minutes,
        })
    }
}

/// The stored document: every field optional, so a field never saved keeps its default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Stored {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    redirect_uris: Option<Vec<String>>,
    /// `Some(None)` is a cleared URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    default_logout_url: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cors_origins: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    password_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    magic_code_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sign_up_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email_verification_required: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mfa: Option<MfaPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    platform_admin_mfa_required: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session_lifetime_minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token_lifetime_minutes: Option<u32>,
}

impl Stored {
    /// Takes the fields an update sets.
    fn apply(&mut self, update: Stored) {
        macro_rules! take {
            ($($field:ident),*) => { $( if update.$field.is_some() { self.$field = update.$field; } )* };
        }
        take!(
            redirect_uris,
            default_logout_url,
            cors_origins,
            password_enabled,
            magic_code_enabled,
            sign_up_enabled,
            email_verification_required,
            mfa,
            platform_admin_mfa_required,
            session_lifetime_minutes,
            refresh_token_lifetime_minutes
        );
    }
}

/// True for a host that only this machine reaches, where plain `http` is allowed.
fn is_loopback(url: &Url) -> bool {
    matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
}

/// Names an entry of a list for an error: its line, and what it says.
fn line_label(index: usize, entry: &str) -> String {
    format!("Line {} (“{entry}”)", index + 1)
}

/// Checks one URL people may be sent to: absolute, `https` (or `http` on this machine), with
/// a host and no user name, password or fragment. Returns its normal form.
fn checked_url(entry: &str) -> Result<String, &'static str> {
    let url = Url::parse(entry).map_err(|_| "is not a full URL, such as https://app.example.com/callback.")?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => return Err("must use https (plain http is allowed only on localhost and 127.0.0.1)."),
        _ => return Err("must be an https URL."),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("has no host.");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not hold a user name or password.");
    }
    if url.fragment().is_some() {
        return Err("must not have a #fragment.");
    }
    Ok(url.to_string())
}

/// Checks one browser origin: a scheme, a host and maybe a port, nothing else. Returns it as
/// browsers send it in `Origin`.
fn checked_origin(entry: &str) -> Result<String, &'static str> {
    let url = Url::parse(entry).map_err(|_| "is not an origin, such as https://app.example.com.")?;
    checked_url(entry)?;
    if url.path() != "/" || url.query().is_some() {
        return Err("must be an origin only (scheme, host and port), without a path or query.");
    }
    Ok(url.origin().ascii_serialization())
}

/// Checks a list, one entry a line: blank lines are skipped, duplicates dropped.
fn checked_list(
    errors: &mut FieldErrors,
    field: SettingsField,
    entries: &[String],
    check: fn(&str) -> Result<String, &'static str>,
) -> Vec<String> {
    let mut kept: Vec<String> = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        match check(entry) {
            Ok(normal) if !kept.contains(&normal) => kept.push(normal),
            Ok(_) => {}
            Err(why) => errors.add(field.name(), "invalid_entry", format!("{} {why}", line_label(index, entry))),
        }
    }
    if kept.len() > MAX_LIST_ENTRIES {
        errors.add(field.name(), "too_many_entries", format!("At most {MAX_LIST_ENTRIES} entries are allowed."));
    }
    kept
}

/// Checks a lifetime against its range.
fn checked_lifetime(errors: &mut FieldErrors, field: SettingsField, minutes: u32, max: u32) -> u32 {
    if !(MIN_LIFETIME_MINUTES..=max).contains(&minutes) {
        errors.add(
            field.name(),
            "out_of_range",
            format!("Must be between {MIN_LIFETIME_MINUTES} and {max} minutes ({} days).", max / (24 * 60)),
        );
    }
    minutes
}

/// Checks every field an update sets, reporting every bad one at once.
fn checked_update(update: &SettingsUpdate) -> Result<Stored, AppError> {
    let mut errors = FieldErrors::default();
    let redirect_uris = update
        .redirect_uris
        .as_ref()
        .map(|uris| checked_list(&mut errors, SettingsField::RedirectUris, uris, checked_url));
    let cors_origins = update
        .cors_origins
        .as_ref()
        .map(|origins| checked_list(&mut errors, SettingsField::CorsOrigins, origins, checked_origin));
    let default_logout_url = update.default_logout_url.as_ref().map(|url| {
        let url = url.trim();
        if url.is_empty() {
            return None;
        }
        match checked_url(url) {
            Ok(normal) => Some(normal),
            Err(why) => {
                errors.add(SettingsField::DefaultLogoutUrl.name(), "invalid_url", format!("“{url}” {why}"));
                None
            }
        }
    });
    let session_lifetime_minutes = update.session_lifetime_minutes.map(|minutes| {
        checked_lifetime(&mut errors, SettingsField::SessionLifetimeMinutes, minutes, MAX_SESSION_LIFETIME_MINUTES)
    });
    let refresh_token_lifetime_minutes = update.refresh_token_lifetime_minutes.map(|minutes| {
        let field = SettingsField::RefreshTokenLifetimeMinutes;
        checked_lifetime(&mut errors, field, minutes, MAX_REFRESH_TOKEN_LIFETIME_MINUTES)
    });
    errors.finish()?;
    Ok(Stored {
        redirect_uris,
        default_logout_url,
        cors_origins,
        password_enabled: update.password_enabled,
        magic_code_enabled: update.magic_code_enabled,
        sign_up_enabled: update.sign_up_enabled,
        email_verification_required: update.email_verification_required,
        mfa: update.mfa,
        platform_admin_mfa_required: update.platform_admin_mfa_required,
        session_lifetime_minutes,
        refresh_token_lifetime_minutes,
    })
}

/// True when `wanted` is the same URL as `allowed` (compared in their normal forms).
pub(crate) fn same_url(wanted: &str, allowed: &str) -> bool {
    match (Url::parse(wanted), Url::parse(allowed)) {
        (Ok(wanted), Ok(allowed)) => wanted == allowed,
        _ => false,
    }
}

impl Core {
    /// The settings as they apply now: configuration, else the stored value, else the default.
    pub(crate) async fn environment(&self, conn: &mut Connection) -> Result<EnvironmentSettings, AppError> {
        let stored: Stored = match db::setting(conn, SETTINGS_KEY).await? {
            Some(json) => serde_json::from_str(&json).map_err(|error| {
                tracing::error!(%error, "the stored environment settings cannot be read");
                AppError::Internal
            })?,
            None => Stored::default(),
        };
        let overrides = &self.settings.environment;
        let defaults = EnvironmentSettings::default();
        let mut locked = Vec::new();
        macro_rules! pick {
            ($field:ident, $name:expr, $default:expr) => {
                match overrides.$field.clone() {
                    Some(value) => {
                        locked.push($name);
                        value
                    }
                    None => stored.$field.clone().unwrap_or($default),
                }
            };
        }
        let redirect_uris = pick!(redirect_uris, SettingsField::RedirectUris, defaults.redirect_uris);
        let default_logout_url = match overrides.default_logout_url.clone() {
            Some(url) => {
                locked.push(SettingsField::DefaultLogoutUrl);
                Some(url).filter(|url| !url.is_empty())
            }
            None => stored.default_logout_url.clone().flatten(),
        };
        let cors_origins = pick!(cors_origins, SettingsField::CorsOrigins, defaults.cors_origins);
        let password_enabled = pick!(password_enabled, SettingsField::PasswordEnabled, defaults.password_enabled);
        let magic_code_enabled =
            pick!(magic_code_enabled, SettingsField::MagicCodeEnabled, defaults.magic_code_enabled);
        let sign_up_enabled = pick!(sign_up_enabled, SettingsField::SignUpEnabled, defaults.sign_up_enabled);
        let email_verification_required = pick!(
            email_verification_required,
            SettingsField::EmailVerificationRequired,
            defaults.email_verification_required
        );
        let mfa = pick!(mfa, SettingsField::Mfa, defaults.mfa);
        let platform_admin_mfa_required = pick!(
            platform_admin_mfa_required,
            SettingsField::PlatformAdminMfaRequired,
            defaults.platform_admin_mfa_required
        );
        let session_lifetime_minutes =
            pick!(session_lifetime_minutes, SettingsField::SessionLifetimeMinutes, defaults.session_lifetime_minutes);
        let refresh_token_lifetime_minutes = pick!(
            refresh_token_lifetime_minutes,
            SettingsField::RefreshTokenLifetimeMinutes,
            defaults.refresh_token_lifetime_minutes
        );
        Ok(EnvironmentSettings {
            redirect_uris,
            default_logout_url,
            cors_origins,
            password_enabled,
            magic_code_enabled,
            sign_up_enabled,
            email_verification_required,
            mfa,
            platform_admin_mfa_required,
            session_lifetime_minutes,
            refresh_token_lifetime_minutes,
            locked,
        })
    }

    /// Refuses a sign-in method the environment has turned off.
    pub(crate) async fn require_method(&self, conn: &mut Connection, method: AuthMethod) -> Result<(), AppError> {
        let settings = self.environment(conn).await?;
        let (enabled, name) = match method {
            AuthMethod::Password => (settings.password_enabled, "Password"),
            AuthMethod::MagicCode => (settings.magic_code_enabled, "Magic code"),
            AuthMethod::Unknown => (true, ""),
        };
        if enabled {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("{name} sign-in is not enabled in this environment.")))
        }
    }

    /// When a session opened now ends, and when a refresh token issued now expires (never
    /// after its session), in milliseconds since the epoch.
    pub(crate) async fn session_end(&self, conn: &mut Connection, now: i64) -> Result<i64, AppError> {
        let settings = self.environment(conn).await?;
        Ok(now + i64::from(settings.session_lifetime_minutes) * 60_000)
    }

    /// When a refresh token issued now for a session ending at `session_end` expires.
    pub(crate) async fn refresh_token_end(
        &self,
        conn: &mut Connection,
        now: i64,
        session_end: i64,
    ) -> Result<i64, AppError> {
        let settings = self.environment(conn).await?;
        Ok((now + i64::from(settings.refresh_token_lifetime_minutes) * 60_000).min(session_end))
    }
}

#[async_trait]
impl Environment for Core {
    async fn environment_settings(&self, admin: &Admin) -> Result<EnvironmentSettings, AppError> {
        admin.require_environment()?;
        let mut conn = self.store.read().await?;
        self.environment(&mut conn).await
    }

    async fn update_environment_settings(
        &self,
        admin: &Admin,
        update: SettingsUpdate,
    ) -> Result<EnvironmentSettings, AppError> {
        admin.require_environment()?;
        let checked = checked_update(&update)?;
        let mut tx = self.store.begin().await?;
        let current = self.environment(&mut tx).await?;
        let mut errors = FieldErrors::default();
        let differs = |field: SettingsField| match field {
            SettingsField::RedirectUris => checked.redirect_uris.as_ref().is_some_and(|v| v != &current.redirect_uris),
            SettingsField::DefaultLogoutUrl => {
                checked.default_logout_url.as_ref().is_some_and(|v| v != &current.default_logout_url)
            }
            SettingsField::CorsOrigins => checked.cors_origins.as_ref().is_some_and(|v| v != &current.cors_origins),
            SettingsField::PasswordEnabled => checked.password_enabled.is_some_and(|v| v != current.password_enabled),
            SettingsField::MagicCodeEnabled => {
                checked.magic_code_enabled.is_some_and(|v| v != current.magic_code_enabled)
            }
            SettingsField::SignUpEnabled => checked.sign_up_enabled.is_some_and(|v| v != current.sign_up_enabled),
            SettingsField::EmailVerificationRequired => {
                checked.email_verification_required.is_some_and(|v| v != current.email_verification_required)
            }
            SettingsField::Mfa => checked.mfa.is_some_and(|v| v != current.mfa),
            SettingsField::PlatformAdminMfaRequired => {
                checked.platform_admin_mfa_required.is_some_and(|v| v != current.platform_admin_mfa_required)
            }
            SettingsField::SessionLifetimeMinutes => {
                checked.session_lifetime_minutes.is_some_and(|v| v != current.session_lifetime_minutes)
            }
            SettingsField::RefreshTokenLifetimeMinutes => {
                checked.refresh_token_lifetime_minutes.is_some_and(|v| v != current.refresh_token_lifetime_minutes)
            }
        };
        for field in current.locked.iter().copied().filter(|field| differs(*field)) {
            errors.add(
                field.name(),
                "set_by_configuration",
                format!("This is set by the server's configuration ({}).", field.env_var()),
            );
        }
        errors.finish()?;
        let mut stored: Stored = match db::setting(&mut tx, SETTINGS_KEY).await? {
            Some(json) => serde_json::from_str(&json).unwrap_or_default(),
            None => Stored::default(),
        };
        stored.apply(checked);
        let json = serde_json::to_string(&stored).map_err(|_| AppError::Internal)?;
        db::put_setting(&mut tx, SETTINGS_KEY, &json).await?;
        let updated = self.environment(&mut tx).await?;
        record(&mut tx, "environment.settings_updated", None, &updated).await?;
        commit(tx).await?;
        Ok(updated)
    }

    async fn logout(&self, session_id: &str, return_to: Option<&str>) -> Result<LogoutTarget, AppError> {
        let mut tx = self.store.begin().await?;
        let settings = self.environment(&mut tx).await?;
        let target = match return_to.map(str::trim).filter(|url| !url.is_empty()) {
            Some(wanted) => {
                let allowed = settings
                    .redirect_uris
                    .iter()
                    .chain(settings.default_logout_url.as_ref())
                    .any(|allowed| same_url(wanted, allowed));
                if !allowed {
                    return Err(AppError::invalid(
                        "return_to",
                        "return_to_not_allowed",
                        "The return_to URL is not one of this environment's redirect URIs.",
                    ));
                }
                LogoutTarget::Redirect(wanted.to_owned())
            }
            None => settings.default_logout_url.clone().map_or(LogoutTarget::SignedOutPage, LogoutTarget::Redirect),
        };
        // An unknown or ended session is answered like a live one, so the call tells nobody
        // which session IDs exist.
        if let Some(id) = SessionId::parse(session_id)
            && let Some(session) = db::find_session(&mut tx, &id).await?
            && session.ended_at.is_none()
        {
            let now = crate::store::now_ms();
            db::end_session(&mut tx, &id, now).await?;
            let organization = session.organization_id.clone().map(app::ids::OrganizationId::from_trusted);
            record(
                &mut tx,
                "session.revoked",
                organization.as_ref(),
                &serde_json::json!({ "object": "session", "id": id, "user_id": session.user_id, "reason": "logout" }),
            )
            .await?;
        }
        commit(tx).await?;
        Ok(target)
    }

    async fn allows_cors_origin(&self, origin: &str) -> Result<bool, AppError> {
        let mut conn = self.store.read().await?;
        let settings = self.environment(&mut conn).await?;
        Ok(settings.cors_origins.iter().any(|allowed| allowed == origin.trim_end_matches('/')))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_https_or_local_http() {
        assert!(checked_url("https://app.example.com/callback").is_ok());
        assert!(checked_url("http://localhost:3000/callback").is_ok());
        assert!(checked_url("http://127.0.0.1/x").is_ok());
        assert!(checked_url("http://app.example.com/").is_err());
        assert!(checked_url("ftp://app.example.com/").is_err());
        assert!(checked_url("/callback").is_err());
        assert!(checked_url("https://user:pw@app.example.com/").is_err());
        assert!(checked_url("https://app.example.com/#x").is_err());
    }

    #[test]
    fn origins_have_no_path() {
        assert_eq!(checked_origin("https://App.example.com/").unwrap(), "https://app.example.com");
        assert_eq!(checked_origin("http://localhost:5173").unwrap(), "http://localhost:5173");
        assert!(checked_origin("https://app.example.com/path").is_err());
    }

    #[test]
    fn errors_name_the_bad_line() {
        let update = SettingsUpdate {
            redirect_uris: Some(vec!["https://ok.example.com/cb".into(), "".into(), "http://bad.example.com".into()]),
            session_lifetime_minutes: Some(1),
            ..SettingsUpdate::default()
        };
        let error = checked_update(&update).unwrap_err();
        assert!(error.field_message("redirect_uris").unwrap().starts_with("Line 3 (“http://bad.example.com”)"));
        assert!(error.field_message("session_lifetime_minutes").is_some());
    }
}
