//! The user detail page's server functions over HTTP: who sees which memberships, sessions
//! and activity; the profile editor; and the refusals (another organization's admin, an admin
//! acting on an owner, a non-platform admin setting a password or deleting a user).

use crate::helpers::*;
use app::directory::*;
use app::model::*;
use serde_json::Value;

/// Acme (owner, admin, and Bob, a member also in Globex) and Globex (its own admin).
struct People {
    acme: Organization,
    globex: Organization,
    bob: User,
    bob_in_acme: OrganizationMembership,
    owner: OrganizationMembership,
}

async fn people(app: &TestApp) -> People {
    let acme = app.organization("Acme").await;
    let globex = app.organization("Globex").await;
    let owner = app.member(&acme, "owner@acme.test", roles::OWNER).await;
    app.member(&acme, "admin@acme.test", roles::ADMIN).await;
    app.member(&globex, "admin@globex.test", roles::OWNER).await;
    let bob_in_acme = app.member(&acme, "bob@acme.test", roles::MEMBER).await;
    let bob = app.core.get_user(&system(), &bob_in_acme.user_id).await.unwrap();
    People { acme, globex, bob, bob_in_acme, owner }
}

/// Bob joins Globex too, so he is no longer Acme's alone.
async fn share_bob(app: &TestApp, people: &People) {
    let membership = NewMembership {
        organization_id: people.globex.id.clone(),
        user_id: people.bob.id.clone(),
        role_slugs: vec![roles::MEMBER.into()],
        status: MembershipStatus::Active,
    };
    app.core.create_membership(&system(), membership).await.unwrap();
}

/// A platform admin who is a plain member of Acme.
async fn platform_admin(app: &TestApp, acme: &Organization) -> Client {
    let membership = app.member(acme, "root@roster.test", roles::MEMBER).await;
    let mut conn = app.core.store().read().await.unwrap();
    server::store::db::query("UPDATE users SET is_platform_admin = 1 WHERE id = $1")
        .bind(membership.user_id.as_str())
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    app.signed_in("root@roster.test").await
}

fn field_of(value: &Value) -> Option<&str> {
    value["Validation"][0]["field"].as_str()
}

#[tokio::test]
async fn an_admin_of_another_organization_gets_not_found() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let globex_admin = app.signed_in("admin@globex.test").await;
    let bob = people.bob.id.to_string();
    for path in ["/api/user-detail", "/api/user-sessions", "/api/user-activity"] {
        let response = globex_admin.form(path, &[("user_id", bob.as_str())]).await;
        assert_eq!(response.status(), 404, "{path}");
    }
    let reset = globex_admin.form("/api/user-account-action", &[("user_id", &bob), ("action", "password_reset")]).await;
    assert_eq!(reset.status(), 404);
    let membership = people.bob_in_acme.id.to_string();
    let change = globex_admin
        .form("/api/change-user-membership", &[("user_id", &bob), ("membership_id", &membership), ("change", "remove")])
        .await;
    assert_eq!(change.status(), 404);
    assert!(app.core.get_membership(&system(), &people.bob_in_acme.id).await.is_ok());
}

#[tokio::test]
async fn an_organization_admin_sees_only_their_membership_and_a_platform_admin_sees_all() {
    let app = spawn_app().await;
    let people = people(&app).await;
    share_bob(&app, &people).await;
    let bob = people.bob.id.to_string();
    let admin = app.signed_in("admin@acme.test").await;
    let seen = body(admin.form("/api/user-detail", &[("user_id", &bob)]).await).await;
    let names: Vec<&str> = seen["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["membership"]["organization_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Acme"]);
    assert_eq!(seen["is_platform_admin"], false);
    // Admins are not offered the owner role.
    let offered: Vec<&str> =
        seen["memberships"][0]["roles"].as_array().unwrap().iter().map(|r| r["slug"].as_str().unwrap()).collect();
    assert!(!offered.contains(&"owner"), "{offered:?}");

    let root = platform_admin(&app, &people.acme).await;
    let seen = body(root.form("/api/user-detail", &[("user_id", &bob)]).await).await;
    let mut names: Vec<&str> = seen["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["membership"]["organization_name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["Acme", "Globex"]);
    assert_eq!(seen["is_platform_admin"], true);
}

#[tokio::test]
async fn an_admin_cannot_act_on_an_owner() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let admin = app.signed_in("admin@acme.test").await;
    let owner = people.owner.user_id.to_string();
    let membership = people.owner.id.to_string();
    let demote = admin
        .form(
            "/api/set-membership-roles",
            &[("user_id", &owner), ("membership_id", &membership), ("roles[]", "member")],
        )
        .await;
    assert_eq!(demote.status(), 403);
    for change in ["deactivate", "remove"] {
        let response = admin
            .form(
                "/api/change-user-membership",
                &[("user_id", &owner), ("membership_id", &membership), ("change", change)],
            )
            .await;
        assert_eq!(response.status(), 403, "{change}");
    }
    // The page marks the owner's membership as locked for an admin.
    let seen = body(admin.form("/api/user-detail", &[("user_id", &owner)]).await).await;
    assert_eq!(seen["memberships"][0]["locked"], true);
    // A membership of someone else cannot be changed through this user's page.
    let bob = people.bob.id.to_string();
    let crossed = admin
        .form("/api/change-user-membership", &[("user_id", &bob), ("membership_id", &membership), ("change", "remove")])
        .await;
    assert_eq!(crossed.status(), 404);
}

#[tokio::test]
async fn only_platform_admins_set_passwords_and_delete_users() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let bob = people.bob.id.to_string();
    let owner = app.signed_in("owner@acme.test").await;
    let password =
        owner.form("/api/set-user-password", &[("user_id", &bob), ("password", "a brand new password")]).await;
    assert_eq!(password.status(), 403);
    let delete = owner.form("/api/delete-user", &[("user_id", &bob), ("confirm_email", "bob@acme.test")]).await;
    assert_eq!(delete.status(), 403);

    let root = platform_admin(&app, &people.acme).await;
    let short = root.form("/api/set-user-password", &[("user_id", &bob), ("password", "short")]).await;
    assert_eq!(short.status(), 422);
    assert_eq!(field_of(&body(short).await), Some("password"));
    let bob_session = app.signed_in("bob@acme.test").await;
    let set = root.form("/api/set-user-password", &[("user_id", &bob), ("password", "a brand new password")]).await;
    assert_eq!(set.status(), 200);
    // A new password ends Bob's sessions.
    assert_eq!(bob_session.json("/api/my-memberships", serde_json::json!({})).await.status(), 401);

    let mistyped = root.form("/api/delete-user", &[("user_id", &bob), ("confirm_email", "bob@acme.tes")]).await;
    assert_eq!(mistyped.status(), 422);
    assert_eq!(field_of(&body(mistyped).await), Some("confirm_email"));
    let deleted = root.form("/api/delete-user", &[("user_id", &bob), ("confirm_email", " BOB@acme.test ")]).await;
    assert_eq!(deleted.status(), 200);
    assert!(app.core.get_user(&system(), &people.bob.id).await.is_err());
}

#[tokio::test]
async fn the_profile_editor_saves_changed_fields_and_reports_bad_ones_by_field() {
    let app = spawn_app().await;
    let people = people(&app).await;
    share_bob(&app, &people).await;
    let bob = people.bob.id.to_string();
    let admin = app.signed_in("admin@acme.test").await;
    let form = |first: &'static str, key: String, value: &'static str| {
        vec![
            ("user_id".to_owned(), bob.clone()),
            ("email".to_owned(), "bob@acme.test".to_owned()),
            ("first_name".to_owned(), first.to_owned()),
            ("last_name".to_owned(), "Builder".to_owned()),
            ("profile_picture_url".to_owned(), "https://pictures.test/bob.png".to_owned()),
            ("external_id".to_owned(), "ext-bob".to_owned()),
            ("metadata[0][key]".to_owned(), key),
            ("metadata[0][value]".to_owned(), value.to_owned()),
            ("metadata[1][key]".to_owned(), String::new()),
            ("metadata[1][value]".to_owned(), String::new()),
        ]
    };
    let send = |fields: Vec<(String, String)>| {
        let admin = &admin;
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            admin.form("/api/update-profile", &fields).await
        }
    };
    // Bob is shared with Globex, so Acme's admin may not change his email, but the unchanged
    // email is not sent: renaming him works.
    let saved = send(form("Bob", "team".into(), "core")).await;
    assert_eq!(saved.status(), 200, "{:?}", saved.text().await);
    let user = app.core.get_user(&system(), &people.bob.id).await.unwrap();
    assert_eq!(user.first_name.as_deref(), Some("Bob"));
    assert_eq!(user.profile_picture_url.as_deref(), Some("https://pictures.test/bob.png"));
    assert_eq!(user.external_id.as_deref(), Some("ext-bob"));
    assert_eq!(user.metadata.get("team").map(String::as_str), Some("core"));

    let long_key = send(form("Bob", "k".repeat(41), "v")).await;
    assert_eq!(long_key.status(), 422);
    assert_eq!(field_of(&body(long_key).await), Some("metadata"));
    let mut bad_picture = form("Bob", "team".into(), "core");
    bad_picture[4].1 = "javascript:alert(1)".into();
    let bad_picture = send(bad_picture).await;
    assert_eq!(bad_picture.status(), 422);
    assert_eq!(field_of(&body(bad_picture).await), Some("profile_picture_url"));
    let mut new_email = form("Bob", "team".into(), "core");
    new_email[1].1 = "bob@elsewhere.test".into();
    assert_eq!(send(new_email).await.status(), 403, "a shared user's email is not Acme's to change");

    // Clearing the row removes the key.
    let cleared = send(form("Bob", String::new(), "")).await;
    assert_eq!(cleared.status(), 200);
    assert!(app.core.get_user(&system(), &people.bob.id).await.unwrap().metadata.is_empty());

    let activity = body(admin.form("/api/user-activity", &[("user_id", &bob)]).await).await;
    let texts: Vec<&str> = activity["data"].as_array().unwrap().iter().map(|e| e["text"].as_str().unwrap()).collect();
    assert!(texts.contains(&"admin@acme.test changed Bob Builder's metadata"), "{texts:?}");
    assert!(
        texts.iter().any(
            |text| text.starts_with("admin@acme.test changed Bob Builder's first name, last name, profile picture")
        ),
        "{texts:?}"
    );
    // Globex's events about Bob are not Acme's to read.
    assert!(!texts.iter().any(|text| text.contains("Globex")), "{texts:?}");
}

#[tokio::test]
async fn roles_are_assigned_per_organization_and_read_back_as_activity() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let bob = people.bob.id.to_string();
    let membership = people.bob_in_acme.id.to_string();
    let admin = app.signed_in("admin@acme.test").await;
    let promote = admin
        .form("/api/set-membership-roles", &[("user_id", &bob), ("membership_id", &membership), ("roles[]", "admin")])
        .await;
    assert_eq!(promote.status(), 200);
    let none = admin.form("/api/set-membership-roles", &[("user_id", &bob), ("membership_id", &membership)]).await;
    assert_eq!(none.status(), 422);
    assert_eq!(field_of(&body(none).await), Some("role_slugs"));
    // Several roles: allowed or refused by the environment's setting, and if refused, the
    // error names the roles field so the page shows it there.
    let several = admin
        .form(
            "/api/set-membership-roles",
            &[("user_id", &bob), ("membership_id", &membership), ("roles[]", "admin"), ("roles[]", "member")],
        )
        .await;
    if several.status() != 200 {
        assert_eq!(several.status(), 422);
        assert_eq!(field_of(&body(several).await), Some("role_slugs"));
    }
    let activity = body(admin.form("/api/user-activity", &[("user_id", &bob)]).await).await;
    let texts: Vec<&str> = activity["data"].as_array().unwrap().iter().map(|e| e["text"].as_str().unwrap()).collect();
    assert!(texts.contains(&"admin@acme.test changed bob@acme.test's role in Acme to admin"), "{texts:?}");
}

#[tokio::test]
async fn sessions_are_listed_with_their_kind_and_end_one_by_one_or_all_at_once() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let bob = people.bob.id.to_string();
    let first = app.signed_in("bob@acme.test").await;
    let second = app.signed_in("bob@acme.test").await;
    let admin = app.signed_in("admin@acme.test").await;
    let sessions = body(admin.form("/api/user-sessions", &[("user_id", &bob)]).await).await;
    let data = sessions["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert!(data.iter().all(|s| s["kind"] == "dashboard" && s["organization_name"] == "Acme"), "{data:?}");
    assert!(data.iter().all(|s| s["last_active_at"].is_string()), "signing in counts as activity: {data:?}");
    let newest = data[0]["session"]["id"].as_str().unwrap().to_owned();
    let ended = admin.form("/api/revoke-user-session", &[("user_id", &bob), ("session_id", &newest)]).await;
    assert_eq!(ended.status(), 200);
    assert_eq!(second.json("/api/my-memberships", serde_json::json!({})).await.status(), 401);
    assert_eq!(first.json("/api/my-memberships", serde_json::json!({})).await.status(), 200);
    // Bob's session is not another user's page to end.
    let older = data[1]["session"]["id"].as_str().unwrap().to_owned();
    let owner = people.owner.user_id.as_str();
    let crossed = admin.form("/api/revoke-user-session", &[("user_id", owner), ("session_id", &older)]).await;
    assert_eq!(crossed.status(), 404);
    assert_eq!(first.json("/api/my-memberships", serde_json::json!({})).await.status(), 200);

    let all = admin.form("/api/user-account-action", &[("user_id", &bob), ("action", "revoke_all_sessions")]).await;
    assert_eq!(all.status(), 200);
    assert_eq!(body(all).await, "Ended 1 session.");
    assert_eq!(first.json("/api/my-memberships", serde_json::json!({})).await.status(), 401);
    let activity = body(admin.form("/api/user-activity", &[("user_id", &bob)]).await).await;
    let texts: Vec<&str> = activity["data"].as_array().unwrap().iter().map(|e| e["text"].as_str().unwrap()).collect();
    assert_eq!(texts.iter().filter(|text| **text == "admin@acme.test ended a session of bob@acme.test").count(), 2);
    assert!(texts.contains(&"bob@acme.test signed in with a password"), "{texts:?}");
}

#[tokio::test]
async fn reset_links_and_verification_codes_go_to_the_outbox_for_users_wholly_inside_the_organization() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let bob = people.bob.id.to_string();
    let admin = app.signed_in("admin@acme.test").await;
    for action in ["password_reset", "email_verification"] {
        let response = admin.form("/api/user-account-action", &[("user_id", &bob), ("action", action)]).await;
        assert_eq!(response.status(), 200, "{action}");
    }
    let outbox = app.core.list_outbox(&system(), Page::default()).await.unwrap();
    assert!(outbox.data.iter().filter(|message| message.recipient == "bob@acme.test").count() >= 2);
    // Once Bob is also Globex's, Acme's admin may no longer send him credentials.
    share_bob(&app, &people).await;
    let refused = admin.form("/api/user-account-action", &[("user_id", &bob), ("action", "password_reset")]).await;
    assert_eq!(refused.status(), 403);
    let refused = admin.form("/api/user-account-action", &[("user_id", &bob), ("action", "revoke_all_sessions")]).await;
    assert_eq!(refused.status(), 403);
}

#[tokio::test]
async fn the_page_renders_on_the_server_with_the_users_name() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let admin = app.signed_in("admin@acme.test").await;
    let page = admin.get(&format!("/users/{}", people.bob.id)).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("bob@acme.test"), "the profile is server-rendered");
    assert!(html.contains("Memberships") && html.contains("Activity"));
}
