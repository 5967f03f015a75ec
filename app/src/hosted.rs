//! The hosted sign-in pages that applications send people to (`/user_management/authorize`
//! starts their flow), also used by the dashboard's own sign-in: password, sign-up, magic
//! code, email verification, TOTP enrollment and challenge, and organization selection.
//!
//! Every page is a plain form that works before the WebAssembly loads. The `flow` in the
//! address names the sign-in; the core checks it belongs to this browser (an httpOnly cookie)
//! and keeps everything secret (the pending token, the TOTP key until confirmed) on its side.

use crate::error::AppError;
use crate::model::{HostedFlow, HostedStage};
use crate::ui::{AuthCard, ErrorBanner, InputField, Loading, SubmitButton, form_errors};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

#[cfg(feature = "ssr")]
use crate::door::{browser_cookie, directory};

/// Sends the browser where the core said: the next page, back to the app, or into the
/// dashboard with its new session cookie.
#[cfg(feature = "ssr")]
fn go(next: crate::model::HostedNext) {
    use crate::model::HostedNext;
    match next {
        HostedNext::Page(path) => leptos_axum::redirect(&path),
        HostedNext::App(url) => leptos_axum::redirect(&url),
        HostedNext::Dashboard(token) => {
            crate::door::set_session_cookie(Some(&token));
            leptos_axum::redirect("/");
        }
    }
}

/// Takes one hosted page's input.
#[cfg(feature = "ssr")]
async fn step(flow: Option<String>, input: crate::model::HostedInput) -> Result<(), AppError> {
    let (ip_address, user_agent) = crate::door::client_details();
    let client = crate::directory::ClientContext { client_id: None, ip_address, user_agent };
    let flow = flow.filter(|flow| !flow.is_empty());
    // A browser without the cookie gets one only when its sign-in goes on to another page.
    let (browser, fresh) = match browser_cookie() {
        Some(browser) => (browser, false),
        None => (crate::door::new_browser_secret(), true),
    };
    let next = directory().hosted_step(flow.as_deref(), &browser, input, client).await?;
    if fresh && matches!(next, crate::model::HostedNext::Page(_)) {
        crate::door::set_browser_cookie(&browser);
    }
    go(next);
    Ok(())
}

/// The sign-in as its pages show it.
#[server(prefix = "/api", endpoint = "hosted-flow")]
pub async fn load_hosted_flow(flow: Option<String>) -> Result<HostedFlow, AppError> {
    let flow = flow.filter(|flow| !flow.is_empty());
    directory().hosted_flow(flow.as_deref(), &browser_cookie().unwrap_or_default()).await
}

/// Signs in with email and password (the dashboard's `/login` too).
#[server(prefix = "/api", endpoint = "login")]
pub async fn login(#[server(default)] flow: Option<String>, email: String, password: String) -> Result<(), AppError> {
    step(flow, crate::model::HostedInput::Password { email, password }).await
}

/// Creates an account and signs it in.
#[server(prefix = "/api", endpoint = "sign-up")]
pub async fn sign_up(
    #[server(default)] flow: Option<String>,
    first_name: String,
    last_name: String,
    email: String,
    password: String,
) -> Result<(), AppError> {
    step(flow, crate::model::HostedInput::SignUp { email, password, first_name, last_name }).await
}

/// Emails a sign-in code, then shows the form that takes it.
#[server(prefix = "/api", endpoint = "send-sign-in-code")]
pub async fn send_sign_in_code(#[server(default)] flow: Option<String>, email: String) -> Result<(), AppError> {
    if email.trim().is_empty() {
        return Err(AppError::invalid("email", "email_required", "Enter your email address."));
    }
    let flow = flow.filter(|flow| !flow.is_empty());
    directory().hosted_send_magic_code(flow.as_deref(), &browser_cookie().unwrap_or_default(), &email).await?;
    let mut pairs = vec![("email", email.trim().to_owned())];
    pairs.extend(flow.map(|flow| ("flow", flow)));
    leptos_axum::redirect(&crate::links::href("/magic-code", &pairs));
    Ok(())
}

/// Signs in with the emailed code.
#[server(prefix = "/api", endpoint = "sign-in-with-code")]
pub async fn sign_in_with_code(
    #[server(default)] flow: Option<String>,
    email: String,
    code: String,
) -> Result<(), AppError> {
    step(flow, crate::model::HostedInput::MagicCode { email, code }).await
}

/// Proves the email with the code sent to it.
#[server(prefix = "/api", endpoint = "verify-email-code")]
pub async fn verify_email_code(flow: String, code: String) -> Result<(), AppError> {
    step(Some(flow), crate::model::HostedInput::EmailCode { code }).await
}

/// Sends the email verification code again.
#[server(prefix = "/api", endpoint = "resend-email-code")]
pub async fn resend_email_code(flow: String) -> Result<(), AppError> {
    directory().hosted_resend_email_code(&flow, &browser_cookie().unwrap_or_default()).await?;
    leptos_axum::redirect(&format!("/verify-email?flow={flow}&resent=1"));
    Ok(())
}

/// Answers the TOTP step: confirms a new authenticator app, or a challenge of an enrolled one.
#[server(prefix = "/api", endpoint = "totp-code")]
pub async fn totp_code(flow: String, code: String) -> Result<(), AppError> {
    step(Some(flow), crate::model::HostedInput::Totp { code }).await
}

/// Picks the organization to sign in to.
#[server(prefix = "/api", endpoint = "choose-organization")]
pub async fn choose_organization(flow: String, #[server(default)] organization_id: String) -> Result<(), AppError> {
    step(Some(flow), crate::model::HostedInput::Organization { organization_id }).await
}

/// Reloads the signed-in viewer when a step that may open a dashboard session succeeds, so
/// the dashboard it goes on to sees the new session.
fn reload_viewer_after<S>(action: ServerAction<S>)
where
    S: leptos::server_fn::ServerFn<Output = ()> + Clone + Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    if let Some(session) = use_context::<crate::auth::SessionState>() {
        session.reload_after(action);
    }
}

/// The field of a six-digit code (emailed, or from an authenticator app).
#[component]
fn CodeField(id: &'static str, error: Signal<Option<String>>) -> impl IntoView {
    view! { <InputField id label="Code" name="code" autocomplete="one-time-code" required=true error/> }
}

/// The `flow` of the page's address, if any.
fn flow_in_address() -> impl Fn() -> Option<String> + Copy + Send + Sync + 'static {
    let query = use_query_map();
    move || query.with(|q| q.get("flow")).filter(|flow| !flow.is_empty())
}

/// A query parameter of the page's address.
fn query_value(name: &'static str) -> impl Fn() -> Option<String> + Copy + Send + Sync + 'static {
    let query = use_query_map();
    move || query.with(|q| q.get(name)).filter(|value| !value.is_empty())
}

/// A hosted page: loads its flow, then shows `render` with it, or the dead-flow answer.
fn hosted_page<F>(title: &'static str, render: F) -> impl IntoView
where
    F: Fn(HostedFlow) -> AnyView + Copy + Send + Sync + 'static,
{
    let flow = flow_in_address();
    let loaded = Resource::new(flow, load_hosted_flow);
    view! {
        <Title text=title/>
        <AuthCard>
            <Suspense fallback=|| view! { <Loading what="your sign-in"/> }>
                {move || Suspend::new(async move {
                    match loaded.await {
                        Ok(flow) => render(flow),
                        Err(error) => view! { <DeadFlow error/> }.into_any(),
                    }
                })}
            </Suspense>
        </AuthCard>
    }
}

/// The answer to a flow that expired, was finished or belongs to another browser.
#[component]
fn DeadFlow(error: AppError) -> impl IntoView {
    view! {
        <h1>"This sign-in has ended"</h1>
        <p class="alert alert-error" role="alert">{error.to_string()}</p>
        <p class="muted">"Go back to the app you came from and sign in again."</p>
    }
}

/// The hidden `flow` field of a hosted form.
fn flow_field(flow: Option<String>) -> impl IntoView {
    flow.map(|id| view! { <input type="hidden" name="flow" value=id/> })
}

/// A link to another hosted page of the same flow.
fn flow_link(path: &str, flow: &HostedFlow) -> String {
    match &flow.id {
        Some(id) => format!("{path}?flow={id}"),
        None => path.to_owned(),
    }
}

/// `/login`: the dashboard's sign-in; a signed-in viewer goes on to the dashboard.
#[component]
pub fn LoginPage() -> impl IntoView {
    let session = expect_context::<crate::auth::SessionState>();
    let already_signed_in = move || matches!(session.viewer.get(), Some(Ok(Some(_))));
    view! {
        <Suspense fallback=|| ()>
            <Show when=already_signed_in>
                <Redirect path="/"/>
            </Show>
        </Suspense>
        {hosted_page("Sign in", |flow| view! { <SignInForm flow/> }.into_any())}
    }
}

/// `/sign-in?flow=…`: an application's sign-in.
#[component]
pub fn SignInPage() -> impl IntoView {
    hosted_page("Sign in", |flow| view! { <SignInForm flow/> }.into_any())
}

#[component]
fn SignInForm(flow: HostedFlow) -> impl IntoView {
    let login = ServerAction::<Login>::new();
    reload_viewer_after(login);
    let (field, page_error) = form_errors(move || login.value().get().and_then(Result::err));
    let intro = match (&flow.invited_to, flow.id.is_some()) {
        (Some(organization), _) => format!("Sign in to accept your invitation to {organization}."),
        (None, true) => "Sign in to continue to your app.".to_owned(),
        (None, false) => "Manage your organization's people, roles and invitations.".to_owned(),
    };
    let magic_link = flow.magic_code_enabled.then(|| flow_link("/magic-code", &flow));
    let sign_up_link = flow.sign_up_enabled.then(|| flow_link("/sign-up", &flow));
    let (flow_id, hint) = (flow.id.clone(), flow.login_hint.clone().unwrap_or_default());
    view! {
        <h1>"Sign in"</h1>
        <p class="muted">{intro}</p>
        <ErrorBanner error=page_error/>
        {flow.password_enabled.then(move || view! {
            <ActionForm action=login attr:novalidate=true attr:class="stack">
                {flow_field(flow_id)}
                <InputField
                    id="login-email"
                    label="Email"
                    name="email"
                    kind="email"
                    autocomplete="username"
                    required=true
                    value=hint
                    error=field("email")
                />
                <InputField
                    id="login-password"
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="current-password"
                    required=true
                    error=field("password")
                />
                <SubmitButton pending=login.pending() idle="Sign in" busy="Signing in…"/>
            </ActionForm>
        })}
        <p class="auth-links">
            {magic_link.map(|href| view! { <a href=href>"Email me a sign-in code"</a> })}
            {flow.password_enabled.then(|| view! { <a href="/forgot-password">"Forgot password?"</a> })}
            {sign_up_link.map(|href| view! { <a href=href>"Create an account"</a> })}
        </p>
    }
}

/// `/sign-up?flow=…`: creates an account, where the environment allows it.
#[component]
pub fn SignUpPage() -> impl IntoView {
    hosted_page("Create your account", |flow| view! { <SignUpForm flow/> }.into_any())
}

#[component]
fn SignUpForm(flow: HostedFlow) -> impl IntoView {
    let sign_up = ServerAction::<SignUp>::new();
    let (field, page_error) = form_errors(move || sign_up.value().get().and_then(Result::err));
    if !flow.sign_up_enabled {
        return view! {
            <h1>"Create your account"</h1>
            <p class="alert alert-error" role="alert">"Sign-up is not open here. Ask your organization for an invitation."</p>
            <p class="auth-links"><a href=flow_link("/sign-in", &flow)>"Sign in instead"</a></p>
        }
        .into_any();
    }
    let sign_in_link = flow_link("/sign-in", &flow);
    view! {
        <h1>"Create your account"</h1>
        <ErrorBanner error=page_error/>
        <ActionForm action=sign_up attr:novalidate=true attr:class="stack">
            {flow_field(flow.id.clone())}
            <InputField id="sign-up-first-name" label="First name" name="first_name" autocomplete="given-name" error=field("first_name")/>
            <InputField id="sign-up-last-name" label="Last name" name="last_name" autocomplete="family-name" error=field("last_name")/>
            <InputField
                id="sign-up-email"
                label="Email"
                name="email"
                kind="email"
                autocomplete="email"
                required=true
                value=flow.login_hint.clone().unwrap_or_default()
                error=field("email")
            />
            <InputField
                id="sign-up-password"
                label="Password"
                name="password"
                kind="password"
                autocomplete="new-password"
                required=true
                error=field("password")
            />
            <SubmitButton pending=sign_up.pending() idle="Create account" busy="Creating…"/>
        </ActionForm>
        <p class="auth-links"><a href=sign_in_link>"I have an account"</a></p>
    }
    .into_any()
}

/// `/magic-code`: asks for an email, then for the code sent to it.
#[component]
pub fn MagicCodePage() -> impl IntoView {
    hosted_page("Sign in with a code", |flow| view! { <MagicCodeForms flow/> }.into_any())
}

#[component]
fn MagicCodeForms(flow: HostedFlow) -> impl IntoView {
    let email = query_value("email");
    let send = ServerAction::<SendSignInCode>::new();
    let redeem = ServerAction::<SignInWithCode>::new();
    reload_viewer_after(redeem);
    let (send_field, send_error) = form_errors(move || send.value().get().and_then(Result::err));
    let (code_field, code_error) = form_errors(move || redeem.value().get().and_then(Result::err));
    let back = flow_link(if flow.id.is_some() { "/sign-in" } else { "/login" }, &flow);
    let other_email = flow_link("/magic-code", &flow);
    let (flow_id, hint) = (flow.id.clone(), flow.login_hint.clone().unwrap_or_default());
    view! {
        <h1>"Sign in with a code"</h1>
        {move || match email() {
            None => {
                let (flow_id, hint) = (flow_id.clone(), hint.clone());
                view! {
                <p class="muted">"We will email you a six-digit code that signs you in."</p>
                <ErrorBanner error=send_error/>
                <ActionForm action=send attr:novalidate=true attr:class="stack">
                    {flow_field(flow_id)}
                    <InputField
                        id="magic-email"
                        label="Email"
                        name="email"
                        kind="email"
                        autocomplete="username"
                        required=true
                        value=hint
                        error=send_field("email")
                    />
                    <SubmitButton pending=send.pending() idle="Email me a code" busy="Sending…"/>
                </ActionForm>
            }
            .into_any()
            }
            Some(address) => {
                let (flow_id, other_email) = (flow_id.clone(), other_email.clone());
                view! {
                <p class="alert alert-success" role="status">
                    "If " <strong>{address.clone()}</strong> " has an account, a code is on its way. It works once, for 10 minutes."
                </p>
                <ErrorBanner error=code_error/>
                <ActionForm action=redeem attr:novalidate=true attr:class="stack">
                    {flow_field(flow_id)}
                    <input type="hidden" name="email" value=address/>
                    <CodeField id="magic-code" error=code_field("code")/>
                    <SubmitButton pending=redeem.pending() idle="Sign in" busy="Signing in…"/>
                </ActionForm>
                <p class="auth-links"><a href=other_email>"Use another email"</a></p>
            }
            .into_any()
            }
        }}
        <p class="auth-links"><a href=back>"Sign in with a password"</a></p>
    }
}

/// `/verify-email?flow=…`: the code sent to the user's email.
#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    hosted_page("Verify your email", |flow| match flow.stage.clone() {
        HostedStage::VerifyEmail { email } => view! { <VerifyEmailForm flow email/> }.into_any(),
        _ => view! { <WrongStep flow/> }.into_any(),
    })
}

#[component]
fn VerifyEmailForm(flow: HostedFlow, email: String) -> impl IntoView {
    let verify = ServerAction::<VerifyEmailCode>::new();
    let resend = ServerAction::<ResendEmailCode>::new();
    let (field, page_error) = form_errors(move || verify.value().get().and_then(Result::err));
    let (_, resend_error) = form_errors(move || resend.value().get().and_then(Result::err));
    let resent = query_value("resent");
    let id = flow.id.clone().unwrap_or_default();
    let resend_id = id.clone();
    view! {
        <h1>"Verify your email"</h1>
        <p class="muted">"We sent a six-digit code to " <strong>{email}</strong> ". Enter it to continue."</p>
        {move || resent().map(|_| view! { <p class="alert alert-success" role="status">"We sent a new code."</p> })}
        <ErrorBanner error=page_error/>
        <ErrorBanner error=resend_error/>
        <ActionForm action=verify attr:novalidate=true attr:class="stack">
            <input type="hidden" name="flow" value=id.clone()/>
            <CodeField id="verify-code" error=field("code")/>
            <SubmitButton pending=verify.pending() idle="Verify email" busy="Checking…"/>
        </ActionForm>
        <ActionForm action=resend attr:class="auth-links">
            <input type="hidden" name="flow" value=resend_id/>
            <button type="submit" class="link-button">"Send a new code"</button>
        </ActionForm>
    }
}

/// `/mfa/enroll?flow=…`: adds an authenticator app (QR code and key), confirmed with a code.
#[component]
pub fn EnrollTotpPage() -> impl IntoView {
    hosted_page("Set up two-factor authentication", |flow| match flow.stage.clone() {
        HostedStage::EnrollTotp { secret, uri, qr_code } => {
            view! { <EnrollTotpForm flow secret uri qr_code/> }.into_any()
        }
        _ => view! { <WrongStep flow/> }.into_any(),
    })
}

#[component]
fn EnrollTotpForm(flow: HostedFlow, secret: String, uri: String, qr_code: String) -> impl IntoView {
    view! {
        <h1>"Set up two-factor authentication"</h1>
        <p class="muted">
            "Scan this code with an authenticator app (such as 1Password, Google Authenticator or Authy), then enter the six digits it shows."
        </p>
        <img class="totp-qr" src=qr_code alt="QR code for your authenticator app" width="200" height="200"/>
        <p class="muted">"Can't scan it? Enter this key in the app instead:"</p>
        <p><code class="totp-secret" data-testid="totp-secret">{secret}</code></p>
        <p class="muted"><a href=uri>"Open in an authenticator app on this device"</a></p>
        <TotpForm flow/>
    }
}

/// `/mfa/challenge?flow=…`: a code from the user's authenticator app.
#[component]
pub fn ChallengeTotpPage() -> impl IntoView {
    hosted_page("Two-factor authentication", |flow| match flow.stage {
        HostedStage::ChallengeTotp => view! {
            <h1>"Two-factor authentication"</h1>
            <p class="muted">"Enter the six-digit code from your authenticator app."</p>
            <TotpForm flow/>
        }
        .into_any(),
        _ => view! { <WrongStep flow/> }.into_any(),
    })
}

#[component]
fn TotpForm(flow: HostedFlow) -> impl IntoView {
    let answer = ServerAction::<TotpCode>::new();
    reload_viewer_after(answer);
    let (field, page_error) = form_errors(move || answer.value().get().and_then(Result::err));
    view! {
        <ErrorBanner error=page_error/>
        <ActionForm action=answer attr:novalidate=true attr:class="stack">
            <input type="hidden" name="flow" value=flow.id.unwrap_or_default()/>
            <CodeField id="totp-code" error=field("code")/>
            <SubmitButton pending=answer.pending() idle="Continue" busy="Checking…"/>
        </ActionForm>
    }
}

/// `/choose-organization?flow=…`: which of the user's organizations to sign in to.
#[component]
pub fn ChooseOrganizationPage() -> impl IntoView {
    hosted_page("Choose an organization", |flow| match flow.stage.clone() {
        HostedStage::ChooseOrganization { organizations } => {
            let choose = ServerAction::<ChooseOrganization>::new();
            let (field, page_error) = form_errors(move || choose.value().get().and_then(Result::err));
            let error = field("organization_id");
            view! {
                <h1>"Choose an organization"</h1>
                <p class="muted">"You belong to several organizations. Which one do you want to use?"</p>
                <ErrorBanner error=page_error/>
                <ActionForm action=choose attr:novalidate=true attr:class="stack">
                    <input type="hidden" name="flow" value=flow.id.clone().unwrap_or_default()/>
                    <fieldset class="choices" aria-describedby="organization_id-error">
                        <legend class="sr-only">"Organizations"</legend>
                        {organizations
                            .into_iter()
                            .enumerate()
                            .map(|(index, organization)| {
                                let (id, label_for) = (format!("organization-{index}"), format!("organization-{index}"));
                                view! {
                                    <label class="choice" for=label_for>
                                        <input type="radio" id=id name="organization_id" value=organization.id.to_string() required=true/>
                                        {organization.name}
                                    </label>
                                }
                            })
                            .collect_view()}
                    </fieldset>
                    <p id="organization_id-error" class="field-error" aria-live="polite">{move || error.get()}</p>
                    <SubmitButton pending=choose.pending() idle="Continue" busy="Continuing…"/>
                </ActionForm>
            }
            .into_any()
        }
        _ => view! { <WrongStep flow/> }.into_any(),
    })
}

/// A step page opened when the flow waits on another step: a link to the right one.
#[component]
fn WrongStep(flow: HostedFlow) -> impl IntoView {
    let path = flow.stage.page();
    view! {
        <h1>"Continue signing in"</h1>
        <p class="muted">"Your sign-in is waiting on another step."</p>
        <a class="button primary" href=flow_link(path, &flow)>"Continue"</a>
    }
}
