//! Bulk actions on the users table over HTTP: one request, each row under its own rules, and a
//! report that refuses (never skips) what the caller may not do.

use crate::helpers::*;
use app::directory::*;
use app::model::*;
use serde_json::Value;

/// Posts the bulk form as the dashboard's app does, with `fields` as form pairs.
async fn bulk(client: &Client, fields: &[(&str, &str)]) -> (u16, Value) {
    let response = client.form("/api/bulk-members", fields).await;
    let status = response.status().as_u16();
    (status, body(response).await)
}

/// The report's rows as (name, outcome, message).
fn rows(report: &Value) -> Vec<(String, String, String)> {
    report["rows"]
        .as_array()
        .expect("report rows")
        .iter()
        .map(|row| {
            let text = |key: &str| row[key].as_str().unwrap_or_default().to_owned();
            (text("name"), text("outcome"), text("message"))
        })
        .collect()
}

async fn status_of(app: &TestApp, id: &app::ids::MembershipId) -> Option<MembershipStatus> {
    app.core.get_membership(&system(), id).await.ok().map(|membership| membership.status)
}

#[tokio::test]
async fn each_row_is_done_or_refused_with_its_reason_and_the_last_owner_stays() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    let owner = app.member(&acme, "olga@acme.test", roles::OWNER).await;
    let ada = app.member(&acme, "ada@acme.test", roles::MEMBER).await;
    let bob = app.member(&acme, "bob@acme.test", roles::MEMBER).await;
    app.core.deactivate_membership(&system(), &bob.id).await.unwrap();
    let platform = app.member(&acme, "root@acme.test", roles::MEMBER).await;
    app.make_platform_admin("root@acme.test").await;
    let client = app.signed_in("root@acme.test").await;

    let (status, report) = bulk(
        &client,
        &[
            ("action", "deactivate"),
            ("scope", "selected"),
            ("membership_ids[]", owner.id.as_str()),
            ("membership_ids[]", ada.id.as_str()),
            ("membership_ids[]", bob.id.as_str()),
            ("membership_ids[]", platform.id.as_str()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{report}");
    let rows = rows(&report);
    let outcomes: Vec<(&str, &str)> = rows.iter().map(|(name, outcome, _)| (name.as_str(), outcome.as_str())).collect();
    assert_eq!(
        outcomes,
        [
            ("olga@acme.test", "refused"),
            ("ada@acme.test", "done"),
            ("bob@acme.test", "unchanged"),
            ("root@acme.test", "refused"),
        ]
    );
    assert!(rows[0].2.contains("last owner"), "{}", rows[0].2);
    assert!(rows[3].2.contains("yourself"), "{}", rows[3].2);
    assert_eq!(status_of(&app, &owner.id).await, Some(MembershipStatus::Active));
    assert_eq!(status_of(&app, &ada.id).await, Some(MembershipStatus::Inactive));
    assert_eq!(status_of(&app, &platform.id).await, Some(MembershipStatus::Active));

    // Removal of the last owner is refused too, and the others go.
    let (status, report) = bulk(
        &client,
        &[
            ("action", "remove"),
            ("confirm", "true"),
            ("membership_ids[]", owner.id.as_str()),
            ("membership_ids[]", ada.id.as_str()),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let rows = self::rows(&report);
    assert_eq!((rows[0].1.as_str(), rows[1].1.as_str()), ("refused", "done"));
    assert!(rows[0].2.contains("can't remove the last owner"), "{}", rows[0].2);
    assert_eq!(status_of(&app, &owner.id).await, Some(MembershipStatus::Active));
    assert_eq!(status_of(&app, &ada.id).await, None);
}

#[tokio::test]
async fn an_admin_is_refused_on_owners_rows_and_keeps_going() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    let first = app.member(&acme, "olga@acme.test", roles::OWNER).await;
    let second = app.member(&acme, "otto@acme.test", roles::OWNER).await;
    let mia = app.member(&acme, "mia@acme.test", roles::MEMBER).await;
    app.member(&acme, "admin@acme.test", roles::ADMIN).await;
    let client = app.signed_in("admin@acme.test").await;

    let (status, report) = bulk(
        &client,
        &[
            ("action", "set_role:admin"),
            ("membership_ids[]", first.id.as_str()),
            ("membership_ids[]", mia.id.as_str()),
            ("membership_ids[]", second.id.as_str()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{report}");
    let rows = rows(&report);
    assert_eq!(rows.iter().map(|(_, outcome, _)| outcome.as_str()).collect::<Vec<_>>(), ["refused", "done", "refused"]);
    assert!(rows[0].2.contains("Only owners"), "{}", rows[0].2);
    assert_eq!(rows[1].2, "Now has the Admin role.");
    for owner in [&first, &second] {
        assert!(app.core.get_membership(&system(), &owner.id).await.unwrap().has_role(roles::OWNER));
    }
    assert!(app.core.get_membership(&system(), &mia.id).await.unwrap().has_role(roles::ADMIN));

    // Handing out the owner role is not an admin's to do either: every row says so.
    let (_, report) = bulk(&client, &[("action", "set_role:owner"), ("membership_ids[]", mia.id.as_str())]).await;
    assert_eq!(self::rows(&report)[0].1, "refused");
    assert!(!app.core.get_membership(&system(), &mia.id).await.unwrap().has_role(roles::OWNER));
}

#[tokio::test]
async fn rows_of_another_organization_are_refused_without_saying_who_they_are() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    let globex = app.organization("Globex").await;
    app.member(&acme, "olga@acme.test", roles::OWNER).await;
    let ada = app.member(&acme, "ada@acme.test", roles::MEMBER).await;
    app.member(&globex, "gina@globex.test", roles::OWNER).await;
    let hank = app.member(&globex, "hank@globex.test", roles::MEMBER).await;
    // An owner, with the most reach a session has in its organization.
    app.member(&acme, "boss@acme.test", roles::OWNER).await;
    let client = app.signed_in("boss@acme.test").await;

    let (status, report) = bulk(
        &client,
        &[
            ("action", "remove"),
            ("confirm", "true"),
            ("membership_ids[]", hank.id.as_str()),
            ("membership_ids[]", ada.id.as_str()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{report}");
    let rows = rows(&report);
    assert_eq!(rows[0], (hank.id.to_string(), "refused".into(), "Not found in this organization.".into()));
    assert!(!report.to_string().contains("hank@globex.test"));
    assert_eq!(rows[1].1, "done");
    assert_eq!(status_of(&app, &hank.id).await, Some(MembershipStatus::Active));

    // A foreign filter cannot be smuggled in either: "matching" is always the session's organization.
    let (status, report) =
        bulk(&client, &[("action", "deactivate"), ("scope", "matching"), ("filter[search]", "hank")]).await;
    assert_eq!(status, 200);
    assert!(self::rows(&report).is_empty());
    assert_eq!(status_of(&app, &hank.id).await, Some(MembershipStatus::Active));
}

#[tokio::test]
async fn all_matching_is_resolved_on_the_server_from_the_filter() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    app.member(&acme, "olga@acme.test", roles::OWNER).await;
    let mut alis = Vec::new();
    for name in ["alice", "alina", "alistair"] {
        alis.push(app.member(&acme, &format!("{name}@acme.test"), roles::MEMBER).await);
    }
    let bob = app.member(&acme, "bob@acme.test", roles::MEMBER).await;
    let admin_ali = app.member(&acme, "ali.admin@acme.test", roles::ADMIN).await;
    app.member(&acme, "admin@acme.test", roles::ADMIN).await;
    let client = app.signed_in("admin@acme.test").await;

    // The ticked IDs are ignored when the scope is "matching": only the filter decides.
    let (status, report) = bulk(
        &client,
        &[
            ("action", "deactivate"),
            ("scope", "matching"),
            ("membership_ids[]", bob.id.as_str()),
            ("filter[search]", "ALI"),
            ("filter[role]", "member"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{report}");
    let mut names: Vec<String> =
        rows(&report).into_iter().map(|(name, outcome, _)| format!("{name} {outcome}")).collect();
    names.sort();
    assert_eq!(names, ["alice@acme.test done", "alina@acme.test done", "alistair@acme.test done"]);
    for ali in &alis {
        assert_eq!(status_of(&app, &ali.id).await, Some(MembershipStatus::Inactive));
    }
    assert_eq!(status_of(&app, &bob.id).await, Some(MembershipStatus::Active));
    assert_eq!(status_of(&app, &admin_ali.id).await, Some(MembershipStatus::Active));

    // The status filter narrows the same way; reactivating takes exactly the deactivated.
    let (_, report) =
        bulk(&client, &[("action", "reactivate"), ("scope", "matching"), ("filter[status]", "inactive")]).await;
    assert_eq!(self::rows(&report).len(), 3);
    assert!(self::rows(&report).iter().all(|(_, outcome, _)| outcome == "done"));

    // A filter the table itself would refuse is refused as a whole, naming the field.
    let (status, error) = bulk(
        &client,
        &[
            ("action", "deactivate"),
            ("scope", "matching"),
            ("filter[search]", "al"),
            ("filter[search_match]", "contains"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(error["Validation"][0]["field"], "search", "{error}");
}

#[tokio::test]
async fn invitations_are_resent_for_pending_rows_and_refused_for_the_others() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    app.member(&acme, "olga@acme.test", roles::OWNER).await;
    let joined = app.member(&acme, "ada@acme.test", roles::MEMBER).await;
    let invitee =
        app.core.create_user(&system(), NewUser { email: "pat@acme.test".into(), ..Default::default() }).await.unwrap();
    let pending = app
        .core
        .create_membership(
            &system(),
            NewMembership {
                organization_id: acme.id.clone(),
                user_id: invitee.id.clone(),
                role_slugs: vec![],
                status: MembershipStatus::Pending,
            },
        )
        .await
        .unwrap();
    let sent = app.invitation(&acme, "pat@acme.test").await;
    let never = app
        .core
        .create_user(&system(), NewUser { email: "quinn@acme.test".into(), ..Default::default() })
        .await
        .unwrap();
    let uninvited = app
        .core
        .create_membership(
            &system(),
            NewMembership {
                organization_id: acme.id.clone(),
                user_id: never.id,
                role_slugs: vec![],
                status: MembershipStatus::Pending,
            },
        )
        .await
        .unwrap();
    app.member(&acme, "admin@acme.test", roles::ADMIN).await;
    let client = app.signed_in("admin@acme.test").await;

    let (status, report) = bulk(
        &client,
        &[
            ("action", "resend_invitation"),
            ("membership_ids[]", pending.id.as_str()),
            ("membership_ids[]", joined.id.as_str()),
            ("membership_ids[]", uninvited.id.as_str()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{report}");
    let rows = rows(&report);
    assert_eq!(rows.iter().map(|(_, outcome, _)| outcome.as_str()).collect::<Vec<_>>(), ["done", "refused", "refused"]);
    assert!(rows[1].2.contains("already joined"), "{}", rows[1].2);
    assert!(rows[2].2.contains("no open invitation"), "{}", rows[2].2);
    let resent = app.core.get_invitation(&system(), &sent.id).await.unwrap();
    assert_ne!(resent.token, sent.token, "a resend issues a new link");
}

#[tokio::test]
async fn bad_input_is_a_field_error_and_members_are_refused() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    app.member(&acme, "olga@acme.test", roles::OWNER).await;
    let ada = app.member(&acme, "ada@acme.test", roles::MEMBER).await;
    app.member(&acme, "admin@acme.test", roles::ADMIN).await;
    let admin = app.signed_in("admin@acme.test").await;

    let (status, error) = bulk(&admin, &[("action", "deactivate")]).await;
    assert_eq!(status, 422);
    assert_eq!(error["Validation"][0]["field"], "membership_ids", "{error}");
    let (status, error) = bulk(&admin, &[("action", ""), ("membership_ids[]", ada.id.as_str())]).await;
    assert_eq!(status, 422);
    assert_eq!(error["Validation"][0]["field"], "action", "{error}");
    let (status, error) = bulk(&admin, &[("action", "set_role:wizard"), ("membership_ids[]", ada.id.as_str())]).await;
    assert_eq!(status, 422);
    assert_eq!(error["Validation"][0]["field"], "role", "{error}");
    // Removing asks for its confirmation.
    let (status, error) = bulk(&admin, &[("action", "remove"), ("membership_ids[]", ada.id.as_str())]).await;
    assert_eq!(status, 422);
    assert_eq!(error["Validation"][0]["field"], "confirm", "{error}");
    // IDs are parsed at the edge: a malformed one is refused before anything runs.
    let (status, _) = bulk(&admin, &[("action", "remove"), ("membership_ids[]", "om_x' OR 1=1")]).await;
    assert_eq!(status, 400);
    assert_eq!(status_of(&app, &ada.id).await, Some(MembershipStatus::Active));

    let member = app.signed_in("ada@acme.test").await;
    let (status, _) = bulk(&member, &[("action", "remove"), ("membership_ids[]", ada.id.as_str())]).await;
    assert_eq!(status, 403);
    assert_eq!(status_of(&app, &ada.id).await, Some(MembershipStatus::Active));
}

#[tokio::test]
async fn a_plain_form_is_sent_back_to_the_table_with_its_report() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    let globex = app.organization("Globex").await;
    app.member(&acme, "olga@acme.test", roles::OWNER).await;
    let ada = app.member(&acme, "ada@acme.test", roles::MEMBER).await;
    app.member(&acme, "admin@acme.test", roles::ADMIN).await;
    app.member(&globex, "admin@globex.test", roles::OWNER).await;
    let client = app.signed_in("admin@acme.test").await;

    let response = client
        .http
        .post(format!("{}/api/bulk-members", app.base))
        .header("Origin", &app.base)
        .header("Accept", "text/html")
        .header("Referer", format!("{}/users?q=ad&limit=25", app.base))
        .form(&[("action", "deactivate"), ("membership_ids[]", ada.id.as_str())])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let id = location.strip_prefix("/users?q=ad&limit=25&bulk_report=").unwrap_or_else(|| panic!("{location}"));
    assert_eq!(status_of(&app, &ada.id).await, Some(MembershipStatus::Inactive));

    let response = client.form("/api/bulk-report", &[("report_id", id)]).await;
    assert_eq!(response.status(), 200);
    let report = body(response).await;
    assert_eq!(rows(&report), [("ada@acme.test".into(), "done".into(), "Deactivated.".into())]);

    // The report stays in its organization.
    let stranger = app.signed_in("admin@globex.test").await;
    assert_eq!(stranger.form("/api/bulk-report", &[("report_id", id)]).await.status(), 404);
    assert_eq!(client.form("/api/bulk-report", &[("report_id", "nonsense")]).await.status(), 404);
}
