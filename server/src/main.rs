//! `roster`: serve the dashboard, migrate, or generate load-test data.

use anyhow::Context;
use app::directory::{Admin, ApiKeys, Caller, NewApiKey};
use app::error::AppError;
use app::ids::{ApiKeyId, OrganizationId};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use leptos::config::get_configuration;
use server::cli::{ApiKeyCommand, Cli, Command, SeedArgs, ServeArgs};
use server::core::{Core, CoreSettings};
use server::mail::{Sender, SenderSettings, SmtpSettings};
use server::ops::shutdown::{Shutdown, ShutdownSettings};
use server::ops::{self, Readiness};
use server::seed::{self, Bootstrap};
use server::store::Store;
use server::web::{self, WebSettings};
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;

/// mimalloc rather than the system allocator: rows are built on the SQLite connection threads
/// and freed on the async workers, and glibc's allocator spent a quarter of a loaded server's
/// CPU on that traffic (its arena locks and consolidation).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    server::ops::logging::init()?;
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Migrate) => {
            Store::open(&cli.database_url).await.context("opening the database")?;
            println!("Migrations applied to {}.", cli.database_url);
            Ok(())
        }
        Some(Command::Seed(args)) => seed_command(&cli.database_url, args).await,
        Some(Command::ApiKey(command)) => api_key_command(&cli.database_url, command).await,
        Some(Command::Backup(args)) => {
            let report = server::store::backup::backup(&cli.database_url, &args.path, args.force).await?;
            println!(
                "Backed up to {} ({} bytes, schema version {}, integrity checked).",
                report.path.display(),
                report.bytes,
                report.schema_version
            );
            Ok(())
        }
        Some(Command::Export { output }) => server::transfer::cli::export(&cli.database_url, output).await,
        Some(Command::Import(args)) => server::transfer::cli::import(&cli.database_url, args).await,
        Some(Command::Serve(args)) => serve(&cli.database_url, *args).await,
        None => serve(&cli.database_url, ServeArgs::default()).await,
    }
}

async fn serve(database_url: &str, args: ServeArgs) -> anyhow::Result<()> {
    let leptos_options =
        web::detect_hashed_site(get_configuration(None).context("reading the Leptos configuration")?.leptos_options);
    let addr = args.addr.unwrap_or(leptos_options.site_addr);
    let public_url = args.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));

    let smtp = match (&args.smtp_url, &args.email_from) {
        (Some(url), Some(from)) => Some(SmtpSettings::parse(url, from, args.smtp_ca_file.as_deref())?),
        (Some(_), None) => anyhow::bail!("ROSTER_SMTP_URL needs ROSTER_EMAIL_FROM, the sender of every email"),
        (None, _) => None,
    };
    let store = Store::open(database_url).await.with_context(|| format!("opening {database_url}"))?;
    let readiness = Readiness::default();
    let shutdown = Shutdown::listen(
        ShutdownSettings { delay: args.shutdown_delay, grace: args.shutdown_grace },
        readiness.clone(),
    )?;
    let mut background = Vec::new();
    if let Some(metrics_addr) = args.metrics_addr {
        let handle = ops::metrics::install()?;
        background.push(ops::metrics::serve(metrics_addr, handle, store.clone(), shutdown.stop().stopping()).await?);
    }
    if let Some(smtp) = &smtp {
        background.push(Sender::new(store.clone(), smtp, SenderSettings::default())?.spawn_until(shutdown.stop()));
    } else {
        tracing::info!("no ROSTER_SMTP_URL: emails wait on the outbox page");
    }
    let core = Core::new(
        store,
        CoreSettings {
            public_url: public_url.clone(),
            dns_server: args.dns_server,
            email_delivery: smtp.is_some(),
            environment: args.environment.overrides()?,
        },
    )
    .await
    .map_err(|error| anyhow::anyhow!("starting the core: {error}"))?;

    let bootstrap = Bootstrap {
        admin_email: args.bootstrap_email.clone(),
        admin_password: args.bootstrap_password.clone(),
        demo_data: args.demo_data,
        demo_password: args.demo_password.clone(),
        api_key: args.bootstrap_api_key.clone(),
        api_key_client_id: args.bootstrap_client_id.clone(),
    };
    if let Some(first) =
        seed::first_start(&core, &bootstrap).await.map_err(|e| anyhow::anyhow!("first-start setup: {e}"))?
    {
        // On standard error, apart from the log (which may be JSON lines on standard output);
        // secrets set by configuration are not repeated: only generated ones are shown.
        let configured = |given: bool, value: &str, variable: &str| match given {
            true => format!("(as set in {variable})"),
            false => value.to_owned(),
        };
        eprintln!("\nRoster is set up. These credentials are shown only once:\n");
        let admin_password =
            configured(bootstrap.admin_password.is_some(), &first.admin_password, "ROSTER_BOOTSTRAP_PASSWORD");
        eprintln!("  Admin sign-in   {}  /  {admin_password}", first.admin_email);
        if let (Some(password), Some(member)) = (&first.demo_password, &first.demo_member_email) {
            let password = configured(bootstrap.demo_password.is_some(), password, "ROSTER_DEMO_PASSWORD");
            eprintln!("  Demo users      any @acme.test user  /  {password}   (e.g. {member}, a member)");
        }
        let key = seed::development_key(&core, &bootstrap)
            .await
            .map_err(|e| anyhow::anyhow!("creating the development API key: {e}"))?;
        if let Some(key) = key {
            eprintln!(
                "  API key         {}",
                configured(bootstrap.api_key.is_some(), &key.value, "ROSTER_BOOTSTRAP_API_KEY")
            );
            eprintln!("  Client ID       {}", key.key.client_id);
        }
        eprintln!();
    }

    let settings = WebSettings {
        public_origin: args.public_url.as_ref().map(|url| url.trim_end_matches('/').to_owned()),
        https: public_url.starts_with("https://"),
        trust_forwarded_for: args.trust_proxy,
        readiness,
    };
    let app = web::router(Arc::new(core), leptos_options, settings);
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("listening on {addr}"))?;
    tracing::info!("Roster is listening on http://{addr}");
    eprintln!("Dashboard: {public_url}");
    let server = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown.stop().stopping());
    shutdown.serve(server.into_future(), background).await
}

async fn seed_command(database_url: &str, args: SeedArgs) -> anyhow::Result<()> {
    let store = Store::open(database_url).await.with_context(|| format!("opening {database_url}"))?;
    let core = Core::new(store, CoreSettings::default()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let bar = ProgressBar::new(args.users as u64).with_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} users ({per_sec}, {eta} left)")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let started = std::time::Instant::now();
    let seeded = seed::seed_bulk(&core, args.users, args.orgs, |done| bar.set_position(done as u64))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    bar.finish();
    println!(
        "Seeded {} users into {} organizations in {:.1}s (largest: {} members).",
        args.users,
        seeded.organizations.len(),
        started.elapsed().as_secs_f64(),
        seeded.organizations.first().map(|(_, size)| *size).unwrap_or(0)
    );
    Ok(())
}

#[allow(clippy::disallowed_methods, reason = "the command line acts as Roster itself")]
fn system_admin() -> Admin {
    Caller::system().admin().expect("the system is an environment admin")
}

async fn api_key_command(database_url: &str, command: ApiKeyCommand) -> anyhow::Result<()> {
    let store = Store::open(database_url).await.with_context(|| format!("opening {database_url}"))?;
    let core = Core::new(store, CoreSettings::default()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let fail = |e: AppError| anyhow::anyhow!("{e}");
    match command {
        ApiKeyCommand::Create { name, organization, client_id } => {
            let organization_id = match organization {
                Some(raw) => {
                    Some(OrganizationId::parse(&raw).with_context(|| format!("{raw:?} is not an organization ID"))?)
                }
                None => None,
            };
            let key = NewApiKey { name, organization_id, client_id, secret: None };
            let created = core.create_api_key(&system_admin(), key).await.map_err(fail)?;
            println!("API key    {}   (shown only this once)", created.value);
            println!("Client ID  {}", created.key.client_id);
            println!("Key ID     {}", created.key.id);
        }
        ApiKeyCommand::List => {
            for key in core.list_api_keys(&system_admin()).await.map_err(fail)? {
                let state = if key.revoked_at.is_some() { "revoked" } else { "active" };
                println!("{}  {}  {}  {}  {}", key.id, key.client_id, key.obfuscated_value, state, key.name);
            }
        }
        ApiKeyCommand::Revoke { id } => {
            let id = ApiKeyId::parse(&id).with_context(|| format!("{id:?} is not an API key ID"))?;
            core.revoke_api_key(&system_admin(), &id).await.map_err(fail)?;
            println!("Revoked {id}.");
        }
    }
    Ok(())
}
