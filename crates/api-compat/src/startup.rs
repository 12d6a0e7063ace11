//! What the LibreChat client asks for while it starts (§3, §4): the startup configuration,
//! endpoints and models, role permissions, and the small queries it needs answered.
//!
//! Answers are derived from configuration and from what ferrochat can do today: features that do
//! not exist yet (agents, file uploads, speech) are
//! switched off here, which makes the client hide them instead of calling routes that are not
//! there.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use ferrochat_config::{Credential, EndpointKind};
use ferrochat_core::Role;
use ferrochat_web::{AppState, AuthUser};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::error::CompatError;

/// The permission types of §4.4 and their keys.
const PERMISSIONS: &[(&str, &[&str])] = &[
    ("PROMPTS", &["USE", "CREATE", "SHARED_GLOBAL"]),
    ("BOOKMARKS", &["USE"]),
    ("MEMORIES", &["USE", "CREATE", "UPDATE", "READ", "OPT_OUT"]),
    ("AGENTS", &["USE", "CREATE", "SHARED_GLOBAL"]),
    ("MULTI_CONVO", &["USE"]),
    ("TEMPORARY_CHAT", &["USE"]),
    ("RUN_CODE", &["USE"]),
    ("WEB_SEARCH", &["USE"]),
    (
        "PEOPLE_PICKER",
        &["VIEW_USERS", "VIEW_GROUPS", "VIEW_ROLES"],
    ),
    ("MARKETPLACE", &["USE"]),
    ("FILE_SEARCH", &["USE"]),
    ("FILE_CITATIONS", &["USE"]),
];

/// Permissions that ferrochat can honour today. Everything else is `false`, so the client hides
/// it. There is no code interpreter in this product: `RUN_CODE` stays off for good.
fn granted(_role: Role, permission: &str, key: &str) -> bool {
    matches!(
        (permission, key),
        ("BOOKMARKS", "USE") | ("PROMPTS", "USE") | ("PROMPTS", "CREATE")
    )
}

/// `GET /api/config`: public, read before anyone signs in.
pub async fn get_config(State(state): State<AppState>) -> Json<Value> {
    let server = &state.config.server;
    let auth = &state.config.auth;
    let services = &state.services.auth;
    let socials = services.offered_providers();
    let has = |name: &str| socials.iter().any(|s| s == name);
    let openid = state.config.oidc.iter().find(|p| p.name == "openid");
    let sharing = state.services.shares.policy();
    Json(json!({
        "appTitle": server.app_title,
        "serverDomain": server.domain_server,
        "emailLoginEnabled": auth.allow_email_login,
        "registrationEnabled": auth.allow_registration,
        "passwordResetEnabled": auth.allow_password_reset,
        "emailEnabled": services.mail_delivers(),
        "socialLoginEnabled": !socials.is_empty(),
        "socialLogins": socials,
        "discordLoginEnabled": has("discord"),
        "facebookLoginEnabled": false,
        "githubLoginEnabled": has("github"),
        "googleLoginEnabled": has("google"),
        "openidLoginEnabled": has("openid"),
        "appleLoginEnabled": false,
        "samlLoginEnabled": false,
        "openidLabel": openid.map(|p| p.label.as_str()).unwrap_or(""),
        "openidImageUrl": "",
        "samlLabel": "",
        "samlImageUrl": "",
        "openidAutoRedirect": false,
        "openidReuseTokens": false,
        "minPasswordLength": ferrochat_services::password::MIN_LEN,
        "showBirthdayIcon": false,
        "helpAndFaqURL": server.help_and_faq_url,
        "interface": interface(),
        "balance": balance_config(&state),
        "sharedLinksEnabled": sharing.enabled,
        "publicSharedLinksEnabled": sharing.enabled && sharing.public,
        "instanceProjectId": "ferrochat",
        "conversationImportMaxFileSize": state.config.import_max_bytes
    }))
}

/// The client's feature switches: only what exists is on.
fn interface() -> Value {
    json!({
        "endpointsMenu": true,
        "modelSelect": true,
        "parameters": true,
        "sidePanel": true,
        "presets": true,
        "bookmarks": true,
        "prompts": true,
        "agents": false,
        "memories": false,
        "multiConvo": false,
        "temporaryChat": true,
        "runCode": false,
        "webSearch": false,
        "fileSearch": false,
        "fileCitations": false,
        "marketplace": { "use": false }
    })
}

/// The startup config's `balance` section, in LibreChat's names.
fn balance_config(state: &AppState) -> Value {
    let b = state.services.chat.balances().config();
    json!({
        "enabled": b.enabled,
        "startBalance": b.start_balance,
        "autoRefillEnabled": b.auto_refill,
        "refillIntervalValue": b.refill_interval.0,
        "refillIntervalUnit": b.refill_interval.1,
        "refillAmount": b.refill_amount,
    })
}

/// `GET /api/balance`: the user's token credits (created with the start balance on first use;
/// refilled when due). 404 when balances are off — the client only asks when they are on.
pub async fn get_balance(State(state): State<AppState>, auth: AuthUser) -> Response {
    let balances = state.services.chat.balances();
    match balances.current(auth.user.id).await {
        Ok(Some(b)) => {
            let c = balances.config();
            let mut out = json!({
                "tokenCredits": b.token_credits,
                "autoRefillEnabled": c.auto_refill,
            });
            if c.auto_refill {
                out["refillIntervalValue"] = c.refill_interval.0.into();
                out["refillIntervalUnit"] = c.refill_interval.1.clone().into();
                out["refillAmount"] = c.refill_amount.into();
                out["lastRefill"] = crate::types::iso(b.last_refill).into();
            }
            Json(out).into_response()
        }
        Ok(None) => {
            CompatError::new(StatusCode::NOT_FOUND, "Balances are not enabled").into_response()
        }
        Err(e) => CompatError::from_service(e).into_response(),
    }
}

/// `GET /api/banner`: no banners exist, so `null`, with or without a token (a 401 here would
/// send the logged-out client into a reload loop, §1.1).
pub async fn get_banner() -> Json<Value> {
    Json(Value::Null)
}

/// `GET /api/endpoints`: the configured model endpoints (§4.2), keyed as conversations name
/// them, in menu order. No auth, as in Node.
pub async fn get_endpoints(State(state): State<AppState>) -> Json<Value> {
    let endpoints = state.services.chat.endpoints();
    let map: Map<String, Value> = endpoints
        .list()
        .iter()
        .enumerate()
        .map(|(order, e)| {
            let mut v = json!({
                "order": order,
                "userProvide": e.api_key == Credential::UserProvided,
                "userProvideURL": e.base_url == Credential::UserProvided,
            });
            if e.kind == EndpointKind::Custom {
                v["type"] = "custom".into();
                v["modelDisplayLabel"] = e
                    .display_label
                    .clone()
                    .unwrap_or_else(|| e.name.clone())
                    .into();
            }
            if matches!(e.kind, EndpointKind::Azure { .. }) {
                v["azure"] = true.into();
            }
            if let Some(icon) = &e.icon_url {
                v["iconURL"] = icon.clone().into();
            }
            (e.name.clone(), v)
        })
        .collect();
    Json(Value::Object(map))
}

/// `GET /api/models`: models per endpoint, same keys as `/api/endpoints` (never `initial`,
/// §4.3); fetched lists are cached by the registry.
pub async fn get_models(State(state): State<AppState>, _auth: AuthUser) -> Json<Value> {
    let endpoints = state.services.chat.endpoints();
    let mut map = Map::new();
    for e in endpoints.list() {
        map.insert(e.name.clone(), json!(endpoints.models(e).await));
    }
    Json(Value::Object(map))
}

/// `GET /api/roles/{role}`: the permission map for `user` or `admin`. Only administrators may
/// read the admin role.
pub async fn get_role(
    auth: AuthUser,
    Path(role): Path<String>,
) -> Result<Json<Value>, CompatError> {
    let role = match role.to_ascii_uppercase().as_str() {
        "USER" => Role::User,
        "ADMIN" => Role::Admin,
        _ => return Err(CompatError::new(StatusCode::NOT_FOUND, "Role not found")),
    };
    if role == Role::Admin && auth.user.role != Role::Admin {
        return Err(CompatError::new(StatusCode::FORBIDDEN, "Unauthorized"));
    }
    let permissions: Map<String, Value> = PERMISSIONS
        .iter()
        .map(|(kind, keys)| {
            let flags: Map<String, Value> = keys
                .iter()
                .map(|k| ((*k).to_owned(), Value::Bool(granted(role, kind, k))))
                .collect();
            ((*kind).to_owned(), Value::Object(flags))
        })
        .collect();
    Ok(Json(
        json!({ "name": role.as_str(), "permissions": permissions }),
    ))
}

/// `GET /api/search/enable`: `true`, so the client shows its search bar (full-text search is
/// built in; nothing to configure).
pub async fn search_enabled(_auth: AuthUser) -> Json<Value> {
    Json(Value::Bool(true))
}

/// `GET /api/files/speech/config/get`: the defaults of the client's speech settings, from
/// `speech.speechTab`, flattened as LibreChat does (`speechToText` and `textToSpeech` are a
/// switch or a mapping whose keys are spread out); `not_found` without a `speech` section.
/// `sttExternal`/`ttsExternal` say whether the server has engines (`speech.stt`,
/// `speech.tts`); without one, an `external` engine in the file is offered as `browser`.
pub async fn speech_config(State(state): State<AppState>, _auth: AuthUser) -> Json<Value> {
    let speech = &state.services.speech;
    match &state.config.endpoints.speech_tab {
        Some(tab) => Json(speech_settings(
            tab,
            speech.stt_enabled(),
            speech.tts_enabled(),
        )),
        None => Json(json!({ "message": "not_found" })),
    }
}

fn speech_settings(tab: &Value, stt: bool, tts: bool) -> Value {
    let mut out = Map::new();
    out.insert("sttExternal".into(), stt.into());
    out.insert("ttsExternal".into(), tts.into());
    for key in ["conversationMode", "advancedMode"] {
        if let Some(v) = tab.get(key).filter(|v| !v.is_null()) {
            out.insert(key.into(), v.clone());
        }
    }
    for key in ["speechToText", "textToSpeech"] {
        match tab.get(key) {
            Some(Value::Object(inner)) => {
                for (k, v) in inner.iter().filter(|(_, v)| !v.is_null()) {
                    out.insert(k.clone(), v.clone());
                }
            }
            Some(v @ Value::Bool(_)) => {
                out.insert(key.into(), v.clone());
            }
            _ => {}
        }
    }
    for (engine, served) in [("engineSTT", stt), ("engineTTS", tts)] {
        if !served && out.get(engine).and_then(Value::as_str) == Some("external") {
            out.insert(engine.into(), "browser".into());
        }
    }
    Value::Object(out)
}

/// `GET /api/keys?name=` query.
#[derive(Debug, Deserialize)]
pub struct KeyQuery {
    #[serde(default)]
    name: Option<String>,
}

/// `GET /api/keys?name=`: `{expiresAt}` of the user's key for that endpoint — `null` both when
/// it never expires and when there is none, as in Node (the client then asks for one when the
/// endpoint is `userProvide`).
pub async fn get_key(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<KeyQuery>,
) -> Response {
    let name = q.name.unwrap_or_default();
    match state.services.keys.expiry(auth.user.id, &name).await {
        Ok(Some(Some(at))) => Json(json!({ "expiresAt": crate::types::iso(at) })).into_response(),
        Ok(_) => Json(json!({ "expiresAt": null })).into_response(),
        Err(e) => crate::convos::from_service(e),
    }
}

/// `PUT /api/keys` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutKey {
    name: String,
    value: String,
    #[serde(default)]
    expires_at: Option<String>,
}

/// `PUT /api/keys {name, value, expiresAt}`: stores the key encrypted; 201 with no body.
pub async fn put_key(
    State(state): State<AppState>,
    auth: AuthUser,
    crate::json::CompatJson(body): crate::json::CompatJson<PutKey>,
) -> Response {
    let expires = match body.expires_at.as_deref().map(str::trim) {
        None | Some("" | "never") => None,
        Some(text) => match chrono::DateTime::parse_from_rfc3339(text) {
            Ok(t) => Some(t.with_timezone(&chrono::Utc)),
            Err(_) => {
                return CompatError::new(StatusCode::BAD_REQUEST, "expiresAt must be an ISO date")
                    .into_response();
            }
        },
    };
    match state
        .services
        .keys
        .put(auth.user.id, &body.name, &body.value, expires)
        .await
    {
        Ok(()) => StatusCode::CREATED.into_response(),
        Err(e) => CompatError::from_service(e).into_response(),
    }
}

/// `DELETE /api/keys/{name}`: 204.
pub async fn delete_key(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(name): Path<String>,
) -> Response {
    match state.services.keys.delete(auth.user.id, &name).await {
        Ok(()) | Err(ferrochat_services::ServiceError::NotFound(_)) => {
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => CompatError::from_service(e).into_response(),
    }
}

/// `DELETE /api/keys?all=true` query.
#[derive(Debug, Deserialize)]
pub struct DeleteAllQuery {
    #[serde(default)]
    all: Option<String>,
}

/// `DELETE /api/keys?all=true`: 204; 400 without `all=true` (Node's contract).
pub async fn delete_keys(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<DeleteAllQuery>,
) -> Response {
    if q.all.as_deref() != Some("true") {
        return CompatError::new(
            StatusCode::BAD_REQUEST,
            "Specify either all=true to delete.",
        )
        .into_response();
    }
    match state.services.keys.delete_all(auth.user.id).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => CompatError::from_service(e).into_response(),
    }
}

/// `GET /api/agents/tools/calls`: no tool calls exist (no tools yet).
pub async fn tool_calls(_auth: AuthUser) -> Json<Value> {
    Json(json!([]))
}

/// `GET /api/agents/tools/{tool}/auth`: tools are not authenticated (no code interpreter, no
/// web search).
pub async fn tool_auth(_auth: AuthUser, Path(_tool): Path<String>) -> Json<Value> {
    Json(json!({ "authenticated": false, "message": "user_provided" }))
}
