//! Small field checks shared by the aggregates; each names the field it refuses.

use crate::DomainError;

/// A non-blank text of at most `max` characters as sent, kept trimmed. The
/// limit counts what was sent, spaces included, as the API's schema states it.
pub fn required_text(field: &'static str, value: &str, max: usize) -> Result<String, DomainError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(DomainError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// The email in the form used for uniqueness: trimmed and lowercased, after a
/// plain structural check (one `@`, a dot in the domain, no spaces, at most 254).
pub fn normalized_email(value: &str) -> Result<String, DomainError> {
    let email = value.trim().to_lowercase();
    let refuse = || DomainError::invalid("email", "must be a valid email address");
    if email.len() > 254 || email.chars().any(char::is_whitespace) {
        return Err(refuse());
    }
    let (local, domain) = email.split_once('@').ok_or_else(refuse)?;
    let domain_ok = !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..");
    if local.is_empty() || local.len() > 64 || !domain_ok {
        return Err(refuse());
    }
    Ok(email)
}

/// Shortest accepted password.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest accepted password (argon2 input stays bounded).
pub const MAX_PASSWORD_CHARS: usize = 128;

/// A password long enough to resist guessing and short enough to hash cheaply.
pub fn password_policy(password: &str) -> Result<(), DomainError> {
    let n = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) {
        return Err(DomainError::invalid(
            "password",
            format!("must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    Ok(())
}

/// Longest file name accepted, in bytes (the common filesystem limit).
pub const MAX_FILE_NAME_BYTES: usize = 255;

/// A file name that is one path segment and nothing else: no separators, no
/// `.`/`..`, no NUL or control characters, at most 255 bytes. Names that pass can
/// be joined under a folder without ever leaving it.
pub fn file_name(field: &'static str, value: &str) -> Result<String, DomainError> {
    if value.is_empty() || value.trim().is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    if value.len() > MAX_FILE_NAME_BYTES {
        return Err(DomainError::invalid(
            field,
            format!("must be at most {MAX_FILE_NAME_BYTES} bytes"),
        ));
    }
    if value == "." || value == ".." {
        return Err(DomainError::invalid(field, "must not be '.' or '..'"));
    }
    if value.contains('/') || value.contains('\\') {
        return Err(DomainError::invalid(field, "must not contain '/' or '\\'"));
    }
    if value.chars().any(char::is_control) {
        return Err(DomainError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(value.to_owned())
}

/// A client-chosen recording id such as `1756364334628_738386`: 1 to 64 letters,
/// digits, `_` or `-`.
pub fn recording_id(value: &str) -> Result<String, DomainError> {
    safe_id("recordingId", value)
}

/// A client-chosen id that can name a file: 1 to 64 letters, digits, `_` or `-`.
pub fn safe_id(field: &'static str, value: &str) -> Result<String, DomainError> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !ok {
        return Err(DomainError::invalid(
            field,
            "must be 1 to 64 letters, digits, '_' or '-'",
        ));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        assert_eq!(
            normalized_email("  Haseeb@Altegon.COM ").unwrap(),
            "haseeb@altegon.com"
        );
    }

    #[test]
    fn malformed_emails_are_refused_naming_the_field() {
        for bad in [
            "",
            "a",
            "a@b",
            "@b.com",
            "a@@b.com",
            "a b@c.com",
            "a@.com",
            "a@b..com",
        ] {
            let err = normalized_email(bad).unwrap_err();
            assert!(
                matches!(err, DomainError::Invalid { field: "email", .. }),
                "{bad}"
            );
        }
    }

    #[test]
    fn passwords_must_be_8_to_128_characters() {
        assert!(password_policy("AB1239001").is_ok());
        assert!(password_policy("short").is_err());
        assert!(password_policy(&"x".repeat(129)).is_err());
    }

    #[test]
    fn text_must_be_present_and_bounded() {
        assert_eq!(required_text("title", " Standup ", 10).unwrap(), "Standup");
        assert!(required_text("title", "   ", 10).is_err());
        assert!(required_text("title", "x".repeat(11).as_str(), 10).is_err());
    }

    #[test]
    fn file_names_are_one_safe_path_segment() {
        assert_eq!(
            file_name("fileName", "meeting_2025-10-14.mp4").unwrap(),
            "meeting_2025-10-14.mp4"
        );
        assert!(file_name("f", "Zekli OpenAPI for Customers - Instant.docx").is_ok());
        for bad in [
            "",
            " ",
            ".",
            "..",
            "../x",
            "a/../b",
            "/etc/passwd",
            "a/b",
            "a\\b",
            "a\0b",
            "a\nb",
            "..\\x",
        ] {
            assert!(file_name("f", bad).is_err(), "{bad:?}");
        }
        assert!(file_name("f", &"x".repeat(256)).is_err());
    }

    #[test]
    fn recording_ids_are_plain_tokens() {
        assert!(recording_id("1756364334628_738386").is_ok());
        for bad in ["", "a b", "../x", &"1".repeat(65)] {
            assert!(recording_id(bad).is_err(), "{bad:?}");
        }
    }
}
