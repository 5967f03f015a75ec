//! `Idempotency-Key`: a POST retried with the same key and API key gets the first answer
//! again instead of running twice. Answers are kept in the store, so a retry that lands on
//! another replica is answered the same way.

use super::{ApiError, RestState, bearer};
use crate::store::api::{self, IdempotencyClaim};
use crate::store::now_ms;
use crate::web::BODY_LIMIT;
use app::error::{AppError, Conflict};
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// Calls whose answers carry a credential (tokens, reset links, sign-in codes), which is never
/// stored: a retry runs the call again.
const CARRIES_SECRETS: [&str; 4] = [
    "/user_management/authenticate",
    "/user_management/password_reset",
    "/user_management/magic_auth",
    "/auth/factors/enroll",
];

/// Whether the answer to a POST to `path` carries a credential: one of [`CARRIES_SECRETS`], or
/// a factor enrolled for a user (its answer holds the TOTP secret).
pub(super) fn carries_secrets(path: &str) -> bool {
    let enrolls_user_factor = path
        .strip_prefix("/user_management/users/")
        .and_then(|rest| rest.strip_suffix("/auth_factors"))
        .is_some_and(|user| !user.is_empty() && !user.contains('/'));
    CARRIES_SECRETS.contains(&path) || enrolls_user_factor
}

/// The longest `Idempotency-Key` kept; a longer one is refused rather than stored.
pub(super) const MAX_KEY_LENGTH: usize = 255;

/// Replays answers to repeated `Idempotency-Key`s and records first answers.
pub(super) async fn remember_responses(state: &RestState, request: Request, next: Next) -> Response {
    let key = request.headers().get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    if request.method() == Method::POST && key.as_ref().is_some_and(|key| key.chars().count() > MAX_KEY_LENGTH) {
        let message = format!("Idempotency-Key must be at most {MAX_KEY_LENGTH} characters.");
        return ApiError(AppError::invalid("Idempotency-Key", "idempotency_key_invalid", message)).into_response();
    }
    let replayable = request.method() == Method::POST && !carries_secrets(request.uri().path());
    let (Some(key), true) = (key, replayable) else { return next.run(request).await };
    let (parts, body) = request.into_parts();
    let caller = match bearer(&parts) {
        Some(secret) => state.directory.authenticate_api_key(secret).await.ok(),
        None => None,
    };
    let Some(api_key) = caller.as_ref().and_then(|caller| caller.api_key()).map(ToString::to_string) else {
        // The handler answers 401.
        return next.run(Request::from_parts(parts, body)).await;
    };
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return ApiError(AppError::TooLarge { limit_kib: BODY_LIMIT as u64 / 1024 }).into_response();
    };
    let mut hasher = Sha256::new();
    hasher.update(parts.uri.to_string().as_bytes());
    hasher.update([0]);
    hasher.update(&bytes);
    let fingerprint = hex::encode(hasher.finalize());

    let claim = match state.store.read().await {
        Ok(mut conn) => api::claim_idempotency_key(&mut conn, &api_key, &key, &fingerprint, now_ms()).await,
        Err(error) => Err(error),
    };
    match claim {
        Err(error) => return ApiError(error.into()).into_response(),
        Ok(IdempotencyClaim::Answered { status, body }) => return replay(status, body),
        Ok(IdempotencyClaim::InProgress) => {
            return ApiError(AppError::conflict(
                Conflict::IdempotencyKeyInProgress,
                "A request with this Idempotency-Key is still running.",
            ))
            .into_response();
        }
        Ok(IdempotencyClaim::Mismatch) => {
            return ApiError(AppError::conflict(
                Conflict::IdempotencyKeyReused,
                "This Idempotency-Key was already used for a different request.",
            ))
            .into_response();
        }
        Ok(IdempotencyClaim::Claimed) => {}
    }

    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, BODY_LIMIT * 8).await else {
        return ApiError(AppError::Internal).into_response();
    };
    if let Ok(mut conn) = state.store.read().await {
        let stored = if parts.status.is_server_error() {
            // Let a retry run the request again.
            api::release_idempotency_key(&mut conn, &api_key, &key).await
        } else {
            api::record_idempotent_answer(
                &mut conn,
                &api_key,
                &key,
                parts.status.as_u16(),
                &String::from_utf8_lossy(&bytes),
            )
            .await
        };
        if let Err(error) = stored {
            tracing::warn!(?error, "could not record an idempotent answer");
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn replay(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    if status == StatusCode::NO_CONTENT {
        *response.body_mut() = Body::empty();
    }
    response
}

#[cfg(test)]
mod tests {
    use super::carries_secrets;

    #[test]
    fn answers_with_secrets_are_never_kept() {
        for path in
            ["/user_management/authenticate", "/auth/factors/enroll", "/user_management/users/user_01/auth_factors"]
        {
            assert!(carries_secrets(path), "{path}");
        }
        for path in ["/user_management/users", "/user_management/users/user_01", "/user_management/users//auth_factors"]
        {
            assert!(!carries_secrets(path), "{path}");
        }
    }
}
