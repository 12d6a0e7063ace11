//! Usage analytics: answers, tokens, credits and speed per day, model, endpoint or user, read
//! from the generation records the chat engine writes with every answer (so the figures are
//! exactly what was stored and charged).

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use ferrochat_core::UserId;
use ferrochat_store::{DynStore, UsageQuery};

/// The breakdowns (re-exported for the doors).
pub use ferrochat_store::{UsageGroup, UsageRow};

use crate::{Clock, ServiceError, ServiceResult};

/// Default period: the last 30 days.
const DEFAULT_DAYS: i64 = 30;
/// Longest period.
const MAX_DAYS: i64 = 366;
/// Most groups reported when grouping by user (the heaviest users first).
const MAX_USER_GROUPS: usize = 100;

/// Usage over a period.
#[derive(Clone, Debug)]
pub struct UsageReport {
    /// From (inclusive).
    pub from: DateTime<Utc>,
    /// To (exclusive).
    pub to: DateTime<Utc>,
    /// Everything in the period.
    pub totals: UsageRow,
    /// The breakdown (days as `YYYY-MM-DD`, every day of the period present).
    pub groups: Vec<UsageRow>,
}

/// Usage analytics.
#[derive(Clone)]
pub struct UsageService {
    store: DynStore,
    clock: Arc<dyn Clock>,
}

impl UsageService {
    /// Builds the service.
    pub fn new(store: DynStore, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Usage of one user (`Some`) or of everyone, over `[from, to)` (default: the last 30
    /// days; at most 366), broken down by `group`.
    pub async fn report(
        &self,
        user: Option<UserId>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        group: Option<UsageGroup>,
    ) -> ServiceResult<UsageReport> {
        let to = to.unwrap_or_else(|| self.clock.now());
        let from = from.unwrap_or(to - Duration::days(DEFAULT_DAYS));
        if from >= to {
            return Err(ServiceError::invalid("from", "must be before to"));
        }
        if to - from > Duration::days(MAX_DAYS) {
            return Err(ServiceError::invalid(
                "from",
                format!("the period may span at most {MAX_DAYS} days"),
            ));
        }
        if group == Some(UsageGroup::User) && user.is_some() {
            return Err(ServiceError::invalid(
                "group_by",
                "user is for administrators",
            ));
        }
        let totals = self
            .store
            .usage(&UsageQuery {
                user,
                from,
                to,
                group: None,
            })
            .await?
            .into_iter()
            .next()
            .unwrap_or_default();
        let mut groups = match group {
            None => Vec::new(),
            Some(g) => {
                self.store
                    .usage(&UsageQuery {
                        user,
                        from,
                        to,
                        group: Some(g),
                    })
                    .await?
            }
        };
        match group {
            Some(UsageGroup::Day) => groups = every_day(groups, from, to),
            Some(UsageGroup::User) => {
                groups.sort_by(|a, b| {
                    (b.prompt_tokens + b.completion_tokens)
                        .cmp(&(a.prompt_tokens + a.completion_tokens))
                        .then_with(|| a.key.cmp(&b.key))
                });
                groups.truncate(MAX_USER_GROUPS);
            }
            _ => {}
        }
        Ok(UsageReport {
            from,
            to,
            totals: UsageRow {
                key: String::new(),
                ..totals
            },
            groups,
        })
    }
}

/// Parses a breakdown name (`none` for totals only).
pub fn parse_group(text: &str) -> Option<Option<UsageGroup>> {
    match text {
        "none" => Some(None),
        "day" => Some(Some(UsageGroup::Day)),
        "model" => Some(Some(UsageGroup::Model)),
        "endpoint" => Some(Some(UsageGroup::Endpoint)),
        "user" => Some(Some(UsageGroup::User)),
        _ => None,
    }
}

/// Day-number keys as dates, with a zero row for every day of the period without answers.
fn every_day(rows: Vec<UsageRow>, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<UsageRow> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let day_of = |t: DateTime<Utc>| t.timestamp_millis().div_euclid(86_400_000);
    let first = day_of(from);
    let last = day_of(to - Duration::milliseconds(1));
    (first..=last)
        .map(|day| {
            let key = (epoch + Duration::days(day)).format("%Y-%m-%d").to_string();
            match rows.iter().find(|r| r.key.parse::<i64>().ok() == Some(day)) {
                Some(r) => UsageRow { key, ..r.clone() },
                None => UsageRow {
                    key,
                    ..UsageRow::default()
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_dates_and_gaps_are_zero() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let rows = vec![UsageRow {
            key: "20418".into(),
            answers: 2,
            ..UsageRow::default()
        }];
        let days = every_day(rows, at("2025-11-25T12:00:00Z"), at("2025-11-28T00:00:00Z"));
        assert_eq!(
            days.iter()
                .map(|d| (d.key.as_str(), d.answers))
                .collect::<Vec<_>>(),
            [("2025-11-25", 0), ("2025-11-26", 2), ("2025-11-27", 0)]
        );
    }
}
