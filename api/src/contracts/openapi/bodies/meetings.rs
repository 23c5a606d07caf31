//! `/meetings/create`; the meeting itself and the list are the handlers' own
//! types (`crate::routes::meetings`).

use utoipa::ToSchema;

use crate::routes::meetings::MeetingView;

#[derive(ToSchema)]
pub(crate) struct CreateMeetingResponse {
    #[schema(required = false)]
    success: bool,
    #[schema(required = false)]
    message: String,
    #[schema(required = false)]
    data: MeetingView<'static>,
}
