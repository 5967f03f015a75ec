//! The REST API's error paths and wire details, route by route.

use crate::helpers::*;
use app::directory::*;
use app::model::*;
use reqwest::Method;
use serde_json::json;

fn field(body: &serde_json::Value) -> Option<&str> {
    body["errors"][0]["field"].as_str()
}

#[tokio::test]
async fn calls_without_a_valid_key_get_401() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    for auth in [None, Some("Bearer sk_wrong"), Some("Basic abc")] {
        let mut request = client.get(format!("{}/user_management/users", app.base));
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        let (status, body) = answer(request.send().await.unwrap()).await;
        assert_eq!(status, 401, "{auth:?}");
        assert_eq!(body["code"], "unauthorized");
    }
    let key = app.api_key(None).await;
    let id = app.core.list_api_keys(&system()).await.unwrap()[0].id.clone();
    app.core.revoke_api_key(&system(), &id).await.unwrap();
    assert_eq!(key.get("/user_management/users").await.0, 401);
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_404_on_every_route() {
    let app = spawn_app().await;
    let api = app.api_key(None).await;
    let unknown = [
        "/user_management/users/user_01H5JQDV7R7ATEYZDEG0W5PRYS",
        "/user_management/users/not-an-id",
        "/user_management/users/external_id/nobody",
        "/user_management/users/user_01H5JQDV7R7ATEYZDEG0W5PRYS/sessions",
        "/organizations/org_01H5JQDV7R7ATEYZDEG0W5PRYS",
        "/organizations/external_id/nobody",
        "/organizations/org_01H5JQDV7R7ATEYZDEG0W5PRYS/roles",
        "/authorization/organizations/org_01H5JQDV7R7ATEYZDEG0W5PRYS/roles",
        "/user_management/organization_memberships/om_01H5JQDV7R7ATEYZDEG0W5PRYS",
        "/user_management/invitations/invitation_01H5JQDV7R7ATEYZDEG0W5PRYS",
        "/user_management/invitations/by_token/nope",
        "/user_management/email_verification/email_verification_01H5JQDV7R7ATEYZDEG0W5PRYS",
        "/user_management/password_reset/password_reset_01H5JQDV7R7ATEYZDEG0W5PRYS",
        "/user_management/magic_auth/magic_auth_01H5JQDV7R7ATEYZDEG0W5PRYS",
        "/user_management/no_such_thing",
    ];
    for path in unknown {
        let (status, body) = api.get(path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["code"], "entity_not_found", "{path}");
    }
    for (method, path) in [
        (Method::PUT, "/user_management/users/user_01H5JQDV7R7ATEYZDEG0W5PRYS"),
        (Method::DELETE, "/user_management/users/user_01H5JQDV7R7ATEYZDEG0W5PRYS"),
        (Method::PUT, "/user_management/organization_memberships/om_01H5JQDV7R7ATEYZDEG0W5PRYS/deactivate"),
        (Method::POST, "/user_management/invitations/invitation_01H5JQDV7R7ATEYZDEG0W5PRYS/revoke"),
        (Method::DELETE, "/organizations/org_01H5JQDV7R7ATEYZDEG0W5PRYS"),
    ] {
        assert_eq!(api.send(method.clone(), path, json!({})).await.0, 404, "{method} {path}");
    }
}

#[tokio::test]
async fn invalid_input_is_422_naming_the_field() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    let api = app.api_key(None).await;
    let cases = [
        (Method::POST, "/user_management/users", json!({ "email": "not-an-email" }), "email"),
        (Method::POST, "/user_management/users", json!({}), "email"),
        (Method::POST, "/user_management/users", json!({ "email": "a@b.test", "first_name": 7 }), "first_name"),
        (
            Method::POST,
            "/user_management/users",
            json!({ "email": "a@b.test", "metadata": { "k": "v".repeat(601) } }),
            "metadata",
        ),
        (
            Method::POST,
            "/user_management/users",
            json!({ "email": "a@b.test", "external_id": "x".repeat(65) }),
            "external_id",
        ),
        (
            Method::POST,
            "/user_management/users",
            json!({ "email": "a@b.test", "password_hash": "nope", "password_hash_type": "bcrypt" }),
            "password_hash",
        ),
        (
            Method::POST,
            "/organizations",
            json!({ "name": "X", "metadata": (0..51).map(|i| (format!("k{i}"), json!("v"))).collect::<serde_json::Map<_, _>>() }),
            "metadata",
        ),
        (
            Method::POST,
            "/organizations",
            json!({ "name": "X", "domain_data": [{ "domain": "not a domain", "state": "verified" }] }),
            "domain_data",
        ),
        (
            Method::POST,
            "/user_management/invitations",
            json!({ "email": "a@b.test", "organization_id": acme.id, "expires_in_days": 31 }),
            "expires_in_days",
        ),
        (
            Method::POST,
            "/user_management/invitations",
            json!({ "email": "a@b.test", "role_slug": "admin" }),
            "role_slug",
        ),
        (Method::POST, "/user_management/organization_memberships", json!({ "organization_id": acme.id }), "user_id"),
    ];
    for (method, path, body, expected) in cases {
        let (status, answer) = api.send(method.clone(), path, body.clone()).await;
        assert_eq!(status, 422, "{method} {path} {body}: {answer}");
        assert_eq!(field(&answer), Some(expected), "{answer}");
        assert_eq!(answer["code"], "invalid_request_parameters");
    }
    for path in [
        "/user_management/organization_memberships?organization_id=".to_owned()
            + acme.id.as_str()
            + "&statuses=active%2Cbanned",
        "/user_management/users?limit=1000".to_owned(),
        "/user_management/users?order=sideways".to_owned(),
    ] {
        let (status, answer) = api.get(&path).await;
        assert_eq!(status, 422, "{path}");
        assert!(field(&answer).is_some(), "{answer}");
    }
    let (status, _) = api.get("/user_management/users?organization_id=nope").await;
    assert_eq!(status, 422);
    assert!(app.core.list_users(&system(), UserQuery::default()).await.unwrap().data.is_empty(), "nothing was created");
}

#[tokio::test]
async fn malformed_json_is_a_400_not_a_500() {
    let app = spawn_app().await;
    let api = app.api_key(None).await;
    let response = api
        .request(Method::POST, "/user_management/users")
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (status, body) = answer(response).await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "bad_request");
}

#[tokio::test]
async fn an_organization_key_cannot_take_over_an_account_it_shares_or_pulls_in() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    let globex = app.organization("Globex").await;
    // The victim owns Globex and also belongs to Acme, as a platform admin often does.
    let victim = app.member(&globex, "root@globex.test", roles::OWNER).await;
    let user = app.core.get_user(&system(), &victim.user_id).await.unwrap();
    let membership = NewMembership {
        organization_id: acme.id.clone(),
        user_id: user.id.clone(),
        role_slugs: vec![roles::OWNER.into()],
        status: MembershipStatus::Active,
    };
    app.core.create_membership(&system(), membership).await.unwrap();
    let outsider = app.member(&globex, "hank@globex.test", roles::MEMBER).await;
    let api = app.api_key(Some(&acme)).await;
    let user_path = format!("/user_management/users/{}", user.id);

    // Setting the password, the email or a hash of the attacker's choosing is refused.
    for change in [
        json!({ "password": "attacker's password" }),
        json!({ "email": "attacker@evil.test", "email_verified": true }),
        json!({ "password_hash": "$2b$04$abcdefghijklmnopqrstuu5Xo0Wzjb8VpVBZ5Xk1Y8XNo3ZrYWiJC", "password_hash_type": "bcrypt" }),
    ] {
        let (status, body) = api.send(Method::PUT, &user_path, change.clone()).await;
        assert_eq!(status, 403, "{change}: {body}");
    }
    // So are the codes that would let the key sign in as them.
    for (path, body) in [
        ("/user_management/password_reset", json!({ "email": user.email })),
        ("/user_management/magic_auth", json!({ "email": user.email })),
    ] {
        assert_eq!(api.send(Method::POST, path, body).await.0, 403, "{path}");
    }
    let (status, _) = api.send(Method::POST, &format!("{user_path}/email_verification/send"), json!({})).await;
    assert_eq!(status, 403);
    // Its sessions elsewhere are invisible, and cannot be ended.
    let (status, sessions) = api.get(&format!("{user_path}/sessions")).await;
    assert_eq!((status, sessions["data"].clone()), (200, json!([])));

    // An outsider cannot be pulled in, by membership or by an invitation the key accepts.
    let pull_in = json!({ "organization_id": acme.id, "user_id": outsider.user_id });
    let (status, body) = api.send(Method::POST, "/user_management/organization_memberships", pull_in).await;
    assert_eq!(status, 422, "{body}");
    let (status, invitation) =
        api.send(Method::POST, "/user_management/invitations", json!({ "email": "hank@globex.test" })).await;
    assert_eq!(status, 201);
    let accept = format!("/user_management/invitations/{}/accept", invitation["id"].as_str().unwrap());
    assert_eq!(api.send(Method::POST, &accept, json!({})).await.0, 403);

    // Nothing changed: the victim still signs in with their own password only.
    app.signed_in("root@globex.test").await;
    let attacker =
        app.client().form("/api/login", &[("email", "root@globex.test"), ("password", "attacker's password")]).await;
    assert_eq!(attacker.status(), 400);
}

#[tokio::test]
async fn an_organization_key_sees_nothing_of_other_organizations() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    let globex = app.organization("Globex").await;
    let theirs = app.member(&globex, "hank@globex.test", roles::MEMBER).await;
    app.member(&acme, "ada@acme.test", roles::MEMBER).await;
    let invitation = app.invitation(&globex, "new@globex.test").await;
    let api = app.api_key(Some(&acme)).await;

    for path in [
        format!("/user_management/users?organization_id={}", globex.id),
        format!("/user_management/organization_memberships?organization_id={}", globex.id),
        format!("/user_management/invitations?organization_id={}", globex.id),
    ] {
        let (status, body) = api.get(&path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(body["data"], json!([]), "{path}");
    }
    let (_, users) = api.get("/user_management/users").await;
    let emails: Vec<&str> = users["data"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect();
    assert_eq!(emails, ["ada@acme.test"]);
    let (_, organizations) = api.get("/organizations").await;
    assert_eq!(organizations["data"].as_array().unwrap().len(), 1);
    for path in [
        format!("/organizations/{}", globex.id),
        format!("/user_management/users/{}", theirs.user_id),
        format!("/user_management/organization_memberships/{}", theirs.id),
        format!("/user_management/invitations/{}", invitation.id),
        format!("/user_management/invitations/by_token/{}", invitation.token),
        format!("/organizations/{}/roles", globex.id),
    ] {
        assert_eq!(api.get(&path).await.0, 404, "{path}");
    }
    let (status, _) = api
        .send(Method::PUT, &format!("/user_management/organization_memberships/{}/deactivate", theirs.id), json!({}))
        .await;
    assert_eq!(status, 404);
    assert_eq!(app.core.get_membership(&system(), &theirs.id).await.unwrap().status, MembershipStatus::Active);
    // Creating users and organizations needs the whole environment.
    assert_eq!(api.send(Method::POST, "/organizations", json!({ "name": "Mine" })).await.0, 403);
}

#[tokio::test]
async fn wire_details_the_sdks_rely_on() {
    let app = spawn_app().await;
    let api = app.api_key(None).await;
    let response = api.request(Method::GET, "/user_management/users").send().await.unwrap();
    assert!(response.headers().contains_key("x-request-id"));
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let (_, list) = answer(response).await;
    assert_eq!(list, json!({ "object": "list", "data": [], "list_metadata": { "before": null, "after": null } }));

    let (status, created) = api
        .send(
            Method::POST,
            "/user_management/users",
            json!({ "email": "ada@acme.test", "metadata": { "a": "1", "b": "2" } }),
        )
        .await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(api.send(Method::POST, "/user_management/users", json!({ "email": "ada@acme.test" })).await.0, 409);
    let (status, updated) =
        api.send(Method::PUT, &format!("/user_management/users/{id}"), json!({ "metadata": { "a": null } })).await;
    assert_eq!(status, 200);
    assert_eq!(updated["metadata"], json!({ "b": "2" }));

    // An empty body with a JSON content type, as the SDKs send for some calls.
    let acme = app.organization("Acme").await;
    let invitation = app.invitation(&acme, "new@acme.test").await;
    let response = api
        .request(Method::POST, &format!("/user_management/invitations/{}/revoke", invitation.id))
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap();
    let (status, revoked) = answer(response).await;
    assert_eq!((status, revoked["state"].as_str()), (200, Some("revoked")));

    let (status, body) = api.send(Method::DELETE, &format!("/user_management/users/{id}"), json!({})).await;
    assert_eq!((status, body), (204, serde_json::Value::Null));
}

#[tokio::test]
async fn pages_end_with_a_null_after_cursor() {
    let app = spawn_app().await;
    let api = app.api_key(None).await;
    for i in 0..5 {
        app.core
            .create_user(&system(), NewUser { email: format!("u{i}@acme.test"), ..Default::default() })
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(cursor) => format!("/user_management/users?limit=2&order=desc&after={cursor}"),
            None => "/user_management/users?limit=2&order=desc".to_owned(),
        };
        let (_, page) = api.get(&path).await;
        seen.extend(page["data"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap().to_owned()));
        match page["list_metadata"]["after"].as_str() {
            Some(cursor) => after = Some(cursor.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ["u4@acme.test", "u3@acme.test", "u2@acme.test", "u1@acme.test", "u0@acme.test"]);
}

#[tokio::test]
async fn idempotency_keys_replay_the_first_answer() {
    let app = spawn_app().await;
    let api = app.api_key(None).await;
    let create = |name: &'static str, key: &'static str| {
        api.request(Method::POST, "/organizations").header("Idempotency-Key", key).json(&json!({ "name": name })).send()
    };
    let (first_status, first) = answer(create("Acme", "idem-1").await.unwrap()).await;
    let (second_status, second) = answer(create("Acme", "idem-1").await.unwrap()).await;
    assert_eq!((first_status, second_status), (201, 201));
    assert_eq!(first["id"], second["id"]);
    assert_eq!(app.core.list_organizations(&system(), OrganizationQuery::default()).await.unwrap().data.len(), 1);
    assert_eq!(answer(create("Globex", "idem-1").await.unwrap()).await.0, 409, "a different request with the same key");
    // The same key from another API key is a different request.
    let other = app.api_key(None).await;
    let response = other
        .request(Method::POST, "/organizations")
        .header("Idempotency-Key", "idem-1")
        .json(&json!({ "name": "Acme" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(app.core.list_organizations(&system(), OrganizationQuery::default()).await.unwrap().data.len(), 2);
}

#[tokio::test]
async fn answers_that_carry_credentials_are_never_replayed_and_others_expire_after_a_day() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    app.member(&acme, "ada@acme.test", roles::MEMBER).await;
    let api = app.api_key(None).await;
    let reset = || {
        api.request(Method::POST, "/user_management/password_reset")
            .header("Idempotency-Key", "reset-1")
            .json(&json!({ "email": "ada@acme.test" }))
            .send()
    };
    let first = reset().await.unwrap();
    assert!(first.headers().get("idempotent-replayed").is_none());
    let (_, first) = answer(first).await;
    let (_, second) = answer(reset().await.unwrap()).await;
    assert_ne!(first["id"], second["id"], "a reset link is issued again, not replayed from the store");
    let mut conn = app.core.store().read().await.unwrap();
    let stored: i64 = server::store::db::query_scalar("SELECT COUNT(*) FROM idempotent_responses")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(stored, 0, "no credential is kept for replays");
    drop(conn);

    let create = || {
        api.request(Method::POST, "/organizations")
            .header("Idempotency-Key", "org-1")
            .json(&json!({ "name": "Globex" }))
            .send()
    };
    let (_, original) = answer(create().await.unwrap()).await;
    let mut conn = app.core.store().read().await.unwrap();
    let day_ago = server::store::now_ms() - server::store::api::IDEMPOTENCY_TTL_MS - 1;
    server::store::db::query("UPDATE idempotent_responses SET created_at = $1")
        .bind(day_ago)
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    let (status, renewed) = answer(create().await.unwrap()).await;
    assert_eq!(status, 201);
    assert_ne!(original["id"], renewed["id"], "after a day the key is free again");
}

#[tokio::test]
async fn password_sign_in_is_rate_limited_per_email() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    app.member(&acme, "ada@acme.test", roles::MEMBER).await;
    let api = app.api_key(None).await;
    let attempt = |password: &'static str| {
        let body = json!({ "grant_type": "password", "client_id": api.client_id, "client_secret": api.secret, "email": "ada@acme.test", "password": password });
        api.http.post(format!("{}/user_management/authenticate", app.base)).json(&body).send()
    };
    let (status, ok) = answer(attempt(PASSWORD).await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(ok["organization_id"], json!(acme.id));
    for _ in 0..9 {
        let (status, body) = answer(attempt("wrong password").await.unwrap()).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("invalid_credentials")));
    }
    let limited = attempt(PASSWORD).await.unwrap();
    assert_eq!(limited.status(), 429);
    let retry_after: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after));
}

#[tokio::test]
async fn refresh_tokens_are_oauth_errors_when_bad() {
    let app = spawn_app().await;
    let api = app.api_key(None).await;
    let body = json!({ "grant_type": "refresh_token", "client_id": api.client_id, "client_secret": api.secret, "refresh_token": "nope" });
    let (status, answer_body) =
        answer(api.http.post(format!("{}/user_management/authenticate", app.base)).json(&body).send().await.unwrap())
            .await;
    assert_eq!(status, 400);
    assert_eq!(answer_body["error"], "invalid_grant");
    let (status, jwks) = answer(reqwest::get(format!("{}/sso/jwks/{}", app.base, api.client_id)).await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(jwks["keys"][0]["alg"], "RS256");
}

#[tokio::test]
async fn bodies_that_are_not_objects_are_refused() {
    let app = spawn_app().await;
    let api = app.api_key(None).await;
    let organization = app.organization("Acme").await;
    for body in [json!([null, null]), json!(["Renamed"]), json!("Renamed"), json!(42)] {
        let (status, answer) =
            api.send(Method::PUT, &format!("/organizations/{}", organization.id), body.clone()).await;
        assert_eq!((status, answer["code"].as_str()), (400, Some("bad_request")), "{body}");
    }
    assert_eq!(app.core.get_organization(&system(), &organization.id).await.unwrap().name, "Acme");
}

#[tokio::test]
async fn overlong_idempotency_keys_are_refused() {
    let app = spawn_app().await;
    let api = app.api_key(None).await;
    let response = api
        .request(Method::POST, "/organizations")
        .header("Idempotency-Key", "k".repeat(256))
        .json(&json!({ "name": "Acme" }))
        .send()
        .await
        .unwrap();
    let (status, body) = answer(response).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (422, Some("Idempotency-Key")));
    let response = api
        .request(Method::POST, "/organizations")
        .header("Idempotency-Key", "k".repeat(255))
        .json(&json!({ "name": "Acme" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}
