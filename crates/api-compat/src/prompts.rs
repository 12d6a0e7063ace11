//! `/api/prompts` and `/api/categories`: the client's prompt library (§8.2) in LibreChat's
//! shapes. A group (`TPromptGroup`) holds versions (`TPrompt`); one is in use
//! (`productionId`, `productionPrompt`). Variables are filled in by the client. Groups are
//! private to their author here (LibreChat's sharing with everyone is off: `SHARED_GLOBAL`).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use ferrochat_core::{Prompt, PromptGroup, PromptKind, User};
use ferrochat_services::ServiceError;
use ferrochat_services::prompts::{GroupChange, NewGroup, NewVersion, PromptDeleted};
use ferrochat_web::{AppState, AuthUser};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::CompatError;
use crate::json::{CompatJson, present};
use crate::types::iso;

type Answer = Result<Response, CompatError>;

/// LibreChat's categories, in its order; labels are the client's translation keys.
const CATEGORIES: [&str; 9] = [
    "idea",
    "travel",
    "teach_or_explain",
    "write",
    "shop",
    "code",
    "misc",
    "roleplay",
    "finance",
];

fn fail(err: ServiceError) -> CompatError {
    match err {
        ServiceError::NotFound(_) => {
            CompatError::new(StatusCode::NOT_FOUND, "promptGroup not found")
        }
        ServiceError::Conflict { .. } => CompatError::new(
            StatusCode::CONFLICT,
            "Another of your prompts already uses this command",
        ),
        other => CompatError::from_service(other),
    }
}

/// A group as the client reads it (`TPromptGroup`).
fn group_json(g: &PromptGroup, author: &User) -> Value {
    json!({
        "_id": g.id.to_string(),
        "name": g.name,
        "numberOfGenerations": g.number_of_generations,
        "oneliner": g.oneliner,
        "category": g.category,
        "command": g.command,
        "projectIds": [],
        "productionId": g.production_id.map(|p| p.to_string()),
        "productionPrompt": g.production_prompt.as_ref().map(|p| json!({ "prompt": p })),
        "author": g.user_id.to_string(),
        "authorName": author.name,
        "createdAt": iso(g.created_at),
        "updatedAt": iso(g.updated_at),
    })
}

/// A version as the client reads it (`TPrompt`).
fn prompt_json(p: &Prompt) -> Value {
    json!({
        "_id": p.id.to_string(),
        "groupId": p.group_id.to_string(),
        "author": p.user_id.to_string(),
        "prompt": p.text,
        "type": p.kind.as_str(),
        "createdAt": iso(p.created_at),
        "updatedAt": iso(p.updated_at),
    })
}

fn kind(text: Option<&str>) -> Result<PromptKind, CompatError> {
    match text {
        None => Ok(PromptKind::Text),
        Some(t) => PromptKind::parse(t)
            .ok_or_else(|| CompatError::new(StatusCode::BAD_REQUEST, "type must be text or chat")),
    }
}

/// `GET /api/categories`.
pub async fn categories(_auth: AuthUser) -> Json<Value> {
    Json(Value::Array(
        CATEGORIES
            .iter()
            .map(|c| json!({ "label": format!("com_ui_{c}"), "value": c }))
            .collect(),
    ))
}

/// `GET /api/prompts/all` → every group of the caller.
pub async fn all(State(state): State<AppState>, auth: AuthUser) -> Answer {
    let groups = state
        .services
        .prompts
        .all(auth.user.id)
        .await
        .map_err(fail)?;
    Ok(Json(Value::Array(
        groups.iter().map(|g| group_json(g, &auth.user)).collect(),
    ))
    .into_response())
}

/// `GET /api/prompts/groups` query (the client sends `limit`; `pageSize` is the older name).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupsQuery {
    limit: Option<String>,
    page_size: Option<String>,
    cursor: Option<String>,
    name: Option<String>,
    category: Option<String>,
}

/// `GET /api/prompts/groups` → `{promptGroups, pageNumber, pageSize, pages, has_more, after}`,
/// as LibreChat's cursor version fills them (`pages` only says whether more follow).
pub async fn groups(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<GroupsQuery>,
) -> Answer {
    let size_text = q.limit.or(q.page_size).unwrap_or_else(|| "10".into());
    let size = size_text.trim().parse::<u32>().unwrap_or(20).clamp(1, 100);
    let cursor = q
        .cursor
        .filter(|c| !c.is_empty() && c != "undefined" && c != "null");
    // The client's system categories: all, mine (every group here is its author's), none,
    // shared with everyone (none here).
    let category = match q.category.as_deref() {
        None | Some("") | Some("sys__all__sys") | Some("sys__my__prompts__sys") => None,
        Some("sys__no__category__sys") => Some(""),
        Some("sys__shared__prompts__sys") => {
            return Ok(Json(json!({
                "promptGroups": [], "pageNumber": "1", "pageSize": size_text,
                "pages": "1", "has_more": false, "after": null,
            }))
            .into_response());
        }
        Some(other) => Some(other),
    };
    let page = state
        .services
        .prompts
        .list(
            auth.user.id,
            q.name.as_deref(),
            category,
            cursor.as_deref(),
            Some(size),
        )
        .await
        .map_err(fail)?;
    let more = page.next_cursor.is_some();
    Ok(Json(json!({
        "promptGroups": page.groups.iter().map(|g| group_json(g, &auth.user)).collect::<Vec<_>>(),
        "pageNumber": "1",
        "pageSize": size_text,
        "pages": if more { "9999" } else { "1" },
        "has_more": more,
        "after": page.next_cursor,
    }))
    .into_response())
}

/// `GET /api/prompts/groups/{groupId}`.
pub async fn group(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Answer {
    let g = state
        .services
        .prompts
        .group(auth.user.id, &id)
        .await
        .map_err(fail)?;
    Ok(Json(group_json(&g, &auth.user)).into_response())
}

/// `GET /api/prompts` query.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptsQuery {
    group_id: Option<String>,
}

/// `GET /api/prompts?groupId=` → the group's versions, newest first; without a group, every
/// version of the caller's.
pub async fn prompts(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<PromptsQuery>,
) -> Answer {
    let prompts = &state.services.prompts;
    let versions = match q.group_id.as_deref().filter(|g| !g.is_empty()) {
        Some(group) => prompts.versions(auth.user.id, group).await.map_err(fail)?,
        None => {
            let mut all = Vec::new();
            for g in prompts.all(auth.user.id).await.map_err(fail)? {
                all.extend(
                    prompts
                        .versions(auth.user.id, &g.id.to_string())
                        .await
                        .map_err(fail)?,
                );
            }
            all
        }
    };
    Ok(Json(Value::Array(versions.iter().map(prompt_json).collect())).into_response())
}

/// `GET /api/prompts/{promptId}` → the version.
pub async fn prompt(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Answer {
    let p = state
        .services
        .prompts
        .version(auth.user.id, &id)
        .await
        .map_err(fail)?;
    Ok(Json(prompt_json(&p)).into_response())
}

/// A version in a request.
#[derive(Debug, Deserialize)]
pub struct PromptBody {
    prompt: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// A group in a create request.
#[derive(Debug, Deserialize)]
pub struct GroupBody {
    name: Option<String>,
    category: Option<String>,
    oneliner: Option<String>,
    command: Option<String>,
}

/// `POST /api/prompts` body.
#[derive(Debug, Deserialize)]
pub struct CreateBody {
    prompt: Option<PromptBody>,
    group: Option<GroupBody>,
}

/// `POST /api/prompts` → `{prompt, group}`: a new group whose first version is in use.
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    CompatJson(body): CompatJson<CreateBody>,
) -> Answer {
    let (Some(prompt), Some(group)) = (body.prompt, body.group) else {
        return Err(CompatError::new(
            StatusCode::BAD_REQUEST,
            "Prompt and group name are required",
        ));
    };
    let (Some(name), Some(text)) = (group.name.filter(|n| !n.trim().is_empty()), prompt.prompt)
    else {
        return Err(CompatError::new(
            StatusCode::BAD_REQUEST,
            "Prompt and group name are required",
        ));
    };
    let new = NewGroup {
        name,
        command: group.command,
        oneliner: group.oneliner,
        category: group.category,
    };
    let first = NewVersion {
        text,
        kind: kind(prompt.kind.as_deref())?,
    };
    let (g, p) = state
        .services
        .prompts
        .create(auth.user.id, new, first)
        .await
        .map_err(fail)?;
    Ok(
        Json(json!({ "prompt": prompt_json(&p), "group": group_json(&g, &auth.user) }))
            .into_response(),
    )
}

/// `POST /api/prompts/groups/{groupId}/prompts` body.
#[derive(Debug, Deserialize)]
pub struct AddBody {
    prompt: Option<PromptBody>,
}

/// `POST /api/prompts/groups/{groupId}/prompts` → `{prompt}`: a new version; the client then
/// makes it the one in use with the production route.
pub async fn add(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(group): Path<String>,
    CompatJson(body): CompatJson<AddBody>,
) -> Answer {
    let Some(text) = body.prompt.as_ref().and_then(|p| p.prompt.clone()) else {
        return Err(CompatError::new(
            StatusCode::BAD_REQUEST,
            "Prompt is required",
        ));
    };
    let version = NewVersion {
        text,
        kind: kind(body.prompt.as_ref().and_then(|p| p.kind.as_deref()))?,
    };
    let p = state
        .services
        .prompts
        .add_version(auth.user.id, &group, version, false)
        .await
        .map_err(fail)?;
    Ok(Json(json!({ "prompt": prompt_json(&p) })).into_response())
}

/// `PATCH /api/prompts/groups/{groupId}` body: LibreChat's strict schema.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PatchBody {
    name: Option<String>,
    oneliner: Option<String>,
    category: Option<String>,
    #[serde(default, deserialize_with = "present")]
    command: Option<Option<String>>,
    // Sharing with everyone is off here; accepted and ignored.
    #[serde(default)]
    #[allow(dead_code)]
    project_ids: Option<Vec<String>>,
    #[serde(default)]
    #[allow(dead_code)]
    remove_project_ids: Option<Vec<String>>,
}

/// `PATCH /api/prompts/groups/{groupId}` → the group.
pub async fn patch(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    body: Result<Json<PatchBody>, axum::extract::rejection::JsonRejection>,
) -> Answer {
    let Json(body) = body.map_err(|e| {
        CompatError::new(
            StatusCode::BAD_REQUEST,
            format!("Invalid request body: {}", e.body_text()),
        )
    })?;
    let change = GroupChange {
        name: body.name,
        command: body.command,
        oneliner: body.oneliner,
        category: body.category,
    };
    let g = state
        .services
        .prompts
        .update(auth.user.id, &id, change)
        .await
        .map_err(fail)?;
    Ok(Json(group_json(&g, &auth.user)).into_response())
}

/// `PATCH /api/prompts/{promptId}/tags/production` → `{message}`.
pub async fn production(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Answer {
    state
        .services
        .prompts
        .make_production(auth.user.id, &id)
        .await
        .map_err(fail)?;
    Ok(Json(json!({ "message": "Prompt production made successfully" })).into_response())
}

/// `DELETE /api/prompts/{promptId}?groupId=` → `{prompt, promptGroup?}` (the group goes with
/// its last version).
pub async fn delete_prompt(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Answer {
    let deleted = state
        .services
        .prompts
        .delete_version(auth.user.id, &id)
        .await
        .map_err(fail)?;
    Ok(Json(match deleted {
        PromptDeleted::Version => json!({ "prompt": "Prompt deleted successfully" }),
        PromptDeleted::Group(group) => json!({
            "prompt": "Prompt deleted successfully",
            "promptGroup": { "message": "Prompt group deleted successfully", "id": group.to_string() },
        }),
    })
    .into_response())
}

/// `DELETE /api/prompts/groups/{groupId}` → `{message}`.
pub async fn delete_group(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Answer {
    state
        .services
        .prompts
        .delete(auth.user.id, &id)
        .await
        .map_err(fail)?;
    Ok(Json(json!({ "message": "Prompt group deleted successfully" })).into_response())
}
