//! WorkOS Widgets: `POST /widgets/token` and the `/_widgets/…` API the official widgets call,
//! with the widget authorization matrix (every widget route crossed with every kind of caller).

use crate::helpers::*;
use app::directory::*;
use app::model::*;
use base64::Engine;
use reqwest::Method;
use serde_json::{Value, json};

const USERS_TABLE: &str = "widgets:users-table:manage";
const APP_ORIGIN: &str = "http://127.0.0.1:4600";

/// Acme with an owner, an admin, a member and a pending invitation; Globex with its admin.
struct Fixture {
    app: TestApp,
    acme: Organization,
    globex: Organization,
    owner: OrganizationMembership,
    admin: OrganizationMembership,
    member: OrganizationMembership,
    invitation: Invitation,
    key: Api,
}

impl Fixture {
    async fn new() -> Self {
        let app = spawn_app().await;
        let acme = app.organization("Acme").await;
        let globex = app.organization("Globex").await;
        let owner = app.member(&acme, "owner@acme.test", roles::OWNER).await;
        let admin = app.member(&acme, "admin@acme.test", roles::ADMIN).await;
        let member = app.member(&acme, "member@acme.test", roles::MEMBER).await;
        app.member(&globex, "admin@globex.test", roles::ADMIN).await;
        let invitation = app.invitation(&acme, "invited@acme.test").await;
        let key = app.api_key(None).await;
        Self { app, acme, globex, owner, admin, member, invitation, key }
    }

    /// Asks for a token the way the Node SDK's `widgets.getToken` does.
    async fn token_for(&self, key: &Api, membership: &OrganizationMembership, scopes: &[&str]) -> (u16, Value) {
        let body = json!({
            "organization_id": membership.organization_id,
            "user_id": membership.user_id,
            "scopes": scopes,
        });
        key.send(Method::POST, "/widgets/token", body).await
    }

    /// A client of this server without a secret yet.
    fn key_like(&self) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: self.app.base.clone(),
            secret: String::new(),
            client_id: String::new(),
        }
    }

    /// A widget client for a member, with the users-table scope when their roles grant it.
    async fn widget(&self, membership: &OrganizationMembership, scopes: &[&str]) -> Api {
        let (status, body) = self.token_for(&self.key, membership, scopes).await;
        assert_eq!(status, 200, "{body}");
        Api {
            http: reqwest::Client::new(),
            base: self.app.base.clone(),
            secret: body["token"].as_str().expect("a token").to_owned(),
            client_id: String::new(),
        }
    }
}

/// The claims of a token, decoded the way the widgets do: plain `atob`, which fails on the
/// base64url characters `-` and `_`.
fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a payload");
    assert!(!payload.contains(['-', '_']), "the widgets cannot decode {payload}");
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD.decode(payload).expect("base64");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

#[tokio::test]
async fn tokens_carry_the_scopes_the_roles_grant_and_nothing_else() {
    let fx = Fixture::new().await;
    let widget = fx.widget(&fx.admin, &[USERS_TABLE]).await;
    let claims = claims(&widget.secret);
    assert_eq!(claims["sub"], json!(fx.admin.user_id));
    assert_eq!(claims["org_id"], json!(fx.acme.id));
    assert_eq!(claims["permissions"], json!([USERS_TABLE]));
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 3600);

    // A member's roles do not grant the users table; an unknown scope is a bad field.
    let (status, body) = fx.token_for(&fx.key, &fx.member, &[USERS_TABLE]).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = fx.token_for(&fx.key, &fx.admin, &["widgets:everything"]).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (422, Some("scopes")), "{body}");
    // A member without scopes still gets a token for their own profile.
    assert_eq!(fx.token_for(&fx.key, &fx.member, &[]).await.0, 200);

    // Another organization's key does not reach Acme; Acme's own key does.
    let globex_key = fx.app.api_key(Some(&fx.globex)).await;
    assert_eq!(fx.token_for(&globex_key, &fx.admin, &[USERS_TABLE]).await.0, 404);
    let acme_key = fx.app.api_key(Some(&fx.acme)).await;
    assert_eq!(fx.token_for(&acme_key, &fx.admin, &[USERS_TABLE]).await.0, 200);

    // A role that is given the permission grants it.
    let role = NewRole {
        slug: Some("people-ops".into()),
        name: "People ops".into(),
        permissions: vec![USERS_TABLE.into()],
        ..Default::default()
    };
    let scope = RoleScope::Organization(fx.acme.id.clone());
    fx.app.core.create_role(&system(), &scope, role).await.expect("a role");
    fx.app.core.set_membership_roles(&system(), &fx.member.id, vec!["people-ops".into()]).await.expect("roles");
    assert_eq!(fx.token_for(&fx.key, &fx.member, &[USERS_TABLE]).await.0, 200);

    // Widget tokens are not API keys, and API keys are not widget tokens.
    assert_eq!(widget.get("/user_management/users").await.0, 401);
    assert_eq!(fx.key.get("/_widgets/UserManagement/members").await.0, 403);
}

#[tokio::test]
async fn tokens_stop_working_when_sessions_end_or_the_role_is_taken_away() {
    let fx = Fixture::new().await;
    // Signed in, the token belongs to that session.
    let _browser = fx.app.signed_in("admin@acme.test").await;
    let widget = fx.widget(&fx.admin, &[USERS_TABLE]).await;
    let sid = claims(&widget.secret)["sid"].as_str().expect("a session").to_owned();
    assert_eq!(widget.get("/_widgets/UserManagement/members").await.0, 200);
    fx.key.send(Method::POST, "/user_management/sessions/revoke", json!({ "session_id": sid })).await;
    assert_eq!(widget.get("/_widgets/UserManagement/members").await.0, 403);

    // Without a session, ending any of the user's sessions later revokes it.
    let widget = fx.widget(&fx.owner, &[USERS_TABLE]).await;
    assert!(claims(&widget.secret).get("sid").is_none());
    assert_eq!(widget.get("/_widgets/UserManagement/members").await.0, 200);
    let _browser = fx.app.signed_in("owner@acme.test").await;
    fx.app.core.revoke_user_sessions(&system(), &fx.owner.user_id).await.expect("revoked");
    assert_eq!(widget.get("/_widgets/UserManagement/members").await.0, 403);

    // Demoted, the admin's token no longer manages the table (but still reads their profile).
    let widget = fx.widget(&fx.admin, &[USERS_TABLE]).await;
    fx.app.core.set_membership_roles(&system(), &fx.admin.id, vec![roles::MEMBER.into()]).await.expect("demoted");
    assert_eq!(widget.get("/_widgets/UserManagement/members").await.0, 403);
    assert_eq!(widget.get("/_widgets/UserProfile/me").await.0, 200);

    // Removed from the organization, it is no longer valid at all.
    fx.app.core.delete_membership(&system(), &fx.admin.id).await.expect("removed");
    assert_eq!(widget.get("/_widgets/UserProfile/me").await.0, 403);
}

#[tokio::test]
async fn the_users_table_lists_invitations_and_members_with_their_actions() {
    let fx = Fixture::new().await;
    let widget = fx.widget(&fx.admin, &[USERS_TABLE]).await;
    let (status, page) = widget.get("/_widgets/UserManagement/members?limit=10").await;
    assert_eq!(status, 200, "{page}");
    let rows = page["data"].as_array().unwrap();
    let row = |email: &str| rows.iter().find(|row| row["email"] == email).unwrap_or_else(|| panic!("{email}: {page}"));
    let invited = row("invited@acme.test");
    assert_eq!(invited["id"], json!(fx.invitation.id));
    assert_eq!(invited["status"], "Invited");
    assert_eq!(invited["actions"], json!(["resend-invite", "revoke-invite"]));
    let member = row("member@acme.test");
    assert_eq!((member["status"].as_str(), member["id"].clone()), (Some("Active"), json!(fx.member.user_id)));
    assert_eq!(member["actions"], json!(["edit-role", "revoke-membership"]));
    assert_eq!(member["roles"][0], json!({ "name": "Member", "slug": "member", "description": "An ordinary member." }));
    assert!(member["createdAt"].is_string() && member.get("emailVerified").is_some());
    // Their own row has no menu; an admin may not touch an owner.
    assert_eq!(
        (row("admin@acme.test")["isLoggedInUser"].clone(), row("admin@acme.test")["actions"].clone()),
        (json!(true), json!([]))
    );
    assert_eq!(row("owner@acme.test")["actions"], json!([]));
    assert!(rows.iter().all(|row| row["email"] != "admin@globex.test"));

    // Search and the role filter.
    let (_, found) = widget.get("/_widgets/UserManagement/members?limit=10&search=memb").await;
    let emails: Vec<&str> = found["data"].as_array().unwrap().iter().map(|r| r["email"].as_str().unwrap()).collect();
    assert_eq!(emails, ["member@acme.test"]);
    let (_, owners) = widget.get("/_widgets/UserManagement/members?limit=10&role=owner").await;
    assert_eq!(owners["data"].as_array().unwrap().len(), 1, "{owners}");

    // Paging: "Next" sends `before`, "Previous" sends `after`.
    let (_, first) = widget.get("/_widgets/UserManagement/members?limit=2").await;
    let next = first["list_metadata"]["before"].as_str().expect("a next page").to_owned();
    assert!(first["list_metadata"]["after"].is_null());
    let (_, second) = widget.get(&format!("/_widgets/UserManagement/members?limit=2&before={next}")).await;
    let second_rows = second["data"].as_array().unwrap();
    assert_eq!(second_rows.len(), 1, "{second}");
    assert!(second_rows.iter().all(|row| row["status"] == "Active"));
    let previous = second["list_metadata"]["after"].as_str().expect("a previous page");
    let (_, back) = widget.get(&format!("/_widgets/UserManagement/members?limit=2&after={previous}")).await;
    let active = |page: &Value| -> Vec<Value> {
        page["data"].as_array().unwrap().iter().filter(|r| r["status"] == "Active").map(|r| r["id"].clone()).collect()
    };
    assert_eq!(active(&back), active(&first));
    // Back on the first page, the invitations are there again.
    assert!(back["data"].as_array().unwrap().iter().any(|row| row["status"] == "Invited"), "{back}");
    assert!(back["list_metadata"]["after"].is_null(), "{back}");

    // Roles, with the default one marked.
    let (_, config) = widget.get("/_widgets/UserManagement/roles-and-config").await;
    assert_eq!(config["multipleRolesEnabled"], json!(true));
    let member_role = config["roles"].as_array().unwrap().iter().find(|r| r["slug"] == "member").unwrap().clone();
    assert_eq!(member_role["default"], json!(true));
    let (_, roles) = widget.get("/_widgets/UserManagement/roles").await;
    assert_eq!(roles, config["roles"]);
}

#[tokio::test]
async fn the_users_table_invites_resends_revokes_changes_roles_and_removes() {
    let fx = Fixture::new().await;
    let widget = fx.widget(&fx.admin, &[USERS_TABLE]).await;
    let invite = |email: &str, role: &str| {
        widget.send(Method::POST, "/_widgets/UserManagement/invite-user", json!({ "email": email, "roles": [role] }))
    };
    assert_eq!(invite("new@acme.test", "member").await, (200, json!({ "success": true })));
    // The invite dialog matches these messages to show them next to the field.
    assert_eq!(invite("new@acme.test", "member").await.1["message"], "User already invited");
    assert_eq!(invite("member@acme.test", "member").await.1["message"], "User already exists");
    assert_eq!(invite("not an email", "member").await, (400, json!({ "message": "Invalid email" })));
    assert_eq!(invite("other@acme.test", "no-such-role").await, (400, json!({ "message": "Invalid role" })));
    assert_eq!(invite("other@acme.test", "owner").await.0, 403);

    let id = fx.invitation.id.to_string();
    let (status, body) =
        widget.send(Method::POST, &format!("/_widgets/UserManagement/invites/{id}/resend"), json!(null)).await;
    assert_eq!((status, body["success"].clone()), (200, json!(true)), "{body}");
    let (status, body) =
        widget.send(Method::DELETE, &format!("/_widgets/UserManagement/invites/{id}"), json!(null)).await;
    assert_eq!((status, body), (200, json!({ "id": id, "success": true })));

    let user = fx.member.user_id.to_string();
    let path = format!("/_widgets/UserManagement/members/{user}");
    let (status, body) = widget.send(Method::POST, &path, json!({ "roles": ["admin"] })).await;
    assert_eq!((status, body), (200, json!({ "id": user, "success": true })));
    let changed = fx.app.core.get_membership(&system(), &fx.member.id).await.unwrap();
    assert_eq!(changed.role.slug, "admin");
    // Owners are out of an admin's reach; the owner's own token reaches them.
    let owner_path = format!("/_widgets/UserManagement/members/{}", fx.owner.user_id);
    assert_eq!(widget.send(Method::DELETE, &owner_path, json!(null)).await.0, 403);
    let (status, body) = widget.send(Method::DELETE, &path, json!(null)).await;
    assert_eq!((status, body), (200, json!({ "id": user, "success": true })));
    assert!(fx.app.core.get_membership(&system(), &fx.member.id).await.is_err());
    // Another organization's member is not found.
    let (_, globex) =
        fx.key.get(&format!("/user_management/organization_memberships?organization_id={}", fx.globex.id)).await;
    let stranger = globex["data"][0]["user_id"].as_str().unwrap().to_owned();
    assert_eq!(
        widget.send(Method::DELETE, &format!("/_widgets/UserManagement/members/{stranger}"), json!(null)).await.0,
        404
    );
}

#[tokio::test]
async fn the_organization_switcher_lists_the_users_organizations_with_the_current_one() {
    let fx = Fixture::new().await;
    let membership = NewMembership {
        organization_id: fx.globex.id.clone(),
        user_id: fx.admin.user_id.clone(),
        role_slugs: vec![roles::MEMBER.into()],
        status: MembershipStatus::Active,
    };
    fx.app.core.create_membership(&system(), membership).await.expect("a second membership");
    let widget = fx.widget(&fx.admin, &[]).await;
    let (status, body) = widget.get("/_widgets/UserManagement/organizations").await;
    assert_eq!(status, 200, "{body}");
    let mut listed: Vec<(String, bool)> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["name"].as_str().unwrap().to_owned(), o["current"].as_bool().unwrap()))
        .collect();
    listed.sort();
    assert_eq!(listed, [("Acme".to_owned(), true), ("Globex".to_owned(), false)]);

    // Asked for by Acme's own key, the token serves Acme's table but not the account of a
    // user Globex shares: no profile, and no word of their other organizations.
    let acme_key = fx.app.api_key(Some(&fx.acme)).await;
    let (status, body) = fx.token_for(&acme_key, &fx.admin, &[USERS_TABLE]).await;
    assert_eq!(status, 200, "{body}");
    let narrow = Api { secret: body["token"].as_str().unwrap().to_owned(), ..fx.key_like() };
    assert_eq!(narrow.get("/_widgets/UserManagement/members").await.0, 200);
    assert_eq!(narrow.get("/_widgets/UserProfile/me").await.0, 403);
    let (_, body) = narrow.get("/_widgets/UserManagement/organizations").await;
    assert_eq!(body["data"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["data"][0]["name"], "Acme");
}

#[tokio::test]
async fn a_person_edits_their_profile_sessions_and_password() {
    let fx = Fixture::new().await;
    let first_browser = fx.app.signed_in("member@acme.test").await;
    let _second_browser = fx.app.signed_in("member@acme.test").await;
    let widget = fx.widget(&fx.member, &[]).await;
    let own = claims(&widget.secret)["sid"].as_str().expect("a session").to_owned();

    let (status, me) = widget.get("/_widgets/UserProfile/me").await;
    assert_eq!((status, me["email"].as_str()), (200, Some("member@acme.test")), "{me}");
    assert_eq!(me["oauthProfiles"], json!({}));
    let (status, me) = widget
        .send(Method::POST, "/_widgets/UserProfile/me", json!({ "firstName": "Mina", "lastName": "Okoro" }))
        .await;
    assert_eq!((status, me["firstName"].as_str(), me["lastName"].as_str()), (200, Some("Mina"), Some("Okoro")));
    let (status, body) =
        widget.send(Method::POST, "/_widgets/UserProfile/me", json!({ "firstName": "x".repeat(300) })).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].is_string());

    let (_, sessions) = widget.get("/_widgets/UserProfile/sessions").await;
    let ids: Vec<String> =
        sessions["data"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 2, "{sessions}");
    assert!(ids.contains(&own));
    let session = &sessions["data"][0];
    assert_eq!((session["state"]["tag"].as_str(), session["usedPasswordAuth"].as_bool()), (Some("active"), Some(true)));
    let other = ids.iter().find(|id| **id != own).unwrap().clone();
    let revoke =
        widget.send(Method::DELETE, &format!("/_widgets/UserProfile/sessions/revoke/{other}"), json!(null)).await;
    assert_eq!(revoke, (200, json!({ "success": true })));
    assert_eq!(
        widget.send(Method::DELETE, &format!("/_widgets/UserProfile/sessions/revoke/{other}"), json!(null)).await.0,
        404
    );
    let _third_browser = fx.app.signed_in("member@acme.test").await;
    let revoke_all = widget
        .send(Method::DELETE, "/_widgets/UserProfile/sessions/revoke-all", json!({ "currentSessionId": own }))
        .await;
    assert_eq!(revoke_all, (200, json!({ "success": true })));
    let (_, sessions) = widget.get("/_widgets/UserProfile/sessions").await;
    assert_eq!(sessions["data"].as_array().unwrap().len(), 1);
    assert_eq!(sessions["data"][0]["id"], json!(own));
    // The first browser's cookie session was the token's own, so it still works.
    let _ = first_browser;

    let (_, info) = widget.get("/_widgets/UserProfile/authentication-information").await;
    assert_eq!(info["data"]["verificationMethods"]["Password"]["isSetUp"], json!(true));
    assert_eq!(info["data"]["verificationMethods"]["Mfa"]["isSetUp"], json!(false));
    assert_eq!(info["data"]["passwordSettings"]["passwordMinimumLength"], json!(8));

    let change = |current: &str, new: &str| {
        widget.send(
            Method::POST,
            "/_widgets/UserProfile/update-password",
            json!({ "currentPassword": current, "newPassword": new }),
        )
    };
    // The dialog shows this exact message under the current password.
    assert_eq!(
        change("wrong password", "a new long password").await,
        (400, json!({ "message": "Invalid credentials" }))
    );
    let (status, body) = change(PASSWORD, "short").await;
    assert_eq!((status, body["code"].as_str()), (400, Some("password_strength_error")), "{body}");
    assert_eq!(body["errors"][0]["code"], "password_too_short");
    assert_eq!(change(PASSWORD, "a new long password").await, (201, json!({ "success": true })));
    let login =
        fx.app.client().form("/api/login", &[("email", "member@acme.test"), ("password", "a new long password")]).await;
    assert_eq!(login.status(), 200);
}

/// Elevated access, got the way the widgets get it: a code emailed to the user, sent back.
async fn elevated(fx: &Fixture, widget: &Api) -> String {
    let (status, sent) = widget.send(Method::POST, "/_widgets/UserProfile/send-verification", json!(null)).await;
    assert_eq!((status, sent["type"].as_str()), (200, Some("EmailVerification")), "{sent}");
    let challenge = sent["authenticationChallenge"].as_str().unwrap().to_owned();
    let verify = |code: String| {
        let body = json!({ "code": code, "authenticationChallengeId": challenge });
        widget.send(Method::POST, "/_widgets/UserProfile/verify", body)
    };
    assert_eq!(verify("000000".into()).await.0, 400);
    let (status, access) = verify(fx.app.newest_code("elevated_access").await).await;
    assert_eq!(status, 200, "{access}");
    assert!(access["expiresAt"].as_str().unwrap().ends_with('Z'));
    access["elevatedAccessToken"].as_str().unwrap().to_owned()
}

/// A request of a widget holding elevated access.
async fn send_elevated(widget: &Api, elevation: &str, method: Method, path: &str, body: Value) -> (u16, Value) {
    let mut request = widget.request(method, path).header("x-elevated-access-token", elevation);
    if !body.is_null() {
        request = request.json(&body);
    }
    answer(request.send().await.unwrap()).await
}

#[tokio::test]
async fn five_wrong_codes_spend_the_emailed_code() {
    let fx = Fixture::new().await;
    let widget = fx.widget(&fx.member, &[]).await;
    let (_, sent) = widget.send(Method::POST, "/_widgets/UserProfile/send-verification", json!(null)).await;
    let challenge = sent["authenticationChallenge"].as_str().unwrap().to_owned();
    let verify = |code: String| {
        let body = json!({ "code": code, "authenticationChallengeId": challenge });
        widget.send(Method::POST, "/_widgets/UserProfile/verify", body)
    };
    let right = fx.app.newest_code("elevated_access").await;
    let wrong = if right == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        assert_eq!(verify(wrong.into()).await.0, 400);
    }
    assert_eq!(verify(right).await.0, 400, "the code still worked after five wrong ones");
}

#[tokio::test]
async fn authenticator_apps_are_enrolled_and_reset_with_elevated_access() {
    let fx = Fixture::new().await;
    let widget = fx.widget(&fx.member, &[]).await;
    const CREATE: &str = "/_widgets/UserProfile/create-totp-factor";
    // Without elevated access: 401 (not 403, which would send the widget after a new token).
    let (status, body) = widget.send(Method::POST, CREATE, json!(null)).await;
    assert_eq!(status, 401, "{body}");
    let elevation = elevated(&fx, &widget).await;
    // Another user's elevated access is not this user's.
    let other = fx.widget(&fx.admin, &[]).await;
    assert_eq!(send_elevated(&other, &elevation, Method::POST, CREATE, json!(null)).await.0, 401);

    let (status, offer) = send_elevated(&widget, &elevation, Method::POST, CREATE, json!(null)).await;
    assert_eq!(status, 200, "{offer}");
    let factor = &offer["authenticationFactor"];
    let challenge = &offer["authenticationChallenge"];
    assert_eq!((factor["object"].as_str(), factor["type"].as_str()), (Some("authentication_factor"), Some("totp")));
    assert_eq!(challenge["authentication_factor_id"], factor["id"]);
    assert!(factor["totp"]["qr_code"].as_str().unwrap().starts_with("data:image/png;base64,"));
    assert_eq!(factor["totp"]["user"], "member@acme.test");
    let secret = factor["totp"]["secret"].as_str().unwrap().to_owned();
    // Nothing is enrolled until a code from the app is right.
    let (_, info) = widget.get("/_widgets/UserProfile/authentication-information").await;
    assert_eq!(info["data"]["verificationMethods"]["Mfa"]["isSetUp"], json!(false));

    let confirm = |code: String| {
        let body = json!({ "authenticationChallengeId": challenge["id"], "code": code });
        widget.send(Method::POST, "/_widgets/UserProfile/verify-totp-factor", body)
    };
    let now = crate::factors::settled_now().await;
    let wrong = crate::factors::code_at(&secret, now, 5);
    assert_eq!(confirm(wrong).await, (400, json!({ "message": "Invalid passcode" })));
    assert_eq!(confirm(crate::factors::code_at(&secret, now, 0)).await, (200, json!({ "success": true })));
    let (_, info) = widget.get("/_widgets/UserProfile/authentication-information").await;
    assert_eq!(info["data"]["verificationMethods"]["Mfa"]["isSetUp"], json!(true));
    let factors = fx.app.core.list_user_factors(&system(), &fx.member.user_id, Page::default()).await.unwrap();
    assert_eq!(factors.data[0].id.to_string(), factor["id"].as_str().unwrap());

    const RESET: &str = "/_widgets/UserProfile/totp-factors";
    assert_eq!(widget.send(Method::DELETE, RESET, json!(null)).await.0, 401);
    let reset = send_elevated(&widget, &elevation, Method::DELETE, RESET, json!(null)).await;
    assert_eq!(reset, (200, json!({ "success": true })));
    let (_, info) = widget.get("/_widgets/UserProfile/authentication-information").await;
    assert_eq!(info["data"]["verificationMethods"]["Mfa"]["isSetUp"], json!(false));
}

#[tokio::test]
async fn the_email_changes_to_an_address_proven_by_its_code() {
    let fx = Fixture::new().await;
    let widget = fx.widget(&fx.member, &[]).await;
    const SEND: &str = "/_widgets/UserProfile/send-email-change";
    let body = json!({ "newEmail": "mina@new.test" });
    assert_eq!(widget.send(Method::POST, SEND, body.clone()).await.0, 401);
    let elevation = elevated(&fx, &widget).await;
    let taken = json!({ "newEmail": "admin@acme.test" });
    assert_eq!(send_elevated(&widget, &elevation, Method::POST, SEND, taken).await.0, 409);
    let (status, sent) = send_elevated(&widget, &elevation, Method::POST, SEND, body).await;
    assert_eq!(status, 200, "{sent}");
    assert!(sent["expiresAt"].is_string());
    let verify = |code: String| {
        let path = "/_widgets/UserProfile/verify-email-change";
        send_elevated(&widget, &elevation, Method::POST, path, json!({ "code": code }))
    };
    assert_eq!(verify("000000".into()).await.0, 400);
    let (status, changed) = verify(fx.app.newest_code("email_change").await).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["user"]["email"], "mina@new.test");
    assert!(changed["elevatedAccessToken"].is_string() && changed["expiresAt"].is_string());
    let user = fx.app.core.get_user(&system(), &fx.member.user_id).await.unwrap();
    assert_eq!((user.email.as_str(), user.email_verified), ("mina@new.test", true));
}

#[tokio::test]
async fn an_account_without_a_password_gets_its_first_one_with_elevated_access() {
    let fx = Fixture::new().await;
    let new_user = NewUser { email: "codes-only@acme.test".into(), ..Default::default() };
    let user = fx.app.core.create_user(&system(), new_user).await.unwrap();
    let membership = NewMembership {
        organization_id: fx.acme.id.clone(),
        user_id: user.id.clone(),
        role_slugs: vec![roles::MEMBER.into()],
        status: MembershipStatus::Active,
    };
    let membership = fx.app.core.create_membership(&system(), membership).await.unwrap();
    let widget = fx.widget(&membership, &[]).await;
    let (_, info) = widget.get("/_widgets/UserProfile/authentication-information").await;
    assert_eq!(info["data"]["verificationMethods"]["Password"]["isSetUp"], json!(false));
    const CREATE: &str = "/_widgets/UserProfile/create-password";
    let create = json!({ "password": "a first long password" });
    assert_eq!(widget.send(Method::POST, CREATE, create.clone()).await.0, 401);
    let elevation = elevated(&fx, &widget).await;
    let (status, body) = send_elevated(&widget, &elevation, Method::POST, CREATE, json!({ "password": "short" })).await;
    assert_eq!((status, body["errors"][0]["code"].as_str()), (400, Some("password_too_short")), "{body}");
    let created = send_elevated(&widget, &elevation, Method::POST, CREATE, create.clone()).await;
    assert_eq!(created, (201, json!({ "success": true })));
    let (status, body) = send_elevated(&widget, &elevation, Method::POST, CREATE, create).await;
    assert_eq!(status, 400, "{body}");
    let fields = [("email", "codes-only@acme.test"), ("password", "a first long password")];
    assert_eq!(fx.app.client().form("/api/login", &fields).await.status(), 200);
}

#[tokio::test]
async fn settings_name_where_roster_is() {
    let fx = Fixture::new().await;
    let widget = fx.widget(&fx.member, &[]).await;
    let (status, settings) = widget.get("/_widgets/settings").await;
    assert_eq!(status, 200);
    assert_eq!(settings["object"], "settings");
    assert_eq!(settings["authkitOrigin"], json!(fx.app.base));
}

#[tokio::test]
async fn preflights_are_answered_for_the_allowed_origins_only() {
    let fx = Fixture::new().await;
    let update = SettingsUpdate { cors_origins: Some(vec![APP_ORIGIN.into()]), ..Default::default() };
    fx.app.core.update_environment_settings(&system(), update).await.expect("settings");
    let preflight = |origin: &'static str| {
        reqwest::Client::new()
            .request(Method::OPTIONS, format!("{}/_widgets/UserManagement/members", fx.app.base))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .header(
                "Access-Control-Request-Headers",
                "authorization,content-type,workos-widgets-type,workos-widgets-version",
            )
            .send()
    };
    let allowed = preflight(APP_ORIGIN).await.unwrap();
    let header = |response: &reqwest::Response, name: &str| {
        response.headers().get(name).map(|v| v.to_str().unwrap().to_ascii_lowercase())
    };
    assert_eq!(header(&allowed, "access-control-allow-origin").as_deref(), Some(APP_ORIGIN));
    assert!(header(&allowed, "access-control-allow-headers").unwrap().contains("workos-widgets-type"));
    assert!(header(&allowed, "access-control-allow-credentials").is_none());
    let refused = preflight("http://evil.test").await.unwrap();
    assert!(header(&refused, "access-control-allow-origin").is_none());
}

/// Who calls a widget route, in the order of a row's expectations.
const WIDGET_CALLERS: [&str; 6] = [
    "no token",
    "an API key",
    "a member's token",
    "an admin's token",
    "an owner's token",
    "another organization's admin",
];

/// Every widget route with the status each caller gets; the users table needs the scope,
/// the profile routes any token of the person's own.
fn widget_rows() -> Vec<(Method, &'static str, [u16; 6])> {
    const TABLE: [u16; 6] = [403, 403, 403, 200, 200, 200];
    const TABLE_ROW: [u16; 6] = [403, 403, 403, 200, 200, 404];
    const OWN: [u16; 6] = [403, 403, 200, 200, 200, 200];
    const ELEVATED: [u16; 6] = [403, 403, 401, 401, 401, 401];
    vec![
        (Method::GET, "/_widgets/UserManagement/members", TABLE),
        (Method::POST, "/_widgets/UserManagement/members/{id}", TABLE_ROW),
        (Method::DELETE, "/_widgets/UserManagement/members/{id}", TABLE_ROW),
        (Method::POST, "/_widgets/UserManagement/invite-user", TABLE),
        (Method::POST, "/_widgets/UserManagement/invites/{id}/resend", TABLE_ROW),
        (Method::DELETE, "/_widgets/UserManagement/invites/{id}", TABLE_ROW),
        (Method::GET, "/_widgets/UserManagement/roles", TABLE),
        (Method::GET, "/_widgets/UserManagement/roles-and-config", TABLE),
        (Method::GET, "/_widgets/UserManagement/organizations", OWN),
        (Method::GET, "/_widgets/UserProfile/me", OWN),
        (Method::POST, "/_widgets/UserProfile/me", OWN),
        (Method::GET, "/_widgets/UserProfile/sessions", OWN),
        (Method::DELETE, "/_widgets/UserProfile/sessions/revoke/{id}", [403, 403, 404, 404, 404, 404]),
        (Method::DELETE, "/_widgets/UserProfile/sessions/revoke-all", OWN),
        (Method::GET, "/_widgets/UserProfile/authentication-information", OWN),
        (Method::POST, "/_widgets/UserProfile/update-password", [403, 403, 400, 400, 400, 400]),
        (Method::POST, "/_widgets/UserProfile/send-verification", OWN),
        (Method::POST, "/_widgets/UserProfile/verify", [403, 403, 400, 400, 400, 400]),
        // Without elevated access (its rules are in the tests above).
        (Method::POST, "/_widgets/UserProfile/create-password", ELEVATED),
        (Method::POST, "/_widgets/UserProfile/create-totp-factor", ELEVATED),
        (Method::POST, "/_widgets/UserProfile/verify-totp-factor", [403, 403, 400, 400, 400, 400]),
        (Method::DELETE, "/_widgets/UserProfile/totp-factors", ELEVATED),
        (Method::POST, "/_widgets/UserProfile/send-email-change", ELEVATED),
        (Method::POST, "/_widgets/UserProfile/verify-email-change", ELEVATED),
        (Method::GET, "/_widgets/settings", [403, 403, 200, 200, 200, 200]),
    ]
}

#[test]
fn every_widget_route_has_a_row_and_every_row_a_route() {
    let registered: Vec<(String, String)> =
        server::widgets::route_table().into_iter().map(|(m, p)| (m.to_string(), p.to_owned())).collect();
    let rows: Vec<(String, String)> =
        widget_rows().into_iter().map(|(m, p, _)| (m.to_string(), p.to_owned())).collect();
    assert_eq!(registered, rows);
}

#[tokio::test]
async fn every_widget_route_answers_every_caller_as_the_matrix_says() {
    let fx = Fixture::new().await;
    let globex_admin = fx.app.member(&fx.globex, "second-admin@globex.test", roles::ADMIN).await;
    let mut mismatches = Vec::new();
    let mut cell = 0;
    for (method, route, expected) in widget_rows() {
        for (index, who) in WIDGET_CALLERS.iter().enumerate() {
            // Fresh rows per cell: an allowed change in one cell decides no other.
            cell += 1;
            let target = fx.app.member(&fx.acme, &format!("target-{cell}@acme.test"), roles::MEMBER).await;
            let invitation = fx.app.invitation(&fx.acme, &format!("invite-{cell}@acme.test")).await;
            let id = if route.contains("invites") { invitation.id.to_string() } else { target.user_id.to_string() };
            let id =
                if route.contains("sessions/revoke/") { "session_01H5JQDV7R7ATEYZDEG0W5PRYS".to_owned() } else { id };
            let path = route.replace("{id}", &id);
            let body = match route {
                "/_widgets/UserManagement/members/{id}" => json!({ "roles": ["admin"] }),
                "/_widgets/UserManagement/invite-user" => {
                    json!({ "email": format!("new-{cell}@acme.test"), "roles": ["member"] })
                }
                "/_widgets/UserProfile/me" => json!({ "firstName": "Name" }),
                "/_widgets/UserProfile/update-password" => {
                    json!({ "currentPassword": "not it", "newPassword": "long enough password" })
                }
                "/_widgets/UserProfile/verify" | "/_widgets/UserProfile/verify-totp-factor" => {
                    json!({ "code": "000000", "authenticationChallengeId": "auth_challenge_01H5JQDV7R7ATEYZDEG0W5PRYS" })
                }
                "/_widgets/UserProfile/create-password" => json!({ "password": "long enough password" }),
                "/_widgets/UserProfile/send-email-change" => json!({ "newEmail": format!("moved-{cell}@acme.test") }),
                "/_widgets/UserProfile/verify-email-change" => json!({ "code": "000000" }),
                _ => json!(null),
            };
            let bearer = match index {
                0 => None,
                1 => Some(fx.key.secret.clone()),
                2 => Some(fx.widget(&fx.member, &[]).await.secret),
                3 => Some(fx.widget(&fx.admin, &[USERS_TABLE]).await.secret),
                4 => Some(fx.widget(&fx.owner, &[USERS_TABLE]).await.secret),
                _ => Some(fx.widget(&globex_admin, &[USERS_TABLE]).await.secret),
            };
            let mut request = reqwest::Client::new().request(method.clone(), format!("{}{path}", fx.app.base));
            if let Some(bearer) = bearer {
                request = request.bearer_auth(bearer);
            }
            if !body.is_null() {
                request = request.json(&body);
            }
            let (status, answer) = answer(request.send().await.unwrap()).await;
            if status != expected[index] {
                mismatches.push(format!("{method} {route} as {who}: {status} (expected {}) {answer}", expected[index]));
            }
            assert!(answer["message"].is_string() || status < 400, "{method} {route}: {answer}");
        }
    }
    assert!(mismatches.is_empty(), "{} cells differ:\n{}", mismatches.len(), mismatches.join("\n"));
}

#[tokio::test]
async fn the_embedded_table_is_themed_by_its_query_and_framed_only_by_allowed_origins() {
    let fx = Fixture::new().await;
    let client = reqwest::Client::new();
    let css = |query: &'static str| {
        let url = format!("{}/embed/theme.css?{query}", fx.app.base);
        let client = client.clone();
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let themed = css("accent=%23663399&radius=4&font=Georgia%2C%20serif").await;
    assert!(themed.contains("--accent: #663399;") && themed.contains("--radius: 4px;"), "{themed}");
    assert!(themed.contains("--on-accent: #ffffff;"), "{themed}");
    assert!(themed.contains("--font: Georgia, serif;"), "{themed}");
    // Values out of shape never reach the stylesheet.
    let refused = css("accent=red%3B%7Dbody%7Bdisplay%3Anone&radius=999&font=x%7D").await;
    assert_eq!(refused, ":root:root {  }\n");

    let page = |token: &'static str| {
        let url = format!("{}/embed/users?token={token}", fx.app.base);
        let client = client.clone();
        async move { client.get(url).header("Accept", "text/html").send().await.unwrap() }
    };
    let unframeable = page("t").await;
    assert_eq!(unframeable.headers()["x-frame-options"], "DENY");
    let update = SettingsUpdate { cors_origins: Some(vec![APP_ORIGIN.into()]), ..Default::default() };
    fx.app.core.update_environment_settings(&system(), update).await.expect("settings");
    let framed = page("t").await;
    assert!(framed.headers().get("x-frame-options").is_none());
    let policy = framed.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.contains(&format!("frame-ancestors {APP_ORIGIN}")), "{policy}");
    let html = framed.text().await.unwrap();
    assert!(html.contains("Loading members"), "{html}");
    // The dashboard's own pages stay unframeable.
    let login = client.get(format!("{}/login", fx.app.base)).send().await.unwrap();
    assert_eq!(login.headers()["x-frame-options"], "DENY");
}
