//! Mutations: the same commands REST issues, under the same rules. Each waits
//! until the read models show its effect and answers with the new state.

use altegon_commands::handlers::meetings::{CreateMeeting, create_meeting, update_meeting};
use altegon_commands::handlers::recordings::{
    StartRecordingRequest, start_recording, stop_recording,
};
use altegon_commands::handlers::rooms::{CreateRoom, create_room};
use altegon_commands::handlers::storage::set_limit;
use altegon_commands::handlers::transcripts::{NewTranscriptLine, add_transcript_line};
use altegon_commands::handlers::users::register_user;
use altegon_domain::meeting::MeetingChanges;
use altegon_domain::{DomainEvent, MeetingId, RoomId, UserId};
use altegon_media::files::Files;
use altegon_projections::models::{meetings, recordings, rooms, users};
use async_graphql::{Context, ID, InputObject, Object};
use serde_json::Value;

use super::caller::{app, command_ctx, signed_in};
use super::errors::{OrGraphql, id_arg as id};
use super::types::{
    ByteCount, LoginPayload, Meeting, MeetingSummary, Recording, Room, RoomToken, StorageInfo,
    TranscriptLine, User,
};
use crate::consistency::wait_until_visible;
use crate::error::Error;
use crate::state::AppState;

/// Reads a row the command just wrote; its absence is a bug.
fn written<T>(row: Option<T>, what: &str) -> async_graphql::Result<T> {
    row.ok_or_else(|| Error::Internal(format!("{what} is not in the read model after its command")))
        .gql()
}

async fn caught_up(state: &AppState, position: u64) -> async_graphql::Result<()> {
    wait_until_visible(state, position).await.gql()
}

/// The recording as it stands once the read models reach `position`.
async fn recording_at(
    state: &AppState,
    position: u64,
    recording: &str,
) -> async_graphql::Result<Recording> {
    caught_up(state, position).await?;
    let row = recordings::by_id(state.read_pool(), recording)
        .await
        .gql()?;
    Ok(Recording(written(row, "the recording")?))
}

/// A new account.
#[derive(Debug, InputObject)]
pub struct RegisterInput {
    /// Email, unique without regard to case.
    pub email: String,
    /// First name.
    pub f_name: String,
    /// Last name.
    pub l_name: String,
    /// Contact number.
    pub phone_number: String,
    /// Country.
    pub country: String,
    /// At least 8 characters.
    pub password: String,
}

/// A new room.
#[derive(Debug, InputObject)]
pub struct CreateRoomInput {
    /// Display name.
    pub name: String,
    /// Kind of room, e.g. `meeting`.
    #[graphql(name = "type")]
    pub room_type: String,
    /// Participant bound.
    pub max_participants: Option<u32>,
    /// Open to the owner only.
    #[graphql(default)]
    pub is_private: bool,
    /// Peer-to-peer media.
    #[graphql(default)]
    pub p2p: bool,
}

/// A new meeting.
#[derive(Debug, InputObject)]
pub struct CreateMeetingInput {
    /// Title.
    pub title: String,
    /// The host (yourself by default; administrators may name anyone).
    pub host_id: Option<ID>,
    /// Live transcription.
    #[graphql(default)]
    pub transcript_enabled: bool,
}

/// Changes to a meeting; absent fields stay as they are.
#[derive(Debug, InputObject)]
pub struct UpdateMeetingInput {
    /// New title.
    pub title: Option<String>,
    /// New transcript setting.
    pub transcript_enabled: Option<bool>,
    /// New summary flag.
    pub summary_generated: Option<bool>,
    /// The meeting's room.
    pub room_id: Option<ID>,
    /// A recording to add to the meeting.
    pub recording_id: Option<String>,
}

/// A recording that starts.
#[derive(Debug, InputObject)]
pub struct StartRecordingInput {
    /// The recorded room.
    pub room_id: ID,
    /// The client's recording id.
    pub recording_id: String,
    /// Who records.
    pub user_name: String,
    /// The recorded stream.
    pub stream_id: String,
    /// Milliseconds since 1970 or an RFC 3339 date-time.
    pub start_time: String,
    /// Kind of media.
    pub video_type: String,
    /// The client's status text.
    pub status: String,
    /// The meeting (the room's latest by default).
    pub meeting_id: Option<ID>,
}

/// The mutation root.
pub struct Mutation;

#[Object]
impl Mutation {
    /// Creates an account (as `POST /auth/register`).
    async fn register(
        &self,
        ctx: &Context<'_>,
        input: RegisterInput,
    ) -> async_graphql::Result<User> {
        super::caller::spend_auth_attempt(ctx).await?;
        let state = app(ctx);
        let request = crate::routes::auth::registration(crate::routes::auth::RegisterBody {
            email: Some(input.email),
            f_name: Some(input.f_name),
            l_name: Some(input.l_name),
            phone_number: Some(input.phone_number),
            country: Some(input.country),
            password: Some(input.password),
        })
        .gql()?;
        let registered = register_user(&state.bus, &command_ctx(ctx)?, request)
            .await
            .gql()?;
        caught_up(state, registered.position).await?;
        let row = users::by_id(state.read_pool(), &registered.user_id.to_string())
            .await
            .gql()?;
        Ok(User::from(written(row, "the account")?))
    }

    /// Signs in (as `POST /auth/login`).
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> async_graphql::Result<LoginPayload> {
        super::caller::spend_auth_attempt(ctx).await?;
        let state = app(ctx);
        let logged_in = crate::auth::log_in(state, &email, password).await.gql()?;
        Ok(LoginPayload {
            token: logged_in.token,
            token_type: "Bearer".into(),
            expires_in: i64::try_from(state.keys.access_ttl().as_secs()).unwrap_or(i64::MAX),
            user: User::from(logged_in.user),
        })
    }

    /// Revokes the access token of this request (as `POST /auth/logout`).
    async fn logout(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        crate::auth::log_out(app(ctx), &command_ctx(ctx)?, signed_in(ctx)?)
            .await
            .gql()?;
        Ok(true)
    }

    /// Revokes every access token of an account; administrators only (as
    /// `POST /auth/revoke`).
    async fn revoke_tokens(&self, ctx: &Context<'_>, user_id: ID) -> async_graphql::Result<bool> {
        let admin = signed_in(ctx)?;
        admin.must_be_admin().gql()?;
        let user_id = id("userId", &user_id)?;
        crate::auth::revoke_tokens_of(app(ctx), &command_ctx(ctx)?, admin, user_id)
            .await
            .gql()?;
        Ok(true)
    }

    /// Registers a webhook endpoint; the answer holds its secret, shown only here
    /// (as `POST /webhooks`).
    async fn register_webhook(
        &self,
        ctx: &Context<'_>,
        input: super::webhooks::RegisterWebhookInput,
    ) -> async_graphql::Result<super::webhooks::RegisteredWebhook> {
        super::webhooks::register(ctx, input).await
    }

    /// Changes, pauses or resumes a webhook endpoint (as `PUT /webhooks/:webhookId`).
    async fn update_webhook(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: super::webhooks::UpdateWebhookInput,
    ) -> async_graphql::Result<super::webhooks::WebhookEndpoint> {
        super::webhooks::update(ctx, id, input).await
    }

    /// Removes a webhook endpoint (as `DELETE /webhooks/:webhookId`).
    async fn delete_webhook(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        super::webhooks::delete(ctx, id).await
    }

    /// Sends a test event to a webhook endpoint now (as `POST /webhooks/:webhookId/test`).
    async fn test_webhook(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<super::webhooks::WebhookTestResult> {
        super::webhooks::test(ctx, id).await
    }

    /// Delivers again every wanted event after a log position
    /// (as `POST /webhooks/:webhookId/replay`).
    async fn replay_webhook(
        &self,
        ctx: &Context<'_>,
        id: ID,
        after: String,
    ) -> async_graphql::Result<super::webhooks::WebhookReplayResult> {
        super::webhooks::replay(ctx, id, after).await
    }

    /// Creates a room you own (as `POST /room/create`).
    async fn create_room(
        &self,
        ctx: &Context<'_>,
        input: CreateRoomInput,
    ) -> async_graphql::Result<Room> {
        let user = signed_in(ctx)?;
        let state = app(ctx);
        let request = CreateRoom {
            owner_id: user.id,
            name: input.name,
            room_type: input.room_type,
            max_participants: input.max_participants,
            is_private: input.is_private,
            p2p: input.p2p,
        };
        let (room_id, position) = create_room(&state.bus, &command_ctx(ctx)?, request)
            .await
            .gql()?;
        caught_up(state, position).await?;
        let row = rooms::by_id(state.read_pool(), &room_id.to_string())
            .await
            .gql()?;
        Ok(Room::from(written(row, "the room")?))
    }

    /// A room access token for the realtime socket (as `POST /room/:roomId/token`).
    async fn create_room_token(
        &self,
        ctx: &Context<'_>,
        room_id: ID,
        role: Option<String>,
    ) -> async_graphql::Result<RoomToken> {
        let user = signed_in(ctx)?;
        let state = app(ctx);
        let room_id: RoomId = id("roomId", &room_id)?;
        let room = rooms::by_id(state.read_pool(), &room_id.to_string())
            .await
            .gql()?
            .ok_or(Error::NotFound("room".into()))
            .gql()?;
        let (token, claims) =
            crate::auth::issue_room_token(state, user, &room, role.as_deref()).gql()?;
        Ok(RoomToken {
            token,
            room_id: ID(room.id),
            user_id: ID(claims.sub),
            grants: claims
                .grants
                .iter()
                .filter_map(|g| serde_json::to_value(g).ok())
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            expires_at: chrono::DateTime::from_timestamp(claims.exp, 0)
                .map(altegon_projections::api_time),
        })
    }

    /// Creates a meeting (as `POST /meetings/create`).
    async fn create_meeting(
        &self,
        ctx: &Context<'_>,
        input: CreateMeetingInput,
    ) -> async_graphql::Result<Meeting> {
        let user = signed_in(ctx)?;
        let state = app(ctx);
        let host_id: UserId = match &input.host_id {
            Some(host) => id("hostId", host)?,
            None => user.id,
        };
        user.may_act_for(&host_id).gql()?;
        let request = CreateMeeting {
            title: input.title,
            host_id,
            transcript_enabled: input.transcript_enabled,
        };
        let (meeting_id, position) = create_meeting(&state.bus, &command_ctx(ctx)?, request)
            .await
            .gql()?;
        caught_up(state, position).await?;
        let row = meetings::by_id(state.read_pool(), &meeting_id.to_string())
            .await
            .gql()?;
        Ok(Meeting(written(row, "the meeting")?))
    }

    /// Changes a meeting you host (as `POST /meetings/update/:meetingId`).
    async fn update_meeting(
        &self,
        ctx: &Context<'_>,
        meeting_id: ID,
        input: UpdateMeetingInput,
    ) -> async_graphql::Result<Meeting> {
        let user = signed_in(ctx)?;
        let state = app(ctx);
        let meeting_id: MeetingId = id("meetingId", &meeting_id)?;
        let room_id: Option<RoomId> = input
            .room_id
            .as_ref()
            .map(|r| id("roomId", r))
            .transpose()?;
        let changes = MeetingChanges {
            title: input.title,
            transcript_enabled: input.transcript_enabled,
            summary_generated: input.summary_generated,
            room_id,
            recording_id: input.recording_id,
        };
        let outcome = update_meeting(
            &state.bus,
            &command_ctx(ctx)?,
            meeting_id,
            user.caller(),
            changes,
        )
        .await
        .gql()?;
        caught_up(state, outcome.position).await?;
        let row = meetings::by_id(state.read_pool(), &meeting_id.to_string())
            .await
            .gql()?;
        Ok(Meeting(written(row, "the meeting")?))
    }

    /// Starts a recording in a room you own (as `POST /recording/start`).
    async fn start_recording(
        &self,
        ctx: &Context<'_>,
        input: StartRecordingInput,
    ) -> async_graphql::Result<Recording> {
        let user = signed_in(ctx)?;
        let state = app(ctx);
        let room_id: RoomId = id("roomId", &input.room_id)?;
        let recording = altegon_domain::validate::recording_id(&input.recording_id).gql()?;
        let start_time =
            crate::routes::recordings::time("startTime", &Value::String(input.start_time)).gql()?;
        let meeting_id: Option<MeetingId> = match &input.meeting_id {
            Some(m) => Some(id("meetingId", m)?),
            None => meetings::latest_in_room(state.read_pool(), &room_id.to_string())
                .await
                .gql()?
                .and_then(|m| m.parse().ok()),
        };
        let request = StartRecordingRequest {
            recording_id: recording.clone(),
            room_id,
            meeting_id,
            user_name: input.user_name,
            stream_id: input.stream_id.trim().to_owned(),
            video_type: input.video_type,
            status: input.status,
            start_time,
            caller: user.caller(),
        };
        let outcome = start_recording(&state.bus, &command_ctx(ctx)?, request)
            .await
            .gql()?;
        recording_at(state, outcome.position, &recording).await
    }

    /// Stops a recording (as `POST /recording/stop`).
    async fn stop_recording(
        &self,
        ctx: &Context<'_>,
        recording_id: String,
        stream_id: String,
        end_time: String,
    ) -> async_graphql::Result<Recording> {
        let user = signed_in(ctx)?;
        let state = app(ctx);
        let recording = altegon_domain::validate::recording_id(&recording_id).gql()?;
        let end_time =
            crate::routes::recordings::time("endTime", &Value::String(end_time)).gql()?;
        let outcome = stop_recording(
            &state.bus,
            &command_ctx(ctx)?,
            &recording,
            stream_id.trim().to_owned(),
            end_time,
            user.caller(),
        )
        .await
        .gql()?;
        recording_at(state, outcome.position, &recording).await
    }

    /// Sets a user's storage limit (administrators; as `PUT …/storage-limit`).
    async fn set_storage_limit(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        new_limit: ByteCount,
    ) -> async_graphql::Result<StorageInfo> {
        let user = signed_in(ctx)?;
        user.must_be_admin().gql()?;
        let state = app(ctx);
        let owner: UserId = id("userId", &user_id)?;
        let outcome = set_limit(
            &state.bus,
            &command_ctx(ctx)?,
            owner,
            new_limit.0,
            state.config.storage_default_limit_bytes,
            user.caller(),
        )
        .await
        .gql()?;
        caught_up(state, outcome.position).await?;
        let owner = owner.to_string();
        let usage = crate::routes::storage::usage(state, &owner).await.gql()?;
        Ok(StorageInfo::new(&owner, &usage))
    }

    /// Deletes a recording file from a user's storage (as `DELETE /recordings/user/…`).
    async fn delete_recording_file(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        room_id: ID,
        recording_id: String,
        file_name: String,
    ) -> async_graphql::Result<StorageInfo> {
        let user = signed_in(ctx)?;
        let state = app(ctx);
        let file =
            crate::routes::storage::recording_file(&user_id, &room_id, &recording_id, &file_name)
                .gql()?;
        user.may_act_for(&file.user_id).gql()?;
        let owner = file.user_id.to_string();
        let command = command_ctx(ctx)?;
        let outcome = Files {
            blobs: &state.blobs,
            bus: &state.bus,
            ctx: &command,
        }
        .delete_recording(file, user.caller())
        .await
        .gql()?;
        caught_up(state, outcome.position).await?;
        let usage = crate::routes::storage::usage(state, &owner).await.gql()?;
        Ok(StorageInfo::new(&owner, &usage))
    }

    /// Adds a line to a meeting's transcript (as `POST /send-transcript`); the
    /// message is stored encrypted as sent.
    async fn send_transcript(
        &self,
        ctx: &Context<'_>,
        meeting_id: ID,
        user_name: String,
        message: String,
    ) -> async_graphql::Result<TranscriptLine> {
        let user = signed_in(ctx)?;
        let state = app(ctx);
        let meeting_id: MeetingId = id("meetingId", &meeting_id)?;
        let line = NewTranscriptLine {
            meeting_id,
            user_name,
            message,
            sent_by: Some(user.id),
        };
        let (line_id, outcome) = add_transcript_line(&state.bus, &command_ctx(ctx)?, line)
            .await
            .gql()?;
        caught_up(state, outcome.position).await?;
        let Some(DomainEvent::TranscriptLineAdded(added)) = outcome.events.first() else {
            return Err(Error::Internal("the line was not recorded".into())).gql();
        };
        Ok(TranscriptLine {
            id: ID(line_id.to_string()),
            user_name: added.user_name.clone(),
            message: added.message.clone(),
            created_at: altegon_projections::api_time(added.added_at),
        })
    }

    /// Writes a hosted meeting's notes from its transcript (as
    /// `POST /transcription/generate-summary/:meetingId`).
    async fn generate_summary(
        &self,
        ctx: &Context<'_>,
        meeting_id: ID,
    ) -> async_graphql::Result<MeetingSummary> {
        let user = signed_in(ctx)?;
        let state = app(ctx);
        let (notes, _) =
            crate::routes::transcripts::write_notes(state, &command_ctx(ctx)?, user, &meeting_id)
                .await
                .gql()?;
        let row = altegon_projections::models::transcripts::summary(state.read_pool(), &meeting_id)
            .await
            .gql()?;
        match row {
            Some(row) => Ok(MeetingSummary::read(state, row)),
            None => Ok(MeetingSummary {
                summary: notes.summary.clone(),
                notes: serde_json::to_value(&notes).ok().map(async_graphql::Json),
                summarizer: state.summarizer.name().to_owned(),
                lines: 0,
                generated_at: altegon_projections::api_time(chrono::Utc::now()),
            }),
        }
    }

    /// Deletes every file shared in a room you own (as `DELETE /room/:roomId/files`);
    /// answers how many were deleted.
    async fn delete_room_files(
        &self,
        ctx: &Context<'_>,
        room_id: ID,
    ) -> async_graphql::Result<i32> {
        let user = signed_in(ctx)?;
        let state = app(ctx);
        let room_id: RoomId = id("roomId", &room_id)?;
        let command = command_ctx(ctx)?;
        let outcome = Files {
            blobs: &state.blobs,
            bus: &state.bus,
            ctx: &command,
        }
        .delete_room_files(room_id, user.caller())
        .await
        .gql()?;
        caught_up(state, outcome.position).await?;
        let deleted: usize = outcome
            .events
            .iter()
            .map(|e| match e {
                DomainEvent::RoomFilesDeleted(d) => d.file_names.len(),
                _ => 0,
            })
            .sum();
        Ok(i32::try_from(deleted).unwrap_or(i32::MAX))
    }
}
