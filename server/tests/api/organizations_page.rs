//! The organizations page (`/orgs`) and its core calls: the searchable list with member
//! counts, create and edit with metadata, delete behind a typed confirmation, domains checked
//! over DNS or marked verified by hand, and the organization switcher's search.

use crate::helpers::*;
use app::directory::*;
use app::model::*;
use app::organizations::OrganizationSearch;
use serde_json::{Value, json};

/// Acme with an owner, an admin and a platform admin (a member of Acme), all signed in.
async fn acme_people(app: &TestApp) -> (Organization, Client, Client, Client) {
    let acme = app.organization("Acme").await;
    app.member(&acme, "owner@acme.test", roles::OWNER).await;
    app.member(&acme, "admin@acme.test", roles::ADMIN).await;
    app.member(&acme, "root@acme.test", roles::MEMBER).await;
    app.make_platform_admin("root@acme.test").await;
    let owner = app.signed_in("owner@acme.test").await;
    let admin = app.signed_in("admin@acme.test").await;
    let root = app.signed_in("root@acme.test").await;
    (acme, owner, admin, root)
}

fn list_body(search: Option<&str>, limit: u32, after: Option<&str>) -> Value {
    json!({ "query": { "search": search, "page": { "limit": limit, "before": null, "after": after, "order": "desc" } } })
}

/// The rows of the events table named `event`, newest last.
async fn events(app: &TestApp, event: &str) -> Vec<Value> {
    let mut conn = app.core.store().read().await.unwrap();
    let rows: Vec<String> = server::store::db::query_scalar("SELECT data FROM events WHERE event = $1 ORDER BY id")
        .bind(event)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    rows.iter().map(|data| serde_json::from_str(data).unwrap()).collect()
}

async fn count(app: &TestApp, sql: &str, organization: &Organization) -> i64 {
    let mut conn = app.core.store().read().await.unwrap();
    server::store::db::query_scalar(sql).bind(organization.id.as_str()).fetch_one(&mut *conn).await.unwrap()
}

#[tokio::test]
async fn a_platform_admin_creates_searches_edits_and_deletes_an_organization_from_the_page() {
    let app = spawn_app().await;
    let (_, _, _, root) = acme_people(&app).await;

    // Create, with metadata rows as the form sends them (blank rows are skipped).
    let created = root
        .form(
            "/api/create-org",
            &[
                ("name", "Initech"),
                ("external_id", "ext-initech"),
                ("metadata[0][key]", "tier"),
                ("metadata[0][value]", "gold"),
                ("metadata[1][key]", ""),
                ("metadata[1][value]", ""),
            ],
        )
        .await;
    assert_eq!(created.status(), 200);
    assert!(created.headers().get("location").unwrap().to_str().unwrap().starts_with("/orgs/org_"));
    let created = body(created).await;
    assert_eq!(created["metadata"], json!({ "tier": "gold" }));
    let id = created["id"].as_str().unwrap().to_owned();

    // Errors name their fields: a blank name, a taken external ID, metadata over the limits.
    let blank = root.form("/api/create-org", &[("name", " "), ("external_id", "")]).await;
    assert_eq!(blank.status(), 422);
    assert_eq!(body(blank).await["Validation"][0]["field"], "name");
    let taken = root.form("/api/create-org", &[("name", "Copycat"), ("external_id", "ext-initech")]).await;
    assert_eq!(taken.status(), 422);
    assert_eq!(body(taken).await["Validation"][0]["field"], "external_id");
    let long_key = "k".repeat(41);
    let bad_key =
        root.form("/api/create-org", &[("name", "Keys"), ("external_id", ""), ("metadata[0][key]", &long_key)]).await;
    assert_eq!(bad_key.status(), 422);
    assert_eq!(body(bad_key).await["Validation"][0]["field"], "metadata");
    let long_value = "v".repeat(501);
    let bad_value = root
        .form(
            "/api/create-org",
            &[("name", "Values"), ("external_id", ""), ("metadata[0][key]", "k"), ("metadata[0][value]", &long_value)],
        )
        .await;
    assert_eq!(bad_value.status(), 422);
    let mut many: Vec<(String, String)> = vec![("name".into(), "Many".into()), ("external_id".into(), "".into())];
    for i in 0..51 {
        many.push((format!("metadata[{i}][key]"), format!("k{i}")));
        many.push((format!("metadata[{i}][value]"), "v".into()));
    }
    let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let too_many = root.form("/api/create-org", &many).await;
    assert_eq!(too_many.status(), 422);
    assert_eq!(body(too_many).await["Validation"][0]["code"], "metadata_too_many_keys");
    let fifty = &many[..many.len() - 2];
    assert_eq!(root.form("/api/create-org", fifty).await.status(), 200, "50 keys are allowed");

    // A domain, so the list finds it by domain too.
    let domain = root.form("/api/add-org-domain", &[("organization_id", &id), ("domain", "Initech.Example")]).await;
    assert_eq!(domain.status(), 200);
    let domain = body(domain).await;
    assert_eq!((domain["state"].as_str(), domain["verification_strategy"].as_str()), (Some("pending"), Some("dns")));

    // Search by the start of the name or of a domain, case-insensitively.
    for search in ["initech", "INI", "initech.ex"] {
        let found = body(root.json("/api/orgs", list_body(Some(search), 10, None)).await).await;
        let names: Vec<&str> =
            found["data"].as_array().unwrap().iter().map(|o| o["organization"]["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Initech"], "{search}");
    }
    let none = body(root.json("/api/orgs", list_body(Some("zzz"), 10, None)).await).await;
    assert_eq!(none["data"], json!([]));

    // Edit: the metadata is replaced as the form shows it.
    let updated = root
        .form(
            "/api/update-org",
            &[
                ("organization_id", &id),
                ("name", "Initech Corp"),
                ("external_id", ""),
                ("metadata[0][key]", "tier"),
                ("metadata[0][value]", "platinum"),
                ("metadata[1][key]", "region"),
                ("metadata[1][value]", "eu"),
            ],
        )
        .await;
    assert_eq!(updated.status(), 200);
    let updated = body(updated).await;
    assert_eq!(updated["name"], "Initech Corp");
    assert_eq!(updated["external_id"], Value::Null);
    assert_eq!(updated["metadata"], json!({ "tier": "platinum", "region": "eu" }));
    let orphan = root
        .form(
            "/api/update-org",
            &[("organization_id", &id), ("name", "Initech Corp"), ("external_id", ""), ("metadata[0][value]", "lost")],
        )
        .await;
    assert_eq!(orphan.status(), 422);
    assert_eq!(body(orphan).await["Validation"][0]["field"], "metadata");

    // People, an invitation: the overview counts them; deletion needs the name typed.
    let initech = app.core.get_organization(&system(), &app::ids::OrganizationId::parse(&id).unwrap()).await.unwrap();
    app.member(&initech, "peter@initech.test", roles::OWNER).await;
    app.member(&initech, "milton@initech.test", roles::MEMBER).await;
    app.invitation(&initech, "bob@initech.test").await;
    let overview = body(root.json("/api/org", json!({ "organization_id": id })).await).await;
    assert_eq!((overview["member_count"].as_u64(), overview["invitation_count"].as_u64()), (Some(2), Some(1)));

    let wrong = root.form("/api/delete-org", &[("organization_id", &id), ("confirm_name", "Initech")]).await;
    assert_eq!(wrong.status(), 422);
    assert_eq!(body(wrong).await["Validation"][0]["field"], "confirm_name");
    let deleted = root.form("/api/delete-org", &[("organization_id", &id), ("confirm_name", "Initech Corp")]).await;
    assert_eq!(deleted.status(), 200);
    assert_eq!(deleted.headers().get("location").unwrap(), "/orgs");
    assert_eq!(root.json("/api/org", json!({ "organization_id": id })).await.status(), 404);
    for table in ["memberships", "invitations", "organization_domains"] {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE organization_id = $1");
        assert_eq!(count(&app, &sql, &initech).await, 0, "{table}");
    }
    let recorded = events(&app, "organization.deleted").await;
    let last = recorded.last().expect("an organization.deleted event");
    assert_eq!(last["id"], id);
    assert_eq!((last["memberships_removed"].as_u64(), last["invitations_removed"].as_u64()), (Some(2), Some(1)));
}

#[tokio::test]
async fn organization_admins_and_owners_are_refused_every_call_of_the_page() {
    let app = spawn_app().await;
    let (acme, owner, admin, _) = acme_people(&app).await;
    let domain = app.core.create_domain(&system(), &acme.id, "acme.example").await.unwrap();
    let acme_id = acme.id.to_string();
    let domain_id = domain.id.to_string();
    for client in [&owner, &admin] {
        assert_eq!(client.json("/api/orgs", list_body(None, 10, None)).await.status(), 403);
        assert_eq!(client.json("/api/org", json!({ "organization_id": acme_id })).await.status(), 403);
        let forms: [(&str, Vec<(&str, &str)>); 6] = [
            ("/api/create-org", vec![("name", "Mine"), ("external_id", "")]),
            ("/api/update-org", vec![("organization_id", &acme_id), ("name", "Renamed"), ("external_id", "")]),
            ("/api/delete-org", vec![("organization_id", &acme_id), ("confirm_name", "Acme")]),
            ("/api/add-org-domain", vec![("organization_id", &acme_id), ("domain", "mine.example")]),
            ("/api/change-org-domain", vec![("domain_id", &domain_id), ("change", "mark_verified")]),
            ("/api/change-org-domain", vec![("domain_id", &domain_id), ("change", "remove")]),
        ];
        for (path, fields) in forms {
            let response = client.form(path, &fields).await;
            assert_eq!(response.status(), 403, "{path} {fields:?}");
        }
    }
    // Nothing changed.
    let still = app.core.get_domain(&system(), &domain.id).await.unwrap();
    assert_eq!(still.state, DomainState::Pending);
    assert_eq!(app.core.get_organization(&system(), &acme.id).await.unwrap().name, "Acme");

    // In the core too: an organization's grant, even a platform admin's working on Acme, is
    // refused the page's calls and manual verification.
    let session = |roles: &[&str], is_platform_admin: bool| {
        Caller::from_session(SessionContext {
            session_id: app::ids::SessionId::generate(),
            user_id: app::ids::UserId::generate(),
            organization_id: Some(acme.id.clone()),
            roles: roles.iter().map(|role| role.to_string()).collect(),
            is_platform_admin,
        })
    };
    let owner_grant = session(&[roles::OWNER], false).admin().unwrap();
    let scoped_platform = session(&[], true).admin().unwrap();
    for grant in [&owner_grant, &scoped_platform] {
        let refused = app.core.mark_domain_verified(grant, &domain.id).await.unwrap_err();
        assert!(matches!(refused, app::error::AppError::Forbidden(_)), "{refused:?}");
        let listed = app.core.list_organization_overviews(grant, OrganizationSearch::default()).await.unwrap_err();
        assert!(matches!(listed, app::error::AppError::Forbidden(_)));
        assert!(app.core.get_organization_overview(grant, &acme.id).await.is_err());
    }
    // An organization's API key cannot vouch for a domain either.
    let key_grant =
        Caller::from_api_key(app::ids::ApiKeyId::generate(), "client".into(), Scope::Organization(acme.id.clone()))
            .admin()
            .unwrap();
    assert!(app.core.mark_domain_verified(&key_grant, &domain.id).await.is_err());
    assert_eq!(app.core.get_domain(&system(), &domain.id).await.unwrap().state, DomainState::Pending);
}

#[tokio::test]
async fn a_platform_admin_verifies_domains_over_dns_or_by_hand_and_both_are_recorded() {
    let app = spawn_app().await;
    let (acme, _, _, root) = acme_people(&app).await;
    let globex = app.organization("Globex").await;
    let acme_id = acme.id.to_string();
    let claim = |domain: &'static str| {
        let root = &root;
        let acme_id = acme_id.clone();
        async move {
            body(root.form("/api/add-org-domain", &[("organization_id", &acme_id), ("domain", domain)]).await).await
        }
    };

    // Over DNS: "Check now" leaves it pending until the record is there.
    let dns = claim("acme.example").await;
    let dns_id = dns["id"].as_str().unwrap().to_owned();
    let check = [("domain_id", dns_id.as_str()), ("change", "check")];
    let pending = root.form("/api/change-org-domain", &check).await;
    assert_eq!(pending.status(), 200);
    assert!(body(pending).await.as_str().unwrap().contains("No verification record"));
    app.dns.publish_txt("acme.example", &format!("verification_token={}", dns["verification_token"].as_str().unwrap()));
    let verified = root.form("/api/change-org-domain", &check).await;
    assert_eq!(body(verified).await, json!("acme.example is verified."));
    let parsed = app::ids::OrganizationDomainId::parse(&dns_id).unwrap();
    let after = app.core.get_domain(&system(), &parsed).await.unwrap();
    assert_eq!((after.state, after.verification_strategy), (DomainState::Verified, DomainVerificationStrategy::Dns));

    // By hand: verified at once, the strategy says so, and an event records it.
    let manual = claim("acme-corp.example").await;
    let manual_id = manual["id"].as_str().unwrap().to_owned();
    let marked = root.form("/api/change-org-domain", &[("domain_id", &manual_id), ("change", "mark_verified")]).await;
    assert_eq!(marked.status(), 200);
    let parsed = app::ids::OrganizationDomainId::parse(&manual_id).unwrap();
    let after = app.core.get_domain(&system(), &parsed).await.unwrap();
    assert_eq!((after.state, after.verification_strategy), (DomainState::Verified, DomainVerificationStrategy::Manual));
    let recorded = events(&app, "organization_domain.verified").await;
    assert!(recorded.iter().any(|e| e["id"] == manual_id.as_str() && e["verification_strategy"] == "manual"));
    // REST shows it as WorkOS has it.
    let api = app.api_key(None).await;
    let (_, shown) = api.get(&format!("/organization_domains/{manual_id}")).await;
    assert_eq!((shown["state"].as_str(), shown["verification_strategy"].as_str()), (Some("verified"), Some("manual")));

    // Another organization cannot have a domain verified elsewhere marked verified for it.
    let elsewhere = app.core.create_domain(&system(), &globex.id, "fresh.example").await.unwrap();
    app.core.mark_domain_verified(&system(), &elsewhere.id).await.unwrap();
    let contested = app.core.create_domain(&system(), &acme.id, "fresh.example").await;
    assert!(contested.is_err(), "a domain verified by Globex cannot be claimed by Acme");

    // Removing releases it.
    let removed = root.form("/api/change-org-domain", &[("domain_id", &manual_id), ("change", "remove")]).await;
    assert_eq!(removed.status(), 200);
    assert!(app.core.get_domain(&system(), &parsed).await.is_err());
    let bad = root.form("/api/add-org-domain", &[("organization_id", &acme_id), ("domain", "gmail.com")]).await;
    assert_eq!(bad.status(), 422);
    assert_eq!(body(bad).await["Validation"][0]["field"], "domain");
}

#[tokio::test]
async fn the_list_pages_by_keyset_with_member_counts_from_one_grouped_count() {
    let app = spawn_app().await;
    let mut made = Vec::new();
    for (index, name) in ["Alpha", "Bravo", "Charlie", "Delta", "Echo"].into_iter().enumerate() {
        let organization = app.organization(name).await;
        for person in 0..index {
            app.member(&organization, &format!("p{person}@{}.test", name.to_lowercase()), roles::MEMBER).await;
        }
        made.push(organization);
    }
    let environment = system();
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let query =
            OrganizationSearch { search: None, page: Page { limit: 2, after: after.clone(), ..Page::default() } };
        let page = app.core.list_organization_overviews(&environment, query).await.unwrap();
        for overview in &page.data {
            seen.push((overview.organization.name.clone(), overview.member_count));
        }
        match page.list_metadata.after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [("Echo", 4), ("Delta", 3), ("Charlie", 2), ("Bravo", 1), ("Alpha", 0)]
            .map(|(name, count)| (name.to_owned(), count))
            .to_vec(),
        "newest first, every organization once"
    );
    let too_big = OrganizationSearch { search: None, page: Page { limit: 101, ..Page::default() } };
    assert!(app.core.list_organization_overviews(&environment, too_big).await.is_err());
}

#[tokio::test]
async fn the_switcher_search_finds_every_organization_a_platform_admin_reaches_and_only_those_of_others() {
    let app = spawn_app().await;
    let (acme, _, admin, root) = acme_people(&app).await;
    for index in 0..12 {
        app.organization(&format!("Globex {index:02}")).await;
    }
    let found = |client: &Client, search: &'static str| {
        let client = client.http.clone();
        let base = app.base.clone();
        async move {
            let response = client
                .post(format!("{base}/api/switchable-orgs"))
                .header("Origin", &base)
                .header("Accept", "application/json")
                .json(&json!({ "search": search }))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            let names: Vec<String> = response
                .json::<Vec<Value>>()
                .await
                .unwrap()
                .iter()
                .map(|o| o["name"].as_str().unwrap().to_owned())
                .collect();
            names
        }
    };
    let globex = found(&root, "glob").await;
    assert_eq!(globex.len(), 12, "{globex:?}");
    assert_eq!(globex[0], "Globex 00", "by name");
    assert_eq!(found(&root, "ACME").await, ["Acme"]);
    assert_eq!(found(&admin, "").await, ["Acme"], "an admin reaches their own organizations only");
    assert!(found(&admin, "glob").await.is_empty());

    // The viewer lists them all for the switcher, which searches past ten.
    let viewer = root.json("/api/viewer", json!({})).await;
    let viewer = body(viewer).await;
    assert_eq!(viewer["organizations"].as_array().unwrap().len(), 13);
    // Switching to one the search found works.
    let target = app
        .core
        .list_organization_overviews(
            &system(),
            OrganizationSearch { search: Some("globex 07".into()), ..Default::default() },
        )
        .await
        .unwrap();
    let target_id = target.data[0].organization.id.to_string();
    assert_eq!(root.form("/api/switch-organization", &[("organization_id", &target_id)]).await.status(), 200);
    let _ = acme;
}
