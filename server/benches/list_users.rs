//! The list calls at scale, measured in-core (no HTTP), on SQLite or PostgreSQL.
//!
//! ```text
//! cargo bench -p server --bench list_users                        # 100,000 users, one organization, SQLite
//! ROSTER_BENCH_USERS=1000000 ROSTER_BENCH_ORGS=10000 cargo bench …  # the 1M-user case
//! ROSTER_TEST_POSTGRES=postgres://user@host:port cargo bench …     # on a fresh PostgreSQL database
//! ROSTER_BENCH_PLANS=1 cargo bench …                                # also print each case's query plan
//! ```
//!
//! It seeds through the bulk path, then times the users-table call (one organization's
//! members) and the REST list-users call at several depths (reached through cursors),
//! filters, searches and orders. Every figure is also given as a ratio to a baseline measured
//! in the same run: one trivial query through the same pool, the floor of any store call.

use app::directory::{Caller, Memberships, UserQuery, Users};
use app::ids::OrganizationId;
use app::model::{MemberFilter, MemberSort, MembershipStatus, Order, Page, SearchMatch};
use server::core::{Core, CoreSettings};
use server::seed::seed_bulk;
use server::store::directory::{list_members, list_users};
use server::store::{ScratchDatabase, Store};
use std::time::{Duration, Instant};

const PAGE: u32 = 10;

struct Figures {
    p50: Duration,
    p99: Duration,
}

async fn measure<F, Fut>(samples: usize, mut call: F) -> Figures
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..samples / 10 {
        call().await;
    }
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let started = Instant::now();
        call().await;
        times.push(started.elapsed());
    }
    times.sort();
    Figures { p50: times[samples / 2], p99: times[samples * 99 / 100] }
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// What one timed case lists.
#[derive(Clone)]
enum Case {
    Members { organization: OrganizationId, filter: MemberFilter, order: Order },
    Users { organization: Option<OrganizationId> },
}

impl Case {
    /// Lists one page after `cursor`; returns the next cursor.
    async fn page(&self, core: &Core, limit: u32, after: Option<String>) -> Option<String> {
        let admin = Caller::system().admin().expect("system admin");
        match self {
            Case::Members { organization, filter, order } => {
                let page = Page { limit, after, before: None, order: *order };
                let list = core.list_members(&admin, organization, filter.clone(), page).await.expect("members");
                assert!(!list.data.is_empty(), "every case returns rows");
                list.list_metadata.after
            }
            Case::Users { organization } => {
                let page = Page { limit, after, ..Page::default() };
                let query = UserQuery { email: None, organization_id: organization.clone(), page };
                let list = core.list_users(&admin, query).await.expect("users");
                assert!(!list.data.is_empty(), "every case returns rows");
                list.list_metadata.after
            }
        }
    }

    /// The query plans of one page after `cursor`, read from the store's own statements.
    async fn plans(&self, store: &Store, after: Option<String>) -> Vec<String> {
        let mut conn = store.read().await.expect("a connection");
        conn.record_plans();
        match self {
            Case::Members { organization, filter, order } => {
                let page = Page { limit: PAGE, after, before: None, order: *order };
                list_members(&mut conn, store.backend(), organization, filter, &page).await.expect("members");
            }
            Case::Users { organization } => {
                let page = Page { limit: PAGE, after, ..Page::default() };
                list_users(&mut conn, None, organization.as_ref(), &page).await.expect("users");
            }
        }
        conn.take_plans()
    }

    /// The cursor of page `number` (1-based), walked untimed in pages of 100.
    async fn cursor_of_page(&self, core: &Core, number: usize) -> Option<String> {
        let mut rows_to_skip = (number - 1) * PAGE as usize;
        let mut after = None;
        while rows_to_skip > 0 {
            let step = rows_to_skip.min(100) as u32;
            after = self.page(core, step, after).await;
            rows_to_skip -= step as usize;
        }
        after
    }
}

#[tokio::main]
async fn main() {
    let users = env("ROSTER_BENCH_USERS", 100_000);
    let organizations = env("ROSTER_BENCH_ORGS", 1);
    let samples = env("ROSTER_BENCH_SAMPLES", 1_000);
    let database = ScratchDatabase::new().await.expect("a scratch database");
    let backend = if database.url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
    let store = Store::open(&database.url).await.expect("store");
    let core = Core::new(store.clone(), CoreSettings::default()).await.expect("core");

    let started = Instant::now();
    let seeded = seed_bulk(&core, users, organizations, |_| {}).await.expect("seed");
    println!(
        "{backend}: seeded {users} users into {} organizations in {:.1}s (largest {} members, smallest {})",
        seeded.organizations.len(),
        started.elapsed().as_secs_f64(),
        seeded.organizations.first().map(|o| o.1).unwrap_or(0),
        seeded.organizations.last().map(|o| o.1).unwrap_or(0),
    );
    let (largest, largest_size) = seeded.organizations.first().cloned().expect("an organization");
    let smallest = seeded.organizations.last().map(|o| o.0.clone()).expect("an organization");
    let deepest_member_page = (largest_size / PAGE as usize).saturating_sub(1).clamp(1, 1_000);
    let deepest_user_page = (users / PAGE as usize).saturating_sub(1).clamp(1, 20_000);

    let members = |filter: MemberFilter, order: Order| Case::Members { organization: largest.clone(), filter, order };
    let search = |text: &str, search_match: SearchMatch| MemberFilter {
        search: Some(text.into()),
        search_match,
        ..Default::default()
    };
    let sorted = |sort: MemberSort| MemberFilter { sort, ..Default::default() };
    let cases: Vec<(String, Case, usize)> = vec![
        ("users, no organization filter, page 1".into(), Case::Users { organization: None }, 1),
        (
            "users, no organization filter, page 1,000".into(),
            Case::Users { organization: None },
            1_000.min(deepest_user_page),
        ),
        (
            format!("users, no organization filter, page {deepest_user_page}"),
            Case::Users { organization: None },
            deepest_user_page,
        ),
        ("users of a small organization, page 1".into(), Case::Users { organization: Some(smallest.clone()) }, 1),
        ("users of the largest organization, page 1".into(), Case::Users { organization: Some(largest.clone()) }, 1),
        (
            "members of the largest organization, newest first, page 1".into(),
            members(MemberFilter::default(), Order::Desc),
            1,
        ),
        (
            format!("members, newest first, page {deepest_member_page}"),
            members(MemberFilter::default(), Order::Desc),
            deepest_member_page,
        ),
        ("members, oldest first, page 1".into(), members(MemberFilter::default(), Order::Asc), 1),
        ("members, by email, page 1".into(), members(sorted(MemberSort::Email), Order::Asc), 1),
        (
            format!("members, by email, page {deepest_member_page}"),
            members(sorted(MemberSort::Email), Order::Asc),
            deepest_member_page,
        ),
        ("members, by last sign-in, page 1".into(), members(sorted(MemberSort::LastSignIn), Order::Desc), 1),
        (
            format!("members, by last sign-in, page {deepest_member_page}"),
            members(sorted(MemberSort::LastSignIn), Order::Desc),
            deepest_member_page,
        ),
        ("members, prefix search \"ol\", page 1".into(), members(search("ol", SearchMatch::Prefix), Order::Desc), 1),
        (
            "members, contains search \"lsso\", page 1".into(),
            members(search("lsso", SearchMatch::Contains), Order::Desc),
            1,
        ),
        (
            "members, status deactivated, page 1".into(),
            members(MemberFilter { status: Some(MembershipStatus::Inactive), ..Default::default() }, Order::Desc),
            1,
        ),
        (
            "members, role admin, page 1".into(),
            members(MemberFilter { role: Some("admin".into()), ..Default::default() }, Order::Desc),
            1,
        ),
    ];

    let baseline = measure(samples, || {
        let store = store.clone();
        async move {
            let mut conn = store.read().await.expect("a connection");
            server::store::db::query("SELECT 1").execute(&mut conn).await.expect("baseline");
        }
    })
    .await;

    println!();
    println!("| {backend}, {users} users | p50 | p99 | p50 / baseline | p99 / baseline |");
    println!("|---|---|---|---|---|");
    println!(
        "| baseline: `SELECT 1` through the pool | {:.3} ms | {:.3} ms | 1.0 | 1.0 |",
        ms(baseline.p50),
        ms(baseline.p99)
    );
    let mut plans = Vec::new();
    for (name, case, page) in cases {
        let cursor = case.cursor_of_page(&core, page).await;
        plans.push((name.clone(), case.plans(&store, cursor.clone()).await));
        let samples = if name.contains("contains") { samples / 4 } else { samples };
        let figures = measure(samples, || {
            let (case, cursor, core) = (case.clone(), cursor.clone(), &core);
            async move {
                case.page(core, PAGE, cursor).await;
            }
        })
        .await;
        println!(
            "| {name} | {:.3} ms | {:.3} ms | {:.1} | {:.1} |",
            ms(figures.p50),
            ms(figures.p99),
            ratio(figures.p50, baseline.p50),
            ratio(figures.p99, baseline.p99)
        );
    }
    if std::env::var_os("ROSTER_BENCH_PLANS").is_some() {
        println!();
        for (name, plans) in plans {
            println!("{name}:");
            for plan in plans {
                // The statement's first line is enough to tell which one it is.
                let mut lines = plan.lines();
                println!("  {}…", lines.next().unwrap_or_default().chars().take(100).collect::<String>());
                lines.for_each(|step| println!("  {step}"));
            }
        }
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000.0
}

fn ratio(value: Duration, baseline: Duration) -> f64 {
    value.as_secs_f64() / baseline.as_secs_f64().max(f64::EPSILON)
}
