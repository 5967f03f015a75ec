//! Email delivery against a real SMTP server: aiosmtpd (`.ci/smtp/smtp-sink.py`), started by
//! each test in the Python environment `.ci/smtp/venv.sh` makes. Each test checks what the
//! server received as a mail client would read it (headers, both parts), that its link works,
//! and how failures, retries and restarts end.

use crate::helpers::*;
use app::directory::*;
use app::model::*;
use serde_json::{Value, json};
use server::mail::{Sender, SenderSettings, SmtpSettings};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

const FROM: &str = "Roster <no-reply@roster.test>";

/// The Python that runs the SMTP server, its environment created on first use.
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let script = repo().join(".ci/smtp/venv.sh");
        let output = std::process::Command::new("bash").arg(script).output().expect("running .ci/smtp/venv.sh");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        PathBuf::from(String::from_utf8(output.stdout).unwrap().trim())
    })
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A certificate authority of the test's own, and a certificate for `localhost` that it
/// signed: the CA (to trust), the server's certificate and its key.
fn make_certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let (ca_key, ca, key, csr, cert, ext) =
        (path("ca-key.pem"), path("ca.pem"), path("key.pem"), path("leaf.csr"), path("cert.pem"), path("ext.cnf"));
    std::fs::write(&ext, "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n").unwrap();
    let steps: [&[&str]; 3] = [
        &["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Roster test CA"],
        &["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", &key, "-out", &csr],
        &["x509", "-req", "-in", &csr, "-CA", &ca, "-CAkey", &ca_key, "-CAcreateserial", "-days", "2"],
    ];
    for (n, step) in steps.iter().enumerate() {
        let mut command = std::process::Command::new("openssl");
        command.args(*step);
        match n {
            0 => command.args(["-keyout", &ca_key, "-out", &ca]),
            2 => command.args(["-extfile", &ext, "-out", &cert]),
            _ => &mut command,
        };
        let status = command.stdout(Stdio::null()).stderr(Stdio::null()).status().expect("openssl");
        assert!(status.success(), "openssl {step:?}");
    }
    (ca.into(), cert.into(), key.into())
}

/// How the SMTP server is set up.
#[derive(Default)]
struct SinkOptions {
    credentials: Option<(&'static str, &'static str)>,
    /// STARTTLS (`Some(false)`) or implicit TLS (`Some(true)`), with a certificate made here.
    tls: Option<bool>,
}

/// A running aiosmtpd that keeps what it receives.
struct SmtpSink {
    child: std::process::Child,
    port: u16,
    dir: tempfile::TempDir,
    /// The certificate it presents, when it speaks TLS.
    certificate: Option<Vec<u8>>,
}

impl SmtpSink {
    async fn start(options: SinkOptions) -> SmtpSink {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut command = std::process::Command::new(python());
        command
            .arg(repo().join(".ci/smtp/smtp-sink.py"))
            .args(["--port", &port.to_string(), "--out"])
            .arg(dir.path().join("out"))
            .stdout(Stdio::piped());
        if let Some((user, password)) = options.credentials {
            command.args(["--user", user, "--password", password]);
        }
        let mut certificate = None;
        if let Some(implicit) = options.tls {
            let (ca, cert, key) = make_certificates(dir.path());
            command.arg("--tls-cert").arg(&cert).arg("--tls-key").arg(&key);
            if implicit {
                command.arg("--implicit-tls");
            }
            certificate = Some(std::fs::read(&ca).unwrap());
        }
        let mut child = command.spawn().expect("starting the SMTP server");
        let stdout = child.stdout.take().unwrap();
        let ready = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).map(|_| line)
        });
        let ready = tokio::time::timeout(Duration::from_secs(30), ready).await;
        assert!(
            matches!(ready, Ok(Ok(Ok(ref line))) if line.trim() == "ready"),
            "the SMTP server did not start: {ready:?}"
        );
        SmtpSink { child, port, dir, certificate }
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    /// The settings that send to this server, over plain SMTP.
    fn settings(&self) -> SmtpSettings {
        self.settings_for(&format!("smtp://127.0.0.1:{}", self.port))
    }

    fn settings_for(&self, url: &str) -> SmtpSettings {
        let mut settings = SmtpSettings::parse(url, FROM, None).unwrap();
        settings.extra_roots_pem = self.certificate.clone();
        settings
    }

    /// Makes the server refuse every message with `reply` until [`SmtpSink::recover`].
    fn refuse_with(&self, reply: &str) {
        std::fs::write(self.out().join("reply"), reply).unwrap();
    }

    fn recover(&self) {
        std::fs::remove_file(self.out().join("reply")).unwrap();
    }

    /// The messages received so far, in order.
    fn received(&self) -> Vec<Value> {
        let mut files: Vec<_> = std::fs::read_dir(self.out())
            .unwrap()
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        files.sort();
        files.iter().map(|path| serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()).collect()
    }

    async fn stop(self) {
        drop(self);
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Fast settings for tests: retries after 20 ms, 40 ms, …; a lease of 2 s (longer than an
/// attempt on a busy machine).
fn quick() -> SenderSettings {
    SenderSettings {
        poll_interval: Duration::from_millis(20),
        lease: Duration::from_secs(2),
        max_attempts: 3,
        first_retry: Duration::from_millis(20),
        max_retry: Duration::from_millis(200),
        ..SenderSettings::default()
    }
}

fn sender(app: &TestApp, smtp: &SmtpSettings, settings: SenderSettings) -> Sender {
    Sender::new(app.core.store().clone(), smtp, settings).unwrap()
}

/// The outbox, newest first.
async fn outbox(app: &TestApp) -> Vec<OutboxMessage> {
    app.core.list_outbox(&system(), Page { limit: 100, ..Page::default() }).await.unwrap().data
}

/// Runs rounds until `done` holds of the outbox (or fails after a few seconds).
async fn deliver_until(app: &TestApp, sender: &Sender, done: impl Fn(&[OutboxMessage]) -> bool) -> Vec<OutboxMessage> {
    for _ in 0..200 {
        sender.deliver_due().await.unwrap();
        let messages = outbox(app).await;
        if done(&messages) {
            return messages;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the outbox never got there: {:#?}", outbox(app).await);
}

/// Waits until the server has received `count` messages.
async fn wait_for(sink: &SmtpSink, count: usize) -> Vec<Value> {
    for _ in 0..250 {
        let received = sink.received();
        if received.len() >= count {
            return received;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the SMTP server received {} of {count} messages", sink.received().len());
}

/// The first address in `text` that starts with `base`.
fn link_in(text: &str, base: &str) -> String {
    let start = text.find(base).unwrap_or_else(|| panic!("no link to {base} in {text}"));
    text[start..].split_whitespace().next().unwrap().trim_end_matches('.').to_owned()
}

#[tokio::test]
async fn an_invitation_arrives_with_text_and_html_naming_the_organization_and_inviter_and_its_link_opens() {
    let app = spawn_app().await;
    let sink = SmtpSink::start(SinkOptions { credentials: Some(("roster", "s3cret")), tls: None }).await;
    let acme = app.organization("Acme & Sons <Ltd>").await;
    let ada = app.member(&acme, "ada@acme.test", roles::ADMIN).await;
    let update = UserUpdate {
        first_name: Some(Some("Ada".into())),
        last_name: Some(Some("Lovelace".into())),
        ..Default::default()
    };
    app.core.update_user(&system(), &ada.user_id, update).await.unwrap();
    let invitation = NewInvitation {
        email: "newcomer@example.test".into(),
        organization_id: Some(acme.id.clone()),
        role_slug: None,
        expires_in_days: None,
        inviter_user_id: Some(ada.user_id.clone()),
    };
    let invitation = app.core.send_invitation(&system(), invitation).await.unwrap();
    assert_eq!(outbox(&app).await[0].delivery, DeliveryState::Queued, "written with the invitation, not yet sent");

    let smtp = sink.settings_for(&format!("smtp://roster:s3cret@127.0.0.1:{}", sink.port));
    let sender = sender(&app, &smtp, quick());
    let messages = deliver_until(&app, &sender, |m| m[0].delivery == DeliveryState::Sent).await;
    assert_eq!(messages[0].attempts, 1);
    assert!(messages[0].sent_at.is_some() && messages[0].last_error.is_none(), "{:?}", messages[0]);

    let received = wait_for(&sink, 1).await;
    let mail = &received[0];
    assert_eq!(mail["authenticated"], json!(true), "the URL's credentials are used");
    assert_eq!(mail["rcpt_tos"], json!(["newcomer@example.test"]));
    assert_eq!(mail["headers"]["from"], json!(FROM));
    assert_eq!(mail["headers"]["to"], json!("newcomer@example.test"));
    assert_eq!(mail["headers"]["subject"], json!("Ada Lovelace invited you to join Acme & Sons <Ltd>"));
    assert!(mail["headers"]["message-id"].is_string() && mail["headers"]["date"].is_string(), "{mail}");
    assert_eq!(mail["content_type"], json!("multipart/alternative"));
    let text = mail["parts"]["text/plain"].as_str().unwrap();
    let html = mail["parts"]["text/html"].as_str().unwrap();
    assert!(text.contains("Ada Lovelace invited you to join Acme & Sons <Ltd> on Roster."), "{text}");
    assert!(
        html.contains("<strong>Ada Lovelace</strong> invited you to join Acme &amp; Sons &lt;Ltd&gt; on Roster."),
        "{html}"
    );
    let link = link_in(text, &app.base);
    assert_eq!(link, invitation.accept_invitation_url);
    assert!(html.contains(&format!("href=\"{}\"", link.replace('&', "&amp;"))), "{html}");

    // The link opens the accept page of this invitation.
    let page = reqwest::get(&link).await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("Acme &amp; Sons &lt;Ltd&gt;") && page.contains("newcomer@example.test"), "{page}");
    sink.stop().await;
}

#[tokio::test]
async fn a_password_reset_email_carries_a_link_whose_token_resets_the_password() {
    let app = spawn_app().await;
    let sink = SmtpSink::start(SinkOptions::default()).await;
    let acme = app.organization("Acme").await;
    app.member(&acme, "bob@acme.test", roles::MEMBER).await;
    let api = app.api_key(None).await;
    let (status, _) =
        api.send(reqwest::Method::POST, "/user_management/password_reset", json!({ "email": "bob@acme.test" })).await;
    assert_eq!(status, 201);

    let sender = sender(&app, &sink.settings(), quick());
    deliver_until(&app, &sender, |m| m[0].delivery == DeliveryState::Sent).await;
    let mail = &wait_for(&sink, 1).await[0];
    assert_eq!(mail["headers"]["subject"], json!("Reset your password"));
    let link = link_in(mail["parts"]["text/plain"].as_str().unwrap(), &app.base);
    assert!(link.starts_with(&format!("{}/reset-password?token=", app.base)), "{link}");
    assert!(mail["parts"]["text/html"].as_str().unwrap().contains(&link));

    let token = link.split("token=").nth(1).unwrap();
    let body = json!({ "token": token, "new_password": "a brand new password" });
    let (status, user) = api.send(reqwest::Method::POST, "/user_management/password_reset/confirm", body).await;
    assert_eq!(status, 200, "{user}");
    let sign_in = json!({
        "client_id": api.client_id, "client_secret": api.secret, "grant_type": "password",
        "email": "bob@acme.test", "password": "a brand new password",
    });
    let (status, answer) = api.send(reqwest::Method::POST, "/user_management/authenticate", sign_in).await;
    assert_eq!(status, 200, "{answer}");
    sink.stop().await;
}

#[tokio::test]
async fn codes_arrive_in_both_parts() {
    let app = spawn_app().await;
    let sink = SmtpSink::start(SinkOptions::default()).await;
    let acme = app.organization("Acme").await;
    app.member(&acme, "cy@acme.test", roles::MEMBER).await;
    let magic = app.core.create_magic_auth(&system(), "cy@acme.test").await.unwrap();
    let sender = sender(&app, &sink.settings(), quick());
    deliver_until(&app, &sender, |m| m[0].delivery == DeliveryState::Sent).await;
    let mail = &wait_for(&sink, 1).await[0];
    assert_eq!(mail["headers"]["subject"], json!("Your sign-in code"));
    assert!(mail["parts"]["text/plain"].as_str().unwrap().contains(&magic.code));
    assert!(mail["parts"]["text/html"].as_str().unwrap().contains(&magic.code));
    sink.stop().await;
}

#[tokio::test]
async fn names_stored_with_line_breaks_cannot_add_headers() {
    let app = spawn_app().await;
    let sink = SmtpSink::start(SinkOptions::default()).await;
    let acme = app.organization("Acme").await;
    // As if written before names were checked: straight into the store.
    let mut conn = app.core.store().read().await.unwrap();
    server::store::db::query("UPDATE organizations SET name = $1 WHERE id = $2")
        .bind("Café\r\nBcc: victim@evil.test\r\nX-Injected: yes")
        .bind(acme.id.as_str())
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    app.invitation(&acme, "dee@example.test").await;
    let sender = sender(&app, &sink.settings(), quick());
    deliver_until(&app, &sender, |m| m[0].delivery == DeliveryState::Sent).await;
    let mail = &wait_for(&sink, 1).await[0];
    assert_eq!(mail["rcpt_tos"], json!(["dee@example.test"]), "no extra recipient");
    assert!(mail["headers"].get("bcc").is_none() && mail["headers"].get("x-injected").is_none(), "{mail}");
    let subject = mail["headers"]["subject"].as_str().unwrap();
    assert!(subject.starts_with("You are invited to join Café") && subject.contains("Bcc: victim"), "{subject}");
    // Non-ASCII text travels as an encoded word.
    let raw = mail["raw_headers"].as_str().unwrap();
    assert!(raw.to_lowercase().contains("=?utf-8?"), "{raw}");
    assert!(raw.split("\r\n").all(|line| !line.starts_with("Bcc") && !line.starts_with("X-Injected")), "{raw}");
    sink.stop().await;
}

#[tokio::test]
async fn a_server_that_says_try_later_is_retried_then_the_message_fails_with_its_reason() {
    let app = spawn_app().await;
    let sink = SmtpSink::start(SinkOptions::default()).await;
    sink.refuse_with("451 4.3.0 Mailbox busy, try again later");
    let acme = app.organization("Acme").await;
    app.invitation(&acme, "eve@example.test").await;
    let sender = sender(&app, &sink.settings(), quick());

    let messages = deliver_until(&app, &sender, |m| m[0].attempts == 1).await;
    assert_eq!(messages[0].delivery, DeliveryState::Queued, "a transient refusal is retried");
    assert!(messages[0].next_attempt_at.is_some());
    assert!(messages[0].last_error.as_deref().unwrap().contains("Mailbox busy"), "{:?}", messages[0]);

    let messages = deliver_until(&app, &sender, |m| m[0].delivery == DeliveryState::Failed).await;
    assert_eq!(messages[0].attempts, 3, "max_attempts");
    let reason = messages[0].last_error.clone().unwrap();
    assert!(reason.contains("451") && reason.contains("Mailbox busy") && reason.contains("3 attempts"), "{reason}");
    assert!(sink.received().is_empty());

    // Sent again once the server is back: fresh retries, and it arrives.
    sink.recover();
    let id = app::ids::MessageId::parse(&messages[0].id).unwrap();
    let again = app.core.send_message_again(&system(), &id).await.unwrap();
    assert_eq!((again.delivery, again.attempts, again.last_error), (DeliveryState::Queued, 0, None));
    let messages = deliver_until(&app, &sender, |m| m[0].delivery == DeliveryState::Sent).await;
    assert_eq!(messages[0].attempts, 1);
    assert_eq!(wait_for(&sink, 1).await[0]["rcpt_tos"], json!(["eve@example.test"]));
    sink.stop().await;
}

#[tokio::test]
async fn a_permanent_refusal_fails_at_once_and_a_closed_port_is_retried() {
    let app = spawn_app().await;
    let sink = SmtpSink::start(SinkOptions::default()).await;
    sink.refuse_with("550 5.1.1 No such mailbox here");
    let acme = app.organization("Acme").await;
    app.invitation(&acme, "frank@example.test").await;
    let messages =
        deliver_until(&app, &sender(&app, &sink.settings(), quick()), |m| m[0].delivery == DeliveryState::Failed).await;
    assert_eq!(messages[0].attempts, 1, "a 5xx is not retried");
    assert!(messages[0].last_error.as_deref().unwrap().contains("No such mailbox"), "{:?}", messages[0]);
    sink.stop().await;

    app.invitation(&acme, "gina@example.test").await;
    let closed = SmtpSettings::parse(&format!("smtp://127.0.0.1:{}", free_port()), FROM, None).unwrap();
    let messages =
        deliver_until(&app, &sender(&app, &closed, quick()), |m| m[0].delivery == DeliveryState::Failed).await;
    assert_eq!(messages[0].recipient, "gina@example.test");
    assert_eq!(messages[0].attempts, 3);
    assert!(messages[0].last_error.as_deref().unwrap().to_lowercase().contains("connect"), "{:?}", messages[0]);
}

#[tokio::test]
async fn a_message_claimed_by_a_sender_that_stopped_is_sent_once_its_lease_runs_out() {
    let app = spawn_app().await;
    let sink = SmtpSink::start(SinkOptions::default()).await;
    let acme = app.organization("Acme").await;
    for n in 0..3 {
        app.invitation(&acme, &format!("guest{n}@example.test")).await;
    }
    // The first sender claims everything, then stops before sending (a crash or a restart).
    let first = sender(&app, &sink.settings(), quick());
    assert_eq!(first.claim().await.unwrap().len(), 3);
    drop(first);
    assert!(outbox(&app).await.iter().all(|m| m.delivery == DeliveryState::Sending));

    // A new sender leaves them alone while the lease holds, then sends each once.
    let second = sender(&app, &sink.settings(), quick());
    assert_eq!(second.deliver_due().await.unwrap(), server::mail::Round::default());
    let messages = deliver_until(&app, &second, |m| m.iter().all(|m| m.delivery == DeliveryState::Sent)).await;
    assert!(messages.iter().all(|m| m.attempts == 2), "the lost attempt counts: {messages:?}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut recipients: Vec<_> =
        sink.received().iter().map(|m| m["rcpt_tos"][0].as_str().unwrap().to_owned()).collect();
    recipients.sort();
    assert_eq!(recipients, ["guest0@example.test", "guest1@example.test", "guest2@example.test"]);

    // The same with a running sender task that is stopped while the server refuses.
    sink.refuse_with("451 4.3.0 Try again later");
    app.invitation(&acme, "late@example.test").await;
    let task = sender(&app, &sink.settings(), SenderSettings { max_attempts: 100, ..quick() }).spawn();
    deliver_wait(&app, |m| m[0].attempts >= 2).await;
    task.abort();
    let _ = task.await;
    // An attempt cut off after its last line reached the server is still refused there, not
    // accepted late (SMTP delivers at least once; only the server's reply says it arrived).
    tokio::time::sleep(Duration::from_millis(500)).await;
    sink.recover();
    let task = sender(&app, &sink.settings(), quick()).spawn();
    deliver_wait(&app, |m| m[0].delivery == DeliveryState::Sent).await;
    task.abort();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let received: Vec<_> = wait_for(&sink, 4).await.iter().map(|m| m["rcpt_tos"][0].clone()).collect();
    assert_eq!(received.len(), 4, "{received:?}");
    sink.stop().await;
}

/// Waits (without sending) until `done` holds of the outbox.
async fn deliver_wait(app: &TestApp, done: impl Fn(&[OutboxMessage]) -> bool) {
    for _ in 0..300 {
        if done(&outbox(app).await) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the outbox never got there: {:#?}", outbox(app).await);
}

#[tokio::test]
async fn two_senders_on_one_database_send_each_message_once() {
    // Two replicas: two stores (connection pools) on one database, with a sender each.
    let database = server::store::ScratchDatabase::new().await.unwrap();
    let store = server::store::Store::open(&database.url).await.unwrap();
    let replica = server::store::Store::open(&database.url).await.unwrap();
    let core = server::core::Core::new(store.clone(), server::core::CoreSettings::default()).await.unwrap();
    let acme = NewOrganization { name: "Acme".into(), ..Default::default() };
    let acme = core.create_organization(&system(), acme).await.unwrap();
    for n in 0..24 {
        let invitation = NewInvitation {
            email: format!("crowd{n:02}@example.test"),
            organization_id: Some(acme.id.clone()),
            role_slug: None,
            expires_in_days: None,
            inviter_user_id: None,
        };
        core.send_invitation(&system(), invitation).await.unwrap();
    }
    let sink = SmtpSink::start(SinkOptions::default()).await;
    let settings = SenderSettings { batch: 3, ..quick() };
    let one = Sender::new(store, &sink.settings(), settings.clone()).unwrap().spawn();
    // The second replica signs its messages differently, to show that both took part.
    let mut second = sink.settings();
    second.from = "Replica Two <two@roster.test>".parse().unwrap();
    let two = Sender::new(replica, &second, settings).unwrap().spawn();
    let all = Page { limit: 100, ..Page::default() };
    let mut messages = Vec::new();
    for _ in 0..300 {
        messages = core.list_outbox(&system(), all.clone()).await.unwrap().data;
        if messages.iter().all(|m| m.delivery == DeliveryState::Sent) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    one.abort();
    two.abort();
    assert!(messages.iter().all(|m| m.delivery == DeliveryState::Sent && m.attempts == 1), "{messages:#?}");
    let mut recipients: Vec<_> =
        sink.received().iter().map(|m| m["rcpt_tos"][0].as_str().unwrap().to_owned()).collect();
    assert_eq!(recipients.len(), 24, "each message once: {recipients:?}");
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 24);
    let by_two = sink.received().iter().filter(|m| m["mail_from"] == json!("two@roster.test")).count();
    assert!(by_two > 0 && by_two < 24, "both senders delivered some: {by_two} of 24 by the second");
}

#[tokio::test]
async fn starttls_and_implicit_tls_with_authentication() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    for (implicit, url) in [
        (false, "smtp://roster:s3cret@localhost:{port}?tls=required"),
        (true, "smtps://roster:s3cret@localhost:{port}"),
    ] {
        let sink = SmtpSink::start(SinkOptions { credentials: Some(("roster", "s3cret")), tls: Some(implicit) }).await;
        let email = format!("tls-{implicit}@example.test");
        app.invitation(&acme, &email).await;
        let smtp = sink.settings_for(&url.replace("{port}", &sink.port.to_string()));
        deliver_until(&app, &sender(&app, &smtp, quick()), |m| m[0].delivery == DeliveryState::Sent).await;
        let mail = &wait_for(&sink, 1).await[0];
        assert_eq!(mail["rcpt_tos"], json!([email]));
        assert_eq!((&mail["tls"], &mail["authenticated"]), (&json!(true), &json!(true)), "{mail}");
        sink.stop().await;
    }

    // A certificate nobody vouches for is refused, and the message waits for a retry.
    let sink = SmtpSink::start(SinkOptions { credentials: None, tls: Some(true) }).await;
    app.invitation(&acme, "untrusted@example.test").await;
    let untrusted = SmtpSettings::parse(&format!("smtps://localhost:{}", sink.port), FROM, None).unwrap();
    let messages = deliver_until(&app, &sender(&app, &untrusted, quick()), |m| m[0].attempts == 1).await;
    assert_ne!(messages[0].delivery, DeliveryState::Sent);
    assert!(sink.received().is_empty());
    sink.stop().await;
}

#[tokio::test]
async fn sending_again_a_message_that_does_not_exist_is_a_404() {
    let app = spawn_app().await;
    assert!(!app.core.email_delivery(&system()).await.unwrap(), "no SMTP configured in these tests");
    let missing = app.core.send_message_again(&system(), &app::ids::MessageId::generate()).await.unwrap_err();
    assert_eq!(missing.status_code(), 404);
}

#[tokio::test]
async fn names_with_line_breaks_are_refused_at_input_with_a_field_error() {
    let app = spawn_app().await;
    let api = app.api_key(None).await;
    let user = json!({ "email": "ivy@example.test", "first_name": "Ivy\r\nBcc: victim@evil.test" });
    let (status, error) = api.send(reqwest::Method::POST, "/user_management/users", user).await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(error["errors"][0]["field"], json!("first_name"), "{error}");
    let organization = json!({ "name": "Acme\nBcc: victim@evil.test" });
    let (status, error) = api.send(reqwest::Method::POST, "/organizations", organization).await;
    assert_eq!(status, 422, "{error}");
    assert!(error.to_string().contains("name"), "{error}");
}

#[tokio::test]
async fn without_smtp_the_outbox_page_says_so_and_offers_no_send_again() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    let ops = app.member(&acme, "ops@acme.test", roles::OWNER).await;
    let mut conn = app.core.store().read().await.unwrap();
    server::store::db::query("UPDATE users SET is_platform_admin = 1 WHERE id = $1")
        .bind(ops.user_id.as_str())
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    app.invitation(&acme, "kim@example.test").await;
    let client = app.signed_in("ops@acme.test").await;

    let page = json!({ "page": { "limit": 10, "before": null, "after": null, "order": "desc" } });
    let list = body(client.json("/api/outbox", page).await).await;
    assert_eq!(list["email_delivery"], json!(false));
    assert_eq!(list["messages"]["data"][0]["recipient"], json!("kim@example.test"));
    assert_eq!(list["messages"]["data"][0]["delivery"], json!("queued"));

    let html = client.get("/outbox").await.text().await.unwrap();
    assert!(html.contains("Email delivery is not set up"), "{html}");
    assert!(html.contains("kim@example.test") && html.contains("Queued"), "{html}");
    assert!(!html.contains("Send again"), "nothing would send it: {html}");
}

#[tokio::test]
async fn a_stopped_sender_returns_and_sends_nothing_more() {
    let app = spawn_app().await;
    let sink = SmtpSink::start(SinkOptions::default()).await;
    let acme = app.organization("Acme").await;
    app.invitation(&acme, "first@example.test").await;
    let (switch, stop) = server::ops::shutdown::Stop::switch();
    let task = sender(&app, &sink.settings(), quick()).spawn_until(stop);
    deliver_wait(&app, |m| m.iter().all(|m| m.delivery == DeliveryState::Sent)).await;
    switch.send_replace(true);
    tokio::time::timeout(Duration::from_secs(5), task).await.expect("the sender returns once stopped").unwrap();
    app.invitation(&acme, "second@example.test").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let messages = outbox(&app).await;
    assert_eq!(messages[0].delivery, DeliveryState::Queued, "{messages:?}");
    assert_eq!(wait_for(&sink, 1).await.len(), 1);
    sink.stop().await;
}
