//! The hosted sign-in pages' flows: `/user_management/authorize` checks an application's
//! request and starts a flow; the pages walk the browser through the first factor and every
//! step the environment asks for; the end is an authorization code sent back to the app's
//! redirect URI, or, for the dashboard's own sign-in, a dashboard session.
//!
//! A flow is bound to the browser that started it: the flow row keeps the hash of a random
//! httpOnly cookie, so a leaked `flow` ID is useless elsewhere. The pending token of the step
//! a flow waits on stays in the flow row and never reaches the browser.

use super::attempts::{AttemptPolicy, PasswordAttempt};
use super::factors::EnrollmentKey;
use super::sessions::working_organization;
use super::settings::same_url;
use super::step_up::{AUTHORIZATION_CODE_LIFETIME_MS, Audience, Pending, Proven};
use super::{Core, secret_hash};
use crate::ops::metrics::{self, Outcome};
use crate::store::api::{self, AuthorizationCodeRow, FlowRow};
use crate::store::directory as db;
use crate::store::{Connection, commit, now_ms};
use app::directory::{Admin, ApiKeys, Caller, ClientContext, Codes, HostedSignIn, Invitations, NewUser, SignedIn};
use app::error::{AppError, Conflict};
use app::ids::{AuthenticationFactorId, OrganizationId, UserId};
use app::model::*;
use async_trait::async_trait;
use rand::distributions::{Alphanumeric, DistString};
use url::Url;

/// How long a browser has to get through the hosted pages.
const FLOW_LIFETIME_MS: i64 = 30 * 60_000;

/// The one answer to a flow that is unknown, finished, expired or another browser's.
fn dead_flow() -> AppError {
    AppError::BadRequest("This sign-in has expired or was started in another browser. Start again from the app.".into())
}

fn bad_request(message: impl Into<String>) -> AppError {
    AppError::BadRequest(message.into())
}

/// The grant the dashboard's own sign-in acts under, and the hosted pages when they check a
/// step's answer: Roster itself, for a person who proved a first factor to it. What they can
/// do with it is bounded by the flow (the step it waits on), never by the request.
#[allow(clippy::disallowed_methods, reason = "the hosted pages act for Roster's own sign-in")]
fn roster_itself() -> Result<Admin, AppError> {
    Caller::system().admin()
}

/// A random secret of 43 characters.
fn random_secret() -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), 43)
}

/// The organization of a validated authorize request, if it names one.
fn requested_organization(request: &AuthorizeRequest) -> Result<Option<OrganizationId>, AppError> {
    match request.organization_id.as_deref().map(str::trim).filter(|id| !id.is_empty()) {
        Some(raw) => OrganizationId::parse(raw)
            .map(Some)
            .ok_or_else(|| bad_request("The organization_id is not an organization ID.")),
        None => Ok(None),
    }
}

/// `redirect_uri` with the code and the app's state added to its query.
fn redirect_with_code(redirect_uri: &str, code: &str, state: Option<&str>) -> Result<String, AppError> {
    let mut url = Url::parse(redirect_uri).map_err(|_| AppError::Internal)?;
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("code", code);
        if let Some(state) = state {
            query.append_pair("state", state);
        }
    }
    Ok(url.to_string())
}

impl Core {
    /// Reads a live flow of this browser.
    async fn live_flow(conn: &mut Connection, flow: &str, browser: &str) -> Result<FlowRow, AppError> {
        let row = api::find_flow(conn, flow.trim()).await?.ok_or_else(dead_flow)?;
        if row.browser_hash != secret_hash(browser) || row.expires_at <= now_ms() || row.completed_at.is_some() {
            return Err(dead_flow());
        }
        Ok(row)
    }

    /// The grant an application flow acts under (its client's key) and its audience; the
    /// dashboard's flows act as the system.
    async fn flow_grant(&self, row: Option<&FlowRow>) -> Result<(Admin, Audience), AppError> {
        match row.and_then(|row| row.client_id.as_deref()) {
            Some(client) => {
                let admin = self.client_caller(client).await.map_err(|_| dead_flow())?.admin()?;
                let audience = Audience::of(&admin);
                Ok((admin, audience))
            }
            None => Ok((roster_itself()?, Audience::Dashboard)),
        }
    }

    /// The pending step a flow waits on.
    async fn flow_pending(conn: &mut Connection, row: &FlowRow, audience: &Audience) -> Result<Pending, AppError> {
        let token = row.pending_token.as_deref().ok_or_else(dead_flow)?;
        Self::pending(conn, token, audience).await.map_err(|_| dead_flow())
    }

    /// The page a flow is on.
    async fn stage_of(
        &self,
        conn: &mut Connection,
        row: &FlowRow,
        audience: &Audience,
    ) -> Result<HostedStage, AppError> {
        if row.pending_token.is_none() {
            return Ok(HostedStage::SignIn);
        }
        let pending = Self::flow_pending(conn, row, audience).await?;
        let user = db::find_user(conn, &pending.proven.user).await?.ok_or_else(dead_flow)?;
        Ok(match pending.next {
            NextStep::EmailVerification { .. } => HostedStage::VerifyEmail { email: user.email },
            NextStep::MfaEnrollment => {
                // The key is made once per flow, so reloading the page shows the same one.
                let kept = api::keep_enrollment_secret(conn, &row.id, &EnrollmentKey::generate()?, now_ms()).await?;
                let key = EnrollmentKey::of(&kept.ok_or(AppError::Internal)?, &user.email)?;
                HostedStage::EnrollTotp { secret: key.secret, uri: key.uri, qr_code: key.qr_code }
            }
            NextStep::MfaChallenge { .. } => HostedStage::ChallengeTotp,
            NextStep::OrganizationSelection { organizations } => HostedStage::ChooseOrganization { organizations },
        })
    }

    /// Proves the first factor with a password.
    async fn hosted_password(
        &self,
        row: Option<&FlowRow>,
        admin: &Admin,
        audience: &Audience,
        email: &str,
        password: String,
        client: &ClientContext,
    ) -> Result<Proven, AppError> {
        let mut errors = app::error::FieldErrors::default();
        if email.trim().is_empty() {
            errors.add("email", "email_required", "Enter your email address.");
        }
        if password.is_empty() {
            errors.add("password", "password_required", "Enter your password.");
        }
        errors.finish()?;
        let dashboard = *audience == Audience::Dashboard;
        if !dashboard {
            self.require_method(&mut *self.store.read().await?, AuthMethod::Password).await?;
        }
        let verified = self
            .check_password(PasswordAttempt {
                email,
                password,
                policy: if dashboard { AttemptPolicy::FailuresOnly } else { AttemptPolicy::Every },
                client_address: client.ip_address.as_deref(),
                grant: (!dashboard).then_some(admin),
            })
            .await?;
        // With password sign-in off, platform admins still sign in to the dashboard, so
        // turning it off cannot lock everyone out.
        if dashboard && !verified.is_platform_admin {
            self.require_method(&mut *self.store.read().await?, AuthMethod::Password).await?;
        }
        Ok(Self::flow_proven(row, verified.id, AuthMethod::Password, audience))
    }

    /// A first factor proven on a flow's pages, with what the app asked for.
    fn flow_proven(row: Option<&FlowRow>, user: UserId, method: AuthMethod, audience: &Audience) -> Proven {
        let mut proven =
            Proven::first_factor(user, method, row.and_then(|row| row.invitation_token.clone()), audience.clone());
        proven.organization = row.and_then(|row| row.organization_id.clone()).map(OrganizationId::from_trusted);
        proven
    }

    /// Creates an account on the hosted sign-up page.
    async fn hosted_sign_up(
        &self,
        row: Option<&FlowRow>,
        audience: &Audience,
        email: String,
        password: String,
        first_name: String,
        last_name: String,
    ) -> Result<Proven, AppError> {
        let mut conn = self.store.read().await?;
        let settings = self.environment(&mut conn).await?;
        drop(conn);
        if *audience == Audience::Dashboard || !settings.sign_up_enabled || !settings.password_enabled {
            return Err(AppError::Forbidden("Sign-up is not enabled in this environment.".into()));
        }
        let mut errors = app::error::FieldErrors::default();
        if password.is_empty() {
            errors.add("password", "password_required", "Choose a password.");
        }
        errors.finish()?;
        let optional = |text: String| Some(text.trim().to_owned()).filter(|text| !text.is_empty());
        let user = NewUser {
            email,
            password: Some(password),
            first_name: optional(first_name),
            last_name: optional(last_name),
            ..NewUser::default()
        };
        let mut tx = self.store.begin().await?;
        let created = Self::insert_new_user(&mut tx, user, false).await.map_err(|error| match error {
            AppError::Conflict { code: Conflict::UserAlreadyExists, .. } => {
                AppError::invalid("email", "email_taken", "An account with this email exists already. Sign in instead.")
            }
            other => other,
        })?;
        commit(tx).await?;
        Ok(Self::flow_proven(row, created.id, AuthMethod::Password, audience))
    }

    /// Takes the answer to the step a flow waits on.
    async fn hosted_answer(
        &self,
        row: &FlowRow,
        audience: &Audience,
        input: HostedInput,
    ) -> Result<(Proven, Pending), AppError> {
        let mut conn = self.store.read().await?;
        let pending = Self::flow_pending(&mut conn, row, audience).await?;
        drop(conn);
        let mut proven = pending.proven.clone();
        let system = roster_itself()?;
        match (input, &pending.next) {
            (HostedInput::EmailCode { code }, NextStep::EmailVerification { .. }) => {
                self.verify_email(&system, &proven.user, &code).await?;
            }
            (HostedInput::Totp { code }, NextStep::MfaChallenge { .. }) => {
                if !self.check_user_totp(&proven.user, &code).await? {
                    return Err(wrong_totp());
                }
                proven.mfa_verified = true;
            }
            (HostedInput::Totp { code }, NextStep::MfaEnrollment) => {
                let secret = row.enrollment_secret.as_deref().ok_or_else(dead_flow)?;
                let now = now_ms();
                let slot = super::attempts::TOTP_LIMIT.reserve(&mut *self.store.read().await?, &row.id, now).await?;
                let user = db::find_user(&mut *self.store.read().await?, &proven.user).await?.ok_or_else(dead_flow)?;
                let mut tx = self.store.begin().await?;
                if !self.confirm_enrollment(&mut tx, &user, secret, &code, AuthenticationFactorId::generate()).await? {
                    return Err(wrong_totp());
                }
                commit(tx).await?;
                slot.release(&mut *self.store.read().await?).await?;
                proven.mfa_verified = true;
            }
            (HostedInput::Organization { organization_id }, NextStep::OrganizationSelection { organizations }) => {
                let chosen = organizations.iter().find(|choice| choice.id.as_str() == organization_id.trim());
                let chosen = chosen.ok_or_else(|| {
                    AppError::invalid("organization_id", "organization_required", "Choose one of your organizations.")
                })?;
                proven.organization = Some(chosen.id.clone());
            }
            _ => return Err(dead_flow()),
        }
        Ok((proven, pending))
    }

    /// Moves a proven sign-in on: to the page of the step it still needs, back to the app with
    /// a code, or into the dashboard. Without a browser to bind a flow to (the dashboard's
    /// plain sign-in call), a needed step is answered as the step-up error.
    async fn advance(
        &self,
        row: Option<&FlowRow>,
        browser: Option<&str>,
        proven: Proven,
        client: ClientContext,
        spent: Option<&Pending>,
    ) -> Result<Advanced, AppError> {
        let now = now_ms();
        let mut tx = self.store.begin().await?;
        if let Some(pending) = spent {
            Self::spend_pending(&mut tx, pending).await.map_err(|_| dead_flow())?;
        }
        if let Some(next) = self.next_step(&mut tx, &proven).await? {
            let step = self.pend(&mut tx, &proven, next).await?;
            let flow = match (row, browser) {
                (Some(row), _) => row.id.clone(),
                (None, Some(browser)) => {
                    let flow = dashboard_flow(browser, now);
                    api::insert_flow(&mut tx, &flow).await?;
                    flow.id
                }
                (None, None) => {
                    commit(tx).await?;
                    return Err(AppError::StepUp(Box::new(step)));
                }
            };
            api::set_flow_pending(&mut tx, &flow, &step.pending_authentication_token, now).await?;
            commit(tx).await?;
            return Ok(Advanced::Page(format!("{}?flow={flow}", step.next.hosted_page())));
        }
        if let Some(row) = row
            && !api::complete_flow(&mut tx, &row.id, now).await?
        {
            return Err(dead_flow());
        }
        let next = match row.and_then(|row| row.client_id.clone().zip(row.redirect_uri.clone())) {
            Some((client_id, redirect_uri)) => {
                let code = random_secret();
                let stored = AuthorizationCodeRow {
                    client_id,
                    redirect_uri: redirect_uri.clone(),
                    code_challenge: row.and_then(|row| row.code_challenge.clone()),
                    user_id: proven.user.to_string(),
                    method: proven.method.as_str().into(),
                    organization_id: proven.organization.as_ref().map(ToString::to_string),
                    invitation_token: proven.invitation_token.clone(),
                    expires_at: now + AUTHORIZATION_CODE_LIFETIME_MS,
                    used_at: None,
                    created_at: now,
                };
                api::insert_authorization_code(&mut tx, &secret_hash(&code), &stored).await?;
                Advanced::App(redirect_with_code(&redirect_uri, &code, row.and_then(|row| row.state.as_deref()))?)
            }
            None => {
                let is_platform_admin = db::is_platform_admin(&mut tx, &proven.user).await?;
                let (organization, _) = working_organization(&mut tx, &proven.user, None, is_platform_admin).await?;
                let client = (client.ip_address, client.user_agent);
                Advanced::Dashboard(Box::new(
                    self.open_dashboard_session(&mut tx, &proven.user, organization, proven.method, client).await?,
                ))
            }
        };
        commit(tx).await?;
        Ok(next)
    }

    /// Signs in to the dashboard with a password, when no further step is needed; used by
    /// the plain sign-in call, which has no browser to walk through more pages.
    pub(crate) async fn dashboard_password(
        &self,
        email: &str,
        password: String,
        client: ClientContext,
    ) -> Result<SignedIn, AppError> {
        let (admin, audience) = self.flow_grant(None).await?;
        let proven = self.hosted_password(None, &admin, &audience, email, password, &client).await?;
        match self.advance(None, None, proven, client, None).await? {
            Advanced::Dashboard(signed_in) => Ok(*signed_in),
            Advanced::Page(_) | Advanced::App(_) => Err(AppError::Internal),
        }
    }

    /// One step of a hosted sign-in (see [`HostedSignIn::hosted_step`], which counts it).
    async fn take_step(
        &self,
        flow: Option<&str>,
        browser: &str,
        input: HostedInput,
        client: ClientContext,
    ) -> Result<HostedNext, AppError> {
        let row = match flow {
            Some(flow) => Some(Self::live_flow(&mut *self.store.read().await?, flow, browser).await?),
            None => None,
        };
        let (admin, audience) = self.flow_grant(row.as_ref()).await?;
        let dashboard_admin = (audience != Audience::Dashboard).then_some(&admin);
        let (proven, spent) = match input {
            HostedInput::Password { email, password } => {
                (self.hosted_password(row.as_ref(), &admin, &audience, &email, password, &client).await?, None)
            }
            HostedInput::SignUp { email, password, first_name, last_name } => {
                (self.hosted_sign_up(row.as_ref(), &audience, email, password, first_name, last_name).await?, None)
            }
            HostedInput::MagicCode { email, code } => {
                self.require_method(&mut *self.store.read().await?, AuthMethod::MagicCode).await?;
                let user =
                    self.redeem_magic_code(dashboard_admin, &email, &code).await.map_err(|error| match error {
                        AppError::InvalidGrant(message) => AppError::invalid("code", "code_invalid", message),
                        other => other,
                    })?;
                (Self::flow_proven(row.as_ref(), user, AuthMethod::MagicCode, &audience), None)
            }
            answer => {
                let row = row.as_ref().ok_or_else(dead_flow)?;
                let (proven, pending) = self.hosted_answer(row, &audience, answer).await?;
                (proven, Some(pending))
            }
        };
        Ok(match self.advance(row.as_ref(), Some(browser), proven, client, spent.as_ref()).await? {
            Advanced::Page(path) => HostedNext::Page(path),
            Advanced::App(url) => HostedNext::App(url),
            Advanced::Dashboard(signed_in) => HostedNext::Dashboard(signed_in.token),
        })
    }
}

/// A wrong code on the hosted TOTP pages.
fn wrong_totp() -> AppError {
    AppError::invalid(
        "code",
        "totp_code_invalid",
        "That code is wrong or was used already. Enter the newest code from your app.",
    )
}

/// Where a proven sign-in went.
enum Advanced {
    /// To the hosted page of its next step.
    Page(String),
    /// Back to the app, with a code.
    App(String),
    /// Into the dashboard.
    Dashboard(Box<SignedIn>),
}

/// A flow for the dashboard's own sign-in, once it needs a second page.
fn dashboard_flow(browser: &str, now: i64) -> FlowRow {
    FlowRow {
        id: random_secret(),
        browser_hash: secret_hash(browser),
        client_id: None,
        redirect_uri: None,
        state: None,
        code_challenge: None,
        login_hint: None,
        organization_id: None,
        invitation_token: None,
        pending_token: None,
        enrollment_secret: None,
        expires_at: now + FLOW_LIFETIME_MS,
        completed_at: None,
        created_at: now,
        updated_at: now,
    }
}

#[async_trait]
impl HostedSignIn for Core {
    async fn authorize(&self, request: AuthorizeRequest, browser: &str) -> Result<String, AppError> {
        let client_id = request.client_id.as_deref().map(str::trim).filter(|id| !id.is_empty());
        let client_id = client_id.ok_or_else(|| bad_request("The request names no client_id."))?;
        self.client_caller(client_id).await.map_err(|_| bad_request("The client_id is not known here."))?;
        let redirect_uri = request.redirect_uri.as_deref().map(str::trim).filter(|uri| !uri.is_empty());
        let redirect_uri = redirect_uri.ok_or_else(|| bad_request("The request names no redirect_uri."))?;
        let mut conn = self.store.read().await?;
        let settings = self.environment(&mut conn).await?;
        drop(conn);
        if !settings.redirect_uris.iter().any(|allowed| same_url(redirect_uri, allowed)) {
            return Err(bad_request("The redirect_uri is not one of this environment's redirect URIs."));
        }
        if request.response_type.as_deref() != Some("code") {
            return Err(bad_request("The response_type must be code."));
        }
        if request.provider.as_deref().is_some_and(|provider| provider != "authkit") {
            return Err(bad_request("Only the authkit provider is available here."));
        }
        if request.connection_id.is_some() {
            return Err(bad_request("Single sign-on connections are not available here; use provider=authkit."));
        }
        let code_challenge = match (request.code_challenge.as_deref(), request.code_challenge_method.as_deref()) {
            (None, None) => None,
            (Some(challenge), Some("S256")) if challenge.len() == 43 => Some(challenge.to_owned()),
            (Some(_), Some("S256")) => return Err(bad_request("The code_challenge must be 43 base64url characters.")),
            _ => return Err(bad_request("PKCE needs code_challenge with code_challenge_method=S256.")),
        };
        let organization_id = requested_organization(&request)?;
        let now = now_ms();
        let row = FlowRow {
            client_id: Some(client_id.to_owned()),
            redirect_uri: Some(redirect_uri.to_owned()),
            state: request.state.clone(),
            code_challenge,
            login_hint: request.login_hint.clone().filter(|hint| !hint.trim().is_empty()),
            organization_id: organization_id.map(|id| id.to_string()),
            invitation_token: request.invitation_token.clone().filter(|token| !token.trim().is_empty()),
            ..dashboard_flow(browser, now)
        };
        let mut tx = self.store.begin().await?;
        api::insert_flow(&mut tx, &row).await?;
        commit(tx).await?;
        let page = match request.screen_hint.as_deref() {
            Some("sign-up") if settings.sign_up_enabled && settings.password_enabled => "/sign-up",
            _ => "/sign-in",
        };
        Ok(format!("{page}?flow={}", row.id))
    }

    async fn hosted_flow(&self, flow: Option<&str>, browser: &str) -> Result<HostedFlow, AppError> {
        let mut conn = self.store.read().await?;
        let settings = self.environment(&mut conn).await?;
        let Some(flow) = flow else {
            return Ok(HostedFlow {
                id: None,
                stage: HostedStage::SignIn,
                login_hint: None,
                // Platform admins sign in to the dashboard with a password even when it is off.
                password_enabled: true,
                magic_code_enabled: settings.magic_code_enabled,
                sign_up_enabled: false,
                invited_to: None,
            });
        };
        let row = Self::live_flow(&mut conn, flow, browser).await?;
        drop(conn);
        let (_, audience) = self.flow_grant(Some(&row)).await?;
        let mut conn = self.store.read().await?;
        let stage = self.stage_of(&mut conn, &row, &audience).await?;
        drop(conn);
        let invited_to = match &row.invitation_token {
            Some(token) => self.preview_invitation(token).await.ok().and_then(|preview| preview.organization_name),
            None => None,
        };
        Ok(HostedFlow {
            id: Some(row.id.clone()),
            stage,
            login_hint: row.login_hint.clone(),
            password_enabled: settings.password_enabled,
            magic_code_enabled: settings.magic_code_enabled,
            sign_up_enabled: settings.sign_up_enabled && settings.password_enabled && row.client_id.is_some(),
            invited_to,
        })
    }

    async fn hosted_step(
        &self,
        flow: Option<&str>,
        browser: &str,
        input: HostedInput,
        client: ClientContext,
    ) -> Result<HostedNext, AppError> {
        let method = match &input {
            HostedInput::Password { .. } => "password",
            HostedInput::SignUp { .. } => "sign_up",
            HostedInput::MagicCode { .. } => "magic_auth",
            HostedInput::EmailCode { .. } => "email_verification",
            HostedInput::Totp { .. } => "totp",
            HostedInput::Organization { .. } => "organization_selection",
        };
        let result = self.take_step(flow, browser, input, client).await;
        let outcome = match &result {
            Ok(HostedNext::Page(_)) => Outcome::StepUp,
            Ok(HostedNext::App(_) | HostedNext::Dashboard(_)) => Outcome::Success,
            Err(_) => Outcome::Failure,
        };
        metrics::sign_in(method, outcome);
        result
    }

    async fn hosted_send_magic_code(&self, flow: Option<&str>, browser: &str, email: &str) -> Result<(), AppError> {
        let row = match flow {
            Some(flow) => Some(Self::live_flow(&mut *self.store.read().await?, flow, browser).await?),
            None => None,
        };
        let (admin, _) = self.flow_grant(row.as_ref()).await?;
        // Whether the email has an account is not said: an unknown one is answered alike.
        match self.create_magic_auth(&admin, email).await {
            Ok(_) | Err(AppError::NotFound(_)) => Ok(()),
            Err(error) => Err(error),
        }
    }

    async fn hosted_resend_email_code(&self, flow: &str, browser: &str) -> Result<(), AppError> {
        let row = Self::live_flow(&mut *self.store.read().await?, flow, browser).await?;
        let (_, audience) = self.flow_grant(Some(&row)).await?;
        let pending = Self::flow_pending(&mut *self.store.read().await?, &row, &audience).await?;
        if !matches!(pending.next, NextStep::EmailVerification { .. }) {
            return Err(dead_flow());
        }
        self.send_email_verification(&roster_itself()?, &pending.proven.user).await.map(|_| ())
    }
}
