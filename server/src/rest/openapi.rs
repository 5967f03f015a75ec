//! `GET /openapi.json`: the OpenAPI 3.1 description of the REST API, generated from the
//! handlers' `#[utoipa::path]` annotations and the wire models' `ToSchema` derives.
//!
//! Each handler module lists its operations in a `Doc` of its own; [`document`] merges them and
//! adds what is shared: the error bodies, the API-key security scheme and the `object` tags.
//! The integration tests check that every route of the router is described here.
//!
//! Request bodies are described as optional: an empty body reads as `{}` (see
//! `request::Body`), and a missing required field is a 422 that names it.

use super::{ErrorBody, FieldErrorBody, OAuthErrorBody, StepUpErrorBody, ValidationErrorBody};
use axum::Json;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, OpenApi as Document, Ref, RefOr, Required};
use utoipa::{IntoResponses, OpenApi};

pub(super) fn routes() -> super::Routes {
    super::Routes::default().get("/openapi.json", serve)
}

/// The document itself, without a key: client generators and fuzzers read it first.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    operation_id = "getOpenApiDocument",
    security(()),
    responses((status = 200, description = "This OpenAPI 3.1 document.", body = Object))
)]
async fn serve() -> Json<&'static serde_json::Value> {
    Json(document())
}

/// The whole document as served, built once.
pub fn document() -> &'static serde_json::Value {
    static DOCUMENT: OnceLock<serde_json::Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut json = serde_json::to_value(build()).unwrap_or_default();
        camel_case_links(&mut json);
        json
    })
}

/// utoipa 5 writes a link's fields in snake case (`operation_id`); OpenAPI spells them
/// `operationId`, `operationRef` and `requestBody`.
fn camel_case_links(json: &mut serde_json::Value) {
    let Some(paths) = json.get_mut("paths").and_then(serde_json::Value::as_object_mut) else { return };
    let responses = paths
        .values_mut()
        .filter_map(serde_json::Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .filter_map(|operation| operation.get_mut("responses").and_then(serde_json::Value::as_object_mut))
        .flat_map(|responses| responses.values_mut());
    for response in responses {
        let Some(links) = response.get_mut("links").and_then(serde_json::Value::as_object_mut) else { continue };
        for link in links.values_mut().filter_map(serde_json::Value::as_object_mut) {
            for (snake, camel) in
                [("operation_id", "operationId"), ("operation_ref", "operationRef"), ("request_body", "requestBody")]
            {
                if let Some(value) = link.remove(snake) {
                    link.insert(camel.to_owned(), value);
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Roster",
        description = "The WorkOS-compatible REST API of Roster: users, organizations, memberships, \
            invitations, sessions, authentication, roles and permissions. Every operation but the \
            public ones (the JWKS, sign-in and logout navigations, this document) takes an API key \
            as a bearer token.",
    ),
    paths(serve),
    components(schemas(ErrorBody, FieldErrorBody, ValidationErrorBody, StepUpErrorBody, OAuthErrorBody, app::model::Order)),
    modifiers(&ApiKeyScheme),
    security(("api_key" = [])),
)]
struct Base;

fn build() -> Document {
    let mut document = Base::openapi();
    for part in [
        super::users::Doc::openapi(),
        super::memberships::Doc::openapi(),
        super::invitations::Doc::openapi(),
        super::organizations::Doc::openapi(),
        super::organization_domains::Doc::openapi(),
        super::authorization::Doc::openapi(),
        super::authenticate::Doc::openapi(),
        super::sessions::Doc::openapi(),
        super::codes::Doc::openapi(),
        super::auth_factors::Doc::openapi(),
        super::logout::Doc::openapi(),
        super::authorize::Doc::openapi(),
        super::widgets::Doc::openapi(),
    ] {
        document.merge(part);
    }
    document.info.version = env!("CARGO_PKG_VERSION").to_owned();
    add_object_tags(&mut document);
    add_idempotency_key(&mut document);
    unwrap_optional_bodies(&mut document);
    add_links(&mut document);
    document
}

/// The `sk_…` API key, sent as `Authorization: Bearer sk_…`.
struct ApiKeyScheme;

impl utoipa::Modify for ApiKeyScheme {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("sk_…")
                    .description(Some("An API key of the environment or of one organization."))
                    .build(),
            ),
        );
    }
}

/// The models serde tags with an `object` field (`#[serde(tag = "object", rename = "…")]`),
/// which utoipa does not describe for structs: the schema name and the tag's one value.
const OBJECT_TAGS: [(&str, &str); 16] = [
    ("User", "user"),
    ("Organization", "organization"),
    ("OrganizationDomain", "organization_domain"),
    ("OrganizationMembership", "organization_membership"),
    ("Invitation", "invitation"),
    ("Role", "role"),
    ("Session", "session"),
    ("EmailVerification", "email_verification"),
    ("PasswordReset", "password_reset"),
    ("MagicAuth", "magic_auth"),
    ("Permission", "permission"),
    ("RoleAssignment", "role_assignment"),
    ("AuthenticationFactor", "authentication_factor"),
    ("AuthenticationChallenge", "authentication_challenge"),
    ("RoleList", "list"),
    ("List", "list"),
];

/// Adds the required `object` property to every tagged model (and every `List_…` envelope),
/// and points each envelope's `data` at its item's schema (utoipa inlines a generic's
/// argument, which would describe the items without their tag).
fn add_object_tags(document: &mut Document) {
    let Some(components) = document.components.as_mut() else { return };
    let names: Vec<String> = components.schemas.keys().cloned().collect();
    for name in &names {
        let Some(item) = name.strip_prefix("List_").filter(|item| names.iter().any(|n| n == item)) else {
            continue;
        };
        if let Some(RefOr::T(Schema::Object(list))) = components.schemas.get_mut(name) {
            let items = ArrayBuilder::new().items(Ref::from_schema_name(item)).build();
            list.properties.insert("data".to_owned(), RefOr::T(Schema::Array(items)));
        }
    }
    for (name, schema) in components.schemas.iter_mut() {
        let base = name.split_once('_').map_or(name.as_str(), |(base, _)| base);
        let Some((_, tag)) = OBJECT_TAGS.iter().find(|(model, _)| *model == name.as_str() || *model == base) else {
            continue;
        };
        if let RefOr::T(Schema::Object(object)) = schema {
            let tag_schema = ObjectBuilder::new().schema_type(Type::String).enum_values(Some([*tag])).build();
            let mut properties = BTreeMap::from([("object".to_owned(), RefOr::T(Schema::Object(tag_schema)))]);
            properties.extend(std::mem::take(&mut object.properties));
            object.properties = properties.into_iter().collect();
            object.required.insert(0, "object".to_owned());
        }
    }
}

/// The handlers declare their bodies as `Option<…>`, which utoipa turns into "not required" (an
/// empty body reads as `{}`), but also into "may be `null`", which no handler accepts: this
/// keeps the first and drops the second.
fn unwrap_optional_bodies(document: &mut Document) {
    let is_null = |schema: &RefOr<Schema>| matches!(schema, RefOr::T(Schema::Object(object)) if object.schema_type == SchemaType::Type(Type::Null));
    for item in document.paths.paths.values_mut() {
        let operations = [&mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
        for operation in operations.into_iter().flatten() {
            let Some(body) = operation.request_body.as_mut() else { continue };
            for content in body.content.values_mut() {
                if let Some(RefOr::T(Schema::OneOf(one_of))) = &content.schema
                    && one_of.items.len() == 2
                    && let Some(inner) = one_of.items.iter().find(|schema| !is_null(schema))
                    && one_of.items.iter().any(is_null)
                {
                    content.schema = Some(inner.clone());
                }
            }
        }
    }
}

/// Links from each create (a POST answering 201) to the operations on what it made: the paths
/// under its collection whose first parameter is the new object's `id` or `slug`. Clients and the
/// fuzzer's stateful phase follow them.
fn add_links(document: &mut Document) {
    let mut targets = Vec::new();
    for (path, item) in &document.paths.paths {
        let Some(param) = path.split('/').find_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))) else {
            continue;
        };
        if param != "id" && param != "slug" {
            continue;
        }
        for operation in [&item.get, &item.put, &item.patch, &item.post, &item.delete].into_iter().flatten() {
            if let Some(operation_id) = &operation.operation_id {
                targets.push((path.clone(), operation_id.clone(), param.to_owned()));
            }
        }
    }
    for (path, item) in document.paths.paths.iter_mut() {
        let Some(RefOr::T(created)) = item.post.as_mut().and_then(|post| post.responses.responses.get_mut("201"))
        else {
            continue;
        };
        // `POST /auth/factors/enroll` makes what `/auth/factors/{id}` serves.
        let collection = path.strip_suffix("/enroll").unwrap_or(path);
        for (target, operation_id, param) in &targets {
            let under = target.strip_prefix(collection).is_some_and(|rest| rest.starts_with(&format!("/{{{param}}}")));
            if under {
                let link = LinkBuilder::new()
                    .operation_id(operation_id.clone())
                    .parameter(param.clone(), format!("$response.body#/{param}"))
                    .build();
                created.links.insert(operation_id.clone(), RefOr::T(link));
            }
        }
    }
}

/// Every POST takes an `Idempotency-Key` (see `idempotency.rs`).
fn add_idempotency_key(document: &mut Document) {
    let parameter: Parameter = ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "A retry with the same key and API key gets the first answer again instead of running twice \
             (except for answers that carry credentials).",
        ))
        .schema(Some(
            ObjectBuilder::new().schema_type(Type::String).max_length(Some(super::idempotency::MAX_KEY_LENGTH)),
        ))
        .build();
    for item in document.paths.paths.values_mut() {
        if let Some(post) = item.post.as_mut() {
            post.parameters.get_or_insert_with(Vec::new).push(parameter.clone());
        }
    }
}

/// Defines a query parameter's schema where a blank value counts as none (see
/// `request::Query::get` and `Query::list`): the value's own schema, or blank.
macro_rules! blank_or {
    ($name:ident, $id:ty) => {
        #[doc = concat!("A `", stringify!($id), "` query filter, or blank for none.")]
        pub(super) struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                let blank = ObjectBuilder::new().schema_type(Type::String).pattern(Some(r"^\s*$"));
                AnyOfBuilder::new().item(<$id as utoipa::PartialSchema>::schema()).item(blank).into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

blank_or!(BlankOrOrganizationId, app::ids::OrganizationId);
blank_or!(BlankOrUserId, app::ids::UserId);
blank_or!(BlankOrMembershipStatus, app::model::MembershipStatus);
blank_or!(BlankOrOrder, app::model::Order);
blank_or!(BlankOrLimit, PageLimit);

/// A page size: 1 to [`Page::MAX_LIMIT`](app::model::Page::MAX_LIMIT).
struct PageLimit;

impl utoipa::PartialSchema for PageLimit {
    fn schema() -> RefOr<Schema> {
        let max = f64::from(app::model::Page::MAX_LIMIT);
        ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1.0)).maximum(Some(max)).into()
    }
}

fn json_body(schema: impl Into<RefOr<Schema>>) -> utoipa::openapi::Content {
    ContentBuilder::new().schema(Some(schema)).build()
}

fn error_response(description: &str, schema: impl Into<RefOr<Schema>>) -> Response {
    ResponseBuilder::new().description(description).content("application/json", json_body(schema)).build()
}

fn schema_ref(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

/// The errors of a call that needs an API key, in the bodies `ApiError` sends.
fn api_errors() -> BTreeMap<String, RefOr<Response>> {
    let plain = || schema_ref("ErrorBody");
    let rate_limited = ResponseBuilder::new()
        .description("Too many calls (`rate_limit_exceeded`); retry after the given number of seconds.")
        .content("application/json", json_body(plain()))
        .header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0)))
                .description(Some("Seconds to wait before retrying."))
                .build(),
        )
        .build();
    [
        ("400", error_response("The body is not JSON, or the query string cannot be read (`bad_request`).", plain())),
        ("401", error_response("No API key, or one that is unknown or revoked (`unauthorized`).", plain())),
        ("403", error_response("The key may not do this, e.g. an organization's key (`forbidden`).", plain())),
        ("404", error_response("No such object, or one the key may not see (`entity_not_found`).", plain())),
        ("409", error_response("The change conflicts with what is stored; the code says how.", plain())),
        ("413", error_response("The body is larger than the limit (`request_too_large`).", plain())),
        (
            "422",
            error_response(
                "A field is missing or invalid (`invalid_request_parameters`); `errors` names each one.",
                schema_ref("ValidationErrorBody"),
            ),
        ),
        ("429", rate_limited),
        ("500", error_response("Something failed on the server (`server_error`); details are only logged.", plain())),
    ]
    .into_iter()
    .map(|(status, response)| (status.to_owned(), RefOr::T(response)))
    .collect()
}

/// The errors of every call that needs an API key.
pub(super) struct ApiErrors;

impl IntoResponses for ApiErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        api_errors()
    }
}

/// The errors of `POST /user_management/authenticate`: the common ones, plus the OAuth form
/// of a refused grant (400) and the step-up bodies of a sign-in that needs one more step (403).
pub(super) struct AuthenticateErrors;

impl IntoResponses for AuthenticateErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut responses = api_errors();
        let any_of = |names: [&str; 2]| {
            let mut builder = AnyOfBuilder::new();
            for name in names {
                builder = builder.item(schema_ref(name));
            }
            Schema::AnyOf(builder.build())
        };
        responses.insert(
            "400".to_owned(),
            RefOr::T(error_response(
                "Wrong credentials (`invalid_credentials`), a body that is not JSON (`bad_request`), or a refused \
                 grant in the OAuth form (`invalid_grant`).",
                any_of(["ErrorBody", "OAuthErrorBody"]),
            )),
        );
        responses.insert(
            "403".to_owned(),
            RefOr::T(error_response(
                "The key may not do this (`forbidden`), or the sign-in needs another step: the body carries the \
                 `pending_authentication_token` and what the step offers.",
                any_of(["ErrorBody", "StepUpErrorBody"]),
            )),
        );
        responses
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_with_the_error_bodies_and_the_key_scheme() {
        let json = document();
        assert_eq!(json["openapi"], "3.1.0");
        for name in ["ErrorBody", "ValidationErrorBody", "StepUpErrorBody", "OAuthErrorBody", "User", "List_User"] {
            assert!(json["components"]["schemas"][name].is_object(), "{name} is missing");
        }
        assert_eq!(json["components"]["securitySchemes"]["api_key"]["scheme"], "bearer");
        assert_eq!(json["components"]["schemas"]["User"]["properties"]["object"]["enum"][0], "user");
    }

    #[test]
    fn every_schema_reference_resolves() {
        let json = serde_json::to_string(document()).unwrap();
        assert!(!json.contains("\"operation_id\""), "a link kept its snake-case field");
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let schemas = value["components"]["schemas"].as_object().unwrap();
        for reference in json.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = reference.split('"').next().unwrap();
            assert!(schemas.contains_key(name), "{name} is referenced but not defined");
        }
    }
}
