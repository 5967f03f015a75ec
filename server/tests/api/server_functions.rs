//! The dashboard's server functions over HTTP: sessions, authorization, origins, bad input.

use crate::helpers::*;
use app::directory::*;
use app::model::*;
use serde_json::json;

async fn acme_and_globex(app: &TestApp) -> (Organization, Organization) {
    let acme = app.organization("Acme").await;
    let globex = app.organization("Globex").await;
    app.member(&acme, "owner@acme.test", roles::OWNER).await;
    app.member(&acme, "admin@acme.test", roles::ADMIN).await;
    app.member(&globex, "owner@globex.test", roles::OWNER).await;
    (acme, globex)
}

fn members_query() -> serde_json::Value {
    json!({ "filter": { "search": null, "role": null, "status": null }, "page": { "limit": 50, "before": null, "after": null, "order": "desc" } })
}

#[tokio::test]
async fn signing_in_sets_an_http_only_lax_cookie_and_wrong_credentials_fail_alike() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    app.member(&acme, "ada@acme.test", roles::ADMIN).await;
    let client = app.client();

    let ok = client.form("/api/login", &[("email", "ada@acme.test"), ("password", PASSWORD)]).await;
    assert_eq!(ok.status(), 200);
    let cookie = ok.headers().get("set-cookie").expect("a session cookie").to_str().unwrap().to_owned();
    assert!(cookie.starts_with("roster_session="));
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains("Secure"));

    let wrong_password =
        app.client().form("/api/login", &[("email", "ada@acme.test"), ("password", "nope nope")]).await;
    let unknown_email = app.client().form("/api/login", &[("email", "bob@acme.test"), ("password", PASSWORD)]).await;
    assert_eq!(wrong_password.status(), 400);
    assert_eq!(unknown_email.status(), 400);
    assert_eq!(body(wrong_password).await, body(unknown_email).await);
}

#[tokio::test]
async fn signing_out_ends_the_session_in_the_store() {
    let app = spawn_app().await;
    let (_, _) = acme_and_globex(&app).await;
    let client = app.signed_in("admin@acme.test").await;
    assert_eq!(client.json("/api/members", members_query()).await.status(), 200);
    let cookie = client.http.clone();
    assert_eq!(client.form("/api/logout", &[]).await.status(), 200);
    // The jar dropped the cookie; replay the old one by hand.
    let replay = app.client();
    let _ = cookie;
    let response = replay.json("/api/members", members_query()).await;
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn a_replayed_cookie_stops_working_after_sign_out() {
    let app = spawn_app().await;
    acme_and_globex(&app).await;
    let login = app.client().form("/api/login", &[("email", "admin@acme.test"), ("password", PASSWORD)]).await;
    let cookie = login.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_owned();
    let raw = reqwest::Client::new();
    let call = |path: &'static str| {
        raw.post(format!("{}{path}", app.base))
            .header("Cookie", &cookie)
            .header("Origin", &app.base)
            .header("Accept", "application/json")
            .json(&members_query())
    };
    assert_eq!(call("/api/members").send().await.unwrap().status(), 200);
    assert_eq!(call("/api/logout").send().await.unwrap().status(), 200);
    assert_eq!(call("/api/members").send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn unauthenticated_calls_get_401() {
    let app = spawn_app().await;
    let client = app.client();
    assert_eq!(client.json("/api/members", members_query()).await.status(), 401);
    assert_eq!(
        client.form("/api/invite", &[("email", "x@y.test"), ("role_slug", ""), ("expires_in_days", "")]).await.status(),
        401
    );
    // The viewer of an anonymous request is simply nobody.
    let viewer = client.json("/api/viewer", json!({})).await;
    assert_eq!(viewer.status(), 200);
    assert_eq!(body(viewer).await, json!(null));
}

#[tokio::test]
async fn an_admin_of_one_organization_cannot_read_or_change_another() {
    let app = spawn_app().await;
    let (acme, globex) = acme_and_globex(&app).await;
    let theirs = app.member(&globex, "hank@globex.test", roles::MEMBER).await;
    let their_invitation = app.invitation(&globex, "new@globex.test").await;
    let client = app.signed_in("admin@acme.test").await;

    let listed = body(client.json("/api/members", members_query()).await).await;
    let emails: Vec<&str> =
        listed["data"].as_array().unwrap().iter().map(|m| m["user"]["email"].as_str().unwrap()).collect();
    assert_eq!(emails, ["admin@acme.test", "owner@acme.test"]);

    for change in ["set_role", "deactivate", "reactivate", "remove"] {
        let response = client
            .form("/api/change-member", &[("membership_id", theirs.id.as_str()), ("change", change), ("role", "admin")])
            .await;
        assert_eq!(response.status(), 404, "{change}");
    }
    let unchanged = app.core.get_membership(&system(), &theirs.id).await.unwrap();
    assert_eq!(unchanged, theirs);

    for change in ["resend", "revoke"] {
        let response = client
            .form("/api/change-invitation", &[("invitation_id", their_invitation.id.as_str()), ("change", change)])
            .await;
        assert_eq!(response.status(), 404, "{change}");
    }
    let still = app.core.get_invitation(&system(), &their_invitation.id).await.unwrap();
    assert_eq!((still.state, still.token), (InvitationState::Pending, their_invitation.token));

    // Invitations always go to the session's organization; there is no argument to aim elsewhere.
    let sent = client
        .form("/api/invite", &[("email", "new@acme.test"), ("role_slug", "member"), ("expires_in_days", "3")])
        .await;
    assert_eq!(sent.status(), 200);
    assert_eq!(body(sent).await["organization_id"], json!(acme.id));
    let listed = body(
        client
            .json(
                "/api/invitations",
                json!({ "page": { "limit": 25, "before": null, "after": null, "order": "desc" } }),
            )
            .await,
    )
    .await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_member_cannot_call_admin_server_functions() {
    let app = spawn_app().await;
    let (acme, _) = acme_and_globex(&app).await;
    let membership = app.member(&acme, "mia@acme.test", roles::MEMBER).await;
    let client = app.signed_in("mia@acme.test").await;

    assert_eq!(client.json("/api/members", members_query()).await.status(), 403);
    assert_eq!(client.json("/api/roles", json!({})).await.status(), 403);
    assert_eq!(
        client
            .json(
                "/api/invitations",
                json!({ "page": { "limit": 10, "before": null, "after": null, "order": "desc" } })
            )
            .await
            .status(),
        403
    );
    let invite =
        client.form("/api/invite", &[("email", "x@acme.test"), ("role_slug", "admin"), ("expires_in_days", "7")]).await;
    assert_eq!(invite.status(), 403);
    let outbox_page = json!({ "page": { "limit": 10, "before": null, "after": null, "order": "desc" } });
    assert_eq!(client.json("/api/outbox", outbox_page.clone()).await.status(), 403);
    // An organization's owner is no platform admin either: the outbox spans every organization.
    app.member(&acme, "olga@acme.test", roles::OWNER).await;
    let owner = app.signed_in("olga@acme.test").await;
    assert_eq!(owner.json("/api/outbox", outbox_page).await.status(), 403);
    let promote = client
        .form(
            "/api/change-member",
            &[("membership_id", membership.id.as_str()), ("change", "set_role"), ("role", "owner")],
        )
        .await;
    assert_eq!(promote.status(), 403);
    assert_eq!(app.core.get_membership(&system(), &membership.id).await.unwrap().role.slug, "member");

    assert_eq!(client.json("/api/my-memberships", json!({})).await.status(), 200);
    let viewer = body(client.json("/api/viewer", json!({})).await).await;
    assert_eq!(viewer["is_admin"], json!(false));
}

#[tokio::test]
async fn state_changing_calls_from_another_origin_are_refused() {
    let app = spawn_app().await;
    let (acme, _) = acme_and_globex(&app).await;
    let target = app.member(&acme, "mia@acme.test", roles::MEMBER).await;
    let client = app.signed_in("admin@acme.test").await;
    let evil = client.with_origin("http://evil.test");
    let fields = [("membership_id", target.id.as_str()), ("change", "remove"), ("role", "")];
    assert_eq!(evil.form("/api/change-member", &fields).await.status(), 403);
    assert_eq!(
        evil.form("/api/invite", &[("email", "x@acme.test"), ("role_slug", ""), ("expires_in_days", "")])
            .await
            .status(),
        403
    );
    assert!(app.core.get_membership(&system(), &target.id).await.is_ok(), "nothing was removed");

    let sneaky = client
        .http
        .post(format!("{}/api/change-member", app.base))
        .header("Sec-Fetch-Site", "cross-site")
        .header("Accept", "application/json")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(sneaky.status(), 403);
    assert!(app.core.get_membership(&system(), &target.id).await.is_ok());

    assert_eq!(client.form("/api/change-member", &fields).await.status(), 200);
    assert!(app.core.get_membership(&system(), &target.id).await.is_err(), "the same-origin call worked");
}

#[tokio::test]
async fn bad_input_gets_a_field_error_and_changes_nothing() {
    let app = spawn_app().await;
    acme_and_globex(&app).await;
    let client = app.signed_in("admin@acme.test").await;
    let invite = |email: &'static str, role: &'static str, days: &'static str| {
        let client = &client;
        async move { client.form("/api/invite", &[("email", email), ("role_slug", role), ("expires_in_days", days)]).await }
    };
    let field_of = |value: serde_json::Value| value["Validation"][0]["field"].as_str().map(str::to_owned);

    let malformed = invite("not-an-email", "member", "7").await;
    assert_eq!(malformed.status(), 422);
    assert_eq!(field_of(body(malformed).await).as_deref(), Some("email"));

    let long_email: &'static str = Box::leak(format!("{}@acme.test", "a".repeat(260)).into_boxed_str());
    let too_long = invite(long_email, "member", "7").await;
    assert_eq!(too_long.status(), 422);
    assert_eq!(field_of(body(too_long).await).as_deref(), Some("email"));

    for days in ["0", "31", "seven"] {
        let response = invite("new@acme.test", "member", days).await;
        assert_eq!(response.status(), 422, "{days} days");
        assert_eq!(field_of(body(response).await).as_deref(), Some("expires_in_days"));
    }
    let unknown_role = invite("new@acme.test", "wizard", "7").await;
    assert_eq!(unknown_role.status(), 422);
    assert_eq!(field_of(body(unknown_role).await).as_deref(), Some("role_slug"));

    let missing_field = client.form("/api/invite", &[("email", "new@acme.test")]).await;
    assert_eq!(missing_field.status(), 400);

    for id in ["om_01H5JQDV7R7ATEYZDEG0W5PRYS", "not-an-id", "org_01H5JQDV7R7ATEYZDEG0W5PRYS"] {
        let response =
            client.form("/api/change-member", &[("membership_id", id), ("change", "deactivate"), ("role", "")]).await;
        assert_eq!(response.status(), 404, "{id}");
    }
    let bad_change = client
        .form(
            "/api/change-member",
            &[("membership_id", "om_01H5JQDV7R7ATEYZDEG0W5PRYS"), ("change", "explode"), ("role", "")],
        )
        .await;
    assert_eq!(bad_change.status(), 400);

    let invitations = app.core.list_invitations(&system(), InvitationQuery::default()).await.unwrap();
    assert!(invitations.data.is_empty(), "no invitation was created");
}

#[tokio::test]
async fn the_last_owner_stays_an_active_owner() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    let owner = app.member(&acme, "owner@acme.test", roles::OWNER).await;
    let client = app.signed_in("owner@acme.test").await;
    for (change, role) in [("set_role", "member"), ("deactivate", ""), ("remove", "")] {
        let response = client
            .form("/api/change-member", &[("membership_id", owner.id.as_str()), ("change", change), ("role", role)])
            .await;
        assert_eq!(response.status(), 409, "{change}");
        assert_eq!(body(response).await["Conflict"]["code"], json!("last_owner"));
    }
    assert_eq!(app.core.get_membership(&system(), &owner.id).await.unwrap(), owner);
}

#[tokio::test]
async fn member_changes_work_over_http() {
    let app = spawn_app().await;
    let (acme, _) = acme_and_globex(&app).await;
    let mia = app.member(&acme, "mia@acme.test", roles::MEMBER).await;
    let client = app.signed_in("admin@acme.test").await;
    let change = |change: &'static str, role: &'static str| {
        let (client, id) = (&client, mia.id.to_string());
        async move {
            client
                .form("/api/change-member", &[("membership_id", id.as_str()), ("change", change), ("role", role)])
                .await
        }
    };
    assert_eq!(change("set_role", "admin").await.status(), 200);
    assert_eq!(change("deactivate", "").await.status(), 200);
    let inactive = app.core.get_membership(&system(), &mia.id).await.unwrap();
    assert_eq!((inactive.status, inactive.role.slug.as_str()), (MembershipStatus::Inactive, "admin"));
    assert_eq!(change("reactivate", "").await.status(), 200);
    let active = app.core.get_membership(&system(), &mia.id).await.unwrap();
    assert_eq!((active.status, active.role.slug.as_str()), (MembershipStatus::Active, "admin"));
    assert_eq!(change("remove", "").await.status(), 200);
    assert!(app.core.get_membership(&system(), &mia.id).await.is_err());
}

#[tokio::test]
async fn plain_html_forms_are_answered_with_redirects() {
    let app = spawn_app().await;
    acme_and_globex(&app).await;
    let form = |password: &'static str| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(format!("{}/api/login", app.base))
            .header("Accept", "text/html")
            .header("Origin", &app.base)
            .header("Referer", format!("{}/login", app.base))
            .form(&[("email", "admin@acme.test"), ("password", password)])
            .send()
    };
    let wrong = form("nope nope").await.unwrap();
    assert!(wrong.status().is_redirection());
    let location = wrong.headers()["location"].to_str().unwrap();
    assert!(location.contains("/login") && location.contains("__err="), "{location}");

    let right = form(PASSWORD).await.unwrap();
    assert!(right.status().is_redirection());
    assert!(right.headers().get("set-cookie").is_some());
    assert_eq!(right.headers()["location"], "/");
}

#[tokio::test]
async fn an_invitation_link_signs_its_holder_in_once_and_only_from_this_site() {
    let app = spawn_app().await;
    let (acme, _) = acme_and_globex(&app).await;
    let invitation = app.invitation(&acme, "new@acme.test").await;
    let fields = [
        ("invitation_token", invitation.token.as_str()),
        ("first_name", "Nia"),
        ("last_name", ""),
        ("password", "a long enough secret"),
    ];

    let foreign = app.client().with_origin("http://evil.test");
    assert_eq!(foreign.form("/api/accept-invitation-new", &fields).await.status(), 403);
    let unknown = [("invitation_token", "nope"), ("first_name", ""), ("last_name", ""), ("password", "whatever123")];
    assert_eq!(app.client().form("/api/accept-invitation-new", &unknown).await.status(), 404);
    let short = [fields[0], fields[1], fields[2], ("password", "short")];
    let refused = app.client().form("/api/accept-invitation-new", &short).await;
    assert_eq!(refused.status(), 422);
    assert!(body(refused).await.to_string().contains("password"));

    let invitee = app.client();
    let accepted = invitee.form("/api/accept-invitation-new", &fields).await;
    assert_eq!(accepted.status(), 200);
    assert!(accepted.headers().get("set-cookie").is_some_and(|c| c.to_str().unwrap().contains("HttpOnly")));
    assert_eq!(invitee.json("/api/viewer", serde_json::json!({})).await.status(), 200);
    let (_, preview) = answer(app.client().form("/api/invitation-preview", &[fields[0]]).await).await;
    assert_eq!(preview["state"], "accepted");
    assert_eq!(app.client().form("/api/accept-invitation-new", &fields).await.status(), 409);
}
