//! A fresh core on its own SQLite file, for unit tests.

use super::{Core, CoreSettings};
use crate::store::{ScratchDatabase, Store};
use app::directory::*;
use app::ids::*;
use app::model::*;

/// A core over a fresh database that lives as long as the fixture.
pub struct Fixture {
    pub core: Core,
    _database: ScratchDatabase,
}

impl Fixture {
    /// Opens a fresh database.
    pub async fn new() -> Self {
        let database = ScratchDatabase::new().await.expect("a scratch database");
        let store = Store::open(&database.url).await.expect("store opens");
        let core = Core::new(store, CoreSettings::default()).await.expect("core starts");
        Self { core, _database: database }
    }

    /// An environment-wide admin grant.
    pub fn system(&self) -> Admin {
        Caller::system().admin().unwrap()
    }

    /// Creates an organization.
    pub async fn organization(&self, name: &str) -> Organization {
        self.core
            .create_organization(&self.system(), NewOrganization { name: name.into(), ..Default::default() })
            .await
            .unwrap()
    }

    /// Creates a user with a password.
    pub async fn user(&self, email: &str) -> User {
        self.core
            .create_user(
                &self.system(),
                NewUser { email: email.into(), password: Some("correct horse".into()), ..Default::default() },
            )
            .await
            .unwrap()
    }

    /// Creates a user who is an active member of `organization` with `role`.
    pub async fn member(&self, organization: &Organization, email: &str, role: &str) -> (User, OrganizationMembership) {
        let user = self.user(email).await;
        let membership = self
            .core
            .create_membership(
                &self.system(),
                NewMembership {
                    organization_id: organization.id.clone(),
                    user_id: user.id.clone(),
                    role_slugs: vec![role.into()],
                    status: MembershipStatus::Active,
                },
            )
            .await
            .unwrap();
        (user, membership)
    }

    /// An admin grant limited to one organization, as an org admin's session gets.
    pub async fn admin_of(&self, organization: &Organization) -> Admin {
        let (user, _) = self
            .member(
                organization,
                &format!("admin-{}@example.com", OrganizationId::generate().as_str().to_lowercase()),
                roles::ADMIN,
            )
            .await;
        let signed_in = self
            .core
            .sign_in(PasswordLogin {
                email: user.email,
                password: "correct horse".into(),
                ip_address: None,
                user_agent: None,
            })
            .await
            .unwrap();
        self.core.resolve_session(&signed_in.token).await.unwrap().admin().unwrap()
    }

    /// An owner grant limited to one organization, as an owner's session gets.
    pub async fn owner_of(&self, organization: &Organization) -> Admin {
        let email = format!("owner-{}@example.com", OrganizationId::generate().as_str().to_lowercase());
        self.member(organization, &email, roles::OWNER).await;
        let login = PasswordLogin { email, password: "correct horse".into(), ip_address: None, user_agent: None };
        let signed_in = self.core.sign_in(login).await.unwrap();
        self.core.resolve_session(&signed_in.token).await.unwrap().admin().unwrap()
    }

    /// The grant of an API key limited to one organization.
    pub fn key_of(&self, organization: &Organization) -> Admin {
        let scope = Scope::Organization(organization.id.clone());
        Caller::from_api_key(ApiKeyId::generate(), "client_tests".into(), scope).admin().unwrap()
    }

    /// Adds an existing user to an organization.
    pub async fn join(&self, organization: &Organization, user: &User, role: &str) -> OrganizationMembership {
        let membership = NewMembership {
            organization_id: organization.id.clone(),
            user_id: user.id.clone(),
            role_slugs: vec![role.into()],
            status: MembershipStatus::Active,
        };
        self.core.create_membership(&self.system(), membership).await.unwrap()
    }

    /// The names of the events recorded so far.
    pub async fn events(&self) -> Vec<String> {
        let mut conn = self.core.store().read().await.unwrap();
        crate::store::directory::event_names(&mut conn).await.unwrap()
    }
}

/// The password grant of `POST /user_management/authenticate`.
pub fn password(email: &str, password: &str) -> Grant {
    Grant::Password { email: email.into(), password: password.into(), invitation_token: None }
}

/// The magic-auth grant of `POST /user_management/authenticate`.
pub fn magic(email: &str, code: &str) -> Grant {
    Grant::MagicAuth { email: email.into(), code: code.into(), invitation_token: None }
}

/// A six-digit code other than `code`.
pub fn other_than(code: &str) -> String {
    format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
}
