//! Input checks shared by every door. Each failure names the field it is about.

use app::error::AppError;
use app::model::Metadata;

/// The longest first or last name accepted.
pub const MAX_NAME_CHARS: usize = 100;
/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Invitations last this many days unless asked otherwise.
pub const DEFAULT_INVITATION_DAYS: i64 = 7;
/// The longest an invitation may last.
pub const MAX_INVITATION_DAYS: i64 = 30;

/// Normalizes and checks an email address: trimmed, lower-cased, well-formed.
pub fn email(field: &str, raw: &str) -> Result<String, AppError> {
    let email = raw.trim().to_lowercase();
    if email.is_empty() {
        return Err(AppError::invalid(field, "email_required", "Enter an email address."));
    }
    // The local part must not be quoted or contain spaces: real mailboxes never need them,
    // and accepting them makes addresses hard to compare.
    let plausible = email.len() <= 254
        && !email.contains(char::is_whitespace)
        && !email.contains('"')
        && email.split_once('@').is_some_and(|(_, domain)| domain.contains('.') && !domain.ends_with('.'));
    if !plausible || !email_address::EmailAddress::is_valid(&email) {
        return Err(AppError::invalid(
            field,
            "email_invalid",
            format!("{:?} is not a valid email address.", raw.trim()),
        ));
    }
    Ok(email)
}

/// Trims an optional name; blank becomes `None`.
pub fn name(field: &str, raw: Option<String>) -> Result<Option<String>, AppError> {
    let Some(name) = raw.map(|raw| raw.trim().to_owned()).filter(|name| !name.is_empty()) else {
        return Ok(None);
    };
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::invalid(
            field,
            &format!("{field}_too_long"),
            format!("Use at most {MAX_NAME_CHARS} characters."),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::invalid(field, &format!("{field}_invalid"), "Remove the control characters."));
    }
    Ok(Some(name))
}

/// Checks a name that must be given (an organization's, an API key's): 1 to `max` characters
/// once trimmed, and no control characters.
pub fn required_name(field: &str, raw: &str, max: usize) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(AppError::invalid(field, &format!("{field}_required"), "Enter a name."));
    }
    if name.chars().count() > max {
        return Err(AppError::invalid(field, &format!("{field}_too_long"), format!("Use at most {max} characters.")));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::invalid(field, &format!("{field}_invalid"), "Remove the control characters."));
    }
    Ok(name.to_owned())
}

/// Checks a new password.
pub fn password(field: &str, raw: &str) -> Result<(), AppError> {
    let length = raw.chars().count();
    if length < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid(
            field,
            "password_too_short",
            format!("Use at least {MIN_PASSWORD_CHARS} characters."),
        ));
    }
    if length > 1024 {
        return Err(AppError::invalid(field, "password_too_long", "Use at most 1024 characters."));
    }
    Ok(())
}

/// The lifetime of an invitation in days: 1 to 30, 7 when not given.
pub fn invitation_days(field: &str, days: Option<i64>) -> Result<i64, AppError> {
    match days.unwrap_or(DEFAULT_INVITATION_DAYS) {
        days @ 1..=MAX_INVITATION_DAYS => Ok(days),
        _ => Err(AppError::invalid(
            field,
            "expires_in_days_out_of_range",
            format!("Choose between 1 and {MAX_INVITATION_DAYS} days."),
        )),
    }
}

/// The most metadata keys an object may carry (WorkOS's limit).
pub const MAX_METADATA_KEYS: usize = 50;
/// The longest metadata key, in characters (WorkOS's limit).
pub const MAX_METADATA_KEY_CHARS: usize = 40;
/// The longest metadata value, in characters (WorkOS's limit).
pub const MAX_METADATA_VALUE_CHARS: usize = 500;

/// Checks metadata against the WorkOS limits: 50 keys, keys of 1 to 40 characters, values up
/// to 500 characters. Messages name the offending key, so a form can show which row is wrong.
pub fn metadata(field: &str, metadata: &Metadata) -> Result<(), AppError> {
    if metadata.len() > MAX_METADATA_KEYS {
        return Err(AppError::invalid(
            field,
            "metadata_too_many_keys",
            format!("Use at most {MAX_METADATA_KEYS} metadata keys."),
        ));
    }
    for (key, value) in metadata {
        if key.trim().is_empty() || key.chars().count() > MAX_METADATA_KEY_CHARS {
            return Err(AppError::invalid(
                field,
                "metadata_key_invalid",
                format!("Metadata keys must be 1 to {MAX_METADATA_KEY_CHARS} characters ({key:?} is not)."),
            ));
        }
        if value.chars().count() > MAX_METADATA_VALUE_CHARS {
            return Err(AppError::invalid(
                field,
                "metadata_value_too_long",
                format!(
                    "Metadata values must be at most {MAX_METADATA_VALUE_CHARS} characters (the value of {key:?} is longer)."
                ),
            ));
        }
    }
    Ok(())
}

/// Checks an external ID: at most 64 characters; blank becomes `None`.
pub fn external_id(field: &str, raw: Option<String>) -> Result<Option<String>, AppError> {
    match raw.map(|raw| raw.trim().to_owned()).filter(|id| !id.is_empty()) {
        Some(id) if id.chars().count() > 64 => {
            Err(AppError::invalid(field, "external_id_too_long", "Use at most 64 characters."))
        }
        other => Ok(other),
    }
}

/// The longest profile picture URL accepted.
pub const MAX_URL_CHARS: usize = 2048;

/// Checks a profile picture URL: an absolute `http` or `https` URL of at most 2048
/// characters; blank becomes `None`.
pub fn picture_url(field: &str, raw: Option<String>) -> Result<Option<String>, AppError> {
    let Some(url) = raw.map(|raw| raw.trim().to_owned()).filter(|url| !url.is_empty()) else {
        return Ok(None);
    };
    if url.chars().count() > MAX_URL_CHARS {
        return Err(AppError::invalid(field, "url_too_long", format!("Use at most {MAX_URL_CHARS} characters.")));
    }
    match url::Url::parse(&url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => Ok(Some(url)),
        _ => Err(AppError::invalid(field, "url_invalid", "Enter a full http:// or https:// address.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_names_are_trimmed_and_refuse_control_characters() {
        assert_eq!(required_name("name", "  Acme  ", 200).unwrap(), "Acme");
        for bad in ["", "   ", "Acme\u{0}Corp", "Acme\nCorp", "Ac\u{1b}[31mme"] {
            assert!(required_name("name", bad, 200).unwrap_err().field_message("name").is_some(), "{bad:?}");
        }
        assert!(required_name("name", &"x".repeat(201), 200).is_err());
    }

    #[test]
    fn picture_urls_must_be_web_addresses() {
        assert_eq!(
            picture_url("p", Some(" https://x.test/a.png ".into())).unwrap().as_deref(),
            Some("https://x.test/a.png")
        );
        assert_eq!(picture_url("p", Some("  ".into())).unwrap(), None);
        for bad in ["javascript:alert(1)", "x.test/a.png", "data:image/png;base64,AA"] {
            assert!(picture_url("p", Some(bad.into())).unwrap_err().field_message("p").is_some(), "{bad}");
        }
    }

    #[test]
    fn emails_are_normalized() {
        assert_eq!(email("email", "  Ada@Example.COM ").unwrap(), "ada@example.com");
    }

    #[test]
    fn malformed_emails_name_the_field() {
        for bad in ["", "ada", "ada@", "@example.com", "ada@example", "a b@example.com", "ada@@example.com"] {
            let error = email("email", bad).unwrap_err();
            assert!(error.field_message("email").is_some(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn over_long_names_are_rejected() {
        assert!(name("first_name", Some("x".repeat(101))).unwrap_err().field_message("first_name").is_some());
        assert_eq!(name("first_name", Some("  ".into())).unwrap(), None);
    }

    #[test]
    fn invitations_last_one_to_thirty_days() {
        assert_eq!(invitation_days("expires_in_days", None).unwrap(), 7);
        assert_eq!(invitation_days("expires_in_days", Some(1)).unwrap(), 1);
        assert_eq!(invitation_days("expires_in_days", Some(30)).unwrap(), 30);
        assert!(invitation_days("expires_in_days", Some(0)).is_err());
        assert!(invitation_days("expires_in_days", Some(31)).is_err());
    }

    #[test]
    fn metadata_limits_follow_workos() {
        let mut big = Metadata::new();
        for i in 0..50 {
            big.insert(format!("k{i}"), "v".repeat(500));
        }
        big.insert("x".repeat(40), "v".into());
        big.remove("k0");
        assert!(metadata("metadata", &big).is_ok());
        big.insert("k0".into(), "v".into());
        let error = metadata("metadata", &big).unwrap_err();
        assert!(error.field_message("metadata").is_some());
        let long_key = Metadata::from([("x".repeat(41), "v".to_owned())]);
        assert!(metadata("metadata", &long_key).is_err());
        let long_value = Metadata::from([("k".to_owned(), "v".repeat(501))]);
        assert!(metadata("metadata", &long_value).is_err());
    }
}
