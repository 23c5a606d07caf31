//! The User aggregate (stream `user-{id}`): registration of an account, its roles,
//! and revocations of its access tokens.
//!
//! Email uniqueness is not decided here but by [`crate::email_reservation`], whose
//! stream is appended first; this aggregate only guards against registering the same
//! id twice and validates the profile.

use chrono::{DateTime, Utc};

use crate::events::{AccessTokenRevoked, Role, UserRegistered, UserRoleGranted, UserTokensRevoked};
use crate::validate::{normalized_email, required_text};
use crate::{Aggregate, DomainError, DomainEvent, UserId};

/// The User aggregate.
pub struct User;

/// What is known of an account.
#[derive(Debug, Clone, Default)]
pub struct UserState {
    /// Set once registered.
    pub registered: Option<UserRegistered>,
    /// Roles granted after registration.
    pub granted: Vec<Role>,
}

impl UserState {
    /// Whether the account holds `role`.
    pub fn has_role(&self, role: Role) -> bool {
        self.registered.as_ref().is_some_and(|r| r.role == role) || self.granted.contains(&role)
    }
}

/// Commands for a user account.
#[derive(Debug, Clone)]
pub enum UserCommand {
    /// Create the account. The password is already hashed by the caller.
    Register {
        /// The new account's id.
        user_id: UserId,
        /// Email as entered.
        email: String,
        /// First name.
        f_name: String,
        /// Last name.
        l_name: String,
        /// Contact number.
        phone_number: String,
        /// Country of residence.
        country: String,
        /// Argon2id PHC string.
        password_hash: String,
        /// Role of the new account.
        role: Role,
        /// The time of the request.
        now: DateTime<Utc>,
    },
    /// Revoke one of the account's access tokens (logout, or an administrator).
    RevokeToken {
        /// The token's holder.
        user_id: UserId,
        /// The token's id (`jti`).
        token_id: String,
        /// When it expires.
        expires_at: DateTime<Utc>,
        /// Who revokes it (the caller checked it is the holder or an admin).
        by: UserId,
        /// The time of the request.
        now: DateTime<Utc>,
    },
    /// Revoke every access token of the account issued until now (an administrator).
    RevokeAllTokens {
        /// The account.
        user_id: UserId,
        /// The administrator.
        by: UserId,
        /// The time of the request.
        now: DateTime<Utc>,
    },
    /// Give the account a role.
    GrantRole {
        /// The account.
        user_id: UserId,
        /// The role.
        role: Role,
        /// The time of the request.
        now: DateTime<Utc>,
    },
}

impl Aggregate for User {
    type State = UserState;
    type Command = UserCommand;
    const STREAM_PREFIX: &'static str = "user";

    fn evolve(mut state: UserState, event: &DomainEvent) -> UserState {
        match event {
            DomainEvent::UserRegistered(e) => state.registered = Some(e.clone()),
            DomainEvent::UserRoleGranted(e) if !state.granted.contains(&e.role) => {
                state.granted.push(e.role)
            }
            _ => {}
        }
        state
    }

    fn decide(state: &UserState, command: &UserCommand) -> Result<Vec<DomainEvent>, DomainError> {
        match command {
            UserCommand::Register {
                user_id,
                email,
                f_name,
                l_name,
                phone_number,
                country,
                password_hash,
                role,
                now,
            } => {
                if state.registered.is_some() {
                    return Err(DomainError::AlreadyExists("user"));
                }
                normalized_email(email)?;
                let phone = required_text("phoneNumber", phone_number, 32)?;
                if !phone
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')'))
                {
                    return Err(DomainError::invalid(
                        "phoneNumber",
                        "must contain digits only",
                    ));
                }
                if password_hash.is_empty() {
                    return Err(DomainError::invalid("password", "must not be empty"));
                }
                Ok(vec![DomainEvent::UserRegistered(UserRegistered {
                    user_id: *user_id,
                    email: email.trim().to_owned(),
                    f_name: required_text("fName", f_name, 100)?,
                    l_name: required_text("lName", l_name, 100)?,
                    phone_number: phone,
                    country: required_text("country", country, 100)?,
                    password_hash: password_hash.clone(),
                    role: *role,
                    registered_at: *now,
                })])
            }
            UserCommand::RevokeToken {
                user_id,
                token_id,
                expires_at,
                by,
                now,
            } => {
                if state.registered.is_none() {
                    return Err(DomainError::NotFound("user"));
                }
                if token_id.is_empty() || token_id.len() > 64 {
                    return Err(DomainError::invalid(
                        "tokenId",
                        "must be 1 to 64 characters",
                    ));
                }
                if expires_at <= now {
                    return Ok(vec![]); // Already refused: it expired.
                }
                Ok(vec![DomainEvent::AccessTokenRevoked(AccessTokenRevoked {
                    user_id: *user_id,
                    token_id: token_id.clone(),
                    expires_at: *expires_at,
                    revoked_by: *by,
                    revoked_at: *now,
                })])
            }
            UserCommand::RevokeAllTokens { user_id, by, now } => {
                if state.registered.is_none() {
                    return Err(DomainError::NotFound("user"));
                }
                Ok(vec![DomainEvent::UserTokensRevoked(UserTokensRevoked {
                    user_id: *user_id,
                    issued_before: *now,
                    revoked_by: *by,
                    revoked_at: *now,
                })])
            }
            UserCommand::GrantRole { user_id, role, now } => {
                if state.registered.is_none() {
                    return Err(DomainError::NotFound("user"));
                }
                if state.has_role(*role) {
                    return Ok(vec![]);
                }
                Ok(vec![DomainEvent::UserRoleGranted(UserRoleGranted {
                    user_id: *user_id,
                    role: *role,
                    granted_at: *now,
                })])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::scenario::given;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 8, 28, 9, 0, 0).unwrap()
    }

    fn haseeb() -> UserId {
        "68afea5f8ed95fae8f7f6d86".parse().unwrap()
    }

    fn register() -> UserCommand {
        UserCommand::Register {
            user_id: haseeb(),
            email: " haseeb@altegon.com ".into(),
            f_name: "Haseeb".into(),
            l_name: "Asif".into(),
            phone_number: "923085000453".into(),
            country: "Pakistan".into(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            role: Role::User,
            now: now(),
        }
    }

    fn registered() -> DomainEvent {
        DomainEvent::UserRegistered(UserRegistered {
            user_id: haseeb(),
            email: "haseeb@altegon.com".into(),
            f_name: "Haseeb".into(),
            l_name: "Asif".into(),
            phone_number: "923085000453".into(),
            country: "Pakistan".into(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            role: Role::User,
            registered_at: now(),
        })
    }

    #[test]
    fn a_new_user_registers() {
        given::<User>([]).when(register()).then([registered()]);
    }

    #[test]
    fn the_same_account_cannot_register_twice() {
        given::<User>([registered()])
            .when(register())
            .then_err(DomainError::AlreadyExists("user"));
    }

    #[test]
    fn a_malformed_email_is_refused() {
        let mut cmd = register();
        let UserCommand::Register { email, .. } = &mut cmd else {
            unreachable!()
        };
        *email = "haseeb.altegon.com".into();
        given::<User>([]).when(cmd).then_invalid("email");
    }

    #[test]
    fn names_and_country_are_required() {
        for field in ["fName", "lName", "country"] {
            let mut cmd = register();
            let UserCommand::Register {
                f_name,
                l_name,
                country,
                ..
            } = &mut cmd
            else {
                unreachable!()
            };
            match field {
                "fName" => f_name.clear(),
                "lName" => *l_name = "  ".into(),
                _ => country.clear(),
            }
            given::<User>([]).when(cmd).then_invalid(field);
        }
    }

    fn grant_admin() -> UserCommand {
        UserCommand::GrantRole {
            user_id: haseeb(),
            role: Role::Admin,
            now: now(),
        }
    }

    fn admin_granted() -> DomainEvent {
        DomainEvent::UserRoleGranted(UserRoleGranted {
            user_id: haseeb(),
            role: Role::Admin,
            granted_at: now(),
        })
    }

    #[test]
    fn a_registered_user_is_made_admin_once() {
        given::<User>([registered()])
            .when(grant_admin())
            .then([admin_granted()]);
        given::<User>([registered(), admin_granted()])
            .when(grant_admin())
            .then([]);
        let state = User::fold(&[registered(), admin_granted()]);
        assert!(state.has_role(Role::Admin));
    }

    #[test]
    fn an_unknown_user_cannot_be_granted_a_role() {
        given::<User>([])
            .when(grant_admin())
            .then_err(DomainError::NotFound("user"));
    }

    #[test]
    fn a_phone_number_holds_digits() {
        let mut cmd = register();
        let UserCommand::Register { phone_number, .. } = &mut cmd else {
            unreachable!()
        };
        *phone_number = "call me".into();
        given::<User>([]).when(cmd).then_invalid("phoneNumber");
    }

    fn revoke(token: &str, expires_in_minutes: i64) -> UserCommand {
        UserCommand::RevokeToken {
            user_id: haseeb(),
            token_id: token.into(),
            expires_at: now() + chrono::Duration::minutes(expires_in_minutes),
            by: haseeb(),
            now: now(),
        }
    }

    #[test]
    fn a_holder_revokes_a_token_until_it_expires() {
        given::<User>([registered()]).when(revoke("t1", 60)).then([
            DomainEvent::AccessTokenRevoked(AccessTokenRevoked {
                user_id: haseeb(),
                token_id: "t1".into(),
                expires_at: now() + chrono::Duration::minutes(60),
                revoked_by: haseeb(),
                revoked_at: now(),
            }),
        ]);
    }

    #[test]
    fn an_expired_token_needs_no_revocation() {
        given::<User>([registered()])
            .when(revoke("t1", -1))
            .then([]);
    }

    #[test]
    fn a_token_id_is_required_and_bounded() {
        given::<User>([registered()])
            .when(revoke("", 60))
            .then_invalid("tokenId");
        given::<User>([registered()])
            .when(revoke(&"x".repeat(65), 60))
            .then_invalid("tokenId");
    }

    #[test]
    fn an_administrator_revokes_every_token_issued_so_far() {
        let admin: UserId = "68afea5f8ed95fae8f7f6d86".parse().unwrap();
        given::<User>([registered()])
            .when(UserCommand::RevokeAllTokens {
                user_id: haseeb(),
                by: admin,
                now: now(),
            })
            .then([DomainEvent::UserTokensRevoked(UserTokensRevoked {
                user_id: haseeb(),
                issued_before: now(),
                revoked_by: admin,
                revoked_at: now(),
            })]);
    }

    #[test]
    fn an_unknown_account_has_no_tokens_to_revoke() {
        given::<User>([])
            .when(revoke("t1", 60))
            .then_err(DomainError::NotFound("user"));
    }
}
