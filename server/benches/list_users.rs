//! The users-table list call at scale, measured in-core (no HTTP), on SQLite.
//!
//! `cargo bench -p server --bench list_users` seeds 100,000 users into one organization
//! (set `ROSTER_BENCH_USERS` to change it), then times the call that backs the dashboard's
//! users table at several depths and filters. Every figure is also given as a ratio to a
//! baseline measured in the same run: one trivial query through the same pool, the floor
//! of any store call on this machine at this moment.

use app::directory::{Caller, Memberships};
use app::model::{MemberFilter, MembershipStatus, Page};
use server::core::{Core, CoreSettings};
use server::seed::seed_bulk;
use server::store::Store;
use std::time::{Duration, Instant};

const SAMPLES: usize = 2_000;
const WARM_UP: usize = 100;

struct Figures {
    p50: Duration,
    p99: Duration,
}

async fn measure<F, Fut>(mut call: F) -> Figures
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..WARM_UP {
        call().await;
    }
    let mut samples = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let started = Instant::now();
        call().await;
        samples.push(started.elapsed());
    }
    samples.sort();
    Figures { p50: samples[SAMPLES / 2], p99: samples[SAMPLES * 99 / 100] }
}

#[tokio::main]
async fn main() {
    let users: usize = std::env::var("ROSTER_BENCH_USERS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("bench.db").display());
    let store = Store::open(&url).await.expect("store");
    let core = Core::new(store.clone(), CoreSettings::default()).await.expect("core");

    let started = Instant::now();
    let seeded = seed_bulk(&core, users, 1, |_| {}).await.expect("seed");
    println!("seeded {users} users into one organization in {:.1}s", started.elapsed().as_secs_f64());
    let organization = seeded.organizations[0].0.clone();
    let admin = Caller::system().admin().expect("system admin");

    // Walk the cursors (untimed) to the middle and to the end of the list.
    let page_size: u32 = 10;
    let mut deep_cursor = None;
    let mut last_cursor = None;
    let mut after: Option<String> = None;
    let mut seen = 0;
    loop {
        let page = Page { limit: 100, after: after.clone(), ..Page::default() };
        let list = core.list_members(&admin, &organization, MemberFilter::default(), page).await.expect("walk");
        seen += list.data.len();
        if deep_cursor.is_none() && seen >= users / 2 {
            deep_cursor = list.list_metadata.after.clone();
        }
        match list.list_metadata.after {
            Some(next) => {
                if seen + 100 >= users - page_size as usize {
                    last_cursor = Some(next.clone());
                }
                after = Some(next);
            }
            None => break,
        }
    }

    let baseline = measure(|| {
        let pool = store.pool().clone();
        async move {
            sqlx::query("SELECT 1").execute(&pool).await.expect("baseline");
        }
    })
    .await;

    let cases: Vec<(&str, MemberFilter, Option<String>)> = vec![
        ("page 1", MemberFilter::default(), None),
        ("deep page (middle, via cursor)", MemberFilter::default(), deep_cursor),
        ("last pages (via cursor)", MemberFilter::default(), last_cursor),
        ("prefix search \"ol\", page 1", MemberFilter { search: Some("ol".into()), ..Default::default() }, None),
        (
            "status = deactivated (1%), page 1",
            MemberFilter { status: Some(MembershipStatus::Inactive), ..Default::default() },
            None,
        ),
        ("role = admin (2%), page 1", MemberFilter { role: Some("admin".into()), ..Default::default() }, None),
    ];

    println!();
    println!("| case ({users} members, 10 per page) | p50 | p99 | p50 / baseline | p99 / baseline |");
    println!("|---|---|---|---|---|");
    println!(
        "| baseline: `SELECT 1` through the pool | {:.3} ms | {:.3} ms | 1.0 | 1.0 |",
        ms(baseline.p50),
        ms(baseline.p99)
    );
    for (name, filter, cursor) in cases {
        let figures = measure(|| {
            let (core, admin, organization, filter) = (&core, &admin, &organization, filter.clone());
            let page = Page { limit: page_size, after: cursor.clone(), ..Page::default() };
            async move {
                let list = core.list_members(admin, organization, filter, page).await.expect("list");
                assert!(!list.data.is_empty(), "every case returns rows");
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
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000.0
}

fn ratio(value: Duration, baseline: Duration) -> f64 {
    value.as_secs_f64() / baseline.as_secs_f64().max(f64::EPSILON)
}
