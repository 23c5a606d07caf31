//! Why the domain refuses a command. These are business rejections, kept apart from
//! infrastructure failures (a failed append is not a `DomainError`).

/// A command refused by a business rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A field of the command is missing, too long or malformed.
    #[error("{field}: {message}")]
    Invalid {
        /// The field's name as clients spell it.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The thing the command would create exists already.
    #[error("{0} already exists")]
    AlreadyExists(&'static str),
    /// The thing the command acts on does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The caller may not do this to this thing.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The command does not fit the thing's current state (e.g. stopping twice).
    #[error("{0}")]
    Conflict(&'static str),
    /// Another account holds this email address.
    #[error("email is already registered")]
    EmailTaken,
}

impl DomainError {
    /// Shorthand for [`DomainError::Invalid`].
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }
}
