//! Data that Roster creates itself: the first start's admin (and, when asked for, the demo
//! organizations and a development API key), and the bulk data generator behind `roster seed`
//! and the benchmarks.

use crate::core::{Core, password};
use crate::store::directory::{self as db, SeedMember, UserRecord};
use crate::store::{commit, now_ms};
use app::directory::{ApiKeys, Caller, NewApiKey, NewInvitation, NewMembership, NewOrganization, NewUser};
use app::error::AppError;
use app::ids::{MembershipId, OrganizationId, UserId};
use app::model::{CreatedApiKey, DomainState, MembershipStatus, Metadata, Organization, roles};
use rand::distributions::{Alphanumeric, DistString};

/// The settings key that marks a bootstrapped install.
const BOOTSTRAPPED: &str = "bootstrapped_at";

/// What the first start should create.
#[derive(Clone, Debug)]
pub struct Bootstrap {
    /// The first admin's email.
    pub admin_email: String,
    /// The first admin's password; generated when not given.
    pub admin_password: Option<String>,
    /// Create the demo organizations, users and invitations, and a development API key.
    pub demo_data: bool,
    /// The demo users' shared password; generated when not given.
    pub demo_password: Option<String>,
    /// Create a development API key with this secret (even without demo data).
    pub api_key: Option<String>,
    /// That key's client ID; generated when not given.
    pub api_key_client_id: Option<String>,
}

/// Credentials created by the first start, to print once.
#[derive(Clone, Debug)]
pub struct FirstStart {
    pub admin_email: String,
    pub admin_password: String,
    /// The demo users' password, when demo data was created.
    pub demo_password: Option<String>,
    /// One demo member without admin rights, to try the member's view.
    pub demo_member_email: Option<String>,
}

fn generated_password() -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), 20)
}

const FIRST_NAMES: [&str; 49] = [
    "Olivia", "Liam", "Amara", "Noah", "Sofia", "Mateo", "Yuki", "Elena", "Kwame", "Priya", "Lucas", "Ingrid", "Diego",
    "Hana", "Omar", "Chloe", "Ravi", "Freya", "Tomás", "Aisha", "Jonas", "Mei", "Felix", "Nadia", "Arjun", "Clara",
    "Emeka", "Lena", "Marco", "Zara", "Hugo", "Ines", "Kenji", "Maya", "Pablo", "Sana", "Theo", "Vera", "Wei", "Yara",
    "Anton", "Bianca", "Cyrus", "Dalia", "Erik", "Fatima", "Gustav", "Helena", "Ivan",
];
const LAST_NAMES: [&str; 49] = [
    "Okafor",
    "Nguyen",
    "Larsen",
    "García",
    "Rossi",
    "Tanaka",
    "Petrov",
    "Mensah",
    "Sharma",
    "Dubois",
    "Berg",
    "Morales",
    "Kim",
    "Haddad",
    "Martin",
    "Iyer",
    "Holm",
    "Silva",
    "Yilmaz",
    "Schmidt",
    "Chen",
    "Novak",
    "Abebe",
    "Fischer",
    "Patel",
    "Moreau",
    "Eze",
    "Weber",
    "Conti",
    "Ahmed",
    "Laurent",
    "Costa",
    "Sato",
    "Cohen",
    "Ruiz",
    "Khan",
    "Lund",
    "Horvat",
    "Zhang",
    "Farah",
    "Keller",
    "Romano",
    "Tehrani",
    "Aziz",
    "Nilsson",
    "Diallo",
    "Lindqvist",
    "Park",
    "Volkov",
];

/// Creates the first admin and, if asked, demo data, unless the install was bootstrapped
/// before. Everything is created in one transaction, so a failed first start leaves nothing.
pub async fn first_start(core: &Core, bootstrap: &Bootstrap) -> Result<Option<FirstStart>, AppError> {
    let mut tx = core.store().begin().await?;
    if db::setting(&mut tx, BOOTSTRAPPED).await?.is_some() {
        return Ok(None);
    }
    let admin_password = bootstrap.admin_password.clone().unwrap_or_else(generated_password);
    let admin = Core::insert_new_user(
        &mut tx,
        NewUser {
            email: bootstrap.admin_email.clone(),
            password: Some(admin_password.clone()),
            first_name: Some("Roster".into()),
            last_name: Some("Admin".into()),
            email_verified: true,
            ..Default::default()
        },
        true,
    )
    .await?;

    let mut demo_password = None;
    let mut demo_member_email = None;
    if bootstrap.demo_data {
        let password = bootstrap.demo_password.clone().unwrap_or_else(generated_password);
        // One hash serves every demo user: the same password would give the same work anyway.
        let hash = password::hash(password.clone()).await?;
        let acme = Core::insert_new_organization(&mut tx, demo_organization("Acme Corporation", "acme.test")).await?;
        let globex = Core::insert_new_organization(&mut tx, demo_organization("Globex Inc", "globex.test")).await?;
        join(&mut tx, &acme, &admin.id, roles::OWNER, MembershipStatus::Active).await?;
        join(&mut tx, &globex, &admin.id, roles::ADMIN, MembershipStatus::Active).await?;

        for (index, (first, last)) in FIRST_NAMES.iter().zip(LAST_NAMES.iter()).enumerate() {
            let email = format!("{}.{}@acme.test", ascii_lower(first), ascii_lower(last));
            let user = Core::insert_new_user(
                &mut tx,
                NewUser {
                    email: email.clone(),
                    first_name: Some((*first).into()),
                    last_name: Some((*last).into()),
                    email_verified: true,
                    ..Default::default()
                },
                false,
            )
            .await?;
            db::set_password_hash(&mut tx, &user.id, &hash, now_ms()).await?;
            let (role, status) = match index {
                0 => (roles::OWNER, MembershipStatus::Active),
                1..=4 => (roles::ADMIN, MembershipStatus::Active),
                5 => (roles::MEMBER, MembershipStatus::Inactive),
                6 => (roles::MEMBER, MembershipStatus::Pending),
                _ => (roles::MEMBER, MembershipStatus::Active),
            };
            join(&mut tx, &acme, &user.id, role, status).await?;
            if index == 7 {
                demo_member_email = Some(email);
            }
            if index < 3 {
                let role = if index == 0 { roles::OWNER } else { roles::MEMBER };
                join(&mut tx, &globex, &user.id, role, MembershipStatus::Active).await?;
            }
        }
        for (organization, email, role) in [
            (&acme, "new.hire@acme.test", roles::MEMBER),
            (&acme, "contractor@partner.test", roles::MEMBER),
            (&acme, "cto.candidate@acme.test", roles::ADMIN),
            (&globex, "analyst@globex.test", roles::MEMBER),
        ] {
            core.insert_invitation(
                &mut tx,
                NewInvitation {
                    email: email.into(),
                    organization_id: Some(organization.id.clone()),
                    role_slug: Some(role.into()),
                    expires_in_days: None,
                    inviter_user_id: Some(admin.id.clone()),
                },
            )
            .await?;
        }
        demo_password = Some(password);
    }
    db::put_setting(&mut tx, BOOTSTRAPPED, &now_ms().to_string()).await?;
    commit(tx).await?;
    Ok(Some(FirstStart { admin_email: admin.email, admin_password, demo_password, demo_member_email }))
}

/// Creates the development API key a first start asks for: one with the configured secret, or
/// with demo data one with a generated secret; `None` when neither was asked for.
///
/// Call it once [`first_start`] has set the install up and its credentials have been shown:
/// the key is made through the core, in a transaction of its own, so a refused secret cannot
/// undo the set-up and lose the admin's generated password.
#[allow(clippy::disallowed_methods, reason = "the first start's key is made by Roster itself")]
pub async fn development_key(core: &Core, bootstrap: &Bootstrap) -> Result<Option<CreatedApiKey>, AppError> {
    if bootstrap.api_key.is_none() && !bootstrap.demo_data {
        return Ok(None);
    }
    let key = NewApiKey {
        name: "Development key".into(),
        organization_id: None,
        client_id: bootstrap.api_key_client_id.clone(),
        secret: bootstrap.api_key.clone(),
    };
    core.create_api_key(&Caller::system().admin()?, key).await.map(Some)
}

fn ascii_lower(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'á' => 'a',
            'í' => 'i',
            'ç' => 'c',
            c => c.to_ascii_lowercase(),
        })
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

fn demo_organization(name: &str, domain: &str) -> NewOrganization {
    NewOrganization {
        name: name.into(),
        domains: vec![(domain.into(), DomainState::Verified)],
        external_id: None,
        metadata: Metadata::from([("plan".to_owned(), "demo".to_owned())]),
    }
}

async fn join(
    conn: &mut crate::store::Connection,
    organization: &Organization,
    user: &UserId,
    role: &str,
    status: MembershipStatus,
) -> Result<(), AppError> {
    Core::insert_membership(
        conn,
        NewMembership {
            organization_id: organization.id.clone(),
            user_id: user.clone(),
            role_slugs: vec![role.into()],
            status,
        },
    )
    .await
    .map(drop)
}

/// What `seed_bulk` created.
#[derive(Clone, Debug)]
pub struct BulkSeed {
    /// The organizations, largest first.
    pub organizations: Vec<(OrganizationId, usize)>,
}

/// Loads `users` users into `organizations` organizations for benchmarks and load tests.
///
/// Membership is skewed as in real installs: a few large organizations (one per 2,000, at
/// least one) share half the users, and the rest spread evenly over the others. Rows are
/// written through multi-row inserts in large transactions, without events: this is test
/// data, not history. About seven in ten users have signed in at some point.
pub async fn seed_bulk(
    core: &Core,
    users: usize,
    organizations: usize,
    progress: impl Fn(usize),
) -> Result<BulkSeed, AppError> {
    const BATCH: usize = 500;
    let organizations = organizations.max(1);
    let large = (organizations / 2_000).max(1);
    let sizes: Vec<usize> = if organizations == 1 {
        vec![users]
    } else {
        let (half, rest, small) = (users / 2, users - users / 2, organizations - large);
        (0..organizations)
            .map(|i| {
                if i < large {
                    half / large + usize::from(i < half % large)
                } else {
                    rest / small + usize::from(i - large < rest % small)
                }
            })
            .collect()
    };

    let run = ulid::Ulid::new().to_string().to_lowercase();
    let mut created = Vec::new();
    let mut tx = core.store().begin().await?;
    for (index, size) in sizes.iter().enumerate() {
        let organization = Core::insert_new_organization(
            &mut tx,
            NewOrganization { name: format!("Load test {index:05}"), ..Default::default() },
        )
        .await?;
        created.push((organization.id, *size));
    }
    commit(tx).await?;

    let started = now_ms();
    let mut written = 0;
    let mut batch = Vec::with_capacity(BATCH);
    let mut tx = core.store().begin().await?;
    for (organization, size) in &created {
        for _ in 0..*size {
            let first = FIRST_NAMES[written % FIRST_NAMES.len()];
            let last = LAST_NAMES[(written / FIRST_NAMES.len()) % LAST_NAMES.len()];
            let now = now_ms();
            batch.push(SeedMember {
                user: UserRecord {
                    id: UserId::generate(),
                    email: format!("{}.{}.{written}.{run}@load.test", ascii_lower(first), ascii_lower(last)),
                    email_verified: true,
                    first_name: Some(first.into()),
                    last_name: Some(last.into()),
                    locale: None,
                    external_id: None,
                    metadata: Metadata::new(),
                    password_hash: None,
                    is_platform_admin: false,
                    created_at: now,
                    updated_at: now,
                },
                // Spread over the last thirty days, deterministically.
                last_sign_in_at: (written % 10 < 7)
                    .then(|| started - ((written as i64 * 7_919) % (30 * 24 * 3_600_000))),
                membership_id: MembershipId::generate(),
                organization_id: organization.clone(),
                status: if written % 97 == 0 { MembershipStatus::Inactive } else { MembershipStatus::Active },
                role: if written % 50 == 0 { roles::ADMIN } else { roles::MEMBER },
            });
            written += 1;
            if batch.len() == BATCH {
                db::insert_seed_members(&mut tx, &batch).await?;
                batch.clear();
                if written % 20_000 == 0 {
                    commit(tx).await?;
                    tx = core.store().begin().await?;
                    progress(written);
                }
            }
        }
    }
    db::insert_seed_members(&mut tx, &batch).await?;
    commit(tx).await?;
    // Plans for freshly loaded tables are only good once the planner has statistics.
    core.store().analyze().await?;
    progress(written);
    Ok(BulkSeed { organizations: created })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testing::Fixture;
    use app::directory::{Invitations, Memberships, Organizations, UserQuery, Users};
    use app::model::{MemberFilter, Page};

    fn bootstrap() -> Bootstrap {
        Bootstrap {
            admin_email: "admin@roster.test".into(),
            admin_password: Some("first admin password".into()),
            demo_data: true,
            demo_password: Some("demo password".into()),
            api_key: None,
            api_key_client_id: None,
        }
    }

    fn all_users() -> UserQuery {
        UserQuery { page: Page { limit: 100, ..Page::default() }, ..Default::default() }
    }

    #[tokio::test]
    async fn the_first_start_seeds_once_and_a_second_start_creates_nothing() {
        let fx = Fixture::new().await;
        let first = first_start(&fx.core, &bootstrap()).await.unwrap().expect("the first start seeds");
        assert_eq!(first.admin_email, "admin@roster.test");
        let key = development_key(&fx.core, &bootstrap()).await.unwrap().expect("demo data brings a key");
        assert!(key.value.starts_with("sk_"));
        let admin = fx.system();
        let users = fx.core.list_users(&admin, all_users()).await.unwrap().data.len();
        assert_eq!(users, 50, "the admin and 49 demo users");
        let invitations = fx.core.list_invitations(&admin, Default::default()).await.unwrap().data.len();
        assert_eq!(invitations, 4);

        assert!(first_start(&fx.core, &bootstrap()).await.unwrap().is_none());
        assert_eq!(fx.core.list_users(&admin, all_users()).await.unwrap().data.len(), users);
        assert_eq!(fx.core.list_invitations(&admin, Default::default()).await.unwrap().data.len(), invitations);
    }

    #[tokio::test]
    async fn a_plain_first_start_creates_only_the_admin() {
        let fx = Fixture::new().await;
        let plain = Bootstrap { demo_data: false, demo_password: None, ..bootstrap() };
        let first = first_start(&fx.core, &plain).await.unwrap().expect("the first start creates the admin");
        assert_eq!((first.demo_password, first.demo_member_email), (None, None));
        assert!(development_key(&fx.core, &plain).await.unwrap().is_none());

        let admin = fx.system();
        let users = fx.core.list_users(&admin, all_users()).await.unwrap().data;
        assert_eq!(users.iter().map(|user| user.email.as_str()).collect::<Vec<_>>(), ["admin@roster.test"]);
        assert!(fx.core.list_organizations(&admin, Default::default()).await.unwrap().data.is_empty());
        assert!(fx.core.list_invitations(&admin, Default::default()).await.unwrap().data.is_empty());
        assert!(fx.core.list_api_keys(&admin).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_configured_api_key_is_created_without_demo_data() {
        let fx = Fixture::new().await;
        let secret = "sk_test_0123456789abcdef0123456789abcdef";
        let with_key = Bootstrap {
            demo_data: false,
            api_key: Some(secret.into()),
            api_key_client_id: Some("client_development".into()),
            ..bootstrap()
        };
        first_start(&fx.core, &with_key).await.unwrap().expect("the first start creates the admin");
        let key = development_key(&fx.core, &with_key).await.unwrap().expect("the configured key");
        assert_eq!((key.value.as_str(), key.key.client_id.as_str()), (secret, "client_development"));
        assert!(fx.core.authenticate_api_key(secret).await.is_ok());
        assert!(fx.core.list_organizations(&fx.system(), Default::default()).await.unwrap().data.is_empty());
    }

    #[tokio::test]
    async fn bulk_seeding_skews_organizations_and_lists_every_member() {
        let fx = Fixture::new().await;
        let seeded = seed_bulk(&fx.core, 1_000, 20, |_| {}).await.unwrap();
        assert_eq!(seeded.organizations.len(), 20);
        assert_eq!(seeded.organizations.iter().map(|o| o.1).sum::<usize>(), 1_000);
        assert_eq!(seeded.organizations[0].1, 500, "the one large organization holds half");
        let admin = fx.system();
        let (largest, size) = seeded.organizations[0].clone();
        let mut seen = 0;
        let mut after = None;
        loop {
            let page = Page { limit: 100, after, ..Page::default() };
            let list = fx.core.list_members(&admin, &largest, MemberFilter::default(), page).await.unwrap();
            seen += list.data.len();
            match list.list_metadata.after {
                Some(cursor) => after = Some(cursor),
                None => break,
            }
        }
        assert_eq!(seen, size);
    }
}
