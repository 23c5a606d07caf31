//! Small field checks shared by the aggregates; each names the field it refuses.

use crate::DomainError;

/// A trimmed, non-empty text of at most `max` characters.
pub fn required_text(field: &'static str, value: &str, max: usize) -> Result<String, DomainError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    if trimmed.chars().count() > max {
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
}
