//! The `roster` command line and its configuration (flags or `ROSTER_*` variables).

use clap::{Parser, Subcommand};

/// Roster: self-hosted user and organization management.
#[derive(Debug, Parser)]
#[command(name = "roster", version, about)]
pub struct Cli {
    /// The database: `sqlite:<path>` (created when missing) or `postgres://…`.
    #[arg(long, env = "ROSTER_DATABASE_URL", default_value = "sqlite:./data/roster.db", global = true)]
    pub database_url: String,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do; serving is the default.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the dashboard (the default).
    Serve(Box<ServeArgs>),
    /// Apply database migrations and exit.
    Migrate,
    /// Generate load-test data: users spread over organizations.
    Seed(SeedArgs),
    /// Manage API keys.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Copy the SQLite store to a file while Roster serves from it (PostgreSQL: use pg_dump).
    Backup(BackupArgs),
    /// Write every organization, user, membership, role, permission and pending invitation
    /// as JSON Lines, password hashes included.
    Export {
        /// The file to write (standard output when unset).
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
    },
    /// Read a `roster export` file (or one made like it) into this store.
    Import(ImportArgs),
}

/// Options of `roster backup`.
#[derive(Debug, Clone, clap::Args)]
pub struct BackupArgs {
    /// The backup file to write (in an existing folder).
    pub path: std::path::PathBuf,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Options of `roster import`.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// The JSON Lines file to read.
    pub file: std::path::PathBuf,
    /// Check every line against the store and report, writing nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Write the outcome of every line (not only errors) to this file.
    #[arg(long)]
    pub report: Option<std::path::PathBuf>,
    /// Users or memberships written per transaction (default: 5,000 users and 1,000
    /// memberships on SQLite, 1,000 of each on PostgreSQL).
    #[arg(long)]
    pub batch_size: Option<usize>,
}

/// `roster api-key …`.
#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key and print its secret (shown only this once) and client ID.
    Create {
        /// What the key is for.
        #[arg(long, default_value = "Command-line key")]
        name: String,
        /// Limit the key to one organization (`org_…`).
        #[arg(long)]
        organization: Option<String>,
        /// File the key under an existing client ID instead of a new one.
        #[arg(long)]
        client_id: Option<String>,
    },
    /// List keys (never their secrets).
    List,
    /// Revoke a key (`api_key_…`) at once.
    Revoke {
        /// The key's ID.
        id: String,
    },
}

/// Options of `roster serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// The address to listen on; defaults to the Leptos site address (127.0.0.1:3000).
    #[arg(long, env = "ROSTER_ADDR")]
    pub addr: Option<std::net::SocketAddr>,

    /// The URL people use to reach Roster, e.g. `https://roster.example.com`. Used for links
    /// in invitations and cross-origin checks; an `https` URL makes cookies `Secure`.
    #[arg(long, env = "ROSTER_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Email of the admin created on the first start.
    #[arg(long, env = "ROSTER_BOOTSTRAP_EMAIL", default_value = "admin@roster.test")]
    pub bootstrap_email: String,

    /// Password of the admin created on the first start (generated and printed if unset).
    #[arg(long, env = "ROSTER_BOOTSTRAP_PASSWORD", hide_env_values = true)]
    pub bootstrap_password: Option<String>,

    /// Create demo organizations, users and invitations, and a development API key, on the
    /// first start.
    #[arg(long, env = "ROSTER_DEMO_DATA", default_value_t = false, action = clap::ArgAction::Set)]
    pub demo_data: bool,

    /// Create an API key with this secret on the first start (with demo data, one is created
    /// anyway, with a generated secret if this is unset).
    #[arg(long, env = "ROSTER_BOOTSTRAP_API_KEY", hide_env_values = true)]
    pub bootstrap_api_key: Option<String>,

    /// The client ID of that key (generated if unset).
    #[arg(long, env = "ROSTER_BOOTSTRAP_CLIENT_ID")]
    pub bootstrap_client_id: Option<String>,

    /// Password of every demo user (generated and printed if unset).
    #[arg(long, env = "ROSTER_DEMO_PASSWORD", hide_env_values = true)]
    pub demo_password: Option<String>,

    /// Trust `X-Forwarded-For` for client addresses (only behind your own reverse proxy).
    #[arg(long, env = "ROSTER_TRUST_PROXY", default_value_t = false, action = clap::ArgAction::Set)]
    pub trust_proxy: bool,

    /// The DNS server (`ip:port`) that domain verification asks for TXT records; the
    /// system's resolvers when unset.
    #[arg(long, env = "ROSTER_DNS_SERVER")]
    pub dns_server: Option<std::net::SocketAddr>,

    /// The SMTP server that delivers email: `smtp://user:password@host:587?tls=required`
    /// (STARTTLS), `smtps://user:password@host` (implicit TLS) or `smtp://host:25` (plain).
    /// Without it, messages wait on the dashboard's outbox page.
    #[arg(long, env = "ROSTER_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// The sender of every email, e.g. `Roster <no-reply@example.com>` (needed with an SMTP URL).
    #[arg(long, env = "ROSTER_EMAIL_FROM")]
    pub email_from: Option<String>,

    /// PEM certificates to trust for the SMTP server besides the public roots (a private CA).
    #[arg(long, env = "ROSTER_SMTP_CA_FILE")]
    pub smtp_ca_file: Option<std::path::PathBuf>,

    /// Serve Prometheus metrics at `http://ADDR/metrics`, on a listener of their own so they
    /// are never exposed with the public API (e.g. `127.0.0.1:9464`). Off when unset.
    #[arg(long, env = "ROSTER_METRICS_ADDR")]
    pub metrics_addr: Option<std::net::SocketAddr>,

    /// On SIGTERM or SIGINT, how long requests in flight and email sends get to finish once
    /// the server stops accepting (e.g. `30s`, `500ms`, `2m`); then it exits anyway.
    #[arg(long, env = "ROSTER_SHUTDOWN_GRACE", default_value = "30s", value_parser = crate::ops::shutdown::parse_duration)]
    pub shutdown_grace: std::time::Duration,

    /// On SIGTERM or SIGINT, how long `/readyz` answers 503 while the server still accepts,
    /// so a load balancer stops sending before it stops (e.g. `5s`); none by default.
    #[arg(long, env = "ROSTER_SHUTDOWN_DELAY", default_value = "0s", value_parser = crate::ops::shutdown::parse_duration)]
    pub shutdown_delay: std::time::Duration,

    /// Environment settings set by configuration. Each one given here takes the place of the
    /// stored value and is shown read-only on the dashboard's settings page.
    #[command(flatten)]
    pub environment: EnvironmentArgs,
}

/// Environment settings from configuration; each one set overrides (and locks) its field.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct EnvironmentArgs {
    /// Redirect URIs sign-in and logout may send people to, comma-separated full URLs.
    #[arg(long, env = "ROSTER_REDIRECT_URIS", value_delimiter = ',')]
    pub redirect_uris: Option<Vec<String>>,

    /// Where logout sends people when the app names no allowed `return_to` (empty: none).
    #[arg(long, env = "ROSTER_DEFAULT_LOGOUT_URL")]
    pub default_logout_url: Option<String>,

    /// Browser origins allowed to call the sign-in API, comma-separated.
    #[arg(long, env = "ROSTER_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Option<Vec<String>>,

    /// Password sign-in on (`true`) or off (`false`).
    #[arg(long, env = "ROSTER_PASSWORD_SIGN_IN", action = clap::ArgAction::Set)]
    pub password_sign_in: Option<bool>,

    /// Magic-code sign-in on (`true`) or off (`false`).
    #[arg(long, env = "ROSTER_MAGIC_CODE_SIGN_IN", action = clap::ArgAction::Set)]
    pub magic_code_sign_in: Option<bool>,

    /// Self-service sign-up on the hosted pages on (`true`) or off (`false`).
    #[arg(long, env = "ROSTER_SIGN_UP", action = clap::ArgAction::Set)]
    pub sign_up: Option<bool>,

    /// Users must verify their email before their first app session (`true`/`false`).
    #[arg(long, env = "ROSTER_EMAIL_VERIFICATION_REQUIRED", action = clap::ArgAction::Set)]
    pub email_verification_required: Option<bool>,

    /// Second factors at sign-in: `off`, `optional` (users who enrolled one) or `required`.
    #[arg(long, env = "ROSTER_MFA")]
    pub mfa: Option<app::model::MfaPolicy>,

    /// Platform admins must use a second factor for the dashboard (`true`/`false`).
    #[arg(long, env = "ROSTER_PLATFORM_ADMIN_MFA", action = clap::ArgAction::Set)]
    pub platform_admin_mfa: Option<bool>,

    /// How long a new session lasts, in minutes (5 to 129600).
    #[arg(long, env = "ROSTER_SESSION_LIFETIME_MINUTES")]
    pub session_lifetime_minutes: Option<u32>,

    /// How long a new refresh token lasts, in minutes (5 to 129600; never past its session).
    #[arg(long, env = "ROSTER_REFRESH_TOKEN_LIFETIME_MINUTES")]
    pub refresh_token_lifetime_minutes: Option<u32>,
}

impl EnvironmentArgs {
    /// The overrides the core applies, checked by the dashboard's rules.
    pub fn overrides(&self) -> anyhow::Result<crate::core::settings::EnvironmentOverrides> {
        crate::core::settings::EnvironmentOverrides {
            redirect_uris: self.redirect_uris.clone(),
            default_logout_url: self.default_logout_url.clone(),
            cors_origins: self.cors_origins.clone(),
            password_enabled: self.password_sign_in,
            magic_code_enabled: self.magic_code_sign_in,
            sign_up_enabled: self.sign_up,
            email_verification_required: self.email_verification_required,
            mfa: self.mfa,
            platform_admin_mfa_required: self.platform_admin_mfa,
            session_lifetime_minutes: self.session_lifetime_minutes,
            refresh_token_lifetime_minutes: self.refresh_token_lifetime_minutes,
        }
        .checked()
        .map_err(|message| anyhow::anyhow!("environment settings: {message}"))
    }
}

impl Default for ServeArgs {
    fn default() -> Self {
        Self::parse_from_env()
    }
}

impl ServeArgs {
    /// The serve options from the environment alone, for a bare `roster`.
    fn parse_from_env() -> Self {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            serve: ServeArgs,
        }
        Only::parse_from(["roster"]).serve
    }
}

/// Options of `roster seed`.
#[derive(Debug, Clone, clap::Args)]
pub struct SeedArgs {
    /// How many users to create.
    #[arg(long, default_value_t = 100_000)]
    pub users: usize,
    /// How many organizations to spread them over (the first gets about half).
    #[arg(long, default_value_t = 10)]
    pub orgs: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_settings_come_from_flags_and_are_checked() {
        let cli = Cli::parse_from([
            "roster",
            "serve",
            "--redirect-uris",
            "https://app.example.com/callback,http://localhost:3000/callback",
            "--password-sign-in",
            "false",
            "--session-lifetime-minutes",
            "60",
        ]);
        let Some(Command::Serve(args)) = cli.command else { panic!("serve") };
        let overrides = args.environment.overrides().unwrap();
        assert_eq!(overrides.redirect_uris.unwrap().len(), 2);
        assert_eq!(overrides.password_enabled, Some(false));
        assert_eq!(overrides.session_lifetime_minutes, Some(60));
        assert_eq!(overrides.cors_origins, None);

        let cli = Cli::parse_from(["roster", "serve", "--cors-origins", "https://app.example.com/path"]);
        let Some(Command::Serve(args)) = cli.command else { panic!("serve") };
        let error = args.environment.overrides().unwrap_err().to_string();
        assert!(error.contains("ROSTER_CORS_ORIGINS: Line 1"), "{error}");
    }
}
