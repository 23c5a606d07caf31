//! `/recording/start`; the recording itself is the handlers' own type
//! (`crate::routes::recordings`).

use utoipa::ToSchema;

use crate::contracts::openapi::keywords;
use crate::routes::recordings::RecordingView;

#[derive(ToSchema)]
pub(crate) struct StartRecordingResponse {
    #[schema(required = false, schema_with = keywords::always_true)]
    success: bool,
    #[schema(required = false)]
    msg: String,
    #[schema(required = false)]
    data: RecordingView,
}
