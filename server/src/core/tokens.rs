//! Access tokens: RS256 JWTs signed with a key kept in the store, so that every replica
//! signs with, and publishes, the same key.

use super::Core;
use crate::store::directory as db;
use crate::store::{commit, now_ms};
use app::error::AppError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rsa::RsaPrivateKey;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// How long an access token is valid.
pub const ACCESS_TOKEN_SECONDS: i64 = 10 * 60;

const SIGNING_KEY_SETTING: &str = "jwt_signing_key";

/// The key that signs access tokens, with its public half as a JWK.
pub struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    jwk: serde_json::Value,
}

#[derive(Serialize, Deserialize)]
struct StoredKey {
    kid: String,
    pem: String,
}

/// The claims of an access token, as the WorkOS SDKs read them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub sid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    pub roles: Vec<String>,
    pub permissions: Vec<String>,
    pub exp: i64,
    pub iat: i64,
    /// When the user signed in (seconds), kept across refreshes; the Python SDK requires it.
    pub auth_time: i64,
    pub jti: String,
}

impl SigningKey {
    fn from_stored(stored: &StoredKey) -> Result<Self, AppError> {
        let private = RsaPrivateKey::from_pkcs1_pem(&stored.pem).map_err(|error| {
            tracing::error!(%error, "the stored signing key does not parse");
            AppError::Internal
        })?;
        let encoding = EncodingKey::from_rsa_pem(stored.pem.as_bytes()).map_err(|error| {
            tracing::error!(%error, "the stored signing key is not usable");
            AppError::Internal
        })?;
        let jwk = serde_json::json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": stored.kid,
            "n": URL_SAFE_NO_PAD.encode(private.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(private.e().to_bytes_be()),
        });
        let decoding = DecodingKey::from_rsa_components(
            &URL_SAFE_NO_PAD.encode(private.n().to_bytes_be()),
            &URL_SAFE_NO_PAD.encode(private.e().to_bytes_be()),
        )
        .map_err(|error| {
            tracing::error!(%error, "the stored signing key has no usable public half");
            AppError::Internal
        })?;
        Ok(Self { kid: stored.kid.clone(), encoding, decoding, jwk })
    }

    /// Verifies a token this key signed for `audience`, unexpired; `None` for anything else.
    pub fn verify<T: serde::de::DeserializeOwned>(&self, token: &str, audience: &str) -> Option<T> {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "aud", "sub"]);
        validation.leeway = 0;
        jsonwebtoken::decode::<T>(token, &self.decoding, &validation).ok().map(|data| data.claims)
    }

    /// Signs claims into a compact JWT, on the blocking pool: an RSA signature takes about a
    /// millisecond of CPU, and an async worker busy that long delays every task queued on it
    /// (among them the transactions that hold SQLite's one writer).
    pub async fn sign<C: Serialize + Send + 'static>(self: &Arc<Self>, claims: C) -> Result<String, AppError> {
        let key = self.clone();
        tokio::task::spawn_blocking(move || key.sign_now(&claims)).await.map_err(|_| AppError::Internal)?
    }

    fn sign_now(&self, claims: &impl Serialize) -> Result<String, AppError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).map_err(|error| {
            tracing::error!(%error, "signing an access token failed");
            AppError::Internal
        })
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> &serde_json::Value {
        &self.jwk
    }
}

fn generate() -> Result<StoredKey, AppError> {
    let private = RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).map_err(|error| {
        tracing::error!(%error, "generating the signing key failed");
        AppError::Internal
    })?;
    let pem = private.to_pkcs1_pem(LineEnding::LF).map_err(|_| AppError::Internal)?.to_string();
    Ok(StoredKey { kid: format!("key_{}", app::ids::new_ulid()), pem })
}

impl Core {
    /// The signing key: read from the store, or created there on first use. Replicas racing
    /// to create it all end up with the one that was stored first.
    pub(crate) async fn signing_key(&self) -> Result<Arc<SigningKey>, AppError> {
        self.signing_key
            .get_or_try_init(|| async {
                let stored = {
                    let mut conn = self.store.read().await?;
                    db::setting(&mut conn, SIGNING_KEY_SETTING).await?
                };
                let stored = match stored {
                    Some(json) => json,
                    None => {
                        let fresh = tokio::task::spawn_blocking(generate).await.map_err(|_| AppError::Internal)??;
                        let json = serde_json::to_string(&fresh).map_err(|_| AppError::Internal)?;
                        let mut tx = self.store.begin().await?;
                        db::insert_setting_if_absent(&mut tx, SIGNING_KEY_SETTING, &json).await?;
                        let stored = db::setting(&mut tx, SIGNING_KEY_SETTING).await?.ok_or(AppError::Internal)?;
                        commit(tx).await?;
                        stored
                    }
                };
                let stored: StoredKey = serde_json::from_str(&stored).map_err(|_| AppError::Internal)?;
                SigningKey::from_stored(&stored).map(Arc::new)
            })
            .await
            .cloned()
    }

    /// Claims for a session's access token.
    pub(crate) fn access_claims(
        &self,
        user: &str,
        session: &str,
        signed_in_at_ms: i64,
        organization: Option<&str>,
        roles: Vec<String>,
        permissions: Vec<String>,
    ) -> AccessClaims {
        let now = now_ms() / 1000;
        AccessClaims {
            iss: self.settings.public_url.trim_end_matches('/').to_owned(),
            sub: user.to_owned(),
            sid: session.to_owned(),
            org_id: organization.map(str::to_owned),
            role: roles.first().cloned(),
            roles,
            permissions,
            exp: now + ACCESS_TOKEN_SECONDS,
            iat: now,
            auth_time: signed_in_at_ms / 1000,
            jti: app::ids::new_ulid(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::core::testing::Fixture;
    use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};

    #[tokio::test]
    async fn tokens_verify_with_the_published_key_and_the_key_survives_a_restart() {
        let fx = Fixture::new().await;
        let key = fx.core.signing_key().await.unwrap();
        let claims = fx.core.access_claims(
            "user_1",
            "session_1",
            1_700_000_000_000,
            Some("org_1"),
            vec!["admin".into()],
            vec![],
        );
        let token = key.sign(claims.clone()).await.unwrap();
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(key.jwk().clone()).unwrap();
        assert_eq!(decode_header(&token).unwrap().kid.as_deref(), jwk.common.key_id.as_deref());
        let decoded = decode::<super::AccessClaims>(
            &token,
            &DecodingKey::from_jwk(&jwk).unwrap(),
            &Validation::new(jsonwebtoken::Algorithm::RS256),
        )
        .unwrap();
        assert_eq!(decoded.claims, claims);

        let restarted = crate::core::Core::new(fx.core.store().clone(), fx.core.settings().clone()).await.unwrap();
        assert_eq!(restarted.signing_key().await.unwrap().jwk(), key.jwk());
    }
}
