//! Weekly digests: the caller's subscription (`/api/v1/me/digest`), the unsubscribe link the
//! emails carry (`/api/v1/digest/unsubscribe`, no sign-in: the token is signed), and an
//! administrator's "send the due ones now".

use axum::Json;
use axum::extract::State;
use axum::response::Html;
use ferrochat_core::html::escape;
use ferrochat_web::json::{ApiJson, ApiQuery};
use ferrochat_web::{AdminUser, ApiError, AppState, AuthUser};

use crate::dto::{DigestBody, DigestDto, DigestRunDto, UnsubscribeQuery, rfc3339};

/// `GET /api/v1/me/digest`.
#[utoipa::path(
    get,
    path = "/api/v1/me/digest",
    operation_id = "get_digest",
    tag = "me",
    summary = "The caller's weekly digest subscription",
    responses((status = 200, body = DigestDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn get(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<DigestDto>, ApiError> {
    let status = state.services.digest.status(auth.user.id).await?;
    Ok(Json(DigestDto::from(&status)))
}

/// `PUT /api/v1/me/digest`: subscribing is refused (403) when the server sends no digests;
/// the first digest covers the first full week that ends after subscribing.
#[utoipa::path(
    put,
    path = "/api/v1/me/digest",
    operation_id = "set_digest",
    tag = "me",
    summary = "Subscribe to the weekly digest, or stop it",
    request_body = DigestBody,
    responses((status = 200, body = DigestDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn set(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<DigestBody>,
) -> Result<Json<DigestDto>, ApiError> {
    let status = state
        .services
        .digest
        .set(auth.user.id, body.subscribed)
        .await?;
    Ok(Json(DigestDto::from(&status)))
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:sans-serif;max-width:36em;margin:3em auto\">{body}</body></html>"
    ))
}

/// `GET /api/v1/digest/unsubscribe?token=…`: the email's link opens a page asking to confirm
/// (a link scanner that follows it unsubscribes no one); its button posts the same URL.
#[utoipa::path(
    get,
    path = "/api/v1/digest/unsubscribe",
    operation_id = "unsubscribe_page",
    tag = "me",
    summary = "The page an unsubscribe link opens (HTML)",
    security(()),
    params(UnsubscribeQuery),
    responses((status = 200, description = "A page with a button that unsubscribes", content_type = "text/html", body = String), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn unsubscribe_page(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<UnsubscribeQuery>,
) -> Result<Html<String>, ApiError> {
    let email = state.services.digest.token_email(&q.token).await?;
    Ok(page(
        "Unsubscribe",
        &format!(
            "<p>Stop the weekly digest for {}?</p>\
             <form method=\"post\"><button type=\"submit\">Unsubscribe</button></form>",
            escape(&email)
        ),
    ))
}

/// `POST /api/v1/digest/unsubscribe?token=…`: unsubscribes (the page's button, and mail
/// clients' one-click unsubscribe, RFC 8058).
#[utoipa::path(
    post,
    path = "/api/v1/digest/unsubscribe",
    operation_id = "unsubscribe",
    tag = "me",
    summary = "Unsubscribe from the weekly digest by its link (HTML)",
    security(()),
    params(UnsubscribeQuery),
    responses((status = 200, description = "Unsubscribed (a page saying so)", content_type = "text/html", body = String), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn unsubscribe(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<UnsubscribeQuery>,
) -> Result<Html<String>, ApiError> {
    state.services.digest.unsubscribe_by_token(&q.token).await?;
    Ok(page(
        "Unsubscribed",
        "<p>You will get no more weekly digests. You can subscribe again in your settings.</p>",
    ))
}

/// `POST /api/v1/admin/digest/run`: sends the digests due now (the schedule does the same
/// every ten minutes); a week already sent is not sent again.
#[utoipa::path(
    post,
    path = "/api/v1/admin/digest/run",
    operation_id = "run_digest",
    tag = "admin",
    summary = "Send the weekly digests due now",
    responses((status = 200, body = DigestRunDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn run(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
) -> Result<Json<DigestRunDto>, ApiError> {
    let run = state.services.digest.send_due().await?;
    Ok(Json(DigestRunDto {
        week_start: run.week_start.map(rfc3339),
        sent: run.sent,
        quiet: run.quiet,
        failed: run.failed,
    }))
}
