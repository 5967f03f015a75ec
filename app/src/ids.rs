//! Identifier newtypes: `<prefix>_<ULID>`, as WorkOS issues them.
//!
//! IDs are parsed at the edge (path segments, form fields, cursors) so that the core only
//! ever sees well-formed identifiers of the right kind.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Defines an ID newtype with its WorkOS prefix.
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        // Deserializing goes through `parse`, so no malformed or foreign ID gets in that way.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(into = "String", try_from = "String")]
        pub struct $name(String);

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(&raw).ok_or_else(|| format!("not a valid {} ID: {raw:?}", $prefix))
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl $name {
            /// The prefix every ID of this kind starts with, without the underscore.
            pub const PREFIX: &'static str = $prefix;

            /// Parses an ID, accepting only `<prefix>_<ULID>` of this kind.
            pub fn parse(raw: &str) -> Option<Self> {
                let ulid = raw.strip_prefix($prefix)?.strip_prefix('_')?;
                is_ulid(ulid).then(|| Self(raw.to_owned()))
            }

            /// Mints a new, time-ordered ID.
            #[cfg(feature = "ssr")]
            pub fn generate() -> Self {
                Self(format!("{}_{}", $prefix, crate::ids::new_ulid()))
            }

            /// The ID as sent on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Wraps a value read back from the store, which only ever holds IDs it minted.
            #[cfg(feature = "ssr")]
            pub fn from_trusted(raw: String) -> Self {
                Self(raw)
            }
        }

        // Described as a string of its own pattern, so a client generator and the fuzzer know
        // which values are IDs of this kind.
        #[cfg(feature = "ssr")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some(concat!("^", $prefix, "_[0-7][0-9A-HJKMNP-TV-Z]{25}$")))
                    .examples([concat!($prefix, "_01H5JQDV7R7ATEYZDEG0W5PRYS")])
                    .into()
            }
        }

        #[cfg(feature = "ssr")]
        impl utoipa::ToSchema for $name {}

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type!(
    /// A user (`user_…`).
    UserId, "user"
);
id_type!(
    /// An organization (`org_…`).
    OrganizationId, "org"
);
id_type!(
    /// A domain claimed by an organization (`org_domain_…`).
    OrganizationDomainId, "org_domain"
);
id_type!(
    /// A user's membership of an organization (`om_…`).
    MembershipId, "om"
);
id_type!(
    /// An invitation to join an organization (`invitation_…`).
    InvitationId, "invitation"
);
id_type!(
    /// A role (`role_…`).
    RoleId, "role"
);
id_type!(
    /// A sign-in session (`session_…`).
    SessionId, "session"
);
id_type!(
    /// A recorded state change (`event_…`).
    EventId, "event"
);
id_type!(
    /// An API key (`api_key_…`).
    ApiKeyId, "api_key"
);

id_type!(
    /// A pending email verification (`email_verification_…`).
    EmailVerificationId, "email_verification"
);
id_type!(
    /// A password reset (`password_reset_…`).
    PasswordResetId, "password_reset"
);
id_type!(
    /// A magic-auth code (`magic_auth_…`).
    MagicAuthId, "magic_auth"
);
id_type!(
    /// An email in the outbox (`message_…`).
    MessageId, "message"
);
id_type!(
    /// An entry of the permissions catalog (`perm_…`).
    PermissionId, "perm"
);
id_type!(
    /// One role held by one membership (`role_assignment_…`).
    RoleAssignmentId, "role_assignment"
);
id_type!(
    /// The kept report of a bulk action on the users table (`bulk_report_…`).
    BulkReportId, "bulk_report"
);
id_type!(
    /// An authentication factor, such as a TOTP app (`auth_factor_…`).
    AuthenticationFactorId, "auth_factor"
);
id_type!(
    /// A challenge of an authentication factor (`auth_challenge_…`).
    AuthenticationChallengeId, "auth_challenge"
);

/// True when `s` is a canonical 26-character Crockford base32 ULID.
fn is_ulid(s: &str) -> bool {
    const CROCKFORD: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    s.len() == 26
        && s.as_bytes()[0] <= b'7' // larger first digits overflow 128 bits
        && s.bytes().all(|b| CROCKFORD.contains(&b))
}

/// A new ULID, monotonic within this process so IDs minted in one millisecond still sort in
/// creation order.
#[cfg(feature = "ssr")]
pub fn new_ulid() -> String {
    use std::sync::{LazyLock, Mutex};
    static GENERATOR: LazyLock<Mutex<ulid::Generator>> = LazyLock::new(|| Mutex::new(ulid::Generator::new()));
    let mut generator = GENERATOR.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    generator.generate().unwrap_or_else(|_| ulid::Ulid::new()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deserializing_accepts_only_what_parse_accepts() {
        let id = UserId::parse("user_01H5JQDV7R7ATEYZDEG0W5PRYS").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"user_01H5JQDV7R7ATEYZDEG0W5PRYS\"");
        assert_eq!(serde_json::from_str::<UserId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<UserId>("\"org_01H5JQDV7R7ATEYZDEG0W5PRYS\"").is_err());
        assert!(serde_json::from_str::<UserId>("\"user_x' OR 1=1\"").is_err());
    }

    #[test]
    fn parse_accepts_only_its_own_prefix() {
        let raw = "user_01H5JQDV7R7ATEYZDEG0W5PRYS";
        assert_eq!(UserId::parse(raw).map(|id| id.to_string()), Some(raw.to_owned()));
        assert!(OrganizationId::parse(raw).is_none());
        assert!(UserId::parse("user_01H5JQDV7R7ATEYZDEG0W5PRY").is_none());
        assert!(UserId::parse("user_01H5JQDV7R7ATEYZDEG0W5PRYU").is_none());
        assert!(UserId::parse("user01H5JQDV7R7ATEYZDEG0W5PRYS").is_none());
    }

    #[test]
    fn org_domain_ids_are_not_org_ids() {
        assert!(OrganizationId::parse("org_domain_01H5JQDV7R7ATEYZDEG0W5PRYS").is_none());
        assert!(OrganizationDomainId::parse("org_domain_01H5JQDV7R7ATEYZDEG0W5PRYS").is_some());
    }
}
