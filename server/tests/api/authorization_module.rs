//! `/authorization/…` over HTTP: the permissions catalog, environment and organization roles,
//! role assignments, `check`, and the permissions access tokens carry.

use crate::helpers::*;
use app::directory::*;
use reqwest::Method;
use serde_json::{Value, json};

fn slugs(list: &Value) -> Vec<String> {
    list["data"].as_array().unwrap().iter().map(|item| item["slug"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn permissions_and_environment_roles_round_trip() {
    let app = spawn_app().await;
    let api = app.api_key(None).await;

    // The catalog starts with the permissions the built-in roles rely on.
    let (status, catalog) = api.get("/authorization/permissions").await;
    assert_eq!(status, 200, "{catalog}");
    assert!(slugs(&catalog).contains(&"members:manage".to_owned()));
    assert!(catalog["list_metadata"].is_object());
    assert_eq!(catalog["data"][0]["system"], true);

    let (status, permission) = api
        .send(Method::POST, "/authorization/permissions", json!({ "slug": "invoices:read", "name": "Read invoices" }))
        .await;
    assert_eq!(status, 201, "{permission}");
    assert_eq!(permission["object"], "permission");
    assert!(permission["id"].as_str().unwrap().starts_with("perm_"));
    assert_eq!(permission["system"], false);
    assert_eq!(permission["resource_type_slug"], "organization");
    let (status, again) =
        api.send(Method::POST, "/authorization/permissions", json!({ "slug": "invoices:read", "name": "Again" })).await;
    assert_eq!((status, again["code"].as_str()), (409, Some("slug_already_exists")));
    let (status, invalid) =
        api.send(Method::POST, "/authorization/permissions", json!({ "slug": "Bad Slug", "name": "" })).await;
    assert_eq!(status, 422);
    let fields: Vec<&str> =
        invalid["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["slug", "name"]);

    let (status, updated) = api
        .send(Method::PATCH, "/authorization/permissions/invoices:read", json!({ "description": "See every invoice" }))
        .await;
    assert_eq!((status, updated["description"].as_str()), (200, Some("See every invoice")));
    assert_eq!(updated["name"], "Read invoices");
    let (_, cleared) =
        api.send(Method::PATCH, "/authorization/permissions/invoices:read", json!({ "description": null })).await;
    assert_eq!(cleared["description"], Value::Null);

    let (status, role) = api
        .send(
            Method::POST,
            "/authorization/roles",
            json!({ "slug": "billing", "name": "Billing", "description": "Pays the bills" }),
        )
        .await;
    assert_eq!(status, 201, "{role}");
    assert_eq!((role["object"].as_str(), role["type"].as_str()), (Some("role"), Some("EnvironmentRole")));
    assert_eq!(role["permissions"], json!([]));
    let (status, role) = api
        .send(Method::PUT, "/authorization/roles/billing/permissions", json!({ "permissions": ["invoices:read"] }))
        .await;
    assert_eq!((status, role["permissions"].clone()), (200, json!(["invoices:read"])));
    let (status, unknown) =
        api.send(Method::POST, "/authorization/roles/billing/permissions", json!({ "slug": "no:such" })).await;
    assert_eq!((status, unknown["errors"][0]["field"].as_str()), (422, Some("permissions")));
    let (status, role) =
        api.send(Method::POST, "/authorization/roles/billing/permissions", json!({ "slug": "members:read" })).await;
    assert_eq!((status, role["permissions"].clone()), (201, json!(["invoices:read", "members:read"])));
    let (status, role) =
        api.send(Method::PATCH, "/authorization/roles/billing", json!({ "name": "Billing team", "priority": 7 })).await;
    assert_eq!((status, role["name"].as_str(), role["priority"].as_i64()), (200, Some("Billing team"), Some(7)));
    assert_eq!(api.get("/authorization/roles/billing").await.1["name"], "Billing team");
    assert_eq!(api.get("/authorization/roles/nobody").await.0, 404);
    let (_, roles) = api.get("/authorization/roles").await;
    assert_eq!(slugs(&roles), ["owner", "admin", "member", "billing"]);

    // The roles using a permission lose it when it is deleted.
    let using = app.core.roles_using_permission(&system(), "invoices:read").await.unwrap();
    assert_eq!(using.iter().map(|role| role.slug.as_str()).collect::<Vec<_>>(), ["billing"]);
    assert_eq!(api.send(Method::DELETE, "/authorization/permissions/invoices:read", json!({})).await.0, 204);
    assert_eq!(api.get("/authorization/roles/billing").await.1["permissions"], json!(["members:read"]));
    assert_eq!(api.get("/authorization/permissions/invoices:read").await.0, 404);

    // Built-in permissions and roles keep what the security rules rely on.
    let (status, body) = api.send(Method::DELETE, "/authorization/permissions/members:manage", json!({})).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("built_in")));
    let (status, body) =
        api.send(Method::DELETE, "/authorization/roles/owner/permissions/members:manage", json!({})).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("built_in")), "{body}");
    let (status, _) = api.send(Method::DELETE, "/authorization/roles/admin", json!({})).await;
    assert_eq!(status, 409);
    let (status, body) =
        api.send(Method::PUT, "/authorization/roles/owner/permissions", json!({ "permissions": [] })).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("built_in")));

    assert_eq!(api.send(Method::DELETE, "/authorization/roles/billing", json!({})).await.0, 204);
    assert_eq!(api.get("/authorization/roles/billing").await.0, 404);
}

#[tokio::test]
async fn organization_roles_are_their_owners_and_keys_business() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    let globex = app.organization("Globex").await;
    let api = app.api_key(None).await;
    let own = app.api_key(Some(&acme)).await;
    let foreign = app.api_key(Some(&globex)).await;
    api.send(Method::POST, "/authorization/permissions", json!({ "slug": "reports:read", "name": "Read reports" }))
        .await;
    let roles = format!("/authorization/organizations/{}/roles", acme.id);

    // Without a slug, one is made from the name.
    let (status, role) =
        own.send(Method::POST, &roles, json!({ "name": "Report Viewer", "permissions": ["reports:read"] })).await;
    assert_eq!(status, 201, "{role}");
    assert_eq!((role["slug"].as_str(), role["type"].as_str()), (Some("report-viewer"), Some("OrganizationRole")));
    let (status, _) = own.send(Method::POST, &roles, json!({ "slug": "member", "name": "Shadow" })).await;
    assert_eq!(status, 409, "an organization role can't shadow an environment role");
    let (status, _) = own.send(Method::POST, "/authorization/roles", json!({ "slug": "x", "name": "X" })).await;
    assert_eq!(status, 403, "an organization key can't make environment roles");
    let (status, _) = foreign.send(Method::POST, &roles, json!({ "slug": "x", "name": "X" })).await;
    assert_eq!(status, 404, "nor can another organization's key touch Acme's");
    assert_eq!(foreign.get(&format!("{roles}/report-viewer")).await.0, 404);

    let (_, list) = own.get(&roles).await;
    assert_eq!(slugs(&list), ["owner", "admin", "member", "report-viewer"]);
    assert_eq!(own.get(&format!("{roles}/member")).await.1["type"], "EnvironmentRole");
    let (status, role) = own.send(Method::PATCH, &format!("{roles}/report-viewer"), json!({ "name": "Reports" })).await;
    assert_eq!((status, role["name"].as_str()), (200, Some("Reports")));
    let (status, _) =
        own.send(Method::DELETE, &format!("{roles}/report-viewer/permissions/reports:read"), json!({})).await;
    assert_eq!(status, 204);
    assert_eq!(own.get(&format!("{roles}/report-viewer")).await.1["permissions"], json!([]));
    assert_eq!(
        own.send(Method::DELETE, &format!("{roles}/report-viewer/permissions/reports:read"), json!({})).await.0,
        404
    );

    // A held role is not deleted; the answer says how many hold it.
    let ada = app.member(&acme, "ada@acme.test", "member").await;
    let bob = app.member(&acme, "bob@acme.test", "member").await;
    for membership in [&ada, &bob] {
        let path = format!("/authorization/organization_memberships/{}/role_assignments", membership.id);
        let (status, assignment) = own.send(Method::POST, &path, json!({ "role_slug": "report-viewer" })).await;
        assert_eq!(status, 201, "{assignment}");
    }
    let (status, refused) = own.send(Method::DELETE, &format!("{roles}/report-viewer"), json!({})).await;
    assert_eq!((status, refused["code"].as_str()), (409, Some("role_in_use")));
    assert!(refused["message"].as_str().unwrap().contains("2 members hold it"), "{refused}");

    // On the dashboard, an admin reads the organization's roles and its owners change them.
    app.member(&acme, "liam@acme.test", "admin").await;
    app.member(&acme, "olivia@acme.test", "owner").await;
    let new_role = [("scope", "organization"), ("slug", "auditor"), ("name", "Auditor")];
    let admin = app.signed_in("liam@acme.test").await;
    let overview = admin
        .json("/api/roles-overview", json!({ "page": { "limit": 10, "before": null, "after": null, "order": "desc" } }))
        .await;
    let (status, overview) = answer(overview).await;
    assert_eq!((status, overview["may_edit_organization"].as_bool()), (200, Some(false)), "{overview}");
    assert_eq!(overview["organization_roles"][0]["slug"], "report-viewer");
    assert_eq!(admin.form("/api/save-role", &new_role).await.status(), 403);
    let owner = app.signed_in("olivia@acme.test").await;
    assert_eq!(owner.form("/api/save-role", &new_role).await.status(), 200);
    let environment_role = [("scope", "environment"), ("slug", "auditor2"), ("name", "Auditor")];
    assert_eq!(owner.form("/api/save-role", &environment_role).await.status(), 403);
    assert_eq!(own.get(&format!("{roles}/auditor")).await.0, 200);
}

#[tokio::test]
async fn role_assignments_checks_and_tokens_agree() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    let api = app.api_key(None).await;
    api.send(Method::POST, "/authorization/permissions", json!({ "slug": "reports:read", "name": "Read reports" }))
        .await;
    let roles = format!("/authorization/organizations/{}/roles", acme.id);
    api.send(Method::POST, &roles, json!({ "slug": "analyst", "name": "Analyst", "permissions": ["reports:read"] }))
        .await;
    let ada = app.member(&acme, "ada@acme.test", "member").await;
    let base = format!("/authorization/organization_memberships/{}", ada.id);
    let check = |permission: &str| json!({ "permission_slug": permission, "resource_id": acme.id });

    let (status, answer) = api.send(Method::POST, &format!("{base}/check"), check("reports:read")).await;
    assert_eq!((status, answer), (200, json!({ "authorized": false })));
    let (status, assignment) = api
        .send(
            Method::POST,
            &format!("{base}/role_assignments"),
            json!({ "role_slug": "analyst", "resource_external_id": acme.id, "resource_type_slug": "organization" }),
        )
        .await;
    assert_eq!(status, 201, "{assignment}");
    assert_eq!(assignment["object"], "role_assignment");
    assert_eq!(assignment["role"]["slug"], "analyst");
    assert_eq!(assignment["resource"]["id"], acme.id.as_str());
    assert_eq!(api.send(Method::POST, &format!("{base}/check"), check("reports:read")).await.1["authorized"], true);
    assert_eq!(api.send(Method::POST, &format!("{base}/check"), check("members:read")).await.1["authorized"], true);
    assert_eq!(api.send(Method::POST, &format!("{base}/check"), check("no:such")).await.0, 404);
    let elsewhere = json!({ "permission_slug": "reports:read", "resource_id": "authz_resource_01H" });
    assert_eq!(api.send(Method::POST, &format!("{base}/check"), elsewhere).await.0, 404);

    // The access token carries the union of the roles' permissions.
    let signed_in = api
        .send(
            Method::POST,
            "/user_management/authenticate",
            json!({ "grant_type": "password", "client_id": api.client_id, "client_secret": api.secret,
                    "email": "ada@acme.test", "password": PASSWORD }),
        )
        .await
        .1;
    let payload = signed_in["access_token"].as_str().expect("a token").split('.').nth(1).unwrap().to_owned();
    use base64::Engine;
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(claims["roles"], json!(["member", "analyst"]));
    assert_eq!(claims["permissions"], json!(["members:read", "reports:read"]));

    let (_, list) = api.get(&format!("{base}/role_assignments")).await;
    let assignments = list["data"].as_array().unwrap();
    assert_eq!(assignments.len(), 2);
    assert!(list["list_metadata"].is_object());
    let member_assignment = assignments.iter().find(|a| a["role"]["slug"] == "member").unwrap();
    let (status, _) = api
        .send(
            Method::DELETE,
            &format!("{base}/role_assignments/{}", member_assignment["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(status, 204);
    // `removeRole` sends its body with DELETE; the last role stays.
    let (status, refused) =
        api.send(Method::DELETE, &format!("{base}/role_assignments"), json!({ "role_slug": "analyst" })).await;
    assert_eq!((status, refused["errors"][0]["code"].as_str()), (422, Some("last_role")));
    let (status, _) =
        api.send(Method::DELETE, &format!("{base}/role_assignments"), json!({ "role_slug": "member" })).await;
    assert_eq!(status, 404);
    assert_eq!(api.send(Method::POST, &format!("{base}/check"), check("members:read")).await.1["authorized"], false);

    // With several roles turned off, a membership holds one.
    app.core.update_role_settings(&system(), app::model::RoleSettings { multiple_roles_enabled: false }).await.unwrap();
    let (status, refused) =
        api.send(Method::POST, &format!("{base}/role_assignments"), json!({ "role_slug": "member" })).await;
    assert_eq!((status, refused["errors"][0]["code"].as_str()), (422, Some("multiple_roles_disabled")), "{refused}");
    let path = format!("/user_management/organization_memberships/{}", ada.id);
    let (status, _) = api.send(Method::PUT, &path, json!({ "role_slugs": ["member", "admin"] })).await;
    assert_eq!(status, 422);
    let (status, _) = api.send(Method::PUT, &path, json!({ "role_slug": "admin" })).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_default_role_is_given_to_new_members_and_cannot_be_deleted() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    let api = app.api_key(None).await;
    let roles = format!("/authorization/organizations/{}/roles", acme.id);
    api.send(Method::POST, &roles, json!({ "slug": "newcomer", "name": "Newcomer" })).await;
    let scope = app::model::RoleScope::Organization(acme.id.clone());
    let update = app::model::RoleUpdate { is_default: Some(true), ..Default::default() };
    app.core.update_role(&system(), &scope, "newcomer", update).await.unwrap();
    let user =
        app.core.create_user(&system(), NewUser { email: "eve@acme.test".into(), ..Default::default() }).await.unwrap();
    let (status, membership) = api
        .send(
            Method::POST,
            "/user_management/organization_memberships",
            json!({ "user_id": user.id, "organization_id": acme.id }),
        )
        .await;
    assert_eq!((status, membership["role"]["slug"].as_str()), (201, Some("newcomer")), "{membership}");
    let (status, body) = api.send(Method::DELETE, &format!("{roles}/newcomer"), json!({})).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("role_in_use")));
    // The environment always keeps a default.
    let environment = app::model::RoleUpdate { is_default: Some(false), ..Default::default() };
    let refused = app.core.update_role(&system(), &app::model::RoleScope::Environment, "member", environment).await;
    assert!(refused.unwrap_err().field_message("is_default").is_some());
    // A change that would break a built-in role changes nothing, not even the name.
    let breaking =
        app::model::RoleUpdate { name: Some("Boss".into()), permissions: Some(Vec::new()), ..Default::default() };
    let refused = app.core.update_role(&system(), &app::model::RoleScope::Environment, "owner", breaking).await;
    assert!(matches!(refused, Err(app::error::AppError::Conflict { .. })), "{refused:?}");
    let owner = app.core.get_role(&system(), &app::model::RoleScope::Environment, "owner").await.unwrap();
    assert_eq!(owner.name, "Owner");
    let names = {
        let mut conn = app.core.store().read().await.unwrap();
        server::store::directory::event_names(&mut conn).await.unwrap()
    };
    assert!(names.contains(&"organization_role.created".to_owned()));
    assert!(names.contains(&"organization_role.updated".to_owned()));
}

/// The migration to the permissions catalog carries what a database already held: each role's
/// permissions join the catalog and stay the role's, `member` becomes the default, and the
/// roles members hold become assignments with IDs.
#[tokio::test]
async fn the_authorization_migration_carries_existing_roles_and_assignments() {
    use server::store::{ScratchDatabase, Store};
    let database = ScratchDatabase::new().await.unwrap();
    let store = Store::open_migrated_before(&database.url, 7).await.unwrap();
    let org = app::ids::OrganizationId::generate();
    let membership = app::ids::MembershipId::generate();
    store.read().await.unwrap().execute_script(
        format!(
            "INSERT INTO organizations (id, name, created_at, updated_at) VALUES ('{org}', 'Acme', 1, 1);
             INSERT INTO users (id, email, name_key, last_name_key, created_at, updated_at)
                 VALUES ('user_01H5JQDV7R7ATEYZDEG0W5PRYS', 'ada@acme.test', 'ada', 'ada', 1, 1);
             INSERT INTO roles (id, slug, organization_id, name, permissions, priority, created_at, updated_at) VALUES
                 ('role_01H5JQDV7R7ATEYZDEG0W5PRY1', 'member', NULL, 'Member', '[\"members:read\"]', 2, 1, 1),
                 ('role_01H5JQDV7R7ATEYZDEG0W5PRY2', 'ops', '{org}', 'Ops', '[\"deploys:run\", \"members:read\"]', 3, 1, 1);
             INSERT INTO memberships (id, organization_id, user_id, status, created_at, updated_at)
                 VALUES ('{membership}', '{org}', 'user_01H5JQDV7R7ATEYZDEG0W5PRYS', 'active', 42, 42);
             INSERT INTO membership_roles (membership_id, role_slug, position, organization_id)
                 VALUES ('{membership}', 'member', 0, '{org}'), ('{membership}', 'ops', 1, '{org}');"
        )
        .as_str(),
    )
    .await
    .unwrap();
    drop(store);

    let store = Store::open(&database.url).await.unwrap();
    let core = server::core::Core::new(store, Default::default()).await.unwrap();
    let scope = app::model::RoleScope::Organization(org.clone());
    let ops = core.get_role(&system(), &scope, "ops").await.unwrap();
    assert_eq!(ops.permissions, ["deploys:run", "members:read"]);
    let member = core.get_role(&system(), &app::model::RoleScope::Environment, "member").await.unwrap();
    assert!(member.is_default);
    let deploys = core.get_permission(&system(), "deploys:run").await.unwrap();
    assert!(!deploys.system);
    assert!(core.get_permission(&system(), "members:read").await.unwrap().system);
    let assignments = core.list_role_assignments(&system(), &membership, app::model::Page::default()).await.unwrap();
    let held: Vec<&str> = assignments.data.iter().map(|a| a.role.slug.as_str()).collect();
    assert_eq!(held.len(), 2, "{held:?}");
    for assignment in &assignments.data {
        assert!(app::ids::RoleAssignmentId::parse(assignment.id.as_str()).is_some(), "{}", assignment.id);
        assert_eq!(assignment.created_at, server::store::iso(42));
    }
    let removed = core.remove_role_assignment(&system(), &membership, &assignments.data[0].id).await;
    assert!(removed.is_ok(), "{removed:?}");
}
