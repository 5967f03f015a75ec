//! `/organization_domains…` over HTTP: claiming, verifying over DNS, and releasing a domain.

use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_domain_is_verified_once_its_txt_record_is_published() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    let api = app.api_key(None).await;
    let (status, domain) = api
        .send(Method::POST, "/organization_domains", json!({ "domain": "Acme.Example", "organization_id": acme.id }))
        .await;
    assert_eq!(status, 201, "{domain}");
    assert_eq!(domain["object"], "organization_domain");
    assert_eq!(domain["domain"], "acme.example");
    assert_eq!(domain["state"], "pending");
    assert_eq!(domain["verification_strategy"], "dns");
    let token = domain["verification_token"].as_str().expect("a token").to_owned();
    let path = format!("/organization_domains/{}", domain["id"].as_str().unwrap());

    // Not published yet, then published with another token: still pending.
    assert_eq!(api.send(Method::POST, &format!("{path}/verify"), json!({})).await.1["state"], "pending");
    app.dns.publish_txt("acme.example", "verification_token=someone-else");
    assert_eq!(api.send(Method::POST, &format!("{path}/verify"), json!({})).await.1["state"], "pending");

    app.dns.publish_txt("acme.example", &format!("verification_token={token}"));
    let (status, verified) = api.send(Method::POST, &format!("{path}/verify"), json!({})).await;
    assert_eq!((status, verified["state"].as_str()), (200, Some("verified")), "{verified}");
    assert_eq!(api.get(&path).await.1["state"], "verified");
    let (_, organization) = api.get(&format!("/organizations/{}", acme.id)).await;
    assert_eq!(organization["domains"][0]["state"], "verified", "the organization lists it too");

    assert_eq!(api.send(Method::DELETE, &path, json!({})).await.0, 204);
    assert_eq!(api.get(&path).await.0, 404);
}

#[tokio::test]
async fn a_verified_domain_cannot_be_claimed_elsewhere_and_public_providers_not_at_all() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    let globex = app.organization("Globex").await;
    let api = app.api_key(None).await;
    let claim = |organization: &str| json!({ "domain": "acme.example", "organization_id": organization });
    let (_, domain) = api.send(Method::POST, "/organization_domains", claim(acme.id.as_str())).await;
    app.dns
        .publish_txt("acme.example", &format!("verification_token={}", domain["verification_token"].as_str().unwrap()));
    let verify = format!("/organization_domains/{}/verify", domain["id"].as_str().unwrap());
    assert_eq!(api.send(Method::POST, &verify, json!({})).await.1["state"], "verified");

    // Claiming it again, here or elsewhere, is refused; a foreign organization's key is not
    // told that another tenant has it.
    let (status, body) = api.send(Method::POST, "/organization_domains", claim(acme.id.as_str())).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("domain_already_claimed")));
    let (status, body) = api.send(Method::POST, "/organization_domains", claim(globex.id.as_str())).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("domain_already_claimed")));
    let globex_key = app.api_key(Some(&globex)).await;
    let (status, body) = globex_key.send(Method::POST, "/organization_domains", claim(globex.id.as_str())).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (422, Some("domain")), "{body}");

    for bad in ["gmail.com", "not a domain", ""] {
        let (status, body) =
            api.send(Method::POST, "/organization_domains", json!({ "domain": bad, "organization_id": acme.id })).await;
        assert_eq!((status, body["errors"][0]["field"].as_str()), (422, Some("domain")), "{bad:?}: {body}");
    }
    let (status, body) = api
        .send(Method::POST, "/organization_domains", json!({ "domain": "x.example", "organization_id": "org_nope" }))
        .await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn a_claim_without_its_record_for_thirty_days_fails_and_verifying_again_restarts_it() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    let api = app.api_key(None).await;
    let (_, domain) = api
        .send(Method::POST, "/organization_domains", json!({ "domain": "late.example", "organization_id": acme.id }))
        .await;
    let verify = format!("/organization_domains/{}/verify", domain["id"].as_str().unwrap());
    let mut conn = app.core.store().read().await.unwrap();
    let month_ago = server::store::now_ms() - 31 * 24 * 3600 * 1000;
    server::store::db::query("UPDATE organization_domains SET updated_at = $1")
        .bind(month_ago)
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    assert_eq!(api.send(Method::POST, &verify, json!({})).await.1["state"], "failed");
    assert_eq!(api.send(Method::POST, &verify, json!({})).await.1["state"], "pending", "a new window");
    app.dns
        .publish_txt("late.example", &format!("verification_token={}", domain["verification_token"].as_str().unwrap()));
    assert_eq!(api.send(Method::POST, &verify, json!({})).await.1["state"], "verified");
}
