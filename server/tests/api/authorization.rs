//! The authorization matrix: every REST route and every server function, crossed with every
//! kind of caller, with the status each must get.
//!
//! The routes come from the routers themselves (`rest::route_table` and the registered server
//! functions), so a route added without a row here fails `every_route_has_a_row`. Each cell
//! runs against objects of its own, so an allowed change in one cell cannot decide another.

use crate::helpers::*;
use app::directory::*;
use app::model::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Who calls, in the order of a row's expectations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    /// No key, no cookie.
    Nobody,
    /// An API key of another organization (Globex).
    ForeignKey,
    /// An API key of the target's organization (Acme).
    OwnKey,
    /// An environment API key.
    EnvironmentKey,
    /// Dashboard sessions of Acme's people.
    Member,
    Admin,
    Owner,
    /// A platform admin's dashboard session, working on Acme.
    PlatformAdmin,
}

const CALLERS: [Who; 8] = [
    Who::Nobody,
    Who::ForeignKey,
    Who::OwnKey,
    Who::EnvironmentKey,
    Who::Member,
    Who::Admin,
    Who::Owner,
    Who::PlatformAdmin,
];

/// Everything a cell may act on, made fresh for it. Acme is "own", Globex "foreign".
struct World {
    acme: Organization,
    globex: Organization,
    /// A member of Acme only, with a password and an external ID.
    target: User,
    target_membership: OrganizationMembership,
    /// A second owner of Acme (not the owner who calls).
    other_owner: OrganizationMembership,
    /// A user without any membership.
    loner: User,
    /// A pending invitation into Acme for a new email.
    invitation: Invitation,
    /// The target's session in Acme.
    session: app::ids::SessionId,
    email_verification: EmailVerification,
    password_reset: PasswordReset,
    magic_auth: MagicAuth,
    /// A message in the outbox (the magic-auth email).
    message: String,
    /// A domain Acme claims.
    domain: OrganizationDomain,
    /// A permission, an environment role and a role of Acme's that have it, each its own.
    permission: Permission,
    env_role: Role,
    org_role: Role,
    /// A member of Acme holding `member` and `org_role`, and their `member` assignment.
    assigned: OrganizationMembership,
    assigned_member: RoleAssignment,
    /// An API key to revoke.
    spare_key: ApiKey,
    /// The target's TOTP factor, its first challenge, and a factor Acme's key enrolled
    /// through the standalone MFA API.
    factor: EnrolledFactor,
    app_factor: AuthenticationFactor,
    keys: [Api; 3],
    /// Cookie tokens of the member, admin, owner and platform admin.
    cookies: [String; 4],
}

/// A request of one cell.
struct Call {
    path: String,
    body: Value,
}

fn call(path: impl Into<String>, body: Value) -> Call {
    Call { path: path.into(), body }
}

/// One row: a route (method and template as registered) and what each caller gets.
struct Row {
    method: Method,
    route: &'static str,
    /// Statuses in the order of [`CALLERS`].
    expect: [u16; 8],
    request: fn(&World) -> Call,
}

const PASSWORD_OF_TARGET: &str = "the target's password";

/// A cheap Argon2 hash of the target's password, imported so building worlds hashes nothing.
fn cheap_hash() -> String {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let params = argon2::Params::new(64, 1, 1, None).unwrap();
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(PASSWORD_OF_TARGET.as_bytes(), &SaltString::generate(&mut OsRng))
        .unwrap()
        .to_string()
}

static WORLDS: AtomicUsize = AtomicUsize::new(0);

impl World {
    async fn build(app: &TestApp, hash: &str) -> World {
        let n = WORLDS.fetch_add(1, Ordering::Relaxed);
        let core = &app.core;
        let system = system();
        let organization = |name: String| NewOrganization {
            name: name.clone(),
            external_id: Some(format!("ext_{}", name.replace(' ', "_"))),
            ..Default::default()
        };
        let acme = core.create_organization(&system, organization(format!("Acme {n}"))).await.unwrap();
        let globex = core.create_organization(&system, organization(format!("Globex {n}"))).await.unwrap();
        let user = |email: String| NewUser { email, ..Default::default() };
        let join = |organization: &Organization, user: &User, role: &str| NewMembership {
            organization_id: organization.id.clone(),
            user_id: user.id.clone(),
            role_slugs: vec![role.into()],
            status: MembershipStatus::Active,
        };
        let mut cookies = Vec::new();
        for role in ["member", "admin", "owner", "member"] {
            let person =
                core.create_user(&system, user(format!("{role}{n}-{}@acme.test", cookies.len()))).await.unwrap();
            core.create_membership(&system, join(&acme, &person, role)).await.unwrap();
            if cookies.len() == 3 {
                app.make_platform_admin(&person.email).await;
            }
            cookies.push(session_cookie(app, &person, &acme).await);
        }
        let owner2 = core.create_user(&system, user(format!("second-owner{n}@acme.test"))).await.unwrap();
        let other_owner = core.create_membership(&system, join(&acme, &owner2, "owner")).await.unwrap();
        let globex_owner = core.create_user(&system, user(format!("owner{n}@globex.test"))).await.unwrap();
        core.create_membership(&system, join(&globex, &globex_owner, "owner")).await.unwrap();

        let target = NewUser {
            email: format!("target{n}@acme.test"),
            external_id: Some(format!("ext_target_{n}")),
            ..Default::default()
        };
        let imported = ImportedPasswordHash { hash: hash.into(), hash_type: "argon2".into() };
        let target = core.import_user(&system, target, imported).await.unwrap();
        let target_membership = core.create_membership(&system, join(&acme, &target, "member")).await.unwrap();
        let loner = core.create_user(&system, user(format!("loner{n}@example.test"))).await.unwrap();
        let invitation = NewInvitation {
            email: format!("invitee{n}@acme.test"),
            organization_id: Some(acme.id.clone()),
            role_slug: Some("member".into()),
            expires_in_days: None,
            inviter_user_id: None,
        };
        let invitation = core.send_invitation(&system, invitation).await.unwrap();
        let session = session_cookie(app, &target, &acme).await;
        let session = core.resolve_session(&session).await.unwrap().session().unwrap().session_id.clone();
        core.send_email_verification(&system, &target.id).await.unwrap();
        let email_verification = latest_email_verification(app, &target).await;
        let password_reset = core.create_password_reset(&system, &target.email).await.unwrap();
        let magic_auth = core.create_magic_auth(&system, &target.email).await.unwrap();
        let newest = Page { limit: 1, ..Page::default() };
        let message = core.list_outbox(&system, newest).await.unwrap().data.remove(0).id;
        let keys = [app.api_key(Some(&globex)).await, app.api_key(Some(&acme)).await, app.api_key(None).await];
        let domain = core.create_domain(&system, &acme.id, &format!("acme-{n}.example")).await.unwrap();
        let new_permission = NewPermission { slug: format!("perm-{n}:read"), name: "Read".into(), description: None };
        let permission = core.create_permission(&system, new_permission).await.unwrap();
        let role = |slug: String| NewRole {
            slug: Some(slug),
            name: "Role".into(),
            permissions: vec![permission.slug.clone()],
            ..Default::default()
        };
        let env_role = core.create_role(&system, &RoleScope::Environment, role(format!("env-{n}"))).await.unwrap();
        let acme_scope = RoleScope::Organization(acme.id.clone());
        let org_role = core.create_role(&system, &acme_scope, role(format!("org-{n}"))).await.unwrap();
        let holder = core.create_user(&system, user(format!("holder{n}@acme.test"))).await.unwrap();
        let mut holding = join(&acme, &holder, "member");
        holding.role_slugs.push(org_role.slug.clone());
        let assigned = core.create_membership(&system, holding).await.unwrap();
        let assignments = core.list_role_assignments(&system, &assigned.id, Page::default()).await.unwrap();
        let assigned_member = assignments.data.into_iter().find(|a| a.role.slug == "member").unwrap();
        let spare = NewApiKey { name: "spare".into(), ..Default::default() };
        let spare_key = core.create_api_key(&system, spare).await.unwrap().key;
        let factor = core.enroll_user_factor(&system, &target.id, NewTotpFactor::default()).await.unwrap();
        let acme_key = Caller::from_api_key(
            app::ids::ApiKeyId::generate(),
            "client_acme".into(),
            Scope::Organization(acme.id.clone()),
        );
        let labels = NewTotpFactor { issuer: Some("Acme".into()), user: Some("kiosk".into()), secret: None };
        let app_factor = core.enroll_factor(&acme_key.admin().unwrap(), labels).await.unwrap();
        World {
            acme,
            globex,
            target,
            target_membership,
            other_owner,
            loner,
            invitation,
            session,
            email_verification,
            password_reset,
            magic_auth,
            message,
            domain,
            permission,
            env_role,
            org_role,
            assigned,
            assigned_member,
            spare_key,
            factor,
            app_factor,
            keys,
            cookies: cookies.try_into().unwrap(),
        }
    }

    /// Sends a cell's request as `who`.
    async fn send(&self, app: &TestApp, who: Who, method: &Method, call: &Call) -> (u16, Value) {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let mut request = http
            .request(method.clone(), format!("{}{}", app.base, call.path))
            .header("Origin", &app.base)
            .header("Accept", "application/json");
        let key = match who {
            Who::ForeignKey => Some(&self.keys[0]),
            Who::OwnKey => Some(&self.keys[1]),
            Who::EnvironmentKey => Some(&self.keys[2]),
            _ => None,
        };
        if let Some(key) = key {
            request = request.bearer_auth(&key.secret);
        }
        let cookie = match who {
            Who::Member => Some(&self.cookies[0]),
            Who::Admin => Some(&self.cookies[1]),
            Who::Owner => Some(&self.cookies[2]),
            Who::PlatformAdmin => Some(&self.cookies[3]),
            _ => None,
        };
        if let Some(cookie) = cookie {
            request = request.header("Cookie", format!("{}={cookie}", app::door::SESSION_COOKIE));
        }
        let is_form = call.path.starts_with("/api/") && !JSON_SERVER_FUNCTIONS.contains(&call.path.as_str());
        if is_form {
            let fields: Vec<(String, String)> = call
                .body
                .as_object()
                .into_iter()
                .flatten()
                .map(|(name, value)| {
                    (name.clone(), value.as_str().map(str::to_owned).unwrap_or_else(|| value.to_string()))
                })
                .collect();
            request = request.form(&fields);
        } else if *method != Method::GET {
            request = request.json(&call.body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }
}

/// Opens a dashboard session for a user in an organization, without hashing a password, and
/// returns its cookie token.
async fn session_cookie(app: &TestApp, user: &User, organization: &Organization) -> String {
    use server::store::directory::{SessionRow, insert_session};
    use sha2::{Digest, Sha256};
    let token = format!("token_{}", app::ids::new_ulid());
    let now = server::store::now_ms();
    let row = SessionRow {
        id: app::ids::SessionId::generate().to_string(),
        user_id: user.id.to_string(),
        organization_id: Some(organization.id.to_string()),
        auth_method: "password".into(),
        ip_address: None,
        user_agent: None,
        expires_at: now + 3_600_000,
        ended_at: None,
        created_at: now,
        updated_at: now,
    };
    let mut conn = app.core.store().read().await.unwrap();
    insert_session(&mut conn, &row, &hex::encode(Sha256::digest(token.as_bytes()))).await.unwrap();
    token
}

/// The user's latest email verification, with its code.
async fn latest_email_verification(app: &TestApp, user: &User) -> EmailVerification {
    let mut conn = app.core.store().read().await.unwrap();
    let id: String = server::store::db::query_scalar(
        "SELECT id FROM one_time_codes WHERE user_id = $1 AND purpose = 'email_verification' ORDER BY id DESC",
    )
    .bind(user.id.as_str())
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    drop(conn);
    let id = app::ids::EmailVerificationId::parse(&id).unwrap();
    app.core.get_email_verification(&system(), &id).await.unwrap()
}

/// The server functions that take JSON; the others take forms, as the dashboard sends them.
const JSON_SERVER_FUNCTIONS: &[&str] = &[
    "/api/my-memberships",
    "/api/members",
    "/api/roles",
    "/api/roles-overview",
    "/api/outbox",
    "/api/api-keys",
    "/api/invitations",
    "/api/orgs",
    "/api/org",
    "/api/switchable-orgs",
];

/// A page as the dashboard's list server functions take it.
fn page() -> Value {
    json!({ "limit": 10, "before": null, "after": null, "order": "desc" })
}

// Statuses by caller: nobody, foreign key, own key, environment key, member, admin, owner,
// platform admin. REST needs a key (401 without); server functions need a session cookie.
const REST_SEES_OWN: [u16; 8] = [401, 404, 200, 200, 401, 401, 401, 401];
const REST_ANY_KEY: [u16; 8] = [401, 200, 200, 200, 401, 401, 401, 401];
const REST_ENVIRONMENT_ONLY: [u16; 8] = [401, 403, 403, 201, 401, 401, 401, 401];
const FN_ADMINS: [u16; 8] = [401, 401, 401, 401, 403, 200, 200, 200];
const FN_OWNERS: [u16; 8] = [401, 401, 401, 401, 403, 403, 200, 200];
const FN_PLATFORM: [u16; 8] = [401, 401, 401, 401, 403, 403, 403, 200];
const FN_SIGNED_IN: [u16; 8] = [401, 401, 401, 401, 200, 200, 200, 200];
const FN_PUBLIC: [u16; 8] = [200; 8];

fn rest_rows() -> Vec<Row> {
    use Method as M;
    vec![
        Row {
            method: M::GET,
            route: "/user_management/users",
            expect: REST_ANY_KEY,
            request: |_| call("/user_management/users", json!({})),
        },
        Row {
            method: M::POST,
            route: "/user_management/users",
            expect: REST_ENVIRONMENT_ONLY,
            request: |w| call("/user_management/users", json!({ "email": format!("new-{}", w.target.email) })),
        },
        Row {
            method: M::GET,
            route: "/user_management/users/external_id/{external_id}",
            expect: REST_SEES_OWN,
            request: |w| {
                call(
                    format!("/user_management/users/external_id/{}", w.target.external_id.as_deref().unwrap()),
                    json!({}),
                )
            },
        },
        Row {
            method: M::GET,
            route: "/user_management/users/{id}",
            expect: REST_SEES_OWN,
            request: |w| call(format!("/user_management/users/{}", w.target.id), json!({})),
        },
        Row {
            method: M::PUT,
            route: "/user_management/users/{id}",
            expect: REST_SEES_OWN,
            request: |w| call(format!("/user_management/users/{}", w.target.id), json!({ "first_name": "Renamed" })),
        },
        Row {
            method: M::DELETE,
            route: "/user_management/users/{id}",
            expect: [401, 403, 403, 204, 401, 401, 401, 401],
            request: |w| call(format!("/user_management/users/{}", w.target.id), json!({})),
        },
        Row {
            method: M::GET,
            route: "/user_management/users/{id}/identities",
            expect: REST_SEES_OWN,
            request: |w| call(format!("/user_management/users/{}/identities", w.target.id), json!({})),
        },
        Row {
            method: M::GET,
            route: "/user_management/users/{id}/sessions",
            expect: REST_SEES_OWN,
            request: |w| call(format!("/user_management/users/{}/sessions", w.target.id), json!({})),
        },
        Row {
            method: M::GET,
            route: "/user_management/organization_memberships",
            // A foreign key's filter on Acme yields an empty list, as for an unknown organization.
            expect: REST_ANY_KEY,
            request: |w| {
                call(format!("/user_management/organization_memberships?organization_id={}", w.acme.id), json!({}))
            },
        },
        // An organization's key adds only users it already sees.
        Row {
            method: M::POST,
            route: "/user_management/organization_memberships",
            expect: [401, 404, 422, 201, 401, 401, 401, 401],
            request: |w| {
                call(
                    "/user_management/organization_memberships",
                    json!({ "organization_id": w.acme.id, "user_id": w.loner.id }),
                )
            },
        },
        Row {
            method: M::GET,
            route: "/user_management/organization_memberships/{id}",
            expect: REST_SEES_OWN,
            request: |w| {
                call(format!("/user_management/organization_memberships/{}", w.target_membership.id), json!({}))
            },
        },
        Row {
            method: M::PUT,
            route: "/user_management/organization_memberships/{id}",
            expect: REST_SEES_OWN,
            request: |w| {
                call(
                    format!("/user_management/organization_memberships/{}", w.target_membership.id),
                    json!({ "role_slug": "admin" }),
                )
            },
        },
        Row {
            method: M::DELETE,
            route: "/user_management/organization_memberships/{id}",
            expect: [401, 404, 204, 204, 401, 401, 401, 401],
            request: |w| {
                call(format!("/user_management/organization_memberships/{}", w.target_membership.id), json!({}))
            },
        },
        Row {
            method: M::PUT,
            route: "/user_management/organization_memberships/{id}/deactivate",
            expect: REST_SEES_OWN,
            request: |w| {
                call(
                    format!("/user_management/organization_memberships/{}/deactivate", w.target_membership.id),
                    json!({}),
                )
            },
        },
        Row {
            method: M::PUT,
            route: "/user_management/organization_memberships/{id}/reactivate",
            expect: REST_SEES_OWN,
            request: |w| {
                call(
                    format!("/user_management/organization_memberships/{}/reactivate", w.target_membership.id),
                    json!({}),
                )
            },
        },
        Row {
            method: M::GET,
            route: "/user_management/invitations",
            expect: REST_ANY_KEY,
            request: |_| call("/user_management/invitations", json!({})),
        },
        Row {
            method: M::POST,
            route: "/user_management/invitations",
            expect: [401, 404, 201, 201, 401, 401, 401, 401],
            request: |w| {
                call(
                    "/user_management/invitations",
                    json!({ "email": format!("other-{}", w.invitation.email), "organization_id": w.acme.id }),
                )
            },
        },
        Row {
            method: M::GET,
            route: "/user_management/invitations/by_token/{token}",
            expect: REST_SEES_OWN,
            request: |w| call(format!("/user_management/invitations/by_token/{}", w.invitation.token), json!({})),
        },
        Row {
            method: M::GET,
            route: "/user_management/invitations/{id}",
            expect: REST_SEES_OWN,
            request: |w| call(format!("/user_management/invitations/{}", w.invitation.id), json!({})),
        },
        Row {
            method: M::POST,
            route: "/user_management/invitations/{id}/accept",
            expect: REST_SEES_OWN,
            request: |w| call(format!("/user_management/invitations/{}/accept", w.invitation.id), json!({})),
        },
        Row {
            method: M::POST,
            route: "/user_management/invitations/{id}/revoke",
            expect: REST_SEES_OWN,
            request: |w| call(format!("/user_management/invitations/{}/revoke", w.invitation.id), json!({})),
        },
        Row {
            method: M::POST,
            route: "/user_management/invitations/{id}/resend",
            expect: REST_SEES_OWN,
            request: |w| call(format!("/user_management/invitations/{}/resend", w.invitation.id), json!({})),
        },
        Row {
            method: M::GET,
            route: "/organizations",
            expect: REST_ANY_KEY,
            request: |_| call("/organizations", json!({})),
        },
        Row {
            method: M::POST,
            route: "/organizations",
            expect: REST_ENVIRONMENT_ONLY,
            request: |w| call("/organizations", json!({ "name": format!("New {}", w.acme.name) })),
        },
        Row {
            method: M::GET,
            route: "/organizations/external_id/{external_id}",
            expect: REST_SEES_OWN,
            request: |w| {
                call(format!("/organizations/external_id/{}", w.acme.external_id.as_deref().unwrap()), json!({}))
            },
        },
        Row {
            method: M::GET,
            route: "/organizations/{id}",
            expect: REST_SEES_OWN,
            request: |w| call(format!("/organizations/{}", w.acme.id), json!({})),
        },
        Row {
            method: M::PUT,
            route: "/organizations/{id}",
            expect: REST_SEES_OWN,
            request: |w| {
                call(format!("/organizations/{}", w.acme.id), json!({ "name": format!("{} renamed", w.acme.name) }))
            },
        },
        Row {
            method: M::DELETE,
            route: "/organizations/{id}",
            expect: [401, 403, 403, 204, 401, 401, 401, 401],
            request: |w| call(format!("/organizations/{}", w.acme.id), json!({})),
        },
        Row {
            method: M::GET,
            route: "/organizations/{id}/roles",
            expect: REST_SEES_OWN,
            request: |w| call(format!("/organizations/{}/roles", w.acme.id), json!({})),
        },
        Row {
            method: M::GET,
            route: "/authorization/organizations/{id}/roles",
            expect: REST_SEES_OWN,
            request: |w| call(format!("/authorization/organizations/{}/roles", w.acme.id), json!({})),
        },
        Row {
            method: M::POST,
            route: "/authorization/organizations/{id}/roles",
            expect: [401, 404, 201, 201, 401, 401, 401, 401],
            request: |w| {
                let slug = format!("{}-new", w.org_role.slug);
                call(
                    format!("/authorization/organizations/{}/roles", w.acme.id),
                    json!({ "slug": slug, "name": "New" }),
                )
            },
        },
        Row {
            method: M::GET,
            route: "/authorization/organizations/{id}/roles/{slug}",
            expect: REST_SEES_OWN,
            request: |w| {
                call(format!("/authorization/organizations/{}/roles/{}", w.acme.id, w.org_role.slug), json!({}))
            },
        },
        Row {
            method: M::PATCH,
            route: "/authorization/organizations/{id}/roles/{slug}",
            expect: REST_SEES_OWN,
            request: |w| {
                let path = format!("/authorization/organizations/{}/roles/{}", w.acme.id, w.org_role.slug);
                call(path, json!({ "name": "Renamed" }))
            },
        },
        Row {
            method: M::DELETE,
            route: "/authorization/organizations/{id}/roles/{slug}",
            expect: [401, 404, 409, 409, 401, 401, 401, 401],
            request: |w| {
                call(format!("/authorization/organizations/{}/roles/{}", w.acme.id, w.org_role.slug), json!({}))
            },
        },
        Row {
            method: M::PUT,
            route: "/authorization/organizations/{id}/roles/{slug}/permissions",
            expect: REST_SEES_OWN,
            request: |w| {
                let path = format!("/authorization/organizations/{}/roles/{}/permissions", w.acme.id, w.org_role.slug);
                call(path, json!({ "permissions": ["members:read"] }))
            },
        },
        Row {
            method: M::POST,
            route: "/authorization/organizations/{id}/roles/{slug}/permissions",
            expect: [401, 404, 201, 201, 401, 401, 401, 401],
            request: |w| {
                let path = format!("/authorization/organizations/{}/roles/{}/permissions", w.acme.id, w.org_role.slug);
                call(path, json!({ "slug": "members:read" }))
            },
        },
        Row {
            method: M::DELETE,
            route: "/authorization/organizations/{id}/roles/{slug}/permissions/{permission}",
            expect: [401, 404, 204, 204, 401, 401, 401, 401],
            request: |w| {
                let (acme, role, permission) = (&w.acme.id, &w.org_role.slug, &w.permission.slug);
                call(format!("/authorization/organizations/{acme}/roles/{role}/permissions/{permission}"), json!({}))
            },
        },
        Row {
            method: M::GET,
            route: "/authorization/roles",
            expect: REST_ANY_KEY,
            request: |_| call("/authorization/roles", json!({})),
        },
        Row {
            method: M::POST,
            route: "/authorization/roles",
            expect: REST_ENVIRONMENT_ONLY,
            request: |w| {
                call("/authorization/roles", json!({ "slug": format!("{}-new", w.env_role.slug), "name": "New" }))
            },
        },
        Row {
            method: M::GET,
            route: "/authorization/roles/{slug}",
            expect: REST_ANY_KEY,
            request: |w| call(format!("/authorization/roles/{}", w.env_role.slug), json!({})),
        },
        Row {
            method: M::PATCH,
            route: "/authorization/roles/{slug}",
            expect: [401, 403, 403, 200, 401, 401, 401, 401],
            request: |w| call(format!("/authorization/roles/{}", w.env_role.slug), json!({ "name": "Renamed" })),
        },
        Row {
            method: M::DELETE,
            route: "/authorization/roles/{slug}",
            expect: [401, 403, 403, 204, 401, 401, 401, 401],
            request: |w| call(format!("/authorization/roles/{}", w.env_role.slug), json!({})),
        },
        Row {
            method: M::PUT,
            route: "/authorization/roles/{slug}/permissions",
            expect: [401, 403, 403, 200, 401, 401, 401, 401],
            request: |w| {
                call(format!("/authorization/roles/{}/permissions", w.env_role.slug), json!({ "permissions": [] }))
            },
        },
        Row {
            method: M::POST,
            route: "/authorization/roles/{slug}/permissions",
            expect: [401, 403, 403, 201, 401, 401, 401, 401],
            request: |w| {
                call(format!("/authorization/roles/{}/permissions", w.env_role.slug), json!({ "slug": "members:read" }))
            },
        },
        Row {
            method: M::DELETE,
            route: "/authorization/roles/{slug}/permissions/{permission}",
            expect: [401, 403, 403, 204, 401, 401, 401, 401],
            request: |w| {
                call(format!("/authorization/roles/{}/permissions/{}", w.env_role.slug, w.permission.slug), json!({}))
            },
        },
        Row {
            method: M::GET,
            route: "/authorization/permissions",
            expect: REST_ANY_KEY,
            request: |_| call("/authorization/permissions", json!({})),
        },
        Row {
            method: M::POST,
            route: "/authorization/permissions",
            expect: REST_ENVIRONMENT_ONLY,
            request: |w| {
                call(
                    "/authorization/permissions",
                    json!({ "slug": format!("{}-new", w.permission.slug), "name": "New" }),
                )
            },
        },
        Row {
            method: M::GET,
            route: "/authorization/permissions/{slug}",
            expect: REST_ANY_KEY,
            request: |w| call(format!("/authorization/permissions/{}", w.permission.slug), json!({})),
        },
        Row {
            method: M::PATCH,
            route: "/authorization/permissions/{slug}",
            expect: [401, 403, 403, 200, 401, 401, 401, 401],
            request: |w| {
                call(format!("/authorization/permissions/{}", w.permission.slug), json!({ "name": "Renamed" }))
            },
        },
        Row {
            method: M::DELETE,
            route: "/authorization/permissions/{slug}",
            expect: [401, 403, 403, 204, 401, 401, 401, 401],
            request: |w| call(format!("/authorization/permissions/{}", w.permission.slug), json!({})),
        },
        Row {
            method: M::POST,
            route: "/authorization/organization_memberships/{id}/check",
            expect: REST_SEES_OWN,
            request: |w| {
                let path = format!("/authorization/organization_memberships/{}/check", w.assigned.id);
                call(path, json!({ "permission_slug": w.permission.slug, "resource_id": w.acme.id }))
            },
        },
        Row {
            method: M::GET,
            route: "/authorization/organization_memberships/{id}/role_assignments",
            expect: REST_SEES_OWN,
            request: |w| {
                call(format!("/authorization/organization_memberships/{}/role_assignments", w.assigned.id), json!({}))
            },
        },
        Row {
            method: M::POST,
            route: "/authorization/organization_memberships/{id}/role_assignments",
            expect: [401, 404, 201, 201, 401, 401, 401, 401],
            request: |w| {
                let path = format!("/authorization/organization_memberships/{}/role_assignments", w.assigned.id);
                call(path, json!({ "role_slug": "admin" }))
            },
        },
        Row {
            method: M::DELETE,
            route: "/authorization/organization_memberships/{id}/role_assignments",
            expect: [401, 404, 204, 204, 401, 401, 401, 401],
            request: |w| {
                let path = format!("/authorization/organization_memberships/{}/role_assignments", w.assigned.id);
                call(path, json!({ "role_slug": w.org_role.slug }))
            },
        },
        Row {
            method: M::DELETE,
            route: "/authorization/organization_memberships/{id}/role_assignments/{assignment}",
            expect: [401, 404, 204, 204, 401, 401, 401, 401],
            request: |w| {
                let (membership, assignment) = (&w.assigned.id, &w.assigned_member.id);
                call(
                    format!("/authorization/organization_memberships/{membership}/role_assignments/{assignment}"),
                    json!({}),
                )
            },
        },
        Row {
            method: M::POST,
            route: "/organization_domains",
            expect: [401, 404, 201, 201, 401, 401, 401, 401],
            request: |w| {
                call(
                    "/organization_domains",
                    json!({ "domain": format!("new-{}", w.domain.domain), "organization_id": w.acme.id }),
                )
            },
        },
        Row {
            method: M::GET,
            route: "/organization_domains/{id}",
            expect: REST_SEES_OWN,
            request: |w| call(format!("/organization_domains/{}", w.domain.id), json!({})),
        },
        Row {
            method: M::POST,
            route: "/organization_domains/{id}/verify",
            expect: REST_SEES_OWN,
            request: |w| call(format!("/organization_domains/{}/verify", w.domain.id), json!({})),
        },
        Row {
            method: M::DELETE,
            route: "/organization_domains/{id}",
            expect: [401, 404, 204, 204, 401, 401, 401, 401],
            request: |w| call(format!("/organization_domains/{}", w.domain.id), json!({})),
        },
        Row {
            method: M::GET,
            route: "/authorization/roles",
            expect: REST_ANY_KEY,
            request: |_| call("/authorization/roles", json!({})),
        },
        // A foreign key cannot sign in the target, nor spend their attempts. The target
        // enrolled a TOTP factor, so the right password gets the mfa_challenge step (403).
        Row {
            method: M::POST,
            route: "/user_management/authenticate",
            expect: [401, 400, 403, 403, 401, 401, 401, 401],
            request: |w| {
                call(
                    "/user_management/authenticate",
                    json!({ "grant_type": "password", "email": w.target.email, "password": PASSWORD_OF_TARGET }),
                )
            },
        },
        // The JWKS is public: applications verify tokens with it.
        Row {
            method: M::GET,
            route: "/sso/jwks/{client_id}",
            expect: [200; 8],
            request: |_| call("/sso/jwks/client_any", json!({})),
        },
        // Health and readiness: no key needed; probes and load balancers ask them.
        Row { method: M::GET, route: "/healthz", expect: [200; 8], request: |_| call("/healthz", json!({})) },
        Row { method: M::GET, route: "/readyz", expect: [200; 8], request: |_| call("/readyz", json!({})) },
        // The API's description: no key needed, whoever asks.
        Row {
            method: M::GET,
            route: "/openapi.json",
            expect: FN_PUBLIC,
            request: |_| call("/openapi.json", json!({})),
        },
        // A browser navigation: no key, and anyone holding a session ID may end it (as in
        // WorkOS); without a default logout URL the answer is the signed-out page.
        Row {
            method: M::GET,
            route: "/user_management/sessions/logout",
            expect: FN_PUBLIC,
            request: |w| call(format!("/user_management/sessions/logout?session_id={}", w.session), json!({})),
        },
        // A return_to outside the allow-list is refused whoever asks, and ends nothing.
        Row {
            method: M::GET,
            route: "/user_management/sessions/logout",
            expect: [400; 8],
            request: |w| {
                let query = format!("session_id={}&return_to=https%3A%2F%2Fevil.example.com%2F", w.session);
                call(format!("/user_management/sessions/logout?{query}"), json!({}))
            },
        },
        // The hosted sign-in's entry: a browser navigation without a key. A client the
        // environment does not know gets the error page, never a redirect, whoever asks.
        Row {
            method: M::GET,
            route: "/user_management/authorize",
            expect: [400; 8],
            request: |_| {
                let query = "client_id=client_unknown&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback\
                             &response_type=code&provider=authkit";
                call(format!("/user_management/authorize?{query}"), json!({}))
            },
        },
        // A token for the target's own profile (no scopes); the scopes' own rules are in
        // widgets.rs, with the matrix of the `/_widgets` routes.
        Row {
            method: M::POST,
            route: "/widgets/token",
            expect: REST_SEES_OWN,
            request: |w| {
                call("/widgets/token", json!({ "organization_id": w.acme.id, "user_id": w.target.id, "scopes": [] }))
            },
        },
        Row {
            method: M::POST,
            route: "/user_management/sessions/revoke",
            expect: REST_SEES_OWN,
            request: |w| call("/user_management/sessions/revoke", json!({ "session_id": w.session })),
        },
        Row {
            method: M::POST,
            route: "/user_management/users/{id}/email_verification/send",
            expect: REST_SEES_OWN,
            request: |w| call(format!("/user_management/users/{}/email_verification/send", w.target.id), json!({})),
        },
        Row {
            method: M::POST,
            route: "/user_management/users/{id}/email_verification/confirm",
            expect: REST_SEES_OWN,
            request: |w| {
                call(
                    format!("/user_management/users/{}/email_verification/confirm", w.target.id),
                    json!({ "code": w.email_verification.code }),
                )
            },
        },
        Row {
            method: M::GET,
            route: "/user_management/email_verification/{id}",
            expect: REST_SEES_OWN,
            request: |w| call(format!("/user_management/email_verification/{}", w.email_verification.id), json!({})),
        },
        Row {
            method: M::POST,
            route: "/user_management/password_reset",
            expect: [401, 404, 201, 201, 401, 401, 401, 401],
            request: |w| call("/user_management/password_reset", json!({ "email": w.target.email })),
        },
        Row {
            method: M::POST,
            route: "/user_management/password_reset/confirm",
            expect: REST_SEES_OWN,
            request: |w| {
                call(
                    "/user_management/password_reset/confirm",
                    json!({ "token": w.password_reset.password_reset_token, "new_password": "a brand new password" }),
                )
            },
        },
        Row {
            method: M::GET,
            route: "/user_management/password_reset/{id}",
            expect: REST_SEES_OWN,
            request: |w| call(format!("/user_management/password_reset/{}", w.password_reset.id), json!({})),
        },
        Row {
            method: M::POST,
            route: "/user_management/magic_auth",
            expect: [401, 404, 201, 201, 401, 401, 401, 401],
            request: |w| call("/user_management/magic_auth", json!({ "email": w.target.email })),
        },
        Row {
            method: M::GET,
            route: "/user_management/magic_auth/{id}",
            expect: REST_SEES_OWN,
            request: |w| call(format!("/user_management/magic_auth/{}", w.magic_auth.id), json!({})),
        },
        // Authentication factors (`rest/auth_factors.rs`). Enrolling and deleting change the
        // user's credentials; reading and challenging need to see them.
        Row {
            method: M::POST,
            route: "/user_management/users/{id}/auth_factors",
            expect: [401, 404, 201, 201, 401, 401, 401, 401],
            request: |w| {
                call(format!("/user_management/users/{}/auth_factors", w.target.id), json!({ "type": "totp" }))
            },
        },
        Row {
            method: M::GET,
            route: "/user_management/users/{id}/auth_factors",
            expect: REST_SEES_OWN,
            request: |w| call(format!("/user_management/users/{}/auth_factors", w.target.id), json!({})),
        },
        Row {
            method: M::POST,
            route: "/auth/factors/enroll",
            expect: [401, 201, 201, 201, 401, 401, 401, 401],
            request: |_| {
                call("/auth/factors/enroll", json!({ "type": "totp", "totp_issuer": "Acme", "totp_user": "kiosk" }))
            },
        },
        Row {
            method: M::GET,
            route: "/auth/factors/{id}",
            expect: REST_SEES_OWN,
            request: |w| call(format!("/auth/factors/{}", w.factor.authentication_factor.id), json!({})),
        },
        // A factor without a user is the enrolling organization's.
        Row {
            method: M::GET,
            route: "/auth/factors/{id}",
            expect: REST_SEES_OWN,
            request: |w| call(format!("/auth/factors/{}", w.app_factor.id), json!({})),
        },
        Row {
            method: M::DELETE,
            route: "/auth/factors/{id}",
            expect: [401, 404, 204, 204, 401, 401, 401, 401],
            request: |w| call(format!("/auth/factors/{}", w.factor.authentication_factor.id), json!({})),
        },
        Row {
            method: M::POST,
            route: "/auth/factors/{id}/challenge",
            expect: [401, 404, 201, 201, 401, 401, 401, 401],
            request: |w| call(format!("/auth/factors/{}/challenge", w.factor.authentication_factor.id), json!({})),
        },
        // A wrong code is an answer (`valid: false`), not an error.
        Row {
            method: M::POST,
            route: "/auth/challenges/{id}/verify",
            expect: REST_SEES_OWN,
            request: |w| {
                call(
                    format!("/auth/challenges/{}/verify", w.factor.authentication_challenge.id),
                    json!({ "code": "not-a-code" }),
                )
            },
        },
    ]
}

fn server_function_rows() -> Vec<Row> {
    use Method as M;
    vec![
        // The user detail page (`app/src/user_detail.rs`).
        Row {
            method: M::POST,
            route: "/api/reset-user-factors",
            expect: FN_ADMINS,
            request: |w| call("/api/reset-user-factors", json!({ "user_id": w.target.id })),
        },
        Row {
            method: M::POST,
            route: "/api/user-detail",
            expect: FN_ADMINS,
            request: |w| call("/api/user-detail", json!({ "user_id": w.target.id })),
        },
        Row {
            method: M::POST,
            route: "/api/user-sessions",
            expect: FN_ADMINS,
            request: |w| call("/api/user-sessions", json!({ "user_id": w.target.id })),
        },
        Row {
            method: M::POST,
            route: "/api/user-activity",
            expect: FN_ADMINS,
            request: |w| call("/api/user-activity", json!({ "user_id": w.target.id })),
        },
        Row {
            method: M::POST,
            route: "/api/update-profile",
            expect: FN_ADMINS,
            request: |w| {
                call(
                    "/api/update-profile",
                    json!({
                        "user_id": w.target.id, "email": w.target.email, "first_name": "Tess", "last_name": "",
                        "profile_picture_url": "", "external_id": w.target.external_id,
                        "metadata[0][key]": "team", "metadata[0][value]": "core",
                    }),
                )
            },
        },
        Row {
            method: M::POST,
            route: "/api/set-membership-roles",
            expect: FN_ADMINS,
            request: |w| {
                call(
                    "/api/set-membership-roles",
                    json!({ "user_id": w.target.id, "membership_id": w.target_membership.id, "roles[]": "admin" }),
                )
            },
        },
        // Only owners change an owner's roles.
        Row {
            method: M::POST,
            route: "/api/set-membership-roles",
            expect: FN_OWNERS,
            request: |w| {
                call(
                    "/api/set-membership-roles",
                    json!({ "user_id": w.other_owner.user_id, "membership_id": w.other_owner.id, "roles[]": "member" }),
                )
            },
        },
        Row {
            method: M::POST,
            route: "/api/change-user-membership",
            expect: FN_ADMINS,
            request: |w| {
                call(
                    "/api/change-user-membership",
                    json!({ "user_id": w.target.id, "membership_id": w.target_membership.id, "change": "deactivate" }),
                )
            },
        },
        Row {
            method: M::POST,
            route: "/api/change-user-membership",
            expect: FN_OWNERS,
            request: |w| {
                call(
                    "/api/change-user-membership",
                    json!({ "user_id": w.other_owner.user_id, "membership_id": w.other_owner.id, "change": "remove" }),
                )
            },
        },
        Row {
            method: M::POST,
            route: "/api/user-account-action",
            expect: FN_ADMINS,
            request: |w| {
                call("/api/user-account-action", json!({ "user_id": w.target.id, "action": "password_reset" }))
            },
        },
        Row {
            method: M::POST,
            route: "/api/revoke-user-session",
            expect: FN_ADMINS,
            request: |w| call("/api/revoke-user-session", json!({ "user_id": w.target.id, "session_id": w.session })),
        },
        Row {
            method: M::POST,
            route: "/api/set-user-password",
            expect: FN_PLATFORM,
            request: |w| {
                call("/api/set-user-password", json!({ "user_id": w.target.id, "password": "a brand new password" }))
            },
        },
        Row {
            method: M::POST,
            route: "/api/delete-user",
            expect: FN_PLATFORM,
            request: |w| call("/api/delete-user", json!({ "user_id": w.target.id, "confirm_email": w.target.email })),
        },
        Row {
            method: M::POST,
            route: "/api/login",
            expect: FN_PUBLIC,
            request: |w| call("/api/login", json!({ "email": w.target.email, "password": PASSWORD_OF_TARGET })),
        },
        // The hosted sign-in pages (`app/src/hosted.rs`) are public: a flow is bound to the
        // browser that started it, so a made-up or foreign flow is refused alike for everyone.
        Row {
            method: M::POST,
            route: "/api/hosted-flow",
            expect: FN_PUBLIC,
            request: |_| call("/api/hosted-flow", json!({})),
        },
        Row {
            method: M::POST,
            route: "/api/sign-up",
            expect: [403; 8],
            request: |_| {
                let form = json!({ "first_name": "Ann", "last_name": "Lee", "email": "ann@example.com", "password": "a long password" });
                call("/api/sign-up", form)
            },
        },
        Row {
            method: M::POST,
            route: "/api/send-sign-in-code",
            expect: FN_PUBLIC,
            request: |w| call("/api/send-sign-in-code", json!({ "email": w.loner.email })),
        },
        Row {
            method: M::POST,
            route: "/api/sign-in-with-code",
            expect: [422; 8],
            request: |w| call("/api/sign-in-with-code", json!({ "email": w.loner.email, "code": "not-a-code" })),
        },
        Row {
            method: M::POST,
            route: "/api/verify-email-code",
            expect: [400; 8],
            request: |_| call("/api/verify-email-code", json!({ "flow": "no-such-flow", "code": "123456" })),
        },
        Row {
            method: M::POST,
            route: "/api/resend-email-code",
            expect: [400; 8],
            request: |_| call("/api/resend-email-code", json!({ "flow": "no-such-flow" })),
        },
        Row {
            method: M::POST,
            route: "/api/totp-code",
            expect: [400; 8],
            request: |_| call("/api/totp-code", json!({ "flow": "no-such-flow", "code": "123456" })),
        },
        Row {
            method: M::POST,
            route: "/api/choose-organization",
            expect: [400; 8],
            request: |w| {
                call("/api/choose-organization", json!({ "flow": "no-such-flow", "organization_id": w.acme.id }))
            },
        },
        // Signing out is always allowed: it ends the session, if any, and clears the cookie.
        Row { method: M::POST, route: "/api/logout", expect: FN_PUBLIC, request: |_| call("/api/logout", json!({})) },
        // Signed out, the viewer is simply nobody.
        Row { method: M::POST, route: "/api/viewer", expect: FN_PUBLIC, request: |_| call("/api/viewer", json!({})) },
        Row {
            method: M::POST,
            route: "/api/switch-organization",
            expect: [401, 401, 401, 401, 404, 404, 404, 200],
            request: |w| call("/api/switch-organization", json!({ "organization_id": w.globex.id })),
        },
        Row {
            method: M::POST,
            route: "/api/my-memberships",
            expect: FN_SIGNED_IN,
            request: |_| call("/api/my-memberships", json!({})),
        },
        Row {
            method: M::POST,
            route: "/api/members",
            expect: FN_ADMINS,
            request: |_| {
                call(
                    "/api/members",
                    json!({ "filter": { "search": null, "role": null, "status": null }, "page": page() }),
                )
            },
        },
        Row { method: M::POST, route: "/api/roles", expect: FN_ADMINS, request: |_| call("/api/roles", json!({})) },
        // The roles page (`app/src/roles.rs`).
        Row {
            method: M::POST,
            route: "/api/roles-overview",
            expect: FN_ADMINS,
            request: |_| call("/api/roles-overview", json!({ "page": page() })),
        },
        Row {
            method: M::POST,
            route: "/api/save-permission",
            expect: FN_PLATFORM,
            request: |w| {
                call("/api/save-permission", json!({ "slug": format!("{}-new", w.permission.slug), "name": "New" }))
            },
        },
        Row {
            method: M::POST,
            route: "/api/delete-permission",
            expect: FN_PLATFORM,
            request: |w| call("/api/delete-permission", json!({ "slug": w.permission.slug, "confirm": "yes" })),
        },
        Row {
            method: M::POST,
            route: "/api/save-role",
            expect: FN_OWNERS,
            request: |w| {
                let slug = format!("{}-new", w.org_role.slug);
                call("/api/save-role", json!({ "scope": "organization", "slug": slug, "name": "New" }))
            },
        },
        Row {
            method: M::POST,
            route: "/api/delete-role",
            expect: [401, 401, 401, 401, 403, 403, 409, 409],
            request: |w| call("/api/delete-role", json!({ "scope": "organization", "slug": w.org_role.slug })),
        },
        Row {
            method: M::POST,
            route: "/api/save-role-settings",
            expect: FN_PLATFORM,
            request: |_| call("/api/save-role-settings", json!({ "multiple_roles_enabled": "on" })),
        },
        Row {
            method: M::POST,
            route: "/api/change-member",
            expect: FN_ADMINS,
            request: |w| {
                call(
                    "/api/change-member",
                    json!({ "membership_id": w.target_membership.id, "change": "set_role", "role": "admin" }),
                )
            },
        },
        // Only owners touch owners, and only owners make them.
        Row {
            method: M::POST,
            route: "/api/change-member",
            expect: FN_OWNERS,
            request: |w| {
                call("/api/change-member", json!({ "membership_id": w.other_owner.id, "change": "remove", "role": "" }))
            },
        },
        Row {
            method: M::POST,
            route: "/api/change-member",
            expect: FN_OWNERS,
            request: |w| {
                call(
                    "/api/change-member",
                    json!({ "membership_id": w.target_membership.id, "change": "set_role", "role": "owner" }),
                )
            },
        },
        Row {
            method: M::POST,
            route: "/api/outbox",
            expect: FN_PLATFORM,
            request: |_| call("/api/outbox", json!({ "page": page() })),
        },
        Row {
            method: M::POST,
            route: "/api/send-message-again",
            expect: FN_PLATFORM,
            request: |w| call("/api/send-message-again", json!({ "message_id": w.message })),
        },
        Row {
            method: M::POST,
            route: "/api/environment-settings",
            expect: FN_PLATFORM,
            request: |_| call("/api/environment-settings", json!({})),
        },
        Row {
            method: M::POST,
            route: "/api/save-environment-settings",
            expect: FN_PLATFORM,
            request: |_| {
                call(
                    "/api/save-environment-settings",
                    json!({ "redirect_uris": "https://app.example.com/callback", "session_lifetime_minutes": "60" }),
                )
            },
        },
        Row {
            method: M::POST,
            route: "/api/invitation-preview",
            expect: FN_PUBLIC,
            request: |w| call("/api/invitation-preview", json!({ "invitation_token": w.invitation.token })),
        },
        // Only the invited email's password accepts; the invitee here has no account yet.
        Row {
            method: M::POST,
            route: "/api/accept-invitation",
            expect: [400; 8],
            request: |w| {
                call(
                    "/api/accept-invitation",
                    json!({ "invitation_token": w.invitation.token, "password": "whatever it is" }),
                )
            },
        },
        Row {
            method: M::POST,
            route: "/api/accept-invitation-new",
            expect: FN_PUBLIC,
            request: |w| {
                call(
                    "/api/accept-invitation-new",
                    json!({
                        "invitation_token": w.invitation.token, "first_name": "Nia", "last_name": "",
                        "password": "a long enough secret",
                    }),
                )
            },
        },
        // Forgot password, then reset (`app/src/password_reset.rs`): public by design; the
        // link goes to the mailbox, and its token is the only proof the reset needs.
        Row {
            method: M::POST,
            route: "/api/forgot-password",
            expect: FN_PUBLIC,
            request: |w| call("/api/forgot-password", json!({ "email": w.target.email })),
        },
        Row {
            method: M::POST,
            route: "/api/reset-password-preview",
            expect: FN_PUBLIC,
            request: |w| call("/api/reset-password-preview", json!({ "token": w.password_reset.password_reset_token })),
        },
        Row {
            method: M::POST,
            route: "/api/reset-password",
            expect: FN_PUBLIC,
            request: |w| {
                call(
                    "/api/reset-password",
                    json!({
                        "token": w.password_reset.password_reset_token,
                        "new_password": "a brand new password", "confirm_password": "a brand new password",
                    }),
                )
            },
        },
        // A dead link is refused alike for everyone.
        Row {
            method: M::POST,
            route: "/api/reset-password",
            expect: [422; 8],
            request: |_| {
                call(
                    "/api/reset-password",
                    json!({ "token": "not-a-token", "new_password": "a brand new password",
                            "confirm_password": "a brand new password" }),
                )
            },
        },
        Row {
            method: M::POST,
            route: "/api/api-keys",
            expect: FN_PLATFORM,
            request: |_| call("/api/api-keys", json!({})),
        },
        Row {
            method: M::POST,
            route: "/api/create-api-key",
            expect: FN_PLATFORM,
            request: |_| call("/api/create-api-key", json!({ "name": "billing" })),
        },
        Row {
            method: M::POST,
            route: "/api/revoke-api-key",
            expect: FN_PLATFORM,
            request: |w| call("/api/revoke-api-key", json!({ "api_key_id": w.spare_key.id })),
        },
        // The organizations page spans every organization: platform admins only, even though
        // the admin and owner manage Acme itself.
        Row {
            method: M::POST,
            route: "/api/orgs",
            expect: FN_PLATFORM,
            request: |_| call("/api/orgs", json!({ "query": { "search": "acme", "page": page() } })),
        },
        Row {
            method: M::POST,
            route: "/api/org",
            expect: FN_PLATFORM,
            request: |w| call("/api/org", json!({ "organization_id": w.acme.id })),
        },
        Row {
            method: M::POST,
            route: "/api/create-org",
            expect: FN_PLATFORM,
            request: |w| {
                call("/api/create-org", json!({ "name": format!("{} spin-off", w.acme.name), "external_id": "" }))
            },
        },
        Row {
            method: M::POST,
            route: "/api/update-org",
            expect: FN_PLATFORM,
            request: |w| {
                call(
                    "/api/update-org",
                    json!({ "organization_id": w.acme.id, "name": format!("{} renamed", w.acme.name), "external_id": "" }),
                )
            },
        },
        Row {
            method: M::POST,
            route: "/api/delete-org",
            expect: FN_PLATFORM,
            request: |w| call("/api/delete-org", json!({ "organization_id": w.acme.id, "confirm_name": w.acme.name })),
        },
        Row {
            method: M::POST,
            route: "/api/add-org-domain",
            expect: FN_PLATFORM,
            request: |w| {
                call(
                    "/api/add-org-domain",
                    json!({ "organization_id": w.acme.id, "domain": format!("new-{}", w.domain.domain) }),
                )
            },
        },
        Row {
            method: M::POST,
            route: "/api/change-org-domain",
            expect: FN_PLATFORM,
            request: |w| call("/api/change-org-domain", json!({ "domain_id": w.domain.id, "change": "check" })),
        },
        Row {
            method: M::POST,
            route: "/api/change-org-domain",
            expect: FN_PLATFORM,
            request: |w| call("/api/change-org-domain", json!({ "domain_id": w.domain.id, "change": "mark_verified" })),
        },
        Row {
            method: M::POST,
            route: "/api/change-org-domain",
            expect: FN_PLATFORM,
            request: |w| call("/api/change-org-domain", json!({ "domain_id": w.domain.id, "change": "remove" })),
        },
        // Everyone signed in may look for an organization to switch to; what each finds is
        // tested in organizations_page.rs.
        Row {
            method: M::POST,
            route: "/api/switchable-orgs",
            expect: FN_SIGNED_IN,
            request: |_| call("/api/switchable-orgs", json!({ "search": "acme" })),
        },
        Row {
            method: M::POST,
            route: "/api/invitations",
            expect: FN_ADMINS,
            request: |_| call("/api/invitations", json!({ "page": page() })),
        },
        Row {
            method: M::POST,
            route: "/api/invite",
            expect: FN_ADMINS,
            request: |w| {
                call(
                    "/api/invite",
                    json!({ "email": format!("other-{}", w.invitation.email), "role_slug": "member", "expires_in_days": "" }),
                )
            },
        },
        Row {
            method: M::POST,
            route: "/api/invite",
            expect: FN_OWNERS,
            request: |w| {
                call(
                    "/api/invite",
                    json!({ "email": format!("boss-{}", w.invitation.email), "role_slug": "owner", "expires_in_days": "" }),
                )
            },
        },
        Row {
            method: M::POST,
            route: "/api/change-invitation",
            expect: FN_ADMINS,
            request: |w| {
                call("/api/change-invitation", json!({ "invitation_id": w.invitation.id, "change": "revoke" }))
            },
        },
        // A bulk action answers 200 with a per-row report; rows the caller may not touch (an
        // owner's, for an admin) are refused inside it, as `tests/api/bulk.rs` checks.
        Row {
            method: M::POST,
            route: "/api/bulk-members",
            expect: FN_ADMINS,
            request: |w| {
                call(
                    "/api/bulk-members",
                    json!({ "action": "deactivate", "scope": "selected", "membership_ids[]": w.target_membership.id }),
                )
            },
        },
        Row {
            method: M::POST,
            route: "/api/bulk-members",
            expect: FN_ADMINS,
            request: |_| {
                call(
                    "/api/bulk-members",
                    json!({ "action": "set_role:member", "scope": "matching", "filter[search]": "target" }),
                )
            },
        },
        // A report ID that was never kept: admins are told it is not found, others are refused
        // before it is looked up.
        Row {
            method: M::POST,
            route: "/api/bulk-report",
            expect: [401, 401, 401, 401, 403, 404, 404, 404],
            request: |_| call("/api/bulk-report", json!({ "report_id": "bulk_report_01H5JQDV7R7ATEYZDEG0W5PRYS" })),
        },
    ]
}

/// Runs every cell of the rows; reports every mismatch at once.
async fn run_matrix(rows: Vec<Row>) {
    let app = spawn_app().await;
    let hash = cheap_hash();
    let mut mismatches = Vec::new();
    let mut world = World::build(&app, &hash).await;
    for row in &rows {
        for (who, expected) in CALLERS.iter().zip(row.expect) {
            let request = (row.request)(&world);
            let (status, body) = world.send(&app, *who, &row.method, &request).await;
            if status != expected {
                mismatches
                    .push(format!("{} {} as {who:?}: {status} (expected {expected}) {body}", row.method, row.route));
            }
            // A refused call changed nothing; anything else gets a fresh world.
            if status < 400 {
                world = World::build(&app, &hash).await;
            }
        }
    }
    assert!(mismatches.is_empty(), "{} cells differ:\n{}", mismatches.len(), mismatches.join("\n"));
}

#[tokio::test]
async fn every_rest_route_answers_every_caller_as_the_matrix_says() {
    run_matrix(rest_rows()).await;
}

#[tokio::test]
async fn every_server_function_answers_every_caller_as_the_matrix_says() {
    run_matrix(server_function_rows()).await;
}

#[test]
fn every_route_has_a_row_and_every_row_a_route() {
    let registered: Vec<(String, String)> = server::rest::route_table()
        .into_iter()
        .chain(server::ops::health::route_table())
        .map(|(method, path)| (method.to_string(), path.to_owned()))
        .chain(leptos::server_fn::axum::server_fn_paths().map(|(path, method)| (method.to_string(), path.to_owned())))
        .collect();
    let rows: Vec<(String, String)> = rest_rows()
        .into_iter()
        .chain(server_function_rows())
        .map(|row| (row.method.to_string(), row.route.to_owned()))
        .collect();
    let missing: Vec<_> = registered.iter().filter(|route| !rows.contains(route)).collect();
    assert!(missing.is_empty(), "routes without a row in the authorization matrix: {missing:?}");
    let stale: Vec<_> = rows.iter().filter(|row| !registered.contains(row)).collect();
    assert!(stale.is_empty(), "rows for routes that do not exist: {stale:?}");
    assert!(registered.len() >= 60, "the route table looks incomplete: {}", registered.len());
    for (path, _) in leptos::server_fn::axum::server_fn_paths() {
        assert!(path.starts_with(app::SERVER_FN_PREFIX), "{path} is outside the guarded prefix");
    }
}
