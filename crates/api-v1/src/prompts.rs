//! Prompt templates: `/api/v1/prompts` lists and makes them, each has versions (one in use)
//! and `render` fills in its `{{variables}}`. The same library the LibreChat client shows.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use ferrochat_core::{Prompt, PromptGroup, PromptKind};
use ferrochat_services::ServiceError;
use ferrochat_services::prompts::{GroupChange, NewGroup, NewVersion, variables};
use ferrochat_web::json::{ApiJson, ApiQuery};
use ferrochat_web::{ApiError, AppState, AuthUser};
use http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::dto::{Page, present, rfc3339};

/// A prompt template.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PromptDto {
    /// ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Slash command (`/command`) that inserts it in the LibreChat client.
    pub command: Option<String>,
    /// One-line description.
    pub oneliner: String,
    /// Category (`idea`, `travel`, `teach_or_explain`, `write`, `shop`, `code`, `misc`,
    /// `roleplay`, `finance`, or any other word).
    pub category: String,
    /// The version in use.
    pub version_id: Option<String>,
    /// Its text.
    pub text: Option<String>,
    /// The variables its text names (`{{name}}` or `{{name:option|option}}`), in order.
    pub variables: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<&PromptGroup> for PromptDto {
    fn from(g: &PromptGroup) -> Self {
        PromptDto {
            id: g.id.to_string(),
            name: g.name.clone(),
            command: g.command.clone(),
            oneliner: g.oneliner.clone(),
            category: g.category.clone(),
            version_id: g.production_id.map(|p| p.to_string()),
            text: g.production_prompt.clone(),
            variables: g
                .production_prompt
                .as_deref()
                .map(variables)
                .unwrap_or_default(),
            created_at: rfc3339(g.created_at),
            updated_at: rfc3339(g.updated_at),
        }
    }
}

/// One version of a prompt.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PromptVersionDto {
    /// ID.
    pub id: String,
    /// The prompt it belongs to.
    pub prompt_id: String,
    /// The text.
    pub text: String,
    /// `text` or `chat`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether it is the version in use.
    pub in_use: bool,
    /// RFC 3339.
    pub created_at: String,
}

fn version_dto(p: &Prompt, in_use: bool) -> PromptVersionDto {
    PromptVersionDto {
        id: p.id.to_string(),
        prompt_id: p.group_id.to_string(),
        text: p.text.clone(),
        kind: p.kind.as_str().to_owned(),
        in_use,
        created_at: rfc3339(p.created_at),
    }
}

fn kind(text: Option<&str>) -> Result<PromptKind, ApiError> {
    match text {
        None => Ok(PromptKind::Text),
        Some(t) => PromptKind::parse(t)
            .ok_or_else(|| ServiceError::invalid("type", "must be text or chat").into()),
    }
}

const PROBLEM: &str = "A problem (RFC 9457): `code` says which; see docs/errors.md";

/// `GET /api/v1/prompts` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListPrompts {
    /// Text the name contains (case-insensitive).
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Only this category.
    pub category: Option<String>,
    /// Cursor from a previous page.
    pub cursor: Option<String>,
    /// Page size, 1-100 (default 10).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// `GET /api/v1/prompts`: most recently changed first.
#[utoipa::path(
    get,
    path = "/api/v1/prompts",
    operation_id = "list_prompts",
    tag = "prompts",
    summary = "The caller's prompt templates",
    params(ListPrompts),
    responses((status = 200, body = Page<PromptDto>), (status = "4XX", description = PROBLEM, body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiQuery(q): ApiQuery<ListPrompts>,
) -> Result<Json<Page<PromptDto>>, ApiError> {
    if q.q.as_ref().is_some_and(|t| t.chars().count() > 200) {
        return Err(ServiceError::invalid("q", "must be at most 200 characters").into());
    }
    let page = state
        .services
        .prompts
        .list(
            auth.user.id,
            q.q.as_deref(),
            q.category.as_deref().filter(|c| !c.is_empty()),
            q.cursor.as_deref(),
            q.limit,
        )
        .await?;
    Ok(Json(Page {
        data: page.groups.iter().map(PromptDto::from).collect(),
        has_more: page.next_cursor.is_some(),
        next_cursor: page.next_cursor,
    }))
}

/// `POST /api/v1/prompts` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePrompt {
    /// Name (1-200 characters).
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// The text, with `{{variables}}` (at most 100,000 characters).
    #[schema(min_length = 1, max_length = 100000)]
    pub text: String,
    /// `text` (default) or `chat`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Slash command: lower-case letters, digits, dashes (at most 56); unique among yours.
    #[schema(max_length = 56)]
    pub command: Option<String>,
    /// One-line description (at most 500 characters).
    #[schema(max_length = 500)]
    pub oneliner: Option<String>,
    /// Category (at most 64 characters).
    #[schema(max_length = 64)]
    pub category: Option<String>,
}

/// `POST /api/v1/prompts`: 201 with the template; its first version is in use.
#[utoipa::path(
    post,
    path = "/api/v1/prompts",
    operation_id = "create_prompt",
    tag = "prompts",
    summary = "Make a prompt template",
    request_body = CreatePrompt,
    responses((status = 201, body = PromptDto), (status = "4XX", description = PROBLEM, body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<CreatePrompt>,
) -> Result<Response, ApiError> {
    let first = NewVersion {
        text: body.text,
        kind: kind(body.kind.as_deref())?,
    };
    let new = NewGroup {
        name: body.name,
        command: body.command,
        oneliner: body.oneliner,
        category: body.category,
    };
    let (group, _) = state
        .services
        .prompts
        .create(auth.user.id, new, first)
        .await?;
    Ok((StatusCode::CREATED, Json(PromptDto::from(&group))).into_response())
}

/// `GET /api/v1/prompts/{id}`.
#[utoipa::path(
    get,
    path = "/api/v1/prompts/{id}",
    operation_id = "get_prompt",
    tag = "prompts",
    summary = "One prompt template",
    params(("id" = String, Path, description = "Prompt ID")),
    responses((status = 200, body = PromptDto), (status = "4XX", description = PROBLEM, body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn get(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<PromptDto>, ApiError> {
    let group = state.services.prompts.group(auth.user.id, &id).await?;
    Ok(Json(PromptDto::from(&group)))
}

/// `PATCH /api/v1/prompts/{id}` body; absent fields stay.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromptPatch {
    /// New name.
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// New slash command; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 56)]
    pub command: Option<Option<String>>,
    /// New one-liner.
    #[schema(max_length = 500)]
    pub oneliner: Option<String>,
    /// New category.
    #[schema(max_length = 64)]
    pub category: Option<String>,
}

/// `PATCH /api/v1/prompts/{id}`.
#[utoipa::path(
    patch,
    path = "/api/v1/prompts/{id}",
    operation_id = "update_prompt",
    tag = "prompts",
    summary = "Rename a template, or change its command, one-liner or category",
    params(("id" = String, Path, description = "Prompt ID")),
    request_body = PromptPatch,
    responses((status = 200, body = PromptDto), (status = "4XX", description = PROBLEM, body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn patch(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PromptPatch>,
) -> Result<Json<PromptDto>, ApiError> {
    let change = GroupChange {
        name: body.name,
        command: body.command,
        oneliner: body.oneliner,
        category: body.category,
    };
    let group = state
        .services
        .prompts
        .update(auth.user.id, &id, change)
        .await?;
    Ok(Json(PromptDto::from(&group)))
}

/// `DELETE /api/v1/prompts/{id}`: 204, with every version.
#[utoipa::path(
    delete,
    path = "/api/v1/prompts/{id}",
    operation_id = "delete_prompt",
    tag = "prompts",
    summary = "Delete a template and its versions",
    params(("id" = String, Path, description = "Prompt ID")),
    responses((status = 204, description = "Deleted"), (status = "4XX", description = PROBLEM, body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn delete(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.services.prompts.delete(auth.user.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/prompts/{id}/versions`: newest first (one page).
#[utoipa::path(
    get,
    path = "/api/v1/prompts/{id}/versions",
    operation_id = "list_prompt_versions",
    tag = "prompts",
    summary = "A template's versions",
    params(("id" = String, Path, description = "Prompt ID")),
    responses((status = 200, body = Page<PromptVersionDto>), (status = "4XX", description = PROBLEM, body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn versions(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Page<PromptVersionDto>>, ApiError> {
    let prompts = &state.services.prompts;
    let group = prompts.group(auth.user.id, &id).await?;
    let versions = prompts.versions(auth.user.id, &id).await?;
    Ok(Json(Page {
        data: versions
            .iter()
            .map(|v| version_dto(v, group.production_id == Some(v.id)))
            .collect(),
        next_cursor: None,
        has_more: false,
    }))
}

/// `POST /api/v1/prompts/{id}/versions` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateVersion {
    /// The text.
    #[schema(min_length = 1, max_length = 100000)]
    pub text: String,
    /// `text` (default) or `chat`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Put it in use (default true).
    pub in_use: Option<bool>,
}

/// `POST /api/v1/prompts/{id}/versions`: 201 with the new version.
#[utoipa::path(
    post,
    path = "/api/v1/prompts/{id}/versions",
    operation_id = "create_prompt_version",
    tag = "prompts",
    summary = "Add a version to a template",
    params(("id" = String, Path, description = "Prompt ID")),
    request_body = CreateVersion,
    responses((status = 201, body = PromptVersionDto), (status = "4XX", description = PROBLEM, body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn add_version(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CreateVersion>,
) -> Result<Response, ApiError> {
    let in_use = body.in_use.unwrap_or(true);
    let version = NewVersion {
        text: body.text,
        kind: kind(body.kind.as_deref())?,
    };
    let prompt = state
        .services
        .prompts
        .add_version(auth.user.id, &id, version, in_use)
        .await?;
    Ok((StatusCode::CREATED, Json(version_dto(&prompt, in_use))).into_response())
}

/// `PUT /api/v1/prompts/{id}/versions/{version_id}/in-use`: this version becomes the one in
/// use.
#[utoipa::path(
    put,
    path = "/api/v1/prompts/{id}/versions/{version_id}/in-use",
    operation_id = "use_prompt_version",
    tag = "prompts",
    summary = "Put a version in use",
    params(("id" = String, Path, description = "Prompt ID"), ("version_id" = String, Path, description = "Version ID")),
    responses((status = 200, body = PromptDto), (status = "4XX", description = PROBLEM, body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn use_version(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, version)): Path<(String, String)>,
) -> Result<Json<PromptDto>, ApiError> {
    let prompts = &state.services.prompts;
    prompts.version_in(auth.user.id, &id, &version).await?;
    prompts.make_production(auth.user.id, &version).await?;
    let group = prompts.group(auth.user.id, &id).await?;
    Ok(Json(PromptDto::from(&group)))
}

/// `DELETE /api/v1/prompts/{id}/versions/{version_id}`: 204; the newest remaining version
/// takes over when it was in use, and the template goes with its last version.
#[utoipa::path(
    delete,
    path = "/api/v1/prompts/{id}/versions/{version_id}",
    operation_id = "delete_prompt_version",
    tag = "prompts",
    summary = "Delete a version",
    params(("id" = String, Path, description = "Prompt ID"), ("version_id" = String, Path, description = "Version ID")),
    responses((status = 204, description = "Deleted"), (status = "4XX", description = PROBLEM, body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn delete_version(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, version)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let prompts = &state.services.prompts;
    prompts.version_in(auth.user.id, &id, &version).await?;
    prompts.delete_version(auth.user.id, &version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/prompts/{id}/render` body.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenderPrompt {
    /// A value for each variable; `current_date`, `current_datetime`, `iso_datetime` and
    /// `current_user` are filled in by the server unless given.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// A version other than the one in use.
    pub version_id: Option<String>,
}

/// A filled-in prompt.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RenderedDto {
    /// The text with every variable replaced.
    pub text: String,
    /// The variables the template names.
    pub variables: Vec<String>,
}

/// `POST /api/v1/prompts/{id}/render`: the text with its variables filled in; a variable
/// without a value is `validation_failed` naming it.
#[utoipa::path(
    post,
    path = "/api/v1/prompts/{id}/render",
    operation_id = "render_prompt",
    tag = "prompts",
    summary = "Fill in a template's variables",
    params(("id" = String, Path, description = "Prompt ID")),
    request_body = RenderPrompt,
    responses((status = 200, body = RenderedDto), (status = "4XX", description = PROBLEM, body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn render(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RenderPrompt>,
) -> Result<Json<RenderedDto>, ApiError> {
    let rendered = state
        .services
        .prompts
        .render(
            auth.user.id,
            &auth.user.name,
            &id,
            body.version_id.as_deref(),
            &body.variables,
        )
        .await?;
    Ok(Json(RenderedDto {
        text: rendered.text,
        variables: rendered.variables,
    }))
}
