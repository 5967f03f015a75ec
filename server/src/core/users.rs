//! Users: create, read, update, delete.

use super::{Core, password, record, validate};
use crate::store::directory::{self as db, Lockable, UserRecord};
use crate::store::{Connection, internal, now_ms, unique_violation};
use app::directory::{Admin, ImportedPasswordHash, NewUser, UserQuery, UserUpdate, Users};
use app::error::{AppError, FieldErrors};
use app::ids::UserId;
use app::model::{List, User};
use async_trait::async_trait;

impl Core {
    /// Reads a user the grant reaches: any user for environment grants, members of the
    /// organization for organization grants.
    pub(crate) async fn user_in_reach(conn: &mut Connection, admin: &Admin, id: &UserId) -> Result<User, AppError> {
        let user = db::find_user(conn, id).await?.ok_or_else(|| AppError::not_found("User"))?;
        if let Some(organization) = admin.organization() {
            let membership = db::find_membership_of(conn, organization, id).await?;
            if membership.is_none() {
                return Err(AppError::not_found("User"));
            }
        }
        Ok(user)
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
            unique_violation(error, || {
                AppError::conflict("user_already_exists", "A user with this email or external ID already exists.")
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
        let Some(organization) = admin.narrow(query.organization_id) else {
            return Ok(List { data: vec![], list_metadata: Default::default() });
        };
        let email = query.email.map(|email| email.trim().to_lowercase());
        let mut conn = self.store.read().await?;
        db::list_users(&mut conn, email.as_deref(), organization.as_ref(), &query.page).await
    }

    async fn get_user(&self, admin: &Admin, id: &UserId) -> Result<User, AppError> {
        let mut conn = self.store.read().await?;
        Self::user_in_reach(&mut conn, admin, id).await
    }

    async fn create_user(&self, admin: &Admin, user: NewUser) -> Result<User, AppError> {
        admin.require_environment()?;
        let mut tx = self.store.begin().await?;
        let user = Self::insert_new_user(&mut tx, user, false).await?;
        tx.commit().await.map_err(internal)?;
        Ok(user)
    }

    async fn update_user(&self, admin: &Admin, id: &UserId, update: UserUpdate) -> Result<User, AppError> {
        let mut errors = FieldErrors::default();
        let email = update.email.as_deref().and_then(|email| errors.check(validate::email("email", email)));
        let first_name = update.first_name.map(|name| errors.check(validate::name("first_name", name)));
        let last_name = update.last_name.map(|name| errors.check(validate::name("last_name", name)));
        let external_id = update.external_id.map(|id| errors.check(validate::external_id("external_id", id)));
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
                password::check_imported("password_hash", &imported.hash, &imported.hash_type)?;
                Some((imported.hash, Some(imported.hash_type)))
            }
            (None, None) => None,
        };

        let mut tx = self.store.begin().await?;
        db::lock_row(&mut tx, Lockable::Users, id.as_str()).await?;
        let mut user = Self::user_in_reach(&mut tx, admin, id).await?;
        if let Some(email) = email {
            user.email = email;
        }
        if let Some(Some(first_name)) = first_name {
            user.first_name = first_name;
        }
        if let Some(Some(last_name)) = last_name {
            user.last_name = last_name;
        }
        if let Some(Some(external_id)) = external_id {
            user.external_id = external_id;
        }
        if let Some(verified) = update.email_verified {
            user.email_verified = verified;
        }
        if let Some(locale) = update.locale {
            user.locale = locale;
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
        db::update_user(&mut tx, &user, now).await.map_err(|error| {
            unique_violation(error, || {
                AppError::conflict("user_already_exists", "A user with this email or external ID already exists.")
            })
        })?;
        if let Some((hash, hash_type)) = password_hash {
            db::set_password_hash(&mut tx, id, &hash, now).await.map_err(internal)?;
            if let Some(hash_type) = hash_type {
                db::set_password_hash_type(&mut tx, id, &hash_type).await.map_err(internal)?;
            }
        }
        let user = db::find_user(&mut tx, id).await?.ok_or(AppError::Internal)?;
        record(&mut tx, "user.updated", None, &user).await?;
        tx.commit().await.map_err(internal)?;
        Ok(user)
    }

    async fn users_by_id(&self, admin: &Admin, ids: &[UserId]) -> Result<Vec<User>, AppError> {
        let mut conn = self.store.read().await?;
        db::users_by_id(&mut conn, ids, admin.organization()).await
    }

    async fn get_user_by_external_id(&self, admin: &Admin, external_id: &str) -> Result<User, AppError> {
        let mut conn = self.store.read().await?;
        let user =
            db::find_user_by_external_id(&mut conn, external_id).await?.ok_or_else(|| AppError::not_found("User"))?;
        Self::user_in_reach(&mut conn, admin, &user.id).await
    }

    async fn import_user(&self, admin: &Admin, user: NewUser, hash: ImportedPasswordHash) -> Result<User, AppError> {
        admin.require_environment()?;
        password::check_imported("password_hash", &hash.hash, &hash.hash_type)?;
        let mut tx = self.store.begin().await?;
        let user = Self::insert_new_user(&mut tx, NewUser { password: None, ..user }, false).await?;
        db::set_password_hash(&mut tx, &user.id, &hash.hash, now_ms()).await.map_err(internal)?;
        db::set_password_hash_type(&mut tx, &user.id, &hash.hash_type).await.map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        Ok(user)
    }

    async fn delete_user(&self, admin: &Admin, id: &UserId) -> Result<(), AppError> {
        admin.require_environment()?;
        let mut tx = self.store.begin().await?;
        db::lock_row(&mut tx, Lockable::Users, id.as_str()).await?;
        let user = Self::user_in_reach(&mut tx, admin, id).await?;
        for membership in db::active_memberships_of(&mut tx, id).await? {
            Self::ensure_keeps_an_owner(&mut tx, &membership, "delete").await?;
        }
        db::delete_user(&mut tx, id).await.map_err(internal)?;
        record(&mut tx, "user.deleted", None, &user).await?;
        tx.commit().await.map_err(internal)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::core::testing::Fixture;
    use app::directory::*;
    use app::error::AppError;

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
        let stored: String = sqlx::query_scalar("SELECT password_hash FROM users").fetch_one(&mut *conn).await.unwrap();
        assert!(crate::core::password::is_current(&stored), "rehashed to today's parameters: {stored}");
    }
}
