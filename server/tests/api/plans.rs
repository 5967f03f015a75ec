//! The list queries are answered from indexes: every list, filter, search and sort of the
//! users table and the user list is explained on a seeded, analysed store, first pages and
//! cursor pages alike, on whichever engine the tests run on.

use app::ids::OrganizationId;
use app::model::{MemberFilter, MemberSort, MembershipStatus, Order, Page, SearchMatch};
use server::core::{Core, CoreSettings};
use server::store::directory::{list_members, list_users};
use server::store::{Backend, ScratchDatabase, Store};

fn page(order: Order, after: Option<String>) -> Page {
    Page { limit: 10, after, before: None, order }
}

/// Each case's name, filter and order.
fn member_cases() -> Vec<(&'static str, MemberFilter, Order)> {
    let search =
        |text: &str, search_match| MemberFilter { search: Some(text.into()), search_match, ..Default::default() };
    let sorted = |sort| MemberFilter { sort, ..Default::default() };
    vec![
        ("newest first", MemberFilter::default(), Order::Desc),
        ("oldest first", MemberFilter::default(), Order::Asc),
        ("by email", sorted(MemberSort::Email), Order::Asc),
        ("by last sign-in", sorted(MemberSort::LastSignIn), Order::Desc),
        ("deactivated", MemberFilter { status: Some(MembershipStatus::Inactive), ..Default::default() }, Order::Desc),
        ("role admin", MemberFilter { role: Some("admin".into()), ..Default::default() }, Order::Desc),
        ("prefix search", search("ol", SearchMatch::Prefix), Order::Desc),
        ("contains search", search("liv", SearchMatch::Contains), Order::Desc),
    ]
}

/// The plan lines that mean a table is read whole or its rows sorted after reading: what an
/// index should have spared. A search's matches may be sorted (there are few of them).
fn unindexed_steps(backend: Backend, plan: &str, sorting_allowed: bool) -> Vec<String> {
    plan.lines()
        .skip(1)
        .map(str::trim)
        .filter(|step| match backend {
            Backend::Sqlite => {
                let bare_scan =
                    step.starts_with("SCAN ") && !step.contains(" USING ") && !step.contains("VIRTUAL TABLE");
                bare_scan || (!sorting_allowed && step.contains("TEMP B-TREE FOR ORDER BY"))
            }
            Backend::Postgres => {
                let sequential = step.contains("Seq Scan on users") || step.contains("Seq Scan on memberships");
                sequential || (!sorting_allowed && step.starts_with("Sort"))
            }
        })
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn every_list_search_and_sort_reads_an_index_on_first_and_cursor_pages() {
    let database = ScratchDatabase::new().await.unwrap();
    let store = Store::open(&database.url).await.unwrap();
    let backend = store.backend();
    let core = Core::new(store.clone(), CoreSettings::default()).await.unwrap();
    let seeded = server::seed::seed_bulk(&core, 3_000, 3, |_| {}).await.unwrap();
    store.analyze().await.unwrap();
    let organization: OrganizationId = seeded.organizations[0].0.clone();

    // The cursors of second pages, read for real.
    let mut conn = store.read().await.unwrap();
    let users_after = list_users(&mut conn, None, None, &page(Order::Desc, None)).await.unwrap().list_metadata.after;
    let organization_users_after =
        list_users(&mut conn, None, Some(&organization), &page(Order::Desc, None)).await.unwrap().list_metadata.after;
    let mut member_afters = Vec::new();
    for (name, filter, order) in member_cases() {
        let first = list_members(&mut conn, backend, &organization, &filter, &page(order, None)).await.unwrap();
        assert!(first.list_metadata.after.is_some(), "{name}: the seed fills more than one page");
        member_afters.push(first.list_metadata.after);
    }
    drop(conn);

    let mut tx = store.begin().await.unwrap();
    if backend == Backend::Postgres {
        // Small tables are cheaper to read whole; this asks whether an index could answer.
        tx.execute_script("SET LOCAL enable_seqscan = off").await.unwrap();
    }
    tx.record_plans();
    let mut explained = Vec::new();
    for (after, organization_after) in [(None, None), (users_after, organization_users_after)] {
        let cursor = if after.is_some() { "cursor page" } else { "first page" };
        list_users(&mut tx, None, None, &page(Order::Desc, after)).await.unwrap();
        explained.push((format!("users, {cursor}"), false, tx.take_plans()));
        list_users(&mut tx, None, Some(&organization), &page(Order::Desc, organization_after)).await.unwrap();
        explained.push((format!("users of an organization, {cursor}"), false, tx.take_plans()));
    }
    for ((name, filter, order), after) in member_cases().into_iter().zip(member_afters) {
        for after in [None, after] {
            let cursor = if after.is_some() { "cursor page" } else { "first page" };
            list_members(&mut tx, backend, &organization, &filter, &page(order, after)).await.unwrap();
            explained.push((format!("members, {name}, {cursor}"), filter.search.is_some(), tx.take_plans()));
        }
    }
    for (case, sorting_allowed, plans) in explained {
        assert!(!plans.is_empty(), "{case}: a statement was explained");
        for plan in plans {
            let unindexed = unindexed_steps(backend, &plan, sorting_allowed);
            assert!(unindexed.is_empty(), "{case} ({backend:?}): {unindexed:?} in\n{plan}");
        }
    }
}

#[tokio::test]
async fn explained_statements_change_nothing() {
    let database = ScratchDatabase::new().await.unwrap();
    let store = Store::open(&database.url).await.unwrap();
    let mut conn = store.read().await.unwrap();
    conn.record_plans();
    server::store::db::query("INSERT INTO settings (key, value) VALUES ($1, 'x')")
        .bind("k")
        .execute(&mut conn)
        .await
        .unwrap();
    let plans = conn.take_plans();
    assert_eq!(plans.len(), 1);
    assert!(plans[0].starts_with("INSERT INTO settings"), "{plans:?}");
    drop(conn);
    let mut conn = store.read().await.unwrap();
    let count: i64 = server::store::db::query_scalar("SELECT COUNT(*) FROM settings WHERE key = 'k'")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(count, 0);
}
