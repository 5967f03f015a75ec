//! The environment's settings, for platform admins: redirect URIs and the default logout URL,
//! CORS origins, the sign-in methods, and session and refresh-token lifetimes. Fields the
//! server's configuration sets are shown read-only, with the variable that sets them.

use crate::error::AppError;
use crate::layout::{Gate, WithViewer};
use crate::model::*;
use crate::ui::{ErrorBanner, FieldError, LoadError, Loading};
use leptos::prelude::*;
use leptos_meta::Title;

#[cfg(feature = "ssr")]
use crate::door::{caller, directory};

/// The settings as they apply now.
#[server(prefix = "/api", endpoint = "environment-settings")]
pub async fn load_environment_settings() -> Result<EnvironmentSettings, AppError> {
    directory().environment_settings(&caller().await?.environment_admin()?).await
}

/// Saves the settings form. Lists come one entry a line; a field the form leaves out (one the
/// configuration sets) is kept. `methods` marks that the method checkboxes were in the form,
/// so an unchecked one (which browsers do not send) turns its method off; `lists` marks that
/// the lists and the logout URL were, so an emptied one (which arrives as no value) clears it.
#[server(prefix = "/api", endpoint = "save-environment-settings")]
#[allow(clippy::too_many_arguments)]
pub async fn save_environment_settings(
    #[server(default)] redirect_uris: Option<String>,
    #[server(default)] default_logout_url: Option<String>,
    #[server(default)] cors_origins: Option<String>,
    #[server(default)] methods: Option<String>,
    #[server(default)] lists: Option<String>,
    #[server(default)] password_enabled: Option<String>,
    #[server(default)] magic_code_enabled: Option<String>,
    #[server(default)] sign_up_enabled: Option<String>,
    #[server(default)] email_verification_required: Option<String>,
    #[server(default)] platform_admin_mfa_required: Option<String>,
    #[server(default)] mfa: Option<String>,
    #[server(default)] session_lifetime_minutes: Option<String>,
    #[server(default)] refresh_token_lifetime_minutes: Option<String>,
) -> Result<String, AppError> {
    use crate::error::FieldErrors;
    let admin = caller().await?.environment_admin()?;
    let lines = |text: Option<String>| text.map(|text| text.lines().map(str::to_owned).collect::<Vec<_>>());
    let mut errors = FieldErrors::default();
    let mut minutes = |field: SettingsField, text: Option<String>| {
        let text = text?;
        match text.trim().parse::<u32>() {
            Ok(minutes) => Some(minutes),
            Err(_) => {
                errors.add(field.name(), "not_a_number", "Enter a whole number of minutes.");
                None
            }
        }
    };
    let session = minutes(SettingsField::SessionLifetimeMinutes, session_lifetime_minutes);
    let refresh = minutes(SettingsField::RefreshTokenLifetimeMinutes, refresh_token_lifetime_minutes);
    let mfa = match mfa {
        Some(text) => match MfaPolicy::parse(&text) {
            Some(policy) => Some(policy),
            None => {
                errors.add(SettingsField::Mfa.name(), "invalid_choice", "Choose off, optional or required.");
                None
            }
        },
        None => None,
    };
    errors.finish()?;
    // Fields the configuration sets are not in the form; keep them out of the update. A
    // checkbox browsers did not send is off, when the form showed the checkboxes.
    let current = directory().environment_settings(&admin).await?;
    let methods_shown = methods.is_some();
    let checkbox = |field: SettingsField, value: Option<String>| {
        (methods_shown && !current.is_locked(field)).then_some(value.is_some())
    };
    let emptied = |field: SettingsField, value: Option<String>| {
        value.or_else(|| (lists.is_some() && !current.is_locked(field)).then(String::new))
    };
    let update = SettingsUpdate {
        redirect_uris: lines(emptied(SettingsField::RedirectUris, redirect_uris)),
        default_logout_url: emptied(SettingsField::DefaultLogoutUrl, default_logout_url),
        cors_origins: lines(emptied(SettingsField::CorsOrigins, cors_origins)),
        password_enabled: checkbox(SettingsField::PasswordEnabled, password_enabled),
        magic_code_enabled: checkbox(SettingsField::MagicCodeEnabled, magic_code_enabled),
        sign_up_enabled: checkbox(SettingsField::SignUpEnabled, sign_up_enabled),
        email_verification_required: checkbox(SettingsField::EmailVerificationRequired, email_verification_required),
        platform_admin_mfa_required: checkbox(SettingsField::PlatformAdminMfaRequired, platform_admin_mfa_required),
        mfa,
        session_lifetime_minutes: session,
        refresh_token_lifetime_minutes: refresh,
    };
    directory().update_environment_settings(&admin, update).await?;
    Ok("Saved the settings.".into())
}

/// The settings page.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let save = ServerAction::<SaveEnvironmentSettings>::new();
    let settings = Resource::new(move || save.version().get(), |_| load_environment_settings());
    let gate = Gate::PlatformAdmin {
        why: "These settings decide how people sign in to every organization, so only platform admins change them.",
    };
    let content = move |_: Viewer| {
        view! {
            <div class="page-head">
                <div>
                    <h1>"Settings"</h1>
                    <p class="muted">"How applications sign people in and out of this environment."</p>
                </div>
            </div>
            <Transition fallback=|| view! { <Loading what="the settings"/> }>
                {move || Suspend::new(async move {
                    match settings.await {
                        Ok(settings) => view! { <SettingsForm settings save/> }.into_any(),
                        Err(error) => view! { <LoadError error/> }.into_any(),
                    }
                })}
            </Transition>
        }
        .into_any()
    };
    view! {
        <Title text="Settings"/>
        <WithViewer gate render=content/>
    }
}

/// Why a field is read-only, when it is.
fn locked_note(settings: &EnvironmentSettings, field: SettingsField) -> Option<String> {
    settings.is_locked(field).then(|| format!("Set by the server's configuration ({}).", field.env_var()))
}

#[component]
fn SettingsForm(settings: EnvironmentSettings, save: ServerAction<SaveEnvironmentSettings>) -> impl IntoView {
    let error = move || save.value().get().and_then(Result::err);
    let field_error = move |field: SettingsField| {
        Signal::derive(move || error().and_then(|e| e.field_message(field.name()).map(str::to_owned)))
    };
    let other_error = Signal::derive(move || error().filter(|e| !e.is_validation()));
    let has_errors = Signal::derive(move || error().is_some_and(|e| e.is_validation()));
    let saved = move || save.value().get().and_then(Result::ok);
    let methods_locked = CHECKBOXES.iter().all(|field| settings.is_locked(*field));
    view! {
        <ErrorBanner error=other_error/>
        <Show when=move || has_errors.get()>
            <div class="alert alert-error" role="alert">
                <strong>"Not saved. "</strong>
                "Some fields need a change; each says what is wrong."
            </div>
        </Show>
        {move || saved().map(|message| view! { <p class="alert alert-success" role="status">{message}</p> })}
        <ActionForm action=save attr:class="settings-form">
            <input type="hidden" name="lists" value="shown"/>
            <section class="card" aria-labelledby="redirects-heading">
                <h2 id="redirects-heading">"Redirects"</h2>
                <ListField
                    field=SettingsField::RedirectUris
                    label="Redirect URIs"
                    hint="Full URLs, one a line. Sign-in and logout send people back only to these. Use https; plain http only on localhost and 127.0.0.1."
                    values=settings.redirect_uris.clone()
                    locked=locked_note(&settings, SettingsField::RedirectUris)
                    error=field_error(SettingsField::RedirectUris)
                />
                <TextField
                    field=SettingsField::DefaultLogoutUrl
                    label="Default logout URL"
                    hint="Where logout sends people when the app names no allowed return address. Empty: a page saying they are signed out."
                    kind="url"
                    value=settings.default_logout_url.clone().unwrap_or_default()
                    locked=locked_note(&settings, SettingsField::DefaultLogoutUrl)
                    error=field_error(SettingsField::DefaultLogoutUrl)
                />
            </section>
            <section class="card" aria-labelledby="cors-heading">
                <h2 id="cors-heading">"Browser clients"</h2>
                <ListField
                    field=SettingsField::CorsOrigins
                    label="Allowed origins (CORS)"
                    hint="Origins such as https://app.example.com, one a line, whose pages may call sign-in, the JWKS and logout from the browser."
                    values=settings.cors_origins.clone()
                    locked=locked_note(&settings, SettingsField::CorsOrigins)
                    error=field_error(SettingsField::CorsOrigins)
                />
            </section>
            <section class="card" aria-labelledby="methods-heading">
                <h2 id="methods-heading">"Sign-in methods"</h2>
                <fieldset class="settings-methods">
                    <legend>"Methods applications may use"</legend>
                    {(!methods_locked).then(|| view! { <input type="hidden" name="methods" value="shown"/> })}
                    <MethodBox
                        field=SettingsField::PasswordEnabled
                        label="Password"
                        checked=settings.password_enabled
                        locked=locked_note(&settings, SettingsField::PasswordEnabled)
                    />
                    <MethodBox
                        field=SettingsField::MagicCodeEnabled
                        label="Magic code (a code sent by email)"
                        checked=settings.magic_code_enabled
                        locked=locked_note(&settings, SettingsField::MagicCodeEnabled)
                    />
                    <MethodBox
                        field=SettingsField::SignUpEnabled
                        label="Sign-up: people create their own accounts on the hosted sign-in pages"
                        checked=settings.sign_up_enabled
                        locked=locked_note(&settings, SettingsField::SignUpEnabled)
                    />
                    <MethodBox
                        field=SettingsField::EmailVerificationRequired
                        label="Require a verified email before a user's first session in an app"
                        checked=settings.email_verification_required
                        locked=locked_note(&settings, SettingsField::EmailVerificationRequired)
                    />
                    <p class="muted">"Platform admins can always sign in to this dashboard with their password."</p>
                </fieldset>
            </section>
            <section class="card" aria-labelledby="mfa-heading">
                <h2 id="mfa-heading">"Two-factor authentication"</h2>
                <MfaField settings=settings.clone() error=field_error(SettingsField::Mfa)/>
                <MethodBox
                    field=SettingsField::PlatformAdminMfaRequired
                    label="Platform admins must use an authenticator app to sign in to this dashboard"
                    checked=settings.platform_admin_mfa_required
                    locked=locked_note(&settings, SettingsField::PlatformAdminMfaRequired)
                />
                <p class="muted">"Anyone who enrolled an authenticator app is asked for a code when signing in to the dashboard."</p>
            </section>
            <section class="card" aria-labelledby="lifetimes-heading">
                <h2 id="lifetimes-heading">"Sessions"</h2>
                <TextField
                    field=SettingsField::SessionLifetimeMinutes
                    label="Session lifetime (minutes)"
                    hint=format!("How long a new session lasts: {MIN_LIFETIME_MINUTES} to {MAX_SESSION_LIFETIME_MINUTES} minutes (90 days).")
                    kind="number"
                    value=settings.session_lifetime_minutes.to_string()
                    locked=locked_note(&settings, SettingsField::SessionLifetimeMinutes)
                    error=field_error(SettingsField::SessionLifetimeMinutes)
                />
                <TextField
                    field=SettingsField::RefreshTokenLifetimeMinutes
                    label="Refresh-token lifetime (minutes)"
                    hint=format!("How long a new refresh token lasts, never past its session: {MIN_LIFETIME_MINUTES} to {MAX_REFRESH_TOKEN_LIFETIME_MINUTES} minutes.")
                    kind="number"
                    value=settings.refresh_token_lifetime_minutes.to_string()
                    locked=locked_note(&settings, SettingsField::RefreshTokenLifetimeMinutes)
                    error=field_error(SettingsField::RefreshTokenLifetimeMinutes)
                />
            </section>
            <div class="form-actions">
                <button type="submit" class="button primary" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save settings" }}
                </button>
            </div>
        </ActionForm>
    }
}

/// The checkboxes of the form: browsers send only the ticked ones.
const CHECKBOXES: [SettingsField; 5] = [
    SettingsField::PasswordEnabled,
    SettingsField::MagicCodeEnabled,
    SettingsField::SignUpEnabled,
    SettingsField::EmailVerificationRequired,
    SettingsField::PlatformAdminMfaRequired,
];

/// The MFA policy, as a choice of three; read-only (and not sent) when the configuration sets it.
#[component]
fn MfaField(settings: EnvironmentSettings, error: Signal<Option<String>>) -> impl IntoView {
    let field = SettingsField::Mfa;
    let id = field.name();
    let locked = locked_note(&settings, field);
    let is_locked = locked.is_some();
    let label = |policy: MfaPolicy| match policy {
        MfaPolicy::Off => "Off: never ask for a second factor in apps",
        MfaPolicy::Optional => "Optional: ask users who enrolled an authenticator app",
        MfaPolicy::Required => "Required: everyone enrolls an authenticator app while signing in",
    };
    view! {
        <div class="field">
            <label for=id>"Second factor in apps"</label>
            {locked.map(|why| view! { <p id="mfa-hint" class="muted"><strong>{why}</strong></p> })}
            <select
                id=id
                name=(!is_locked).then_some(id)
                disabled=is_locked
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby="mfa-error"
            >
                {MfaPolicy::ALL
                    .into_iter()
                    .map(|policy| view! {
                        <option value=policy.name() selected=policy == settings.mfa>{label(policy)}</option>
                    })
                    .collect_view()}
            </select>
            <FieldError id="mfa-error".to_owned() message=error/>
        </div>
    }
}

/// A list edited as a textarea, one entry a line; read-only when the configuration sets it.
#[component]
fn ListField(
    field: SettingsField,
    label: &'static str,
    hint: &'static str,
    values: Vec<String>,
    locked: Option<String>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let id = field.name();
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let rows = (values.len() + 2).clamp(3, 12);
    let text = values.join("\n");
    let described = format!("{hint_id} {error_id}");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <p id=hint_id class="muted">{hint}{locked.clone().map(|why| view! { " " <strong>{why}</strong> })}</p>
            {match locked {
                Some(_) => view! {
                    <textarea id=id rows=rows readonly aria-describedby=described>{text}</textarea>
                }.into_any(),
                None => view! {
                    <textarea
                        id=id
                        name=id
                        rows=rows
                        spellcheck="false"
                        aria-invalid=move || error.get().is_some().to_string()
                        aria-describedby=described
                    >{text}</textarea>
                }.into_any(),
            }}
            <FieldError id=error_id message=error/>
        </div>
    }
}

/// One value in an input; read-only (and not sent) when the configuration sets it.
#[component]
fn TextField(
    field: SettingsField,
    label: &'static str,
    #[prop(into)] hint: String,
    kind: &'static str,
    value: String,
    locked: Option<String>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let id = field.name();
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described = format!("{hint_id} {error_id}");
    let is_locked = locked.is_some();
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <p id=hint_id class="muted">{hint}{locked.map(|why| view! { " " <strong>{why}</strong> })}</p>
            <input
                id=id
                type=kind
                name=(!is_locked).then_some(id)
                value=value
                readonly=is_locked
                autocomplete="off"
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=described
            />
            <FieldError id=error_id message=error/>
        </div>
    }
}

/// A sign-in method's checkbox; disabled (and not sent) when the configuration sets it.
#[component]
fn MethodBox(field: SettingsField, label: &'static str, checked: bool, locked: Option<String>) -> impl IntoView {
    let id = field.name();
    let is_locked = locked.is_some();
    view! {
        <label class="checkbox">
            <input type="checkbox" id=id name=(!is_locked).then_some(id) value="on" checked=checked disabled=is_locked/>
            {label}
            {locked.map(|why| view! { <span class="muted">" — " {why}</span> })}
        </label>
    }
}
