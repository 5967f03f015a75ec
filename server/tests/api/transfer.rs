//! `roster export` and `roster import`: the round trip, dry runs, idempotency, the per-row
//! report and imported password hashes at sign-in (run on PostgreSQL too when
//! `ROSTER_TEST_POSTGRES` is set).

use crate::helpers::*;
use reqwest::Method;
use serde_json::json;
use server::store::Store;
use server::transfer::{self, ImportOptions, Line, Report};

/// A hash of `correct horse` of every accepted type, made with Python's `bcrypt`, `argon2-cffi`
/// and `hashlib` (the Firebase one is Firebase's published vector, for `user1password`).
const HASHES: [(&str, &str, &str); 9] = [
    ("bcrypt", "$2b$04$RbQqNcn3BwOlan3.1nUoOesiiuACtLpfXaCHskVqb4f/quHX6A23e", "correct horse"),
    (
        "argon2",
        "$argon2i$v=19$m=1024,t=2,p=1$c2FsdHlzYWx0eXNhbHQxNg$41+rXVsOtUWdWLz4SmbOzxLOSj5ADZMUjCBz3h/QCc8",
        "correct horse",
    ),
    (
        "argon2",
        "$argon2d$v=19$m=1024,t=2,p=1$c2FsdHlzYWx0eXNhbHQxNg$oWt/HIs5A2GkMKiMuXlUgQGT6H0ivl/PB3CAsgL8090",
        "correct horse",
    ),
    (
        "scrypt",
        "$scrypt$ln=10,r=8,p=1$c2FsdHlzYWx0eXNhbHQxNg$bBI0d0kfuecuWBNXmgpJOh+0Za6lYEPiFOBNan4pwZ0",
        "correct horse",
    ),
    (
        "firebase-scrypt",
        "$fbscrypt$v=1,n=14,r=8,p=1,ss=Bw==,sk=jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==$42xEC+ixf3L2lw==$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",
        "user1password",
    ),
    (
        "pbkdf2",
        "$pbkdf2-sha256$i=1000,l=32$c2FsdHlzYWx0eXNhbHQxNg$tVHYgLKarEClaRz7w0RMAtin5IJB7svUzVCB4M81cbM",
        "correct horse",
    ),
    ("pbkdf2-sha256", "pbkdf2_sha256$1000$djangosalt123$WrZ0z9pVNKU2hkBgWfZabSktS5se+Mf84aO/j4oNU6E=", "correct horse"),
    ("ssha", "{SSHA}oep4GJ7HxpIYd8AWLmA7hYwreC84Ynl0ZXNhbA==", "correct horse"),
    ("ssha", "{SSHA256}Y7wRfW5v+62dTAGVi5buDpLaZGllJB1WIT9rAjDnXyI4Ynl0ZXNhbA==", "correct horse"),
];

const STAMP: &str = "2025-01-02T03:04:05.678Z";

/// A file with some of every record type: 3 organizations, 2 permissions, 2 roles, `users`
/// users (each a member of one organization) and 3 invitations.
fn sample(users: usize) -> Vec<Line> {
    let id = |prefix: &str, n: usize| format!("{prefix}_01JAAAAAAAAAAAAAAAAA{n:06}");
    let mut lines = Vec::new();
    for slug in ["reports:read", "reports:write"] {
        lines.push(Line::Permission(transfer::PermissionLine {
            id: Some(format!("perm_01JAAAAAAAAAAAAAAAAAAA{:04}", slug.len() + lines.len())),
            slug: slug.into(),
            name: format!("Permission {slug}"),
            description: Some("Imported.".into()),
            created_at: Some(STAMP.into()),
            updated_at: Some(STAMP.into()),
        }));
    }
    for n in 0..3 {
        lines.push(Line::Organization(transfer::OrganizationLine {
            id: id("org", n),
            name: format!("Org {n}"),
            external_id: Some(format!("ext-org-{n}")),
            metadata: [("tier".to_owned(), n.to_string())].into(),
            allow_profiles_outside_organization: false,
            domains: vec![transfer::DomainLine {
                domain: format!("org{n}.test"),
                state: app::model::DomainState::Verified,
                verification_strategy: app::model::DomainVerificationStrategy::Manual,
            }],
            created_at: Some(STAMP.into()),
            updated_at: Some(STAMP.into()),
        }));
    }
    lines.push(Line::Role(transfer::RoleLine {
        id: Some(id("role", 1)),
        organization_id: None,
        slug: "auditor".into(),
        name: "Auditor".into(),
        description: Some("Reads reports.".into()),
        priority: Some(50),
        is_default: false,
        permissions: vec!["reports:read".into()],
        created_at: Some(STAMP.into()),
        updated_at: Some(STAMP.into()),
    }));
    lines.push(Line::Role(transfer::RoleLine {
        id: Some(id("role", 2)),
        organization_id: Some(id("org", 1)),
        slug: "editor".into(),
        name: "Editor".into(),
        description: None,
        priority: Some(1),
        is_default: false,
        permissions: vec!["reports:read".into(), "reports:write".into()],
        created_at: Some(STAMP.into()),
        updated_at: Some(STAMP.into()),
    }));
    for n in 0..users {
        let (kind, hash, _) = HASHES[n % HASHES.len()];
        let kind = if kind == "pbkdf2-sha256" { "pbkdf2" } else { kind };
        lines.push(Line::User(transfer::UserLine {
            id: id("user", n),
            email: format!("user{n}@example.test"),
            email_verified: n % 2 == 0,
            first_name: Some(format!("First{n}")),
            last_name: (n % 3 != 0).then(|| format!("Last{n}")),
            locale: None,
            profile_picture_url: None,
            external_id: (n % 4 != 0).then(|| format!("ext-user-{n}")),
            metadata: [("n".to_owned(), n.to_string())].into(),
            is_platform_admin: false,
            password_hash: Some(hash.into()),
            password_hash_type: Some(kind.into()),
            last_sign_in_at: None,
            created_at: Some(STAMP.into()),
            updated_at: Some(STAMP.into()),
        }));
    }
    for n in 0..users {
        let organization = n % 3;
        let roles = match (organization, n % 5) {
            (1, 0) => vec!["editor".into(), "member".into()],
            (_, 1) => vec!["auditor".into()],
            _ => vec!["member".into()],
        };
        lines.push(Line::Membership(transfer::MembershipLine {
            id: id("om", n),
            organization_id: id("org", organization),
            user_id: id("user", n),
            status: if n % 7 == 0 {
                app::model::MembershipStatus::Inactive
            } else {
                app::model::MembershipStatus::Active
            },
            roles,
            created_at: Some(STAMP.into()),
            updated_at: Some(STAMP.into()),
        }));
    }
    for n in 0..3 {
        lines.push(Line::Invitation(transfer::InvitationLine {
            id: id("invitation", n),
            organization_id: Some(id("org", n)),
            email: format!("invitee{n}@example.test"),
            role_slug: Some("member".into()),
            token: format!("imported-invitation-token-{n:04}-abcdefgh"),
            inviter_user_id: Some(id("user", 1)),
            expires_at: "2099-01-01T00:00:00.000Z".into(),
            created_at: Some(STAMP.into()),
            updated_at: Some(STAMP.into()),
        }));
    }
    lines
}

fn jsonl(lines: &[Line]) -> Vec<u8> {
    lines.iter().map(|line| serde_json::to_string(line).unwrap() + "\n").collect::<String>().into_bytes()
}

async fn import(store: &Store, file: &[u8], dry_run: bool) -> Report {
    let options = ImportOptions { dry_run, batch_size: Some(64) };
    transfer::import(store, file, options, Report::default(), |_| {}).await.expect("import")
}

async fn export(store: &Store) -> Vec<Line> {
    let mut out = Vec::new();
    transfer::export(store, &mut out, |_| {}).await.expect("export");
    String::from_utf8(out).unwrap().lines().map(|line| serde_json::from_str(line).expect("a line")).collect()
}

/// What an import into another store keeps: everything but the built-in roles' and
/// permissions' own IDs and times, which each store makes itself.
fn portable(lines: Vec<Line>) -> Vec<Line> {
    lines
        .into_iter()
        .map(|line| match line {
            Line::Permission(p) => {
                Line::Permission(transfer::PermissionLine { id: None, created_at: None, updated_at: None, ..p })
            }
            Line::Role(r) => Line::Role(transfer::RoleLine { id: None, created_at: None, updated_at: None, ..r }),
            other => other,
        })
        .collect()
}

fn sorted(mut lines: Vec<Line>) -> Vec<String> {
    let mut texts: Vec<String> = lines.drain(..).map(|line| serde_json::to_string(&line).unwrap()).collect();
    texts.sort();
    texts
}

#[tokio::test]
async fn export_then_import_round_trips_with_ids_and_a_second_import_changes_nothing() {
    let source = spawn_app().await;
    let file = jsonl(&sample(300));
    let report = import(source.core.store(), &file, false).await;
    assert_eq!(report.errors(), 0, "{:?}", report.problems);
    assert_eq!(report.count("user", "created"), 300);
    assert_eq!(report.count("membership", "created"), 300);
    assert_eq!(report.count("organization", "created"), 3);
    assert_eq!(report.count("invitation", "created"), 3);
    assert_eq!(report.count("role", "created"), 2);
    assert_eq!(report.count("permission", "created"), 2);

    // IDs, hashes and timestamps came through as they were.
    let exported = export(source.core.store()).await;
    let originals = sample(300);
    for line in &originals {
        if matches!(line, Line::User(_) | Line::Organization(_) | Line::Membership(_) | Line::Invitation(_)) {
            assert!(exported.contains(line), "{line:?} is not in the export");
        }
    }
    let (status, user) = source.api_key(None).await.get("/user_management/users/user_01JAAAAAAAAAAAAAAAAA000005").await;
    assert_eq!((status, user["email"].as_str()), (200, Some("user5@example.test")));
    assert_search_finds_every_user(source.core.store(), "user250@example.test").await;

    // The same file again: every row is unchanged.
    let again = import(source.core.store(), &file, false).await;
    assert_eq!(again.errors(), 0, "{:?}", again.problems);
    for kind in ["user", "membership", "organization", "invitation", "role", "permission"] {
        assert_eq!(again.count(kind, "created") + again.count(kind, "updated"), 0, "{kind}: {:?}", again.counts);
    }
    assert_eq!(again.count("user", "unchanged"), 300);

    // Into another empty store: the export reads the same.
    let target = spawn_app_store().await;
    let first_export = jsonl(&exported);
    let report = import(&target.1, &first_export, false).await;
    assert_eq!(report.errors(), 0, "{:?}", report.problems);
    assert_eq!(sorted(portable(export(&target.1).await)), sorted(portable(exported.clone())));

    // Matched by external ID, a user whose email changed is updated, not created.
    let mut changed = sample(300);
    if let Some(Line::User(user)) =
        changed.iter_mut().find(|line| matches!(line, Line::User(u) if u.id.ends_with("000005")))
    {
        user.email = "renamed5@example.test".into();
        user.first_name = Some("Renamed".into());
    }
    let report = import(source.core.store(), &jsonl(&changed), false).await;
    assert_eq!((report.count("user", "updated"), report.count("user", "created")), (1, 0), "{:?}", report.counts);
    let (_, user) = source.api_key(None).await.get("/user_management/users/user_01JAAAAAAAAAAAAAAAAA000005").await;
    assert_eq!(user["email"], json!("renamed5@example.test"));
}

/// On SQLite, where an import fills the member-search index per batch rather than per row:
/// every user is indexed, and the insert trigger is on again afterwards.
async fn assert_search_finds_every_user(store: &Store, imported_email: &str) {
    if store.backend() != server::store::Backend::Sqlite {
        return;
    }
    let count = |sql: &'static str| async move {
        server::store::db::query_scalar::<i64>(sql).fetch_one(&mut *store.read().await.unwrap()).await.expect("a count")
    };
    let matches = |phrase: String| async move {
        server::store::db::query_scalar::<i64>("SELECT COUNT(*) FROM user_search WHERE user_search MATCH $1")
            .bind(format!("\"{phrase}\""))
            .fetch_one(&mut *store.read().await.unwrap())
            .await
            .expect("a search")
    };
    assert_eq!(count("SELECT COUNT(*) FROM user_search").await, count("SELECT COUNT(*) FROM users").await);
    assert_eq!(matches(imported_email.to_owned()).await, 1);
    assert_eq!(count("SELECT deferred FROM search_fill_deferral").await, 0);
    server::store::db::query(
        "INSERT INTO users (id, email, email_verified, name_key, last_name_key, metadata, is_platform_admin, \
         created_at, updated_at) VALUES ('user_after_import', 'after.import@example.test', 0, '', '', '{}', 0, 0, 0)",
    )
    .execute(&mut *store.read().await.unwrap())
    .await
    .expect("a user written after the import");
    assert_eq!(matches("after.import@example.test".into()).await, 1);
}

/// A fresh store without a server (the database lives as long as the first field).
async fn spawn_app_store() -> (server::store::ScratchDatabase, Store) {
    let database = server::store::ScratchDatabase::new().await.expect("a scratch database");
    let store = Store::open(&database.url).await.expect("store");
    server::core::Core::new(store.clone(), Default::default()).await.expect("core");
    (database, store)
}

#[tokio::test]
async fn a_dry_run_checks_everything_and_writes_nothing() {
    let (_database, store) = spawn_app_store().await;
    let before = sorted(export(&store).await);
    let mut lines = sample(50);
    lines.push(Line::User(transfer::UserLine {
        email: "not an email".into(),
        ..match &lines[10] {
            Line::User(user) => user.clone(),
            _ => unreachable!("line 11 is a user"),
        }
    }));
    let report = import(&store, &jsonl(&lines), true).await;
    assert_eq!(report.count("user", "created"), 50, "{:?}", report.counts);
    assert_eq!(report.count("membership", "created"), 50);
    assert_eq!(report.errors(), 1, "{:?}", report.problems);
    assert_eq!(sorted(export(&store).await), before, "a dry run wrote something");
}

#[tokio::test]
async fn each_bad_row_is_reported_with_its_line_and_reason_and_the_rest_is_imported() {
    let (_database, store) = spawn_app_store().await;
    let user = |email: &str, hash: &str, kind: &str| json!({ "type": "user", "id": "user_01JBBBBBBBBBBBBBBBBBBBBBBB", "email": email, "password_hash": hash, "password_hash_type": kind });
    let lines = [
        json!({ "type": "user", "id": "user_01JCCCCCCCCCCCCCCCCCCCCCCC", "email": "good@example.test" }).to_string(),
        "{ this is not json".to_owned(),
        user("bad email", HASHES[0].1, "bcrypt").to_string(),
        user("md5@example.test", "5f4dcc3b5aa765d61d8327deb882cf99", "md5").to_string(),
        user("costly@example.test", "$2b$15$abcdefghijklmnopqrstuu5Xo0Wzjb8VpVBZ5Xk1Y8XNo3ZrYWiJC", "bcrypt").to_string(),
        user("mismatch@example.test", HASHES[2].1, "bcrypt").to_string(),
        json!({ "type": "membership", "id": "om_01JCCCCCCCCCCCCCCCCCCCCCCC", "organization_id": "org_01JCCCCCCCCCCCCCCCCCCCCCCC", "user_id": "user_01JCCCCCCCCCCCCCCCCCCCCCCC", "status": "active", "roles": ["member"] }).to_string(),
        json!({ "type": "role", "slug": "ghost", "name": "Ghost", "permissions": ["no:such"] }).to_string(),
    ];
    let report = import(&store, (lines.join("\n") + "\n").as_bytes(), false).await;
    let problems: Vec<(u64, String)> = report.problems.iter().map(|row| (row.line, row.to_string())).collect();
    assert_eq!(problems.iter().map(|(line, _)| *line).collect::<Vec<_>>(), vec![2, 3, 4, 5, 6, 7, 8], "{problems:#?}");
    let text = |line: u64| problems.iter().find(|(at, _)| *at == line).unwrap().1.clone();
    assert!(text(3).contains("email"), "{}", text(3));
    assert!(text(4).contains("password_hash_type") && text(4).contains("md5"), "{}", text(4));
    assert!(text(5).contains("more work"), "{}", text(5));
    assert!(text(6).contains("not a valid bcrypt hash"), "{}", text(6));
    assert!(text(7).contains("organization_id"), "{}", text(7));
    assert!(text(8).contains("no:such"), "{}", text(8));
    assert_eq!(report.count("user", "created"), 1);
    assert_eq!(report.errors(), 7);
}

/// Signs in with a password through the REST API; answers the status.
async fn sign_in(app: &TestApp, api: &Api, email: &str, password: &str) -> u16 {
    let body = json!({ "grant_type": "password", "client_id": api.client_id, "client_secret": api.secret, "email": email, "password": password });
    let response =
        api.http.post(format!("{}/user_management/authenticate", app.base)).json(&body).send().await.unwrap();
    response.status().as_u16()
}

async fn stored_hash(store: &Store, email: &str) -> (String, Option<String>) {
    let mut conn = store.read().await.unwrap();
    server::store::db::query_as("SELECT password_hash, password_hash_type FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn imported_hashes_of_every_type_sign_in_and_become_argon2id() {
    let app = spawn_app().await;
    let api = app.api_key(None).await;
    let lines: Vec<String> = HASHES
        .iter()
        .enumerate()
        .map(|(n, (kind, hash, _))| {
            json!({ "type": "user", "id": format!("user_01JDDDDDDDDDDDDDDDDDDDD{n:03}"), "email": format!("hash{n}@example.test"), "email_verified": true, "password_hash": hash, "password_hash_type": kind }).to_string()
        })
        .collect();
    let report = import(app.core.store(), (lines.join("\n") + "\n").as_bytes(), false).await;
    assert_eq!(report.count("user", "created"), HASHES.len() as u64, "{:?}", report.problems);
    for (n, (kind, hash, password)) in HASHES.iter().enumerate() {
        let email = format!("hash{n}@example.test");
        assert_eq!(stored_hash(app.core.store(), &email).await.0, *hash);
        assert_eq!(sign_in(&app, &api, &email, "wrong password").await, 400, "{kind}");
        assert_eq!(sign_in(&app, &api, &email, password).await, 200, "{kind}");
        let (rehashed, kind_after) = stored_hash(app.core.store(), &email).await;
        assert!(rehashed.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{kind}: {rehashed}");
        assert_eq!(kind_after, None, "{kind}");
        assert_eq!(sign_in(&app, &api, &email, password).await, 200, "{kind} after the rehash");
    }
    // The export carries Roster's own hashes as argon2, and they import as they are.
    let exported = export(app.core.store()).await;
    assert!(
        exported.iter().any(|line| matches!(line, Line::User(u) if u.password_hash_type.as_deref() == Some("argon2")))
    );
}

#[tokio::test]
async fn the_rest_create_user_accepts_every_hash_type() {
    let app = spawn_app().await;
    let api = app.api_key(None).await;
    for (n, (kind, hash, password)) in HASHES.iter().enumerate() {
        let email = format!("rest{n}@example.test");
        let body = json!({ "email": email, "password_hash": hash, "password_hash_type": kind });
        let (status, created) = api.send(Method::POST, "/user_management/users", body).await;
        assert_eq!(status, 201, "{kind}: {created}");
        assert_eq!(sign_in(&app, &api, &email, password).await, 200, "{kind}");
    }
    let body = json!({ "email": "md5@example.test", "password_hash": "5f4dcc3b5aa765d61d8327deb882cf99", "password_hash_type": "md5" });
    let (status, error) = api.send(Method::POST, "/user_management/users", body).await;
    assert_eq!(status, 422, "{error}");
    let body = json!({ "email": "odd@example.test", "password_hash": HASHES[7].1, "password_hash_type": "scrypt" });
    let (status, error) = api.send(Method::POST, "/user_management/users", body).await;
    assert_eq!(status, 422, "{error}");
}
