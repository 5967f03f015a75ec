//! Users: create, read, update, delete.

use super::events::{Change, record_change};
use super::{Core, password, record, validate};
use crate::store::directory::{self as db, Lockable, UserRecord};
use crate::store::{Connection, commit, now_ms};
use app::directory::{
    Admin, ImportedPasswordHash, NewUser, Scope, UserQuery, UserStanding, UserUpdate, Users, Visible,
};
use app::error::{AppError, Conflict, FieldErrors};
use app::ids::UserId;
use app::model::{List, User};
use async_trait::async_trait;

impl Core {
    /// Reads a user and where they stand, or "not found".
    async fn user_and_standing(
        conn: &mut Connection,
        admin: &Admin,
        id: &UserId,
    ) -> Result<(User, UserStanding), AppError> {
        let user = db::find_user(conn, id).await?.ok_or_else(|| AppError::not_found("User"))?;
        let standing = Self::standing_for(conn, admin, id).await?;
        Ok((user, standing))
    }

    /// Where a user stands, as the grant's decisions need it. Environment grants see and
    /// manage everyone whatever their memberships, so for them nothing is read: the queries
    /// stay off their hot paths (reading a user, signing in).
    pub(crate) async fn standing_for(
        conn: &mut Connection,
        admin: &Admin,
        id: &UserId,
    ) -> Result<UserStanding, AppError> {
        match admin.scope() {
            Scope::Environment => Ok(UserStanding::default()),
            Scope::Organization(_) => Ok(db::user_standing(conn, id).await?),
        }
    }

    /// Reads a user the grant sees; others are "not found".
    pub(crate) async fn reachable_user(conn: &mut Connection, admin: &Admin, id: &UserId) -> Result<User, AppError> {
        let (user, standing) = Self::user_and_standing(conn, admin, id).await?;
        admin.require_user(&standing, "User")?;
        Ok(user)
    }

    /// Reads a user whose credentials, email and sessions the grant may change.
    pub(crate) async fn user_for_credentials(
        conn: &mut Connection,
        admin: &Admin,
        id: &UserId,
    ) -> Result<User, AppError> {
        let (user, standing) = Self::user_and_standing(conn, admin, id).await?;
        admin.require_credentials(&standing)?;
        Ok(user)
    }

    /// The answer to an email or external ID that another user already has. Environment
    /// grants get WorkOS's conflict; organization grants get a validation error that does not
    /// tell whether the value belongs to another tenant.
    fn taken(admin: &Admin, field: &'static str) -> AppError {
        let conflict =
            AppError::conflict(Conflict::UserAlreadyExists, "A user with this email or external ID already exists.");
        admin.collision(conflict, field, &field.replace('_', " "))
    }

    /// Creates a user inside a transaction; shared by `create_user` and seeding.
    pub(crate) async fn insert_new_user(
        conn: &mut Connection,
        user: NewUser,
        is_platform_admin: bool,
    ) -> Result<User, AppError> {
        let mut errors = FieldErrors::default();
        let email = errors.check(validate::email("email", &user.email));
        let first_name = errors.check(validate::name("first_name", user.first_name));
        let last_name = errors.check(validate::name("last_name", user.last_name));
        let external_id = errors.check(validate::external_id("external_id", user.external_id));
        errors.check(validate::metadata("metadata", &user.metadata));
        if let Some(password) = &user.password {
            errors.check(validate::password("password", password));
        }
        errors.finish()?;
        let (Some(email), Some(first_name), Some(last_name), Some(external_id)) =
            (email, first_name, last_name, external_id)
        else {
            unreachable!("every field was checked");
        };
        let password_hash = match user.password {
            Some(password) => Some(password::hash(password).await?),
            None => None,
        };
        let now = now_ms();
        let row = UserRecord {
            id: UserId::generate(),
            email,
            email_verified: user.email_verified,
            first_name,
            last_name,
            locale: None,
            external_id,
            metadata: user.metadata,
            password_hash,
            is_platform_admin,
            created_at: now,
            updated_at: now,
        };
        db::insert_user(conn, &row).await.map_err(|error| {
            error.duplicate_as(|| {
                AppError::conflict(Conflict::UserAlreadyExists, "A user with this email or external ID already exists.")
            })
        })?;
        let user = db::find_user(conn, &row.id).await?.ok_or(AppError::Internal)?;
        record(conn, "user.created", None, &user).await?;
        Ok(user)
    }
}

#[async_trait]
impl Users for Core {
    async fn list_users(&self, admin: &Admin, query: UserQuery) -> Result<List<User>, AppError> {
        let visible = admin.visible(query.organization_id);
        if visible == Visible::Nothing {
            return Ok(List::default());
        }
        let page = query.page.checked()?;
        let email = query.email.map(|email| email.trim().to_lowercase());
        let mut conn = self.store.read().await?;
        Ok(db::list_users(&mut conn, email.as_deref(), visible.organization(), &page).await?)
    }

    async fn get_user(&self, admin: &Admin, id: &UserId) -> Result<User, AppError> {
        let mut conn = self.store.read().await?;
        Self::reachable_user(&mut conn, admin, id).await
    }

    async fn create_user(&self, admin: &Admin, user: NewUser) -> Result<User, AppError> {
        admin.require_environment()?;
        let mut tx = self.store.begin().await?;
        let user = Self::insert_new_user(&mut tx, user, false).await?;
        commit(tx).await?;
        Ok(user)
    }

    async fn update_user(&self, admin: &Admin, id: &UserId, update: UserUpdate) -> Result<User, AppError> {
        let mut errors = FieldErrors::default();
        let email = update.email.as_deref().and_then(|email| errors.check(validate::email("email", email)));
        let first_name = update.first_name.map(|name| errors.check(validate::name("first_name", name)));
        let last_name = update.last_name.map(|name| errors.check(validate::name("last_name", name)));
        let external_id = update.external_id.map(|id| errors.check(validate::external_id("external_id", id)));
        let picture =
            update.profile_picture_url.map(|url| errors.check(validate::picture_url("profile_picture_url", url)));
        if let Some(password) = &update.password {
            errors.check(validate::password("password", password));
        }
        errors.finish()?;
        // A new password (hashed here), or a hash from another system with its algorithm.
        let password_hash = match (update.password, update.password_hash) {
            (Some(_), Some(_)) => {
                return Err(AppError::invalid(
                    "password",
                    "password_and_hash",
                    "Send a password or a password_hash, not both.",
                ));
            }
            (Some(password), None) => Some((password::hash(password).await?, None)),
            (None, Some(imported)) => {
                let hash_type = password::check_imported("password_hash", &imported.hash, &imported.hash_type)?;
                Some((imported.hash, Some(hash_type)))
            }
            (None, None) => None,
        };

        let changes_credentials = email.is_some() || update.email_verified.is_some() || password_hash.is_some();
        let mut tx = self.store.begin().await?;
        db::lock_row(&mut tx, Lockable::Users, id.as_str()).await?;
        let mut user = if changes_credentials {
            Self::user_for_credentials(&mut tx, admin, id).await?
        } else {
            Self::reachable_user(&mut tx, admin, id).await?
        };
        let before = user.clone();
        if let Some(email) = email
            && email != user.email
        {
            if db::find_credentials_by_email(&mut tx, &email).await?.is_some() {
                return Err(Self::taken(admin, "email"));
            }
            user.email = email;
            // The new address has not proved it is theirs yet.
            user.email_verified = false;
        }
        if let Some(Some(first_name)) = first_name {
            user.first_name = first_name;
        }
        if let Some(Some(last_name)) = last_name {
            user.last_name = last_name;
        }
        if let Some(Some(external_id)) = external_id
            && external_id != user.external_id
        {
            if let Some(taken) = &external_id
                && db::find_user_by_external_id(&mut tx, taken).await?.is_some()
            {
                return Err(Self::taken(admin, "external_id"));
            }
            user.external_id = external_id;
        }
        if let Some(verified) = update.email_verified {
            user.email_verified = verified;
        }
        if let Some(locale) = update.locale {
            user.locale = locale;
        }
        if let Some(Some(picture)) = picture {
            user.profile_picture_url = picture;
        }
        if let Some(changes) = update.metadata {
            for (key, value) in changes {
                match value {
                    Some(value) => user.metadata.insert(key, value),
                    None => user.metadata.remove(&key),
                };
            }
            validate::metadata("metadata", &user.metadata)?;
        }
        let now = now_ms();
        db::update_user(&mut tx, &user, now)
            .await
            .map_err(|error| error.duplicate_as(|| Self::taken(admin, "email")))?;
        if let Some((hash, hash_type)) = password_hash {
            db::set_password_hash(&mut tx, id, &hash, now).await?;
            if let Some(hash_type) = hash_type {
                db::set_password_hash_type(&mut tx, id, hash_type).await?;
            }
            // Whoever knew the old password is signed out everywhere.
            db::end_sessions_of(&mut tx, id, now).await?;
        }
        let user = db::find_user(&mut tx, id).await?.ok_or(AppError::Internal)?;
        // An organization's grant changes the user as that organization, so it is its event too.
        record_change(&mut tx, Change::by(admin).before(&before), "user.updated", admin.organization(), &user).await?;
        commit(tx).await?;
        Ok(user)
    }

    async fn users_by_id(&self, admin: &Admin, ids: &[UserId]) -> Result<Vec<User>, AppError> {
        let mut conn = self.store.read().await?;
        Ok(db::users_by_id(&mut conn, ids, admin.visible(None).organization()).await?)
    }

    async fn get_user_by_external_id(&self, admin: &Admin, external_id: &str) -> Result<User, AppError> {
        let mut conn = self.store.read().await?;
        let user =
            db::find_user_by_external_id(&mut conn, external_id).await?.ok_or_else(|| AppError::not_found("User"))?;
        Self::reachable_user(&mut conn, admin, &user.id).await
    }

    async fn import_user(&self, admin: &Admin, user: NewUser, hash: ImportedPasswordHash) -> Result<User, AppError> {
        admin.require_environment()?;
        let hash_type = password::check_imported("password_hash", &hash.hash, &hash.hash_type)?;
        let mut tx = self.store.begin().await?;
        let user = Self::insert_new_user(&mut tx, NewUser { password: None, ..user }, false).await?;
        db::set_password_hash(&mut tx, &user.id, &hash.hash, now_ms()).await?;
        db::set_password_hash_type(&mut tx, &user.id, hash_type).await?;
        commit(tx).await?;
        Ok(user)
    }

    async fn delete_user(&self, admin: &Admin, id: &UserId) -> Result<(), AppError> {
        admin.require_environment()?;
        let mut tx = self.store.begin().await?;
        db::lock_row(&mut tx, Lockable::Users, id.as_str()).await?;
        let user = db::find_user(&mut tx, id).await?.ok_or_else(|| AppError::not_found("User"))?;
        // Lock every organization the user belongs to (in one order, so two deletions cannot
        // deadlock) before counting its owners: a concurrent demotion must wait for this.
        for organization in &db::user_standing(&mut tx, id).await?.organizations {
            db::lock_row(&mut tx, Lockable::Organizations, organization.as_str()).await?;
        }
        for membership in db::active_memberships_of(&mut tx, id).await? {
            Self::ensure_keeps_an_owner(&mut tx, &membership, "delete").await?;
        }
        db::delete_user(&mut tx, id).await?;
        record_change(&mut tx, Change::by(admin), "user.deleted", None, &user).await?;
        commit(tx).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::core::testing::Fixture;
    use app::directory::*;
    use app::error::AppError;
    use app::model::User;

    #[tokio::test]
    async fn creating_a_user_records_an_event_and_normalizes_the_email() {
        let fx = Fixture::new().await;
        let user = fx.user("Ada@Example.com").await;
        assert_eq!(user.email, "ada@example.com");
        assert!(fx.events().await.contains(&"user.created".to_owned()));
    }

    #[tokio::test]
    async fn duplicate_emails_are_a_conflict() {
        let fx = Fixture::new().await;
        fx.user("ada@example.com").await;
        let error = fx
            .core
            .create_user(&fx.system(), NewUser { email: "ADA@example.com".into(), ..Default::default() })
            .await
            .unwrap_err();
        assert!(matches!(error, AppError::Conflict { .. }));
    }

    #[tokio::test]
    async fn bad_fields_are_all_reported_and_nothing_is_created() {
        let fx = Fixture::new().await;
        let error = fx
            .core
            .create_user(
                &fx.system(),
                NewUser { email: "not-an-email".into(), first_name: Some("x".repeat(500)), ..Default::default() },
            )
            .await
            .unwrap_err();
        assert!(error.field_message("email").is_some());
        assert!(error.field_message("first_name").is_some());
        assert!(fx.events().await.is_empty());
    }

    #[tokio::test]
    async fn organization_admins_cannot_read_users_outside_their_organization() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let globex = fx.organization("Globex").await;
        let (outsider, _) = fx.member(&globex, "hank@globex.test", "member").await;
        let admin = fx.admin_of(&acme).await;
        assert!(matches!(fx.core.get_user(&admin, &outsider.id).await, Err(AppError::NotFound(_))));
        let foreign = UserQuery { organization_id: Some(globex.id.clone()), ..Default::default() };
        assert!(fx.core.list_users(&admin, foreign).await.unwrap().data.is_empty());
        let update = UserUpdate { first_name: Some(Some("Mallory".into())), ..Default::default() };
        assert!(matches!(fx.core.update_user(&admin, &outsider.id, update).await, Err(AppError::NotFound(_))));
    }

    #[tokio::test]
    async fn metadata_null_values_remove_keys() {
        let fx = Fixture::new().await;
        let user = fx.user("ada@example.com").await;
        let set =
            UserUpdate { metadata: Some([("team".to_owned(), Some("core".to_owned()))].into()), ..Default::default() };
        let user = fx.core.update_user(&fx.system(), &user.id, set).await.unwrap();
        assert_eq!(user.metadata.get("team").map(String::as_str), Some("core"));
        let unset = UserUpdate { metadata: Some([("team".to_owned(), None)].into()), ..Default::default() };
        let user = fx.core.update_user(&fx.system(), &user.id, unset).await.unwrap();
        assert!(user.metadata.is_empty());
    }

    #[tokio::test]
    async fn imported_argon2_hashes_sign_in_and_are_upgraded() {
        use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
        let fx = Fixture::new().await;
        // An argon2i hash with other parameters, as another system might have stored it.
        let params = argon2::Params::new(8 * 1024, 1, 1, None).unwrap();
        let foreign = argon2::Argon2::new(argon2::Algorithm::Argon2i, argon2::Version::V0x13, params)
            .hash_password(b"imported secret", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        let user = NewUser { email: "ada@example.com".into(), ..Default::default() };
        let hash = ImportedPasswordHash { hash: foreign.clone(), hash_type: "argon2".into() };
        fx.core.import_user(&fx.system(), user, hash).await.unwrap();
        let login = PasswordLogin {
            email: "ada@example.com".into(),
            password: "imported secret".into(),
            ip_address: None,
            user_agent: None,
        };
        fx.core.sign_in(login).await.unwrap();
        let mut conn = fx.core.store().read().await.unwrap();
        let stored: String =
            crate::store::db::query_scalar("SELECT password_hash FROM users").fetch_one(&mut *conn).await.unwrap();
        assert!(crate::core::password::is_current(&stored), "rehashed to today's parameters: {stored}");
    }

    /// A user with memberships of both organizations.
    async fn shared_user(fx: &Fixture, first: &app::model::Organization, second: &app::model::Organization) -> User {
        let (user, _) = fx.member(first, "sam@shared.test", "member").await;
        fx.join(second, &user, "member").await;
        user
    }

    fn is_forbidden<T: std::fmt::Debug>(result: Result<T, AppError>) -> bool {
        matches!(result, Err(AppError::Forbidden(_)))
    }

    #[tokio::test]
    async fn an_organization_grant_cannot_take_over_a_user_shared_with_another_organization() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let globex = fx.organization("Globex").await;
        let shared = shared_user(&fx, &acme, &globex).await;
        for grant in [fx.key_of(&acme), fx.owner_of(&acme).await, fx.admin_of(&acme).await] {
            let takeovers = [
                UserUpdate { password: Some("taken over now".into()), ..Default::default() },
                UserUpdate { email: Some("mallory@evil.test".into()), ..Default::default() },
                UserUpdate { email_verified: Some(true), ..Default::default() },
                UserUpdate {
                    password_hash: Some(ImportedPasswordHash {
                        hash: bcrypt::hash("x", 4).unwrap(),
                        hash_type: "bcrypt".into(),
                    }),
                    ..Default::default()
                },
            ];
            for takeover in takeovers {
                assert!(is_forbidden(fx.core.update_user(&grant, &shared.id, takeover.clone()).await), "{takeover:?}");
            }
            assert!(is_forbidden(fx.core.create_password_reset(&grant, &shared.email).await));
            assert!(is_forbidden(fx.core.create_magic_auth(&grant, &shared.email).await));
            assert!(is_forbidden(fx.core.send_email_verification(&grant, &shared.id).await));
            // Reading, and changing what is not a credential, stay allowed.
            assert_eq!(fx.core.get_user(&grant, &shared.id).await.unwrap().email, shared.email);
            let rename = UserUpdate { first_name: Some(Some("Sam".into())), ..Default::default() };
            fx.core.update_user(&grant, &shared.id, rename).await.unwrap();
        }
        // The environment may.
        let reset = UserUpdate { password: Some("a new password".into()), ..Default::default() };
        fx.core.update_user(&fx.system(), &shared.id, reset).await.unwrap();
    }

    #[tokio::test]
    async fn an_organization_grant_cannot_touch_a_platform_admins_credentials() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let root = {
            let mut tx = fx.core.store().begin().await.unwrap();
            let user = NewUser { email: "root@roster.test".into(), ..Default::default() };
            let root = crate::core::Core::insert_new_user(&mut tx, user, true).await.unwrap();
            tx.commit().await.unwrap();
            root
        };
        fx.join(&acme, &root, "owner").await;
        let key = fx.key_of(&acme);
        let takeover = UserUpdate { password: Some("taken over now".into()), ..Default::default() };
        assert!(is_forbidden(fx.core.update_user(&key, &root.id, takeover).await));
        assert!(is_forbidden(fx.core.create_password_reset(&key, &root.email).await));
    }

    #[tokio::test]
    async fn an_organization_grant_manages_the_credentials_of_its_own_users() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let (own, _) = fx.member(&acme, "ada@acme.test", "member").await;
        let key = fx.key_of(&acme);
        let update = UserUpdate { password: Some("a new password".into()), ..Default::default() };
        fx.core.update_user(&key, &own.id, update).await.unwrap();
        fx.core.create_password_reset(&key, &own.email).await.unwrap();
    }

    #[tokio::test]
    async fn a_new_password_ends_every_session_and_a_new_email_is_unverified() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let (user, _) = fx.member(&acme, "ada@acme.test", "member").await;
        let verified = UserUpdate { email_verified: Some(true), ..Default::default() };
        fx.core.update_user(&fx.system(), &user.id, verified).await.unwrap();
        let login = PasswordLogin {
            email: user.email.clone(),
            password: "correct horse".into(),
            ip_address: None,
            user_agent: None,
        };
        let signed_in = fx.core.sign_in(login).await.unwrap();
        let update = UserUpdate { password: Some("a new password".into()), ..Default::default() };
        fx.core.update_user(&fx.system(), &user.id, update).await.unwrap();
        assert_eq!(fx.core.resolve_session(&signed_in.token).await.unwrap_err(), AppError::Unauthenticated);
        let moved = UserUpdate { email: Some("ada@new.test".into()), ..Default::default() };
        let moved = fx.core.update_user(&fx.system(), &user.id, moved).await.unwrap();
        assert_eq!(moved.email, "ada@new.test");
        assert!(!moved.email_verified);
    }

    #[tokio::test]
    async fn collisions_do_not_reveal_other_tenants_to_organization_grants() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let globex = fx.organization("Globex").await;
        let (own, _) = fx.member(&acme, "ada@acme.test", "member").await;
        let (foreign, _) = fx.member(&globex, "hank@globex.test", "member").await;
        let taken = UserUpdate { email: Some(foreign.email.clone()), ..Default::default() };
        let error = fx.core.update_user(&fx.key_of(&acme), &own.id, taken.clone()).await.unwrap_err();
        assert!(error.field_message("email").is_some(), "{error:?}");
        let error = fx.core.update_user(&fx.system(), &own.id, taken).await.unwrap_err();
        assert!(matches!(error, AppError::Conflict { .. }), "{error:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn deleting_an_owner_and_demoting_the_other_never_leave_an_organization_without_one() {
        use app::directory::Memberships;
        let fx = Fixture::new().await;
        for round in 0..5 {
            let acme = fx.organization(&format!("Acme {round}")).await;
            let (first, _) = fx.member(&acme, &format!("first{round}@acme.test"), "owner").await;
            let (_, second) = fx.member(&acme, &format!("second{round}@acme.test"), "owner").await;
            let system = fx.system();
            let (deleted, demoted) = tokio::join!(
                fx.core.delete_user(&system, &first.id),
                fx.core.set_membership_roles(&system, &second.id, vec!["member".into()]),
            );
            assert!(deleted.is_ok() || demoted.is_ok(), "one of them goes through");
            let owners = fx
                .core
                .list_memberships(
                    &system,
                    MembershipQuery { organization_id: Some(acme.id.clone()), ..Default::default() },
                )
                .await
                .unwrap()
                .data
                .into_iter()
                .filter(|m| m.has_role(app::model::roles::OWNER))
                .count();
            assert!(owners >= 1, "round {round}: {deleted:?} {demoted:?}");
        }
    }
}
