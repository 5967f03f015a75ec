//! Events: how a change is recorded (with who made it, whom it is about, and what the object
//! was before), and how recorded events read as sentences on a user's activity feed.
//!
//! The event's `data` keeps its WorkOS shape (the object after the change); the actor, the
//! subject and the previous state are columns beside it, so nothing a client reads changes.

use crate::store::directory::{self as db, EventRow};
use crate::store::{Connection, now_ms};
use app::directory::{Actor, Admin};
use app::error::AppError;
use app::ids::{EventId, OrganizationId};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

/// Who made a change, and what the object looked like before it.
#[derive(Debug, Default)]
pub(crate) struct Change {
    actor: Option<String>,
    previous: Option<Value>,
}

impl Change {
    /// A change made under this grant.
    pub(crate) fn by(admin: &Admin) -> Self {
        Self { actor: Some(actor_id(admin.actor())), previous: None }
    }

    /// A change a user made to their own account (such as enrolling a factor while signing in).
    pub(crate) fn by_user(user: &app::ids::UserId) -> Self {
        Self { actor: Some(user.to_string()), previous: None }
    }

    /// The object before the change, for sentences such as "changed Bob's role to admin".
    pub(crate) fn before(mut self, previous: &impl Serialize) -> Self {
        self.previous = serde_json::to_value(previous).ok();
        self
    }
}

/// How an actor is stored: the user's or key's ID, or `system`.
fn actor_id(actor: &Actor) -> String {
    match actor {
        Actor::User(id) => id.to_string(),
        Actor::ApiKey(id) => id.to_string(),
        Actor::System => SYSTEM.to_owned(),
    }
}

const SYSTEM: &str = "system";

/// The user an event is about: a user object itself, else the object's `user_id`, else the
/// user who accepted an invitation.
fn subject_of(data: &Value) -> Option<String> {
    let text = |key: &str| data.get(key).and_then(Value::as_str).map(str::to_owned);
    if data.get("object").and_then(Value::as_str) == Some("user") {
        return text("id");
    }
    text("user_id").or_else(|| text("accepted_user_id"))
}

/// Records an event in the transaction of the change it describes, with its actor and the
/// state before the change when the caller knows them.
pub(crate) async fn record_change(
    conn: &mut Connection,
    change: Change,
    event: &str,
    organization: Option<&OrganizationId>,
    data: &impl Serialize,
) -> Result<(), AppError> {
    let data = serde_json::to_value(data).map_err(|error| {
        tracing::error!(%error, event, "event data did not serialize");
        AppError::Internal
    })?;
    let row = EventRow {
        id: EventId::generate().to_string(),
        event: event.to_owned(),
        organization_id: organization.map(ToString::to_string),
        actor_id: change.actor,
        user_id: subject_of(&data),
        previous: change.previous.map(|previous| previous.to_string()),
        data: data.to_string(),
        created_at: now_ms(),
    };
    Ok(db::insert_event_row(conn, &row).await?)
}

/// The names an activity page mentions, looked up once per page.
#[derive(Debug, Default)]
pub(crate) struct Names {
    /// Users' display names by ID.
    pub users: HashMap<String, String>,
    /// API keys' names by ID.
    pub api_keys: HashMap<String, String>,
    /// Organizations' names by ID.
    pub organizations: HashMap<String, String>,
}

impl Names {
    /// Reads the names of every actor and organization the events mention.
    pub(crate) async fn of(conn: &mut Connection, events: &[EventRow], subject: &str) -> Result<Self, AppError> {
        let mut users = vec![subject.to_owned()];
        let mut keys = Vec::new();
        let mut organizations = Vec::new();
        for event in events {
            match event.actor_id.as_deref() {
                Some(id) if id.starts_with("api_key_") => keys.push(id.to_owned()),
                Some(SYSTEM) | None => {}
                Some(id) => users.push(id.to_owned()),
            }
            organizations.extend(event.organization_id.clone());
            if let Some(id) = serde_json::from_str::<Value>(&event.data)
                .ok()
                .and_then(|data| data.get("organization_id").and_then(Value::as_str).map(str::to_owned))
            {
                organizations.push(id);
            }
        }
        for list in [&mut users, &mut keys, &mut organizations] {
            list.sort();
            list.dedup();
        }
        let ids: Vec<OrganizationId> = organizations.into_iter().map(OrganizationId::from_trusted).collect();
        let organizations = db::organization_summaries(conn, Some(&ids))
            .await?
            .into_iter()
            .map(|summary| (summary.id.to_string(), summary.name))
            .collect();
        Ok(Self {
            users: db::user_names(conn, &users).await?,
            api_keys: db::api_key_names(conn, &keys).await?,
            organizations,
        })
    }

    /// Who an actor is, for a sentence; `None` when the event does not say.
    fn actor(&self, actor: Option<&str>) -> Option<String> {
        match actor? {
            SYSTEM => Some("Roster".to_owned()),
            id if id.starts_with("api_key_") => Some(match self.api_keys.get(id) {
                Some(name) => format!("The API key “{name}”"),
                None => "An API key".to_owned(),
            }),
            id => Some(self.users.get(id).cloned().unwrap_or_else(|| "A deleted user".to_owned())),
        }
    }
}

/// The labels of a user's fields, in the order a sentence lists them.
const USER_FIELDS: [(&str, &str); 7] = [
    ("email", "email"),
    ("first_name", "first name"),
    ("last_name", "last name"),
    ("profile_picture_url", "profile picture"),
    ("external_id", "external ID"),
    ("metadata", "metadata"),
    ("locale", "locale"),
];

/// "a", "a and b", "a, b and c".
fn joined(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The role slugs of a membership object.
fn roles_of(membership: &Value) -> Vec<String> {
    membership
        .get("roles")
        .and_then(Value::as_array)
        .map(|roles| roles.iter().filter_map(|role| role.get("slug")?.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// One event as a sentence about `subject` (the user whose page this is).
pub(crate) fn describe(event: &EventRow, names: &Names, subject_id: &str) -> String {
    let subject = names.users.get(subject_id).cloned().unwrap_or_else(|| "this user".to_owned());
    let data: Value = serde_json::from_str(&event.data).unwrap_or(Value::Null);
    let previous: Option<Value> = event.previous.as_deref().and_then(|p| serde_json::from_str(p).ok());
    let by_subject = event.actor_id.as_deref() == Some(subject_id);
    let actor = names.actor(event.actor_id.as_deref());
    let organization = data
        .get("organization_name")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| {
            let id = event.organization_id.as_deref().or_else(|| data.get("organization_id")?.as_str())?;
            names.organizations.get(id).cloned()
        })
        .unwrap_or_else(|| "an organization".to_owned());
    // "Ada Lovelace changed Bob's email", or without an actor, "Bob's email was changed".
    let active_or_passive = |verb: &str, object: &str, passive: &str| match &actor {
        Some(actor) => format!("{actor} {verb} {object}"),
        None => passive.to_owned(),
    };
    match event.event.as_str() {
        "user.created" => {
            active_or_passive("created", &format!("{subject}'s account"), &format!("{subject}'s account was created"))
        }
        "user.deleted" => {
            active_or_passive("deleted", &format!("{subject}'s account"), &format!("{subject}'s account was deleted"))
        }
        "user.updated" => {
            let changed: Vec<String> = match &previous {
                Some(before) => USER_FIELDS
                    .iter()
                    .filter(|(key, _)| before.get(key) != data.get(key))
                    .map(|(_, label)| (*label).to_owned())
                    .collect(),
                None => Vec::new(),
            };
            let verified_now = data.get("email_verified") == Some(&Value::Bool(true))
                && previous.as_ref().is_none_or(|before| before.get("email_verified") != Some(&Value::Bool(true)));
            if changed.is_empty() && verified_now {
                return active_or_passive(
                    "marked",
                    &format!("{subject}'s email as verified"),
                    &format!("{subject}'s email was verified"),
                );
            }
            if changed.is_empty() {
                return active_or_passive(
                    "updated",
                    &format!("{subject}'s profile"),
                    &format!("{subject}'s profile was updated"),
                );
            }
            let fields = joined(&changed);
            active_or_passive("changed", &format!("{subject}'s {fields}"), &format!("{subject}'s {fields} changed"))
        }
        "organization_membership.created" => {
            let roles = joined(&roles_of(&data));
            match (&actor, by_subject) {
                (Some(actor), false) => format!("{actor} added {subject} to {organization} as {roles}"),
                _ => format!("{subject} joined {organization} as {roles}"),
            }
        }
        "organization_membership.deleted" => active_or_passive(
            "removed",
            &format!("{subject} from {organization}"),
            &format!("{subject} left {organization}"),
        ),
        "organization_membership.updated" => {
            let status = data.get("status").and_then(Value::as_str).unwrap_or_default();
            let before_status = previous.as_ref().and_then(|p| p.get("status")?.as_str().map(str::to_owned));
            let (roles, before_roles) = (roles_of(&data), previous.as_ref().map(roles_of));
            match before_status.as_deref() {
                Some(before) if before != status && status == "inactive" => active_or_passive(
                    "deactivated",
                    &format!("{subject} in {organization}"),
                    &format!("{subject} was deactivated in {organization}"),
                ),
                Some("inactive") if status == "active" => active_or_passive(
                    "reactivated",
                    &format!("{subject} in {organization}"),
                    &format!("{subject} was reactivated in {organization}"),
                ),
                Some("pending") if status == "active" => format!("{subject} joined {organization}"),
                _ if before_roles.as_ref().is_some_and(|before| before != &roles) => {
                    let noun = if roles.len() == 1 { "role" } else { "roles" };
                    let roles = joined(&roles);
                    active_or_passive(
                        "changed",
                        &format!("{subject}'s {noun} in {organization} to {roles}"),
                        &format!("{subject}'s {noun} in {organization} changed to {roles}"),
                    )
                }
                _ => {
                    let roles = joined(&roles);
                    active_or_passive(
                        "updated",
                        &format!("{subject}'s membership in {organization} ({status}, {roles})"),
                        &format!("{subject}'s membership in {organization} is now {status}, as {roles}"),
                    )
                }
            }
        }
        "session.created" => {
            let how = match data.get("auth_method").and_then(Value::as_str) {
                Some("magic_code") => " with a one-time code",
                Some("password") => " with a password",
                _ => "",
            };
            format!("{subject} signed in{how}")
        }
        "session.revoked" => {
            if by_subject {
                return format!("{subject} signed out");
            }
            if data.get("reason").and_then(Value::as_str) == Some("refresh_token_reused") {
                return format!("A session of {subject} ended because a refresh token was used twice");
            }
            active_or_passive("ended", &format!("a session of {subject}"), &format!("A session of {subject} ended"))
        }
        "authentication.password_succeeded" => format!("{subject} signed in to an application with a password"),
        "authentication.magic_auth_succeeded" => format!("{subject} signed in to an application with a one-time code"),
        "authentication.email_verification_succeeded" => format!("{subject} verified their email address"),
        "email_verification.created" => active_or_passive(
            "sent",
            &format!("{subject} an email verification code"),
            &format!("An email verification code was sent to {subject}"),
        ),
        "password_reset.created" => active_or_passive(
            "sent",
            &format!("{subject} a password reset link"),
            &format!("A password reset link was sent to {subject}"),
        ),
        "password_reset.succeeded" => format!("{subject} chose a new password with a reset link"),
        "magic_auth.created" => format!("A one-time sign-in code was sent to {subject}"),
        "invitation.accepted" => format!("{subject} accepted an invitation to {organization}"),
        "authentication_factor.created" => active_or_passive(
            "added",
            &format!("a two-factor authentication app for {subject}"),
            &format!("A two-factor authentication app was added for {subject}"),
        ),
        "authentication_factor.deleted" => active_or_passive(
            "removed",
            &format!("a two-factor authentication app of {subject}"),
            &format!("A two-factor authentication app of {subject} was removed"),
        ),
        "authentication.mfa_succeeded" => format!("{subject} passed a two-factor authentication challenge"),
        "authentication.mfa_failed" => format!("{subject} entered a wrong two-factor authentication code"),
        other => {
            let what = other.replace(['.', '_'], " ");
            match actor {
                Some(actor) => format!("{actor}: {what} ({subject})"),
                None => format!("{what} ({subject})"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(event: &str, actor: Option<&str>, previous: Option<Value>, data: Value) -> EventRow {
        EventRow {
            id: "event_1".into(),
            event: event.into(),
            organization_id: Some("org_1".into()),
            actor_id: actor.map(str::to_owned),
            user_id: Some("user_bob".into()),
            previous: previous.map(|p| p.to_string()),
            data: data.to_string(),
            created_at: 0,
        }
    }

    fn names() -> Names {
        Names {
            users: [("user_ada".to_owned(), "Ada Lovelace".to_owned()), ("user_bob".to_owned(), "Bob".to_owned())]
                .into(),
            api_keys: [("api_key_1".to_owned(), "Billing".to_owned())].into(),
            organizations: [("org_1".to_owned(), "Acme".to_owned())].into(),
        }
    }

    fn membership(status: &str, roles: &[&str]) -> Value {
        let roles: Vec<Value> = roles.iter().map(|slug| json!({ "slug": slug })).collect();
        json!({ "object": "organization_membership", "user_id": "user_bob", "organization_name": "Acme",
                "status": status, "roles": roles })
    }

    #[test]
    fn role_changes_read_as_sentences_with_names() {
        let event = row(
            "organization_membership.updated",
            Some("user_ada"),
            Some(membership("active", &["member"])),
            membership("active", &["admin"]),
        );
        assert_eq!(describe(&event, &names(), "user_bob"), "Ada Lovelace changed Bob's role in Acme to admin");
        let several = row(
            "organization_membership.updated",
            Some("api_key_1"),
            Some(membership("active", &["member"])),
            membership("active", &["admin", "billing"]),
        );
        assert_eq!(
            describe(&several, &names(), "user_bob"),
            "The API key “Billing” changed Bob's roles in Acme to admin and billing"
        );
    }

    #[test]
    fn status_changes_and_removals_say_what_happened() {
        let deactivated = row(
            "organization_membership.updated",
            Some("user_ada"),
            Some(membership("active", &["member"])),
            membership("inactive", &["member"]),
        );
        assert_eq!(describe(&deactivated, &names(), "user_bob"), "Ada Lovelace deactivated Bob in Acme");
        let removed = row("organization_membership.deleted", Some("system"), None, membership("active", &["member"]));
        assert_eq!(describe(&removed, &names(), "user_bob"), "Roster removed Bob from Acme");
    }

    #[test]
    fn profile_changes_name_the_fields_and_events_without_an_actor_are_passive() {
        let before =
            json!({ "object": "user", "id": "user_bob", "email": "b@x.test", "first_name": "Bob", "last_name": null });
        let after =
            json!({ "object": "user", "id": "user_bob", "email": "b@y.test", "first_name": "Bob", "last_name": "B" });
        let event = row("user.updated", Some("user_ada"), Some(before), after.clone());
        assert_eq!(describe(&event, &names(), "user_bob"), "Ada Lovelace changed Bob's email and last name");
        let unattributed = row("user.updated", None, None, after);
        assert_eq!(describe(&unattributed, &names(), "user_bob"), "Bob's profile was updated");
        let gone = row("session.revoked", Some("user_gone"), None, json!({ "user_id": "user_bob" }));
        assert_eq!(describe(&gone, &names(), "user_bob"), "A deleted user ended a session of Bob");
        let own = row("session.revoked", Some("user_bob"), None, json!({ "user_id": "user_bob" }));
        assert_eq!(describe(&own, &names(), "user_bob"), "Bob signed out");
    }

    #[test]
    fn the_subject_is_the_user_or_the_objects_user() {
        assert_eq!(subject_of(&json!({ "object": "user", "id": "user_1" })), Some("user_1".into()));
        assert_eq!(subject_of(&json!({ "object": "session", "user_id": "user_2" })), Some("user_2".into()));
        assert_eq!(subject_of(&json!({ "email": "x@y.z" })), None);
    }
}
