//! Queries: the read models, with the same ownership rules as REST.

use altegon_domain::{MeetingId, RoomId, UserId};
use altegon_projections::models::meetings::MeetingRow;
use altegon_projections::models::sessions::{self, ReportFilter};
use altegon_projections::models::{audit, meetings, recordings, room_files, rooms, storage, users};
use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object};

use super::caller::{app, signed_in};
use super::errors::{OrGraphql, id_arg as id};
use super::loaders::ReadCounter;
use super::page::{Page, complexity};
use super::types::{
    AuditEntry, CityCount, DomainCount, LocationCount, Meeting, Recording, Room, RoomFile,
    SignedUrl, StorageInfo, TypeCount, User,
};
use crate::error::Error;
use crate::routes::reporting::ReportQuery;

/// Counts one read-model query of the operation.
pub fn count_read(ctx: &Context<'_>) {
    if let Some(counter) = ctx.data_opt::<ReadCounter>() {
        counter.add_one();
    }
}

/// The query root.
pub struct Query;

#[Object]
impl Query {
    /// The signed-in account.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        let user = signed_in(ctx)?;
        count_read(ctx);
        users::by_id(app(ctx).read_pool(), &user.id.to_string())
            .await
            .gql()?
            .map(User::from)
            .ok_or(Error::NotFound("user".into()))
            .gql()
    }

    /// Every account, oldest first (administrators).
    #[graphql(complexity = "complexity(first, child_complexity)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, User>> {
        signed_in(ctx)?.must_be_admin().gql()?;
        let page = Page::new(first, after.as_deref()).gql()?;
        count_read(ctx);
        let rows = users::list(app(ctx).read_pool(), page.fetch(), page.offset)
            .await
            .gql()?;
        Ok(page.connection(rows.into_iter().map(User::from).collect()))
    }

    /// Rooms of `ownerId` (yourself by default; administrators: every room).
    #[graphql(complexity = "complexity(first, child_complexity)")]
    async fn rooms(
        &self,
        ctx: &Context<'_>,
        owner_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Room>> {
        let user = signed_in(ctx)?;
        let owner = match &owner_id {
            Some(owner) => {
                let owner: UserId = id("ownerId", owner)?;
                user.may_act_for(&owner).gql()?;
                Some(owner.to_string())
            }
            None => (!user.is_admin()).then(|| user.id.to_string()),
        };
        let page = Page::new(first, after.as_deref()).gql()?;
        count_read(ctx);
        let rows = rooms::by_owner(
            app(ctx).read_pool(),
            owner.as_deref(),
            page.fetch(),
            page.offset,
        )
        .await
        .gql()?;
        Ok(page.connection(rows.into_iter().map(Room::from).collect()))
    }

    /// One room: public rooms to anyone signed in, private ones to their owner.
    async fn room(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Room> {
        let user = signed_in(ctx)?;
        let room_id: RoomId = self::id("id", &id)?;
        count_read(ctx);
        let room = rooms::by_id(app(ctx).read_pool(), &room_id.to_string())
            .await
            .gql()?
            .ok_or(Error::NotFound("room".into()))
            .gql()?;
        user.may_enter_room(&room).gql()?;
        Ok(Room::from(room))
    }

    /// Meetings hosted by `hostId` (yourself by default), newest first.
    #[graphql(complexity = "complexity(first, child_complexity)")]
    async fn meetings(
        &self,
        ctx: &Context<'_>,
        host_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Meeting>> {
        let user = signed_in(ctx)?;
        let host = match &host_id {
            Some(host) => id("hostId", host)?,
            None => user.id,
        };
        user.may_act_for(&host).gql()?;
        let page = Page::new(first, after.as_deref()).gql()?;
        count_read(ctx);
        let rows = meetings::by_host(
            app(ctx).read_db(),
            &host.to_string(),
            page.fetch(),
            page.offset,
        )
        .await
        .gql()?
        .decode::<MeetingRow>()
        .gql()?;
        let node = ctx.look_ahead().field("edges").field("node");
        super::types::prime_meetings(ctx, &rows, &node).await?;
        Ok(page.connection(rows.into_iter().map(Meeting).collect()))
    }

    /// One meeting, to its host.
    async fn meeting(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Meeting> {
        let user = signed_in(ctx)?;
        let meeting_id: MeetingId = self::id("id", &id)?;
        count_read(ctx);
        let row = meetings::by_id(app(ctx).read_pool(), &meeting_id.to_string())
            .await
            .gql()?
            .ok_or(Error::NotFound("meeting".into()))
            .gql()?;
        user.may_host_meeting(&row).gql()?;
        Ok(Meeting(row))
    }

    /// Recordings of your rooms (administrators: all), newest first.
    #[graphql(complexity = "complexity(first, child_complexity)")]
    async fn recordings(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Recording>> {
        let user = signed_in(ctx)?;
        let owner = (!user.is_admin()).then(|| user.id.to_string());
        let page = Page::new(first, after.as_deref()).gql()?;
        count_read(ctx);
        let rows = recordings::list(
            app(ctx).read_pool(),
            owner.as_deref(),
            page.fetch(),
            page.offset,
        )
        .await
        .gql()?;
        if ctx
            .look_ahead()
            .field("edges")
            .field("node")
            .field("files")
            .exists()
        {
            super::types::prime_recordings(ctx, &rows).await?;
        }
        Ok(page.connection(rows.into_iter().map(Recording).collect()))
    }

    /// One recording, to the owner of its room.
    async fn recording(
        &self,
        ctx: &Context<'_>,
        recording_id: String,
    ) -> async_graphql::Result<Recording> {
        let user = signed_in(ctx)?;
        let recording_id = altegon_domain::validate::recording_id(&recording_id).gql()?;
        count_read(ctx);
        let row = recordings::by_id(app(ctx).read_pool(), &recording_id)
            .await
            .gql()?
            .filter(|r| user.owns(&r.room_owner_id))
            .ok_or(Error::NotFound("recording".into()))
            .gql()?;
        Ok(Recording(row))
    }

    /// Storage figures of `userId` (yourself by default).
    async fn storage_info(
        &self,
        ctx: &Context<'_>,
        user_id: Option<ID>,
    ) -> async_graphql::Result<StorageInfo> {
        let user = signed_in(ctx)?;
        let owner: UserId = match &user_id {
            Some(owner) => id("userId", owner)?,
            None => user.id,
        };
        user.may_act_for(&owner).gql()?;
        count_read(ctx);
        let owner = owner.to_string();
        let usage = crate::routes::storage::usage(app(ctx), &owner)
            .await
            .gql()?;
        Ok(StorageInfo::new(&owner, &usage))
    }

    /// Users past their storage limit (administrators).
    async fn exceeded_storage_users(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<StorageInfo>> {
        signed_in(ctx)?.must_be_admin().gql()?;
        let state = app(ctx);
        let default_limit = state.config.storage_default_limit_bytes;
        count_read(ctx);
        let rows = storage::exceeded(
            state.read_pool(),
            i64::try_from(default_limit).unwrap_or(i64::MAX),
        )
        .await
        .gql()?;
        Ok(rows
            .into_iter()
            .map(|row| {
                StorageInfo::new(
                    &row.id,
                    &crate::routes::storage::usage_of(&row, default_limit),
                )
            })
            .collect())
    }

    /// A read-only download URL for a recording file (its owner or an admin).
    async fn recording_file_url(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        room_id: ID,
        recording_id: String,
        file_name: String,
    ) -> async_graphql::Result<SignedUrl> {
        let user = signed_in(ctx)?;
        let file =
            crate::routes::storage::recording_file(&user_id, &room_id, &recording_id, &file_name)
                .gql()?;
        count_read(ctx);
        let (url, expires_at, _) = crate::routes::storage::signed_file_url(app(ctx), user, file)
            .await
            .gql()?;
        Ok(SignedUrl {
            url,
            expires_at: altegon_projections::api_time(expires_at),
            permissions: "r".into(),
        })
    }

    /// The files shared in a room you may enter.
    async fn room_files(
        &self,
        ctx: &Context<'_>,
        room_id: ID,
    ) -> async_graphql::Result<Vec<RoomFile>> {
        let user = signed_in(ctx)?;
        let room_id: RoomId = id("roomId", &room_id)?;
        let pool = app(ctx).read_pool();
        count_read(ctx);
        let room = rooms::by_id(pool, &room_id.to_string())
            .await
            .gql()?
            .ok_or(Error::NotFound("room".into()))
            .gql()?;
        user.may_enter_room(&room).gql()?;
        count_read(ctx);
        let rows = room_files::by_room(pool, &room.id).await.gql()?;
        Ok(rows.into_iter().map(RoomFile::from).collect())
    }

    /// Your webhook endpoints (everyone's for administrators; as `GET /webhooks`).
    #[graphql(complexity = "complexity(first, child_complexity)")]
    async fn webhook_endpoints(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, super::webhooks::WebhookEndpoint>> {
        count_read(ctx);
        super::webhooks::endpoints(ctx, first, after).await
    }

    /// One webhook endpoint (as `GET /webhooks/:webhookId`).
    async fn webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<super::webhooks::WebhookEndpoint> {
        count_read(ctx);
        super::webhooks::endpoint(ctx, id).await
    }

    /// The event types webhook endpoints may subscribe to.
    async fn webhook_event_types(&self) -> Vec<super::webhooks::WebhookEventType> {
        super::webhooks::event_types()
    }

    /// The audit trail, newest first (administrators; as `GET /audit`).
    #[graphql(complexity = "complexity(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn audit_entries(
        &self,
        ctx: &Context<'_>,
        user_id: Option<ID>,
        action: Option<String>,
        outcome: Option<String>,
        from: Option<String>,
        until: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, AuditEntry>> {
        signed_in(ctx)?.must_be_admin().gql()?;
        let filter = crate::routes::audit::AuditQuery {
            user_id: user_id.map(|u| u.0),
            action,
            outcome,
            from,
            until,
        }
        .filter()
        .gql()?;
        let page = Page::new(first, after.as_deref()).gql()?;
        count_read(ctx);
        let rows = audit::list(app(ctx).read_pool(), &filter, page.fetch(), page.offset)
            .await
            .gql()?;
        Ok(page.connection(rows.into_iter().map(AuditEntry::from).collect()))
    }

    /// Reports over completed sessions, with the REST reporting filters.
    async fn report(
        &self,
        ctx: &Context<'_>,
        filter: Option<ReportFilterInput>,
    ) -> async_graphql::Result<Report> {
        let user = signed_in(ctx)?;
        let filter = ReportQuery::from(filter.unwrap_or_default())
            .filter(user)
            .gql()?;
        Ok(Report(filter))
    }
}

/// The filters of the REST reporting routes; empty values mean no filter.
#[derive(Debug, Default, InputObject)]
pub struct ReportFilterInput {
    /// Domain.
    pub domain: Option<String>,
    /// Session type.
    pub session_type: Option<String>,
    /// ISO country code.
    pub country_code: Option<String>,
    /// Country name.
    pub country_name: Option<String>,
    /// City.
    pub city_name: Option<String>,
    /// `YYYY-MM-DD` or an ISO 8601 date-time.
    pub start_date_range: Option<String>,
    /// `YYYY-MM-DD` (the whole day) or an ISO 8601 date-time.
    pub end_date_range: Option<String>,
    /// Whose sessions (administrators; yourself by default).
    pub user_id: Option<ID>,
}

impl From<ReportFilterInput> for ReportQuery {
    fn from(f: ReportFilterInput) -> Self {
        ReportQuery {
            domain: f.domain,
            session_type: f.session_type,
            country_code: f.country_code,
            country_name: f.country_name,
            city_name: f.city_name,
            start_date_range: f.start_date_range,
            end_date_range: f.end_date_range,
            user_id: f.user_id.map(|id| id.0),
        }
    }
}

/// The reports of one filter; each field runs its own query when asked for.
pub struct Report(ReportFilter);

#[Object]
impl Report {
    /// Completed sessions.
    async fn total_sessions(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        count_read(ctx);
        sessions::total_sessions(app(ctx).read_pool(), &self.0)
            .await
            .gql()
    }

    /// Sessions per start day and domain.
    async fn per_day_and_domain(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<DomainCount>> {
        count_read(ctx);
        let rows = sessions::per_day_and_domain(app(ctx).read_pool(), &self.0)
            .await
            .gql()?;
        Ok(rows
            .into_iter()
            .map(|(day, domain, count)| DomainCount { day, domain, count })
            .collect())
    }

    /// Sessions per session type.
    async fn per_type(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TypeCount>> {
        count_read(ctx);
        let rows = sessions::per_type(app(ctx).read_pool(), &self.0)
            .await
            .gql()?;
        Ok(rows
            .into_iter()
            .map(|(session_type, total_sessions)| TypeCount {
                session_type,
                total_sessions,
            })
            .collect())
    }

    /// Sessions per location.
    async fn per_location(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<LocationCount>> {
        count_read(ctx);
        let rows = sessions::per_location(app(ctx).read_pool(), &self.0)
            .await
            .gql()?;
        Ok(rows
            .into_iter()
            .map(
                |(city, region, country, country_name, count)| LocationCount {
                    city,
                    region,
                    country,
                    country_name,
                    count,
                },
            )
            .collect())
    }

    /// Sessions and participants per city.
    async fn per_city(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CityCount>> {
        count_read(ctx);
        let rows = sessions::sessions_and_participants_per_city(app(ctx).read_pool(), &self.0)
            .await
            .gql()?;
        Ok(rows
            .into_iter()
            .map(|(city, total_sessions, total_participants)| CityCount {
                city,
                total_sessions,
                total_participants,
            })
            .collect())
    }
}
