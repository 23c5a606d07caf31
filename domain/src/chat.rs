//! The Chat aggregate (stream `chat-{meetingId}`): messages posted in a meeting's
//! chat. The realtime relay posts them; summaries read them.

use chrono::{DateTime, Utc};

use crate::events::ChatMessagePosted;
use crate::validate::required_text;
use crate::{Aggregate, DomainError, DomainEvent, MeetingId, ObjectId, UserId};

/// Longest accepted chat message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4_000;

/// The Chat aggregate.
pub struct Chat;

/// Post a message.
#[derive(Debug, Clone)]
pub struct PostMessage {
    /// The meeting.
    pub meeting_id: MeetingId,
    /// The message's id.
    pub message_id: ObjectId,
    /// Sender's display name.
    pub user_name: String,
    /// Sender's account.
    pub sent_by: Option<UserId>,
    /// The text.
    pub message: String,
    /// The time of the request.
    pub now: DateTime<Utc>,
}

impl Aggregate for Chat {
    type State = ();
    type Command = PostMessage;
    const STREAM_PREFIX: &'static str = "chat";

    fn evolve(state: (), _event: &DomainEvent) {
        state
    }

    fn decide(_state: &(), c: &PostMessage) -> Result<Vec<DomainEvent>, DomainError> {
        Ok(vec![DomainEvent::ChatMessagePosted(ChatMessagePosted {
            meeting_id: c.meeting_id,
            message_id: c.message_id,
            user_name: required_text("username", &c.user_name, 100)?,
            sent_by: c.sent_by,
            message: required_text("msg", &c.message, MAX_MESSAGE_CHARS)?,
            posted_at: c.now,
        })])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::scenario::given;

    #[test]
    fn an_empty_chat_message_is_refused() {
        let post = PostMessage {
            meeting_id: "68cd413466eab302c9f078cd".parse().unwrap(),
            message_id: "670b88775cba2f7de6f739d0".parse().unwrap(),
            user_name: "John".into(),
            sent_by: None,
            message: " ".into(),
            now: Utc::now(),
        };
        given::<Chat>([]).when(post).then_invalid("msg");
    }
}
