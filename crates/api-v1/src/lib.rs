//! The native REST API, version 1 (`/api/v1`). Resources are plain JSON objects, lists are
//! `{data, next_cursor, has_more}`, errors are problem+json with stable codes. Handlers extract
//! and validate, call one service function and map the result; every rule lives in the
//! services shared with the other doors.
#![warn(missing_docs)]

mod admin;
mod api_keys;
mod chat;
mod conversations;
mod digest;
pub mod docs;
pub mod dto;
mod files;
mod folders;
mod me;
pub mod openapi;
mod organize;
mod presence;
mod prompts;
mod search;
mod shares;
mod speech;
mod uploads;
mod usage;
mod webhooks;

use axum::Router;
use axum::routing::{get, put};
use ferrochat_web::AppState;

/// The `/api/v1` routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/users", get(admin::list_users))
        .route(
            "/api/v1/admin/users/{id}",
            axum::routing::delete(admin::delete_user),
        )
        .route("/api/v1/admin/users/{id}/role", put(admin::set_role))
        .route("/api/v1/admin/users/{id}/ban", put(admin::set_banned))
        .route("/api/v1/chat", axum::routing::post(chat::chat))
        .route("/api/v1/me", get(me::get))
        .route(
            "/api/v1/me/api-keys",
            get(api_keys::list).post(api_keys::create),
        )
        .route(
            "/api/v1/me/api-keys/{id}",
            axum::routing::delete(api_keys::revoke),
        )
        .route(
            "/api/v1/me/avatar",
            put(me::set_avatar)
                .delete(me::clear_avatar)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/api/v1/me/sessions", get(me::sessions))
        .route("/api/v1/me/digest", get(digest::get).put(digest::set))
        .route("/api/v1/me/presence", get(presence::mine))
        .route("/api/v1/speech", get(speech::get))
        .route(
            "/api/v1/speech/transcriptions",
            axum::routing::post(speech::transcribe)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/api/v1/speech/synthesis",
            axum::routing::post(speech::synthesize),
        )
        .route("/api/v1/admin/presence", get(presence::everyone))
        .route(
            "/api/v1/digest/unsubscribe",
            get(digest::unsubscribe_page).post(digest::unsubscribe),
        )
        .route("/api/v1/admin/digest/run", axum::routing::post(digest::run))
        .route("/api/v1/me/usage", get(usage::mine))
        .route("/api/v1/admin/usage", get(usage::everyone))
        .route(
            "/api/v1/me/sessions/{id}",
            axum::routing::delete(me::revoke_session),
        )
        .route("/api/v1/conversations", get(conversations::list))
        .route(
            "/api/v1/conversations/import",
            axum::routing::post(conversations::import)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/api/v1/search/messages", get(search::search_messages))
        .route("/api/v1/shares", get(shares::list))
        .route(
            "/api/v1/shares/{id}",
            get(shares::get).patch(shares::patch).delete(shares::delete),
        )
        .route(
            "/api/v1/shares/{id}/refresh",
            axum::routing::post(shares::refresh),
        )
        .route(
            "/api/v1/conversations/{id}/shares",
            axum::routing::post(shares::create),
        )
        .route("/api/v1/public/shares/{id}", get(shares::view))
        .route(
            "/api/v1/files",
            get(files::list)
                .post(files::upload)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/api/v1/files/{id}", get(files::get).delete(files::delete))
        .route("/api/v1/files/{id}/content", get(files::content))
        .merge(tus())
        .route("/api/v1/prompts", get(prompts::list).post(prompts::create))
        .route(
            "/api/v1/prompts/{id}",
            get(prompts::get)
                .patch(prompts::patch)
                .delete(prompts::delete),
        )
        .route(
            "/api/v1/prompts/{id}/versions",
            get(prompts::versions).post(prompts::add_version),
        )
        .route(
            "/api/v1/prompts/{id}/versions/{version_id}",
            axum::routing::delete(prompts::delete_version),
        )
        .route(
            "/api/v1/prompts/{id}/versions/{version_id}/in-use",
            axum::routing::put(prompts::use_version),
        )
        .route(
            "/api/v1/prompts/{id}/render",
            axum::routing::post(prompts::render),
        )
        .route(
            "/api/v1/webhooks",
            get(webhooks::list).post(webhooks::create),
        )
        .route(
            "/api/v1/webhooks/{id}",
            get(webhooks::get)
                .patch(webhooks::patch)
                .delete(webhooks::delete),
        )
        .route(
            "/api/v1/webhooks/{id}/secret",
            axum::routing::post(webhooks::rotate_secret),
        )
        .route(
            "/api/v1/webhooks/{id}/ping",
            axum::routing::post(webhooks::ping),
        )
        .route(
            "/api/v1/webhooks/{id}/deliveries",
            get(webhooks::deliveries),
        )
        .route(
            "/api/v1/webhooks/{id}/deliveries/{delivery_id}",
            get(webhooks::delivery),
        )
        .route(
            "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver",
            axum::routing::post(webhooks::redeliver),
        )
        .route(
            "/api/v1/conversations/{id}",
            get(conversations::get)
                .patch(conversations::patch)
                .delete(conversations::delete),
        )
        .route(
            "/api/v1/conversations/{id}/messages",
            get(conversations::messages),
        )
        .route(
            "/api/v1/conversations/{id}/export",
            get(conversations::export),
        )
        .route(
            "/api/v1/conversations/{id}/restore",
            axum::routing::post(conversations::restore),
        )
        .route(
            "/api/v1/conversations/{id}/folder",
            put(folders::move_conversation),
        )
        .route(
            "/api/v1/conversations/{id}/messages/{message_id}",
            axum::routing::patch(organize::edit_message).delete(organize::delete_message),
        )
        .route(
            "/api/v1/conversations/{id}/tags",
            put(organize::set_conversation_tags),
        )
        .route(
            "/api/v1/tags",
            get(organize::list_tags).post(organize::create_tag),
        )
        .route(
            "/api/v1/tags/{name}",
            axum::routing::patch(organize::update_tag).delete(organize::delete_tag),
        )
        .route(
            "/api/v1/presets",
            get(organize::list_presets).post(organize::save_preset),
        )
        .route(
            "/api/v1/presets/{id}",
            axum::routing::delete(organize::delete_preset),
        )
        .route("/api/v1/folders", get(folders::list).post(folders::create))
        .route(
            "/api/v1/folders/{id}",
            get(folders::get)
                .patch(folders::rename)
                .delete(folders::delete),
        )
        .route(
            "/api/v1/folders/{id}/conversations",
            get(folders::conversations),
        )
}

/// The tus routes, each answering with `Tus-Resumable` (and refusing other versions).
fn tus() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/uploads",
            axum::routing::options(uploads::options).post(uploads::create),
        )
        .route(
            "/api/v1/uploads/{id}",
            axum::routing::head(uploads::head)
                .patch(uploads::patch)
                .delete(uploads::terminate),
        )
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn(uploads::tus_headers))
}
