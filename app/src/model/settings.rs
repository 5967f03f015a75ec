//! The environment's settings: where sign-in may send people back, which browser origins may
//! call the sign-in API, which sign-in methods are on, and how long sessions last.

use serde::{Deserialize, Serialize};

/// The shortest session or refresh-token lifetime, in minutes.
pub const MIN_LIFETIME_MINUTES: u32 = 5;
/// The longest session lifetime, in minutes (90 days).
pub const MAX_SESSION_LIFETIME_MINUTES: u32 = 90 * 24 * 60;
/// The longest refresh-token lifetime, in minutes (90 days).
pub const MAX_REFRESH_TOKEN_LIFETIME_MINUTES: u32 = 90 * 24 * 60;
/// The default session lifetime, in minutes (7 days).
pub const DEFAULT_SESSION_LIFETIME_MINUTES: u32 = 7 * 24 * 60;
/// The default refresh-token lifetime, in minutes (7 days).
pub const DEFAULT_REFRESH_TOKEN_LIFETIME_MINUTES: u32 = 7 * 24 * 60;
/// At most this many entries in each list.
pub const MAX_LIST_ENTRIES: usize = 100;

/// The environment's settings as they apply now: the stored values, with any that the
/// server's configuration sets in their place (named in `locked`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentSettings {
    /// Full URLs sign-in and logout may send people to.
    pub redirect_uris: Vec<String>,
    /// Where logout sends people when the app names no allowed `return_to`.
    pub default_logout_url: Option<String>,
    /// Browser origins (`https://app.example.com`) allowed to call the sign-in API.
    pub cors_origins: Vec<String>,
    /// Password sign-in is on.
    pub password_enabled: bool,
    /// Magic-code sign-in is on.
    pub magic_code_enabled: bool,
    /// People may create their own accounts on the hosted sign-up page.
    pub sign_up_enabled: bool,
    /// Users prove they own their email before their first session in an app.
    pub email_verification_required: bool,
    /// Whether sign-in asks for a second factor.
    pub mfa: MfaPolicy,
    /// Platform admins must use a second factor to sign in to the dashboard.
    pub platform_admin_mfa_required: bool,
    /// How long a new session lasts, in minutes.
    pub session_lifetime_minutes: u32,
    /// How long a new refresh token lasts, in minutes (never past its session's end).
    pub refresh_token_lifetime_minutes: u32,
    /// The fields set by the server's configuration, which only the configuration changes.
    pub locked: Vec<SettingsField>,
}

impl Default for EnvironmentSettings {
    fn default() -> Self {
        Self {
            redirect_uris: Vec::new(),
            default_logout_url: None,
            cors_origins: Vec::new(),
            password_enabled: true,
            magic_code_enabled: true,
            sign_up_enabled: false,
            email_verification_required: false,
            mfa: MfaPolicy::Optional,
            platform_admin_mfa_required: false,
            session_lifetime_minutes: DEFAULT_SESSION_LIFETIME_MINUTES,
            refresh_token_lifetime_minutes: DEFAULT_REFRESH_TOKEN_LIFETIME_MINUTES,
            locked: Vec::new(),
        }
    }
}

impl EnvironmentSettings {
    /// True when the configuration sets this field.
    pub fn is_locked(&self, field: SettingsField) -> bool {
        self.locked.contains(&field)
    }
}

/// One setting, as forms and errors name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingsField {
    RedirectUris,
    DefaultLogoutUrl,
    CorsOrigins,
    PasswordEnabled,
    MagicCodeEnabled,
    SignUpEnabled,
    EmailVerificationRequired,
    Mfa,
    PlatformAdminMfaRequired,
    SessionLifetimeMinutes,
    RefreshTokenLifetimeMinutes,
}

impl SettingsField {
    /// Every field, in the page's order.
    pub const ALL: [SettingsField; 11] = [
        Self::RedirectUris,
        Self::DefaultLogoutUrl,
        Self::CorsOrigins,
        Self::PasswordEnabled,
        Self::MagicCodeEnabled,
        Self::SignUpEnabled,
        Self::EmailVerificationRequired,
        Self::Mfa,
        Self::PlatformAdminMfaRequired,
        Self::SessionLifetimeMinutes,
        Self::RefreshTokenLifetimeMinutes,
    ];

    /// The wire and form name.
    pub fn name(self) -> &'static str {
        match self {
            Self::RedirectUris => "redirect_uris",
            Self::DefaultLogoutUrl => "default_logout_url",
            Self::CorsOrigins => "cors_origins",
            Self::PasswordEnabled => "password_enabled",
            Self::MagicCodeEnabled => "magic_code_enabled",
            Self::SignUpEnabled => "sign_up_enabled",
            Self::EmailVerificationRequired => "email_verification_required",
            Self::Mfa => "mfa",
            Self::PlatformAdminMfaRequired => "platform_admin_mfa_required",
            Self::SessionLifetimeMinutes => "session_lifetime_minutes",
            Self::RefreshTokenLifetimeMinutes => "refresh_token_lifetime_minutes",
        }
    }

    /// The configuration variable that sets it.
    pub fn env_var(self) -> &'static str {
        match self {
            Self::RedirectUris => "ROSTER_REDIRECT_URIS",
            Self::DefaultLogoutUrl => "ROSTER_DEFAULT_LOGOUT_URL",
            Self::CorsOrigins => "ROSTER_CORS_ORIGINS",
            Self::PasswordEnabled => "ROSTER_PASSWORD_SIGN_IN",
            Self::MagicCodeEnabled => "ROSTER_MAGIC_CODE_SIGN_IN",
            Self::SignUpEnabled => "ROSTER_SIGN_UP",
            Self::EmailVerificationRequired => "ROSTER_EMAIL_VERIFICATION_REQUIRED",
            Self::Mfa => "ROSTER_MFA",
            Self::PlatformAdminMfaRequired => "ROSTER_PLATFORM_ADMIN_MFA",
            Self::SessionLifetimeMinutes => "ROSTER_SESSION_LIFETIME_MINUTES",
            Self::RefreshTokenLifetimeMinutes => "ROSTER_REFRESH_TOKEN_LIFETIME_MINUTES",
        }
    }
}

/// A change to the settings: `None` keeps a field as it is. Lists and the logout URL are
/// given as typed (one entry a line), and checked by the core.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsUpdate {
    pub redirect_uris: Option<Vec<String>>,
    /// `Some("")` clears the default logout URL.
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

/// Where logout sends the browser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogoutTarget {
    /// To this allowed URL.
    Redirect(String),
    /// Nowhere: a page saying the user is signed out.
    SignedOutPage,
}

/// Whether sign-in asks for a second factor (a TOTP app).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MfaPolicy {
    /// Never: factors are kept but not asked for.
    Off,
    /// Of users who enrolled a factor.
    #[default]
    Optional,
    /// Of everyone: users without a factor enroll one while signing in.
    Required,
}

impl MfaPolicy {
    /// Every policy, in the settings page's order.
    pub const ALL: [MfaPolicy; 3] = [Self::Off, Self::Optional, Self::Required];

    /// The form and configuration value.
    pub fn name(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Optional => "optional",
            Self::Required => "required",
        }
    }

    /// Reads a form or configuration value.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|policy| policy.name() == value.trim().to_ascii_lowercase())
    }
}

impl std::str::FromStr for MfaPolicy {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::parse(value).ok_or_else(|| format!("{value:?} is not one of off, optional, required"))
    }
}
