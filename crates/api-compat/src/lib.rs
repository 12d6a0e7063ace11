//! The LibreChat-compatible door: the routes the unmodified LibreChat web client (v0.8.1)
//! calls, with its wire types, status codes and error bodies
//! (`shared/reference/librechat-api-v0.8.1.md`).
//!
//! This crate converts and nothing more: wire types live in [`types`], are converted at the
//! edge, and every handler calls the same services as the native API. Compat types never reach
//! a service.
#![warn(missing_docs)]
// The startup configuration is one large `json!` literal.
#![recursion_limit = "256"]

mod auth;
mod chat;
mod convert;
mod convos;
mod cookies;
mod error;
mod files;
mod fork;
mod import;
mod json;
mod oauth;
mod presets;
mod prompts;
mod recovery;
mod search;
mod share;
mod speech;
mod startup;
mod tags;
mod two_factor;
pub mod types;
mod user;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post, put};
use ferrochat_web::AppState;

/// Largest body the auth routes read: far above any real login or registration, far below what
/// could cost memory. Larger bodies are refused with 400 before parsing.
const AUTH_BODY_LIMIT: usize = 16 * 1024;

/// The compat routes.
pub fn router() -> Router<AppState> {
    let auth = Router::new()
        .route("/api/auth/login", post(auth::login))
        .route("/api/auth/register", post(auth::register))
        .route("/api/auth/refresh", post(auth::refresh))
        .route("/api/auth/logout", post(auth::logout))
        .route(
            "/api/auth/requestPasswordReset",
            post(recovery::request_password_reset),
        )
        .route("/api/auth/resetPassword", post(recovery::reset_password))
        .route("/api/user/verify", post(recovery::verify_email))
        .route(
            "/api/user/verify/resend",
            post(recovery::resend_verification),
        )
        .route("/api/auth/2fa/enable", get(two_factor::enable))
        .route("/api/auth/2fa/verify", post(two_factor::verify))
        .route("/api/auth/2fa/confirm", post(two_factor::confirm))
        .route("/api/auth/2fa/disable", post(two_factor::disable))
        .route(
            "/api/auth/2fa/backup/regenerate",
            post(two_factor::regenerate),
        )
        .route("/api/auth/2fa/verify-temp", post(two_factor::verify_temp))
        .layer(DefaultBodyLimit::max(AUTH_BODY_LIMIT));
    Router::new()
        .merge(auth)
        .route("/api/user", get(user::get_user))
        .route("/api/user/terms", get(user::get_terms))
        .route("/api/user/terms/accept", post(user::accept_terms))
        .route("/api/user/delete", delete(user::delete_user))
        .route("/api/convos", get(convos::list).delete(convos::delete))
        .route("/api/convos/all", delete(convos::delete_all))
        .route("/api/convos/update", post(convos::update))
        // Newer data-provider builds (0.8.5xx) archive through their own path; same body.
        .route("/api/convos/archive", post(convos::update))
        .route("/api/convos/duplicate", post(fork::duplicate))
        .route("/api/convos/fork", post(fork::fork))
        // The size limit is the configured one, checked while reading (not axum's 2 MB).
        .route(
            "/api/convos/import",
            post(import::import).layer(DefaultBodyLimit::disable()),
        )
        .route("/api/convos/{conversation_id}", get(convos::get))
        .route("/api/tags", get(tags::list).post(tags::create))
        .route(
            "/api/tags/convo/{conversation_id}",
            put(tags::set_for_conversation),
        )
        .route("/api/tags/{tag}", put(tags::update).delete(tags::delete))
        .route("/api/presets", get(presets::list).post(presets::save))
        .route("/api/presets/delete", post(presets::delete))
        .route("/api/messages", get(search::list))
        .route("/api/messages/{conversation_id}", get(convos::messages))
        .route(
            "/api/messages/{conversation_id}/{message_id}",
            axum::routing::put(convos::edit_message).delete(convos::delete_message),
        )
        .route(
            "/api/messages/{conversation_id}/{message_id}/feedback",
            axum::routing::put(convos::message_feedback),
        )
        .route("/api/config", get(startup::get_config))
        .route("/api/banner", get(startup::get_banner))
        .route("/api/balance", get(startup::get_balance))
        .route("/api/endpoints", get(startup::get_endpoints))
        .route("/api/models", get(startup::get_models))
        .route("/api/roles/{role}", get(startup::get_role))
        .route("/api/search/enable", get(startup::search_enabled))
        .route(
            "/api/files",
            get(files::list)
                .post(files::upload)
                .delete(files::delete)
                .layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/api/files/images",
            post(files::upload).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/api/files/images/avatar",
            post(files::avatar).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/api/files/download/{user_id}/{file_id}",
            get(files::download),
        )
        .route("/api/files/config", get(files::config))
        .route(
            "/api/files/view/{user_id}/{file_id}/{token}",
            get(files::view),
        )
        .route("/api/files/speech/config/get", get(startup::speech_config))
        .route(
            "/api/files/speech/stt",
            post(speech::stt).layer(DefaultBodyLimit::max(
                usize::try_from(ferrochat_services::speech::MAX_AUDIO_BYTES).unwrap_or(usize::MAX)
                    + 64 * 1024,
            )),
        )
        .route("/api/files/speech/tts/manual", post(speech::tts_manual))
        .route("/api/files/speech/tts/voices", get(speech::voices))
        .route(
            "/api/keys",
            get(startup::get_key)
                .put(startup::put_key)
                .delete(startup::delete_keys),
        )
        .route("/api/keys/{name}", delete(startup::delete_key))
        .route("/api/agents/chat", post(chat::chat))
        .route("/api/agents/chat/{endpoint}", post(chat::chat))
        .route("/api/convos/gen_title", post(chat::gen_title))
        .route(
            "/api/convos/gen_title/{conversation_id}",
            get(chat::gen_title_get),
        )
        .route("/api/agents/tools/calls", get(startup::tool_calls))
        .route("/api/agents/tools/{tool}/auth", get(startup::tool_auth))
        .route("/api/categories", get(prompts::categories))
        .route("/api/prompts", get(prompts::prompts).post(prompts::create))
        .route("/api/prompts/all", get(prompts::all))
        .route("/api/prompts/groups", get(prompts::groups))
        .route(
            "/api/prompts/groups/{id}",
            get(prompts::group)
                .patch(prompts::patch)
                .delete(prompts::delete_group),
        )
        .route(
            "/api/prompts/groups/{id}/prompts",
            axum::routing::post(prompts::add),
        )
        .route(
            "/api/prompts/{id}",
            get(prompts::prompt).delete(prompts::delete_prompt),
        )
        .route(
            "/api/prompts/{id}/tags/production",
            axum::routing::patch(prompts::production),
        )
        .route("/api/share", get(share::list))
        .route("/api/share/link/{conversation_id}", get(share::link))
        // One path for both IDs: POST takes a conversation's, the others a link's.
        .route(
            "/api/share/{id}",
            get(share::view)
                .post(share::create)
                .patch(share::refresh)
                .delete(share::delete),
        )
        .route("/oauth/{provider}", get(oauth::start))
        .route("/oauth/{provider}/callback", get(oauth::callback))
}
