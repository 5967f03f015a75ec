//! `GET /openapi.json`: the document parses, is OpenAPI 3.1, and describes exactly the routes
//! the REST router serves (a route added without its `#[utoipa::path]` fails here), each with
//! its error answers.

use crate::helpers::*;
use serde_json::Value;
use std::collections::BTreeSet;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn fetch_document(app: &TestApp) -> Value {
    let response = reqwest::get(format!("{}/openapi.json", app.base)).await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("application/json"), "{content_type}");
    response.json().await.expect("the document is JSON")
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_needs_no_key() {
    let app = spawn_app().await;
    let document = fetch_document(&app).await;
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(document["info"]["title"], "Roster");
    assert_eq!(document["components"]["securitySchemes"]["api_key"]["type"], "http");
    assert_eq!(document["components"]["securitySchemes"]["api_key"]["scheme"], "bearer");
    // The document is the one the server builds, byte for byte.
    assert_eq!(&document, server::rest::openapi_document());
}

#[tokio::test]
async fn every_route_is_described_and_every_description_is_a_route() {
    let app = spawn_app().await;
    let document = fetch_document(&app).await;
    let served: BTreeSet<(String, String)> = server::rest::route_table()
        .into_iter()
        .map(|(method, path)| (method.as_str().to_lowercase(), path.to_owned()))
        .collect();
    let mut described = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in METHODS {
            if item.get(method).is_some() {
                described.insert((method.to_owned(), path.clone()));
            }
        }
    }
    let undocumented: Vec<_> = served.difference(&described).collect();
    assert!(undocumented.is_empty(), "routes without a #[utoipa::path]: {undocumented:?}");
    let stale: Vec<_> = described.difference(&served).collect();
    assert!(stale.is_empty(), "documented operations the router does not serve: {stale:?}");
    assert!(served.len() >= 80, "the route table looks incomplete: {}", served.len());
}

#[tokio::test]
async fn every_operation_has_an_id_its_path_parameters_and_its_errors() {
    let app = spawn_app().await;
    let document = fetch_document(&app).await;
    let mut operation_ids = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(operation) = item.get(method) else { continue };
            let name = format!("{method} {path}");
            let id = operation["operationId"].as_str().unwrap_or_else(|| panic!("{name} has no operationId"));
            assert!(operation_ids.insert(id.to_owned()), "{name}: operationId {id} is used twice");
            // Each `{param}` of the template is described as a path parameter.
            let parameters = operation["parameters"].as_array().cloned().unwrap_or_default();
            for segment in path.split('/').filter(|s| s.starts_with('{')) {
                let param = segment.trim_matches(['{', '}']);
                assert!(
                    parameters.iter().any(|p| p["in"] == "path" && p["name"] == param && p["required"] == true),
                    "{name}: path parameter {param} is not described"
                );
            }
            // Bodies are optional (empty reads as `{}`) but never `null`.
            if let Some(body) = operation.get("requestBody") {
                assert_ne!(body["required"], true, "{name}: the body is described as required");
                let schema = &body["content"]["application/json"]["schema"];
                assert!(schema["$ref"].is_string(), "{name}: the body is not a plain object: {schema}");
            }
            let responses = operation["responses"].as_object().unwrap();
            assert!(responses.keys().any(|status| status.starts_with('2') || status == "302"), "{name}: no success");
            // Calls that need a key describe what a missing key, a bad field and a rate limit answer.
            let public =
                operation["security"].as_array().is_some_and(|s| s.iter().any(|r| r == &serde_json::json!({})));
            if !public {
                for status in ["401", "404", "422", "429"] {
                    assert!(responses.contains_key(status), "{name}: {status} is not described");
                }
                assert_eq!(
                    responses["422"]["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ValidationErrorBody",
                    "{name}"
                );
                assert!(responses["429"]["headers"]["Retry-After"].is_object(), "{name}: 429 without Retry-After");
            }
        }
    }
}

#[tokio::test]
async fn models_carry_their_object_tags_and_lists_their_envelope() {
    let app = spawn_app().await;
    let document = fetch_document(&app).await;
    let schemas = &document["components"]["schemas"];
    assert_eq!(schemas["User"]["properties"]["object"]["enum"], serde_json::json!(["user"]));
    assert_eq!(schemas["Organization"]["properties"]["object"]["enum"], serde_json::json!(["organization"]));
    let users = &schemas["List_User"];
    assert_eq!(users["properties"]["object"]["enum"], serde_json::json!(["list"]));
    assert_eq!(users["properties"]["data"]["items"]["$ref"], "#/components/schemas/User");
    assert_eq!(users["properties"]["list_metadata"]["$ref"], "#/components/schemas/ListMetadata");
    assert_eq!(schemas["ListMetadata"]["properties"]["after"]["type"], serde_json::json!(["string", "null"]));
    // Nullable fields say so; IDs carry their pattern; enums list their values.
    assert_eq!(schemas["User"]["properties"]["first_name"]["type"], serde_json::json!(["string", "null"]));
    assert_eq!(schemas["User"]["properties"]["created_at"]["format"], "date-time");
    assert_eq!(schemas["UserId"]["pattern"], "^user_[0-7][0-9A-HJKMNP-TV-Z]{25}$");
    assert_eq!(schemas["MembershipStatus"]["enum"], serde_json::json!(["active", "inactive", "pending"]));
    // A create links to the operations on what it made.
    let links = &document["paths"]["/user_management/users"]["post"]["responses"]["201"]["links"];
    assert_eq!(links["getUser"]["operationId"], "getUser");
    assert_eq!(links["getUser"]["parameters"]["id"], "$response.body#/id");
    assert!(links["deleteUser"].is_object());
    for error in ["ErrorBody", "ValidationErrorBody", "StepUpErrorBody", "OAuthErrorBody"] {
        assert!(schemas[error].is_object(), "{error} is not described");
    }
}
