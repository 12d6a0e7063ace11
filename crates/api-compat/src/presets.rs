//! `/api/presets` (§8.1): LibreChat's `TPreset` is a conversation's settings plus `presetId`,
//! `title`, `defaultPreset` and `order`; the settings are kept whole and spread back out.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use ferrochat_core::Preset;
use ferrochat_services::presets::PresetInput;
use ferrochat_web::{AppState, AuthUser};
use http::StatusCode;
use serde_json::{Map, Value, json};

use crate::convos::{error, from_service};
use crate::json::CompatJson;
use crate::types::iso;

/// Keys that identify a stored document rather than describe settings; dropped on the way in.
const IDENTITY_KEYS: &[&str] = &[
    "_id",
    "__v",
    "user",
    "presetId",
    "newPresetId",
    "title",
    "defaultPreset",
    "order",
    "conversationId",
    "createdAt",
    "updatedAt",
];

/// `TPreset`: settings spread at the top level, identity fields on top.
fn preset(p: &Preset) -> Value {
    let mut out = match &p.settings {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    out.insert("presetId".into(), json!(p.id));
    out.insert("user".into(), json!(p.user_id.to_string()));
    out.insert("title".into(), json!(p.title));
    if p.is_default {
        out.insert("defaultPreset".into(), json!(true));
    }
    if let Some(order) = p.position {
        out.insert("order".into(), json!(order));
    }
    out.insert("createdAt".into(), json!(iso(p.created_at)));
    out.insert("updatedAt".into(), json!(iso(p.updated_at)));
    Value::Object(out)
}

/// `GET /api/presets`: the default first, then by order, then most recently changed.
pub async fn list(State(state): State<AppState>, auth: AuthUser) -> Response {
    match state.services.presets.list(auth.user.id).await {
        Ok(list) => Json(list.iter().map(preset).collect::<Vec<_>>()).into_response(),
        Err(e) => from_service(e),
    }
}

/// `POST /api/presets`: creates or replaces a preset (the server picks `presetId` when the
/// body has none); 201 with the stored preset.
pub async fn save(
    State(state): State<AppState>,
    auth: AuthUser,
    CompatJson(body): CompatJson<Value>,
) -> Response {
    let Value::Object(mut body) = body else {
        return error(StatusCode::BAD_REQUEST, "preset must be a JSON object");
    };
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let input = PresetInput {
        id: text(body.get("presetId")).filter(|id| !id.is_empty()),
        title: text(body.get("title")),
        default: body.get("defaultPreset").and_then(Value::as_bool),
        order: body.get("order").and_then(Value::as_i64),
        settings: Value::Null,
    };
    for key in IDENTITY_KEYS {
        body.remove(*key);
    }
    let input = PresetInput {
        settings: Value::Object(body),
        ..input
    };
    match state.services.presets.save(auth.user.id, input).await {
        Ok(p) => (StatusCode::CREATED, Json(preset(&p))).into_response(),
        Err(e) => from_service(e),
    }
}

/// `POST /api/presets/delete`: `{presetId}` deletes one, an empty body deletes all (LibreChat's
/// contract); 201 `{acknowledged, deletedCount}`.
pub async fn delete(
    State(state): State<AppState>,
    auth: AuthUser,
    body: axum::body::Bytes,
) -> Response {
    let value: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(_) => return error(StatusCode::BAD_REQUEST, "Invalid request: body is not JSON"),
        }
    };
    let id = value.get("presetId").and_then(Value::as_str);
    match state.services.presets.delete(auth.user.id, id).await {
        Ok(n) => (
            StatusCode::CREATED,
            Json(json!({ "acknowledged": true, "deletedCount": n })),
        )
            .into_response(),
        Err(e) => from_service(e),
    }
}
