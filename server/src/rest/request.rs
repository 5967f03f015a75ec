//! Reading REST requests: bodies, query strings and path IDs, with errors that name the
//! field and never a 5xx for a client's mistake.

use super::ApiError;
use app::error::AppError;
use app::model::{Order, Page};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// A JSON object body. An empty body (which the SDKs send with `Content-Type: application/json`
/// on some calls) reads as `{}`.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            ApiError(if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::TooLarge { limit_kib: crate::web::BODY_LIMIT as u64 / 1024 }
            } else {
                AppError::BadRequest("The request body could not be read.".into())
            })
        })?;
        let text = if bytes.iter().all(u8::is_ascii_whitespace) { &b"{}"[..] } else { &bytes[..] };
        // Every body is an object; serde would also read a struct from an array of its fields
        // in order, which no client means.
        if text.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError(AppError::BadRequest("The body must be a JSON object.".into())));
        }
        let mut deserializer = serde_json::Deserializer::from_slice(text);
        serde_path_to_error::deserialize(&mut deserializer).map(Body).map_err(|error| {
            let field = error.path().to_string();
            let inner = error.into_inner();
            if inner.is_syntax() || inner.is_eof() || field == "." {
                ApiError(AppError::BadRequest(format!("The body is not valid JSON: {inner}")))
            } else {
                ApiError(AppError::invalid(&field, &format!("{field}_invalid"), inner.to_string()))
            }
        })
    }
}

/// The query string as pairs, in order, percent-decoded.
pub struct Query(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Query {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let raw = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(raw)
            .map(Query)
            .map_err(|_| ApiError(AppError::BadRequest("The query string could not be read.".into())))
    }
}

impl Query {
    /// The last value of a parameter; blank counts as absent.
    pub fn get(&self, key: &str) -> Option<String> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// Every value of a list parameter, accepting the SDKs' comma-joined form as well as
    /// repeated keys and `key[]`.
    pub fn list(&self, key: &str) -> Vec<String> {
        let bracketed = format!("{key}[]");
        self.0
            .iter()
            .filter(|(k, _)| k == key || *k == bracketed)
            .flat_map(|(_, v)| v.split(','))
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// `limit`, `before`, `after` and `order`.
    pub fn page(&self) -> Result<Page, ApiError> {
        let limit = match self.get("limit") {
            None => Page::DEFAULT_LIMIT,
            // The range is the core's to check; only a number is read here.
            Some(raw) => raw.parse::<u32>().map_err(|_| ApiError(Page::limit_error()))?,
        };
        let order = match self.get("order").as_deref() {
            None | Some("desc") => Order::Desc,
            Some("asc") => Order::Asc,
            Some(_) => return Err(ApiError(AppError::invalid("order", "order_invalid", "order must be asc or desc."))),
        };
        Ok(Page { limit, before: self.get("before"), after: self.get("after"), order })
    }

    /// A parameter that must be an ID of one kind; a malformed one is a field error.
    pub fn id<T>(&self, key: &str, parse: impl Fn(&str) -> Option<T>) -> Result<Option<T>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(raw) => parse(&raw).map(Some).ok_or_else(|| {
                ApiError(AppError::invalid(key, &format!("{key}_invalid"), format!("{raw:?} is not a valid {key}.")))
            }),
        }
    }
}

/// Parses a path ID; anything malformed is simply not found.
pub fn path_id<T>(raw: &str, parse: impl Fn(&str) -> Option<T>, what: &str) -> Result<T, ApiError> {
    parse(raw).ok_or_else(|| ApiError(AppError::not_found(what)))
}

/// Reads a required body field.
pub fn required<T>(value: Option<T>, field: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| {
        ApiError(AppError::invalid(field, &format!("{field}_required"), format!("{field} is required.")))
    })
}

/// Tells a field sent as `null` (clear it) from a field left out (keep it); use with
/// `#[serde(default, deserialize_with = "present")]`.
pub fn present<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// The paging parameters every list reads (see [`Query::page`]), for the OpenAPI document.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, reason = "only described; Query::page reads them")]
pub struct PageParams {
    /// How many items, from 1 to 100 (10 when left out or blank).
    #[param(value_type = Option<super::openapi::BlankOrLimit>, inline)]
    limit: Option<u32>,
    /// The cursor (an item's ID) to read the page before.
    before: Option<String>,
    /// The cursor (an item's ID) to read the page after.
    after: Option<String>,
    /// Newest first (`desc`, the default, also when blank) or oldest first.
    #[param(value_type = Option<super::openapi::BlankOrOrder>, inline)]
    order: Option<app::model::Order>,
}
