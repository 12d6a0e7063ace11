//! The OpenAPI 3.1 document of `/api/v1`, generated from the handlers' and types' annotations
//! (`utoipa`), served at `/api-docs/openapi.json` beside an interactive reference at
//! `/api-docs` whose assets ferrochat serves itself.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// An error body (RFC 9457 problem details).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct Problem {
    /// `urn:ferrochat:error:<code>`.
    #[schema(rename = "type")]
    kind: String,
    /// The HTTP reason phrase.
    title: String,
    /// The HTTP status.
    status: u16,
    /// What happened.
    detail: String,
    /// Stable code from docs/errors.md.
    code: String,
    /// Finds the request in the server's logs.
    request_id: Option<String>,
    /// Field-level problems of `validation_failed`.
    errors: Option<Vec<ProblemField>>,
}

/// One invalid field.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ProblemField {
    /// The field.
    field: String,
    /// What is wrong with it.
    message: String,
}

/// `{tags}` of a conversation, in menu order.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct TagList {
    /// Bookmark names.
    tags: Vec<String>,
}

/// A created API key: the listed fields plus the token, shown this once.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct CreatedKeyDto {
    #[schema(inline)]
    #[serde(flatten)]
    key: crate::api_keys::ApiKeyDto,
    /// The bearer token (`fck_…`).
    token: String,
}

/// The answer of a chat, as stored (the stream's `done` event, or the 201 body).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ChatDone {
    conversation: crate::dto::ConversationDto,
    message: crate::dto::MessageDto<'static>,
    /// Token counts and cost.
    #[schema(value_type = Object)]
    usage: serde_json::Value,
    /// `completed`, `aborted` or `error`.
    outcome: String,
    /// `{code}` when the upstream failed.
    #[schema(value_type = Option<Object>)]
    error: Option<serde_json::Value>,
    /// Milliseconds to the first answer token.
    time_to_first_token_ms: Option<i64>,
    /// Milliseconds to the end.
    duration_ms: i64,
}

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An access token from sign-in, or a personal API key (`fck_…`, scoped)",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "ferrochat native API",
        version = "1",
        description = "Resources are JSON objects; lists are `{data, next_cursor, has_more}`; errors are `application/problem+json` with a stable `code`. Rate limits are reported in `RateLimit` headers. Error codes: docs/errors.md; versioning: docs/api-versioning.md."
    ),
    security(("bearer" = [])),
    modifiers(&Security),
    paths(
        crate::me::get, crate::me::set_avatar, crate::me::clear_avatar, crate::me::sessions, crate::me::revoke_session,
        crate::api_keys::list, crate::api_keys::create, crate::api_keys::revoke,
        crate::conversations::list, crate::conversations::get, crate::conversations::patch,
        crate::conversations::delete, crate::conversations::restore, crate::conversations::messages,
        crate::conversations::import, crate::conversations::export,
        crate::organize::edit_message, crate::organize::delete_message,
        crate::organize::set_conversation_tags, crate::folders::move_conversation,
        crate::folders::list, crate::folders::create, crate::folders::get, crate::folders::rename,
        crate::folders::delete, crate::folders::conversations,
        crate::organize::list_tags, crate::organize::create_tag, crate::organize::update_tag,
        crate::organize::delete_tag,
        crate::organize::list_presets, crate::organize::save_preset, crate::organize::delete_preset,
        crate::chat::chat,
        crate::search::search_messages,
        crate::shares::create, crate::shares::list, crate::shares::get, crate::shares::patch,
        crate::shares::refresh, crate::shares::delete, crate::shares::view,
        crate::usage::mine, crate::usage::everyone,
        crate::digest::get, crate::digest::set, crate::digest::unsubscribe_page,
        crate::digest::unsubscribe, crate::digest::run,
        crate::presence::mine, crate::presence::everyone,
        crate::speech::get, crate::speech::transcribe, crate::speech::synthesize,
        crate::prompts::list, crate::prompts::create, crate::prompts::get, crate::prompts::patch,
        crate::prompts::delete, crate::prompts::versions, crate::prompts::add_version,
        crate::prompts::use_version, crate::prompts::delete_version, crate::prompts::render,
        crate::webhooks::create, crate::webhooks::list, crate::webhooks::get,
        crate::webhooks::patch, crate::webhooks::delete, crate::webhooks::rotate_secret,
        crate::webhooks::ping, crate::webhooks::deliveries, crate::webhooks::delivery,
        crate::webhooks::redeliver,
        crate::files::upload, crate::files::list, crate::files::get, crate::files::delete,
        crate::files::content,
        crate::uploads::options, crate::uploads::create, crate::uploads::head,
        crate::uploads::patch, crate::uploads::terminate,
        crate::admin::list_users, crate::admin::set_role, crate::admin::set_banned,
        crate::admin::delete_user,
    )
)]
pub struct ApiDoc;

/// The document as JSON text.
pub fn json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_default()
}
