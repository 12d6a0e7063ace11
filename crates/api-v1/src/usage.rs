//! Usage analytics: `/api/v1/me/usage` for the caller, `/api/v1/admin/usage` for everyone
//! (administrators). Figures come from the record stored with every answer.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use ferrochat_services::ServiceError;
use ferrochat_services::usage::{UsageGroup, UsageReport, UsageRow, parse_group};
use ferrochat_web::json::ApiQuery;
use ferrochat_web::{AdminUser, ApiError, AppState, AuthUser};
use serde::{Deserialize, Serialize};

use crate::dto::rfc3339;

/// Sums over a set of answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UsageDto {
    /// The group: a day (`YYYY-MM-DD`, UTC), model, endpoint or user ID; absent in totals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Answers.
    pub answers: i64,
    /// Of which completed.
    pub completed: i64,
    /// Of which stopped by the user.
    pub aborted: i64,
    /// Of which failed.
    pub errors: i64,
    /// Prompt tokens (the provider's count when it reports one, else an estimate).
    pub prompt_tokens: i64,
    /// Answer tokens.
    pub completion_tokens: i64,
    /// Credits charged (1,000,000 = 1 USD; 0 when balances are off).
    pub token_cost: i64,
    /// Mean time to first token (ms) of the answers that had one.
    pub avg_ttft_ms: Option<f64>,
    /// Mean total time (ms).
    pub avg_duration_ms: Option<f64>,
    /// Distinct users.
    pub users: i64,
}

fn dto(row: &UsageRow, key: bool) -> UsageDto {
    UsageDto {
        key: key.then(|| row.key.clone()),
        answers: row.answers,
        completed: row.completed,
        aborted: row.aborted,
        errors: row.errors,
        prompt_tokens: row.prompt_tokens,
        completion_tokens: row.completion_tokens,
        token_cost: row.token_cost,
        avg_ttft_ms: row.avg_ttft_ms.map(|v| (v * 10.0).round() / 10.0),
        avg_duration_ms: row.avg_duration_ms.map(|v| (v * 10.0).round() / 10.0),
        users: row.users,
    }
}

/// Usage over a period.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UsageReportDto {
    /// RFC 3339, inclusive.
    pub from: String,
    /// RFC 3339, exclusive.
    pub to: String,
    /// The breakdown asked for.
    pub group_by: String,
    /// Everything in the period.
    pub totals: UsageDto,
    /// Per group (days: every day of the period, in order).
    pub groups: Vec<UsageDto>,
}

/// Query of both usage routes.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UsageParams {
    /// RFC 3339 start (default: 30 days before `to`).
    pub from: Option<DateTime<Utc>>,
    /// RFC 3339 end (default: now); at most 366 days after `from`.
    pub to: Option<DateTime<Utc>>,
    /// `day` (default), `model`, `endpoint`, `none`; administrators also `user`.
    pub group_by: Option<String>,
}

async fn report(
    state: &AppState,
    user: Option<ferrochat_core::UserId>,
    q: UsageParams,
) -> Result<Json<UsageReportDto>, ApiError> {
    let name = q.group_by.unwrap_or_else(|| "day".into());
    let group: Option<UsageGroup> = parse_group(&name).ok_or_else(|| {
        ServiceError::invalid("group_by", "must be day, model, endpoint, user or none")
    })?;
    let r: UsageReport = state
        .services
        .usage
        .report(user, q.from, q.to, group)
        .await?;
    Ok(Json(UsageReportDto {
        from: rfc3339(r.from),
        to: rfc3339(r.to),
        group_by: name,
        totals: dto(&r.totals, false),
        groups: r.groups.iter().map(|g| dto(g, true)).collect(),
    }))
}

/// `GET /api/v1/me/usage`: the caller's answers, tokens, credits and speed.
#[utoipa::path(
    get,
    path = "/api/v1/me/usage",
    operation_id = "get_my_usage",
    tag = "me",
    summary = "The caller's usage over a period",
    params(UsageParams),
    responses((status = 200, body = UsageReportDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn mine(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiQuery(q): ApiQuery<UsageParams>,
) -> Result<Json<UsageReportDto>, ApiError> {
    report(&state, Some(auth.user.id), q).await
}

/// `GET /api/v1/admin/usage`: everyone's; `group_by=user` lists the 100 heaviest users.
#[utoipa::path(
    get,
    path = "/api/v1/admin/usage",
    operation_id = "get_usage",
    tag = "admin",
    summary = "Usage of the whole server over a period",
    params(UsageParams),
    responses((status = 200, body = UsageReportDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn everyone(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiQuery(q): ApiQuery<UsageParams>,
) -> Result<Json<UsageReportDto>, ApiError> {
    report(&state, None, q).await
}
