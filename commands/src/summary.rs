//! Meeting notes and chat summaries (being written).
