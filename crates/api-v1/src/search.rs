//! `/api/v1/search/messages`: full-text search over the caller's messages.

use axum::Json;
use axum::extract::State;
use ferrochat_services::ServiceError;
use ferrochat_web::json::ApiQuery;
use ferrochat_web::{ApiError, AppState, AuthUser};

use crate::dto::{Page, SearchHitDto, SearchQuery};

/// `GET /api/v1/search/messages?q=&cursor=&limit=`: the caller's messages matching `q`, newest
/// first, each with its conversation's ID, title, model and endpoint. Messages of deleted and
/// temporary conversations are left out; archived ones are found.
#[utoipa::path(
    get,
    path = "/api/v1/search/messages",
    tag = "search",
    summary = "Search the caller's messages, newest first",
    params(SearchQuery),
    responses((status = 200, body = Page<SearchHitDto>), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn search_messages(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    if q.q.trim().is_empty() {
        return Err(ServiceError::invalid("q", "must not be blank").into());
    }
    let page = state
        .services
        .search
        .messages(auth.user.id, &q.q, "q", q.cursor.as_deref(), q.limit)
        .await?;
    let body = Page {
        data: page.hits.iter().map(SearchHitDto::from).collect::<Vec<_>>(),
        has_more: page.next_cursor.is_some(),
        next_cursor: page.next_cursor,
    };
    Ok(Json(body).into_response())
}
