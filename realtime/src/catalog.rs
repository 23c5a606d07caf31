//! The room messages of the web client, and who may send each: the reference's
//! list for the room data socket (`/erizocontroller/socket.io`).

/// Who may send a message type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// Anyone in the room with the publish-data grant.
    Participant,
    /// Only the host (a token with the room-admin grant).
    Host,
}

/// What the relay does with a message beyond passing it on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Relayed only.
    Relay,
    /// Relayed, and recorded as a chat message of the room's meeting.
    Chat,
    /// Relayed, and recorded as a line of the room's meeting's transcript.
    Transcript,
    /// Relayed, and recorded as the host turning the room's recording on or off.
    Recording,
    /// Relayed, and remembered as the room's whiteboard for late joiners.
    WhiteboardStage,
    /// Relayed, and the remembered whiteboard is cleared.
    WhiteboardClear,
    /// Relayed, and the room's meeting id is remembered.
    MeetingId,
    /// The named participant is disconnected and may not rejoin with that token.
    RemoveParticipant,
    /// Relayed, and the SFU stops (or resumes) forwarding the named participant's
    /// audio, or everyone's.
    MuteAudio,
}

/// One message type.
#[derive(Debug, Clone, Copy)]
pub struct MessageType {
    /// The event name.
    pub name: &'static str,
    /// Who may send it.
    pub sender: Sender,
    /// What else happens.
    pub effect: Effect,
}

const fn m(name: &'static str, sender: Sender, effect: Effect) -> MessageType {
    MessageType {
        name,
        sender,
        effect,
    }
}

/// Every room message type.
pub const MESSAGES: &[MessageType] = &[
    m("start-transcript", Sender::Host, Effect::Relay),
    m("chat-box", Sender::Participant, Effect::Chat),
    m("request-mic", Sender::Participant, Effect::Relay),
    m("request-mic-accepted", Sender::Host, Effect::Relay),
    m("request-mic-rejected", Sender::Host, Effect::Relay),
    m("mic-accepted-ack", Sender::Participant, Effect::Relay),
    m("mute-mic-request", Sender::Host, Effect::Relay),
    m("video-off", Sender::Participant, Effect::Relay),
    m("device-switch", Sender::Participant, Effect::Relay),
    m("product-selected", Sender::Participant, Effect::Relay),
    m("sell-live", Sender::Host, Effect::Relay),
    m("recording", Sender::Host, Effect::Recording),
    m("sharing-toggle", Sender::Participant, Effect::Relay),
    m("whiteBoardToggle", Sender::Host, Effect::Relay),
    m("whiteBoardStateRequest", Sender::Participant, Effect::Relay),
    m(
        "white-board-stage",
        Sender::Participant,
        Effect::WhiteboardStage,
    ),
    m("sendDrawingData", Sender::Participant, Effect::Relay),
    m("Un-do", Sender::Participant, Effect::Relay),
    m("clear-whiteBoard", Sender::Host, Effect::WhiteboardClear),
    m("mute-all-participants", Sender::Host, Effect::MuteAudio),
    m("mute-participant", Sender::Host, Effect::MuteAudio),
    m(
        "remove-participant",
        Sender::Host,
        Effect::RemoveParticipant,
    ),
    m("transcript", Sender::Participant, Effect::Transcript),
    m("annotation", Sender::Participant, Effect::Relay),
    m("meetingId", Sender::Host, Effect::MeetingId),
    // What a publisher sends on its stream's data channel (or a socket sends
    // the same way): `{ id, msg }`.
    m("stream-data", Sender::Participant, Effect::Relay),
];

/// The type named `name`.
pub fn find(name: &str) -> Option<&'static MessageType> {
    MESSAGES.iter().find(|t| t.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_controls_are_host_only() {
        for name in [
            "mute-all-participants",
            "mute-participant",
            "remove-participant",
            "request-mic-accepted",
            "request-mic-rejected",
            "whiteBoardToggle",
            "clear-whiteBoard",
            "recording",
        ] {
            assert_eq!(find(name).map(|t| t.sender), Some(Sender::Host), "{name}");
        }
        assert_eq!(
            find("chat-box").map(|t| t.sender),
            Some(Sender::Participant)
        );
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = MESSAGES.iter().map(|t| t.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), MESSAGES.len());
    }
}
