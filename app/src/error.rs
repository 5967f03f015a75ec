//! The one error type of Roster, shared by the core, the server functions and the REST API.
//!
//! Messages are safe to show to the caller. Internal causes are logged where they happen and
//! never carried here: [`AppError::Internal`] says nothing about what went wrong.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// A problem with one input field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field's wire name, such as `email`.
    pub field: String,
    /// A stable machine-readable code, such as `email_invalid`.
    pub code: String,
    /// A sentence for people.
    pub message: String,
}

/// Why a call contradicts the current state. Each is listed once here; its wire form (the
/// `code` of a 409, which the SDKs read) is its snake_case name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conflict {
    /// An organization would be left without an active owner.
    LastOwner,
    /// A pending membership is acted on through its invitation instead.
    MembershipPending,
    /// The user is already a member of the organization.
    MembershipAlreadyExists,
    /// Another user has this email or external ID.
    UserAlreadyExists,
    /// Another organization has this external ID or domain.
    OrganizationAlreadyExists,
    /// The domain is claimed already: by this organization, or verified by another.
    DomainAlreadyClaimed,
    /// The invited email is already an active member.
    AlreadyAMember,
    /// The email invited to sign up already has an account.
    AlreadyAUser,
    /// The email already has an open invitation.
    InvitationAlreadyPending,
    /// The invitation was accepted, revoked or has expired.
    InvitationNotPending,
    /// A request with this `Idempotency-Key` is still running.
    IdempotencyKeyInProgress,
    /// This `Idempotency-Key` was used for a different request.
    IdempotencyKeyReused,
    /// A role or permission with this slug exists already.
    SlugAlreadyExists,
    /// The role is still held by members.
    RoleInUse,
    /// The change would take from a built-in role or permission what the security rules need.
    BuiltIn,
}

impl Conflict {
    /// The code on the wire.
    pub fn code(self) -> &'static str {
        match self {
            Conflict::LastOwner => "last_owner",
            Conflict::MembershipPending => "membership_pending",
            Conflict::MembershipAlreadyExists => "membership_already_exists",
            Conflict::UserAlreadyExists => "user_already_exists",
            Conflict::OrganizationAlreadyExists => "organization_already_exists",
            Conflict::DomainAlreadyClaimed => "domain_already_claimed",
            Conflict::AlreadyAMember => "already_a_member",
            Conflict::AlreadyAUser => "already_a_user",
            Conflict::InvitationAlreadyPending => "invitation_already_pending",
            Conflict::InvitationNotPending => "invitation_not_pending",
            Conflict::IdempotencyKeyInProgress => "idempotency_key_in_progress",
            Conflict::IdempotencyKeyReused => "idempotency_key_reused",
            Conflict::SlugAlreadyExists => "slug_already_exists",
            Conflict::RoleInUse => "role_in_use",
            Conflict::BuiltIn => "built_in",
        }
    }
}

/// Everything that can go wrong in a Roster call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// No valid session or key came with the call.
    #[error("Please sign in to continue.")]
    Unauthenticated,
    /// The email or password was wrong; which one is deliberately not said.
    #[error("The email or password is incorrect.")]
    InvalidCredentials,
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The named thing does not exist, or the caller may not see it.
    #[error("{0} not found.")]
    NotFound(String),
    /// The call contradicts the current state, such as demoting the last owner.
    #[error("{message}")]
    Conflict { code: Conflict, message: String },
    /// One or more fields are invalid.
    #[error("{}", summarize(.0))]
    Validation(Vec<FieldError>),
    /// The first factor was right, and the sign-in needs one more step (the WorkOS
    /// step-up errors): the answer carries the pending token that continues it.
    #[error("{}", .0.next.message())]
    StepUp(Box<crate::model::StepUp>),
    /// An OAuth grant failed: a bad, expired or revoked code or refresh token.
    #[error("{0}")]
    InvalidGrant(String),
    /// The request itself could not be read.
    #[error("{0}")]
    BadRequest(String),
    /// The request's body is larger than the server accepts.
    #[error("The request is larger than the {limit_kib} KiB limit.")]
    TooLarge { limit_kib: u64 },
    /// Too many attempts; try again later.
    #[error("Too many attempts. Try again in {retry_after_seconds} seconds.")]
    RateLimited { retry_after_seconds: u64 },
    /// Something failed on the server; the cause is in the server's log.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The call did not reach the server or its answer could not be read.
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

fn summarize(errors: &[FieldError]) -> String {
    match errors {
        [only] => only.message.clone(),
        _ => errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join(" "),
    }
}

impl AppError {
    /// A validation error on a single field.
    pub fn invalid(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError { field: field.to_owned(), code: code.to_owned(), message: message.into() }])
    }

    /// A conflict with the current state.
    pub fn conflict(code: Conflict, message: impl Into<String>) -> Self {
        Self::Conflict { code, message: message.into() }
    }

    /// This error, with a "not found" naming `what` (what the caller asked for) rather than the
    /// object behind it that was not found.
    pub fn not_found_as(self, what: &str) -> Self {
        match self {
            Self::NotFound(_) => Self::not_found(what),
            other => other,
        }
    }

    /// A thing that does not exist or is out of the caller's reach.
    pub fn not_found(what: &str) -> Self {
        Self::NotFound(what.to_owned())
    }

    /// The message for one field, if the error is about it.
    pub fn field_message(&self, field: &str) -> Option<&str> {
        match self {
            Self::Validation(errors) => errors.iter().find(|e| e.field == field).map(|e| e.message.as_str()),
            _ => None,
        }
    }

    /// True when the error is about particular fields rather than the whole call.
    pub fn is_validation(&self) -> bool {
        matches!(self, Self::Validation(_))
    }

    /// The HTTP status this error is answered with.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::Unauthenticated => 401,
            Self::InvalidCredentials | Self::InvalidGrant(_) | Self::BadRequest(_) => 400,
            Self::Forbidden(_) | Self::StepUp(_) => 403,
            Self::NotFound(_) => 404,
            Self::Conflict { .. } => 409,
            Self::TooLarge { .. } => 413,
            Self::Validation(_) => 422,
            Self::RateLimited { .. } => 429,
            Self::Internal => 500,
            Self::Transport(_) => 502,
        }
    }
}

/// Collects field errors so a form reports every bad field at once.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// Records a problem with a field.
    pub fn add(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.0.push(FieldError { field: field.into(), code: code.into(), message: message.into() });
    }

    /// Keeps a field's value, or records its error.
    pub fn check<T>(&mut self, result: Result<T, AppError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(AppError::Validation(errors)) => {
                self.0.extend(errors);
                None
            }
            Err(_) => None,
        }
    }

    /// `Ok` when nothing was recorded.
    pub fn finish(self) -> Result<(), AppError> {
        if self.0.is_empty() { Ok(()) } else { Err(AppError::Validation(self.0)) }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::MissingArg(message) => {
                Self::BadRequest(format!("The request was incomplete or malformed: {message}"))
            }
            ServerFnErrorErr::Deserialization(message)
            | ServerFnErrorErr::Request(message)
            | ServerFnErrorErr::Response(message) => Self::Transport(message),
            other => Self::Transport(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_conflicts_wire_code_is_its_serialized_name() {
        use Conflict::*;
        let all = [
            LastOwner,
            MembershipPending,
            MembershipAlreadyExists,
            UserAlreadyExists,
            OrganizationAlreadyExists,
            DomainAlreadyClaimed,
            AlreadyAMember,
            AlreadyAUser,
            InvitationAlreadyPending,
            InvitationNotPending,
            IdempotencyKeyInProgress,
            IdempotencyKeyReused,
            SlugAlreadyExists,
            RoleInUse,
            BuiltIn,
        ];
        for conflict in all {
            assert_eq!(serde_json::to_value(conflict).unwrap(), serde_json::json!(conflict.code()));
        }
    }

    #[test]
    fn validation_errors_name_their_field() {
        let error = AppError::invalid("email", "email_invalid", "Enter a valid email address.");
        assert_eq!(error.status_code(), 422);
        assert_eq!(error.field_message("email"), Some("Enter a valid email address."));
        assert_eq!(error.field_message("role"), None);
    }

    #[test]
    fn field_errors_collect_every_problem() {
        let mut errors = FieldErrors::default();
        errors.add("email", "required", "Enter an email.");
        assert_eq!(errors.check::<()>(Err(AppError::invalid("role", "unknown", "Pick a role."))), None);
        let AppError::Validation(all) = errors.finish().unwrap_err() else { panic!() };
        assert_eq!(all.len(), 2);
    }
}
