//! Who may do what: the ownership rules every interface applies (REST routes,
//! GraphQL resolvers and subscriptions), so the two never disagree. A rule
//! answers `Ok(())` or the 403 the caller gets.

use altegon_domain::UserId;
use altegon_projections::models::meetings::MeetingRow;
use altegon_projections::models::rooms::RoomRow;

use super::AuthUser;
use crate::error::Error;

impl AuthUser {
    /// Whether the caller is an administrator.
    pub fn is_admin(&self) -> bool {
        self.roles.iter().any(|r| r == "admin")
    }

    /// Whether the caller is `owner_id` or an administrator.
    pub fn owns(&self, owner_id: &str) -> bool {
        self.is_admin() || self.id.to_string() == owner_id
    }

    /// Allows the caller to act for `user`: themselves, or anyone when admin.
    pub fn may_act_for(&self, user: &UserId) -> Result<(), Error> {
        if &self.id == user || self.is_admin() {
            Ok(())
        } else {
            Err(Error::Forbidden(
                "you may only act on your own resources".into(),
            ))
        }
    }

    /// Admin-only operations.
    pub fn must_be_admin(&self) -> Result<(), Error> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(Error::Forbidden("administrators only".into()))
        }
    }

    /// A public room is open to anyone signed in; a private one to its owner.
    pub fn may_enter_room(&self, room: &RoomRow) -> Result<(), Error> {
        if room.is_private != 0 && !self.owns(&room.owner_id) {
            Err(Error::Forbidden("this room is private".into()))
        } else {
            Ok(())
        }
    }

    /// A meeting's content (transcript, notes, chat, events) is its host's.
    pub fn may_host_meeting(&self, meeting: &MeetingRow) -> Result<(), Error> {
        if self.owns(&meeting.host_id) {
            Ok(())
        } else {
            Err(Error::Forbidden(
                "only the meeting's host may do this".into(),
            ))
        }
    }
}
