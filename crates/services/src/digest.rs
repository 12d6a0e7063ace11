//! The weekly digest: users who subscribe get one email a week with what they did (messages,
//! conversations, answers and tokens per model, the busiest conversations).
//!
//! The week ends at 00:00 UTC of the configured day and the digest goes out at the configured
//! time that day. Every instance runs the schedule; each user's week is claimed with a
//! compare-and-swap on their subscription row before anything is built, so it is sent once
//! however many instances run. A digest that cannot be sent gives its claim back and is
//! retried at the next tick; a week without activity is claimed and not sent.
//!
//! Unsubscribing needs no sign-in: the email's link carries an HMAC of the user's ID (keyed
//! from a server secret), and the `List-Unsubscribe` headers let mail clients do it in one
//! click (RFC 8058).

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc};
use ferrochat_core::UserId;
use ferrochat_mail::Mailer;
use ferrochat_mail::templates::{WeeklyDigest, weekly_digest};
use ferrochat_store::{DigestRecipient, DynStore, UsageGroup, UsageQuery};
use hmac::Mac as _;

use crate::{Clock, ServiceError, ServiceResult};

/// Subscribers handled per page of the due list.
const PAGE: u32 = 100;
/// Conversations listed in a digest.
const TOP: usize = 5;
/// Conversations read to count a week's activity.
const MAX_ACTIVE: u32 = 1000;
/// How often the schedule looks for due digests (and retries failed ones).
const TICK: StdDuration = StdDuration::from_secs(10 * 60);

/// What the digest may do, from the configuration.
#[derive(Clone, Debug)]
pub struct DigestPolicy {
    /// Users may subscribe and subscribers get it: on in the configuration, and mail really
    /// leaves the machine.
    pub enabled: bool,
    /// The day it goes out: days from Monday (0-6), UTC.
    pub day: u32,
    /// The time it goes out that day: minutes from midnight, UTC.
    pub minute: u32,
    /// The client's address, for links to conversations.
    pub client_url: String,
    /// The server's public address, for the unsubscribe link.
    pub server_url: String,
    /// Signs unsubscribe links (derived from a server secret).
    pub key: Vec<u8>,
}

/// A user's subscription, as the doors show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestStatus {
    /// Whether the server sends digests at all.
    pub available: bool,
    /// When the user subscribed; `None`: not subscribed.
    pub subscribed_at: Option<DateTime<Utc>>,
    /// When the next digest goes out.
    pub next_at: DateTime<Utc>,
}

/// What one run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DigestRun {
    /// The start of the week it covered.
    pub week_start: Option<DateTime<Utc>>,
    /// Digests sent.
    pub sent: u32,
    /// Weeks claimed without activity (nothing sent).
    pub quiet: u32,
    /// Digests that could not be sent (retried at the next run).
    pub failed: u32,
}

/// Weekly digests.
#[derive(Clone)]
pub struct DigestService {
    store: DynStore,
    clock: Arc<dyn Clock>,
    mailer: Arc<dyn Mailer>,
    policy: Arc<DigestPolicy>,
}

impl DigestService {
    /// Builds the service.
    pub fn new(
        store: DynStore,
        clock: Arc<dyn Clock>,
        mailer: Arc<dyn Mailer>,
        policy: DigestPolicy,
    ) -> Self {
        Self {
            store,
            clock,
            mailer,
            policy: Arc::new(policy),
        }
    }

    /// Whether digests are sent.
    pub fn enabled(&self) -> bool {
        self.policy.enabled
    }

    fn due_week(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        due_week(&self.policy, now)
    }

    fn next_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        next_at(&self.policy, now)
    }

    /// The user's subscription.
    pub async fn status(&self, user_id: UserId) -> ServiceResult<DigestStatus> {
        Ok(DigestStatus {
            available: self.policy.enabled,
            subscribed_at: self.store.digest_subscription(user_id).await?,
            next_at: self.next_at(self.clock.now()),
        })
    }

    /// Subscribes or unsubscribes the user. The first digest covers the first week that ends
    /// after subscribing.
    pub async fn set(&self, user_id: UserId, subscribed: bool) -> ServiceResult<DigestStatus> {
        if subscribed {
            if !self.policy.enabled {
                return Err(ServiceError::Forbidden(
                    "this server sends no weekly digest (it is turned off, or no mail server is configured)",
                ));
            }
            let now = self.clock.now();
            self.store
                .subscribe_digest(user_id, self.due_week(now), now)
                .await?;
        } else {
            self.store.unsubscribe_digest(user_id).await?;
        }
        self.status(user_id).await
    }

    /// The token of the user's unsubscribe link.
    pub fn unsubscribe_token(&self, user_id: UserId) -> String {
        unsubscribe_token(&self.policy.key, user_id)
    }

    fn token_user(&self, token: &str) -> ServiceResult<UserId> {
        token_user(&self.policy.key, token)
    }

    /// Checks an unsubscribe token; the address it is for (to show before confirming).
    pub async fn token_email(&self, token: &str) -> ServiceResult<String> {
        let user_id = self.token_user(token)?;
        Ok(self.store.user_by_id(user_id).await?.email)
    }

    /// Unsubscribes the user an unsubscribe link names (idempotent).
    pub async fn unsubscribe_by_token(&self, token: &str) -> ServiceResult<()> {
        let user_id = self.token_user(token)?;
        self.store.unsubscribe_digest(user_id).await?;
        Ok(())
    }

    /// Sends every digest due now (the schedule calls it; so does an administrator).
    pub async fn send_due(&self) -> ServiceResult<DigestRun> {
        let mut run = DigestRun::default();
        if !self.policy.enabled {
            return Ok(run);
        }
        let week = self.due_week(self.clock.now());
        run.week_start = Some(week);
        let mut after = None;
        loop {
            let page = self.store.digest_due(week, after, PAGE).await?;
            let Some(last) = page.last() else {
                break;
            };
            after = Some((last.last_week, last.user_id));
            for recipient in &page {
                if !self.store.claim_digest(recipient.user_id, week).await? {
                    continue;
                }
                match self.send_one(recipient, week).await {
                    Ok(true) => run.sent += 1,
                    Ok(false) => run.quiet += 1,
                    Err(e) => {
                        tracing::warn!(user = %recipient.user_id, error = %e, "weekly digest not sent; retried at the next run");
                        run.failed += 1;
                        self.store
                            .release_digest(recipient.user_id, week, recipient.last_week)
                            .await?;
                    }
                }
            }
            if page.len() < PAGE as usize {
                break;
            }
        }
        Ok(run)
    }

    /// Builds and sends one user's digest; `false` when the week was quiet.
    async fn send_one(&self, to: &DigestRecipient, week: DateTime<Utc>) -> ServiceResult<bool> {
        let end = week + Duration::days(7);
        let by_model = self
            .store
            .usage(&UsageQuery {
                user: Some(to.user_id),
                from: week,
                to: end,
                group: Some(UsageGroup::Model),
            })
            .await?;
        let active = self
            .store
            .active_conversations(to.user_id, week, end, MAX_ACTIVE)
            .await?;
        let answers: i64 = by_model.iter().map(|r| r.answers).sum();
        if active.is_empty() && answers == 0 {
            return Ok(false);
        }
        let mut models: Vec<(String, i64)> = by_model
            .iter()
            .map(|r| (r.key.clone(), r.answers))
            .collect();
        models.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let client = self.policy.client_url.trim_end_matches('/');
        let digest = WeeklyDigest {
            period: period(week, end),
            conversations: active.len(),
            messages: active.iter().map(|c| c.messages).sum(),
            answers,
            tokens: by_model
                .iter()
                .map(|r| r.prompt_tokens + r.completion_tokens)
                .sum(),
            models,
            top: active
                .iter()
                .take(TOP)
                .map(|c| (c.title.clone(), c.messages, format!("{client}/c/{}", c.id)))
                .collect(),
            app_link: format!("{client}/"),
            unsubscribe_link: format!(
                "{}/api/v1/digest/unsubscribe?token={}",
                self.policy.server_url.trim_end_matches('/'),
                self.unsubscribe_token(to.user_id)
            ),
        };
        self.mailer
            .send(weekly_digest(&to.email, &to.name, &digest))
            .await
            .map_err(|e| ServiceError::Unavailable(format!("mail: {e}")))?;
        Ok(true)
    }

    /// Sends due digests every few minutes, forever (from the server).
    pub async fn run_schedule(self) {
        if !self.policy.enabled {
            return;
        }
        loop {
            match self.send_due().await {
                Ok(run) if run.sent + run.quiet + run.failed > 0 => tracing::info!(
                    week = %run.week_start.map(|w| w.date_naive().to_string()).unwrap_or_default(),
                    sent = run.sent,
                    quiet = run.quiet,
                    failed = run.failed,
                    "weekly digests"
                ),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "weekly digests failed"),
            }
            tokio::time::sleep(TICK).await;
        }
    }
}

/// The start of the last week whose send time has passed at `now`.
fn due_week(policy: &DigestPolicy, now: DateTime<Utc>) -> DateTime<Utc> {
    let midnight = Utc.from_utc_datetime(&now.date_naive().and_time(NaiveTime::MIN));
    let back =
        (i64::from(now.weekday().num_days_from_monday()) - i64::from(policy.day)).rem_euclid(7);
    let mut send_day = midnight - Duration::days(back);
    if now < send_day + Duration::minutes(i64::from(policy.minute)) {
        send_day -= Duration::days(7);
    }
    send_day - Duration::days(7)
}

/// When the first digest after `now` goes out.
fn next_at(policy: &DigestPolicy, now: DateTime<Utc>) -> DateTime<Utc> {
    due_week(policy, now) + Duration::days(14) + Duration::minutes(i64::from(policy.minute))
}

fn mac(key: &[u8], user_id: UserId) -> Option<hmac::Hmac<sha2::Sha256>> {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).ok()?;
    mac.update(format!("digest-unsubscribe/{user_id}").as_bytes());
    Some(mac)
}

/// The user's ID and an HMAC of it.
fn unsubscribe_token(key: &[u8], user_id: UserId) -> String {
    let tag = mac(key, user_id)
        .map(|m| hex::encode(m.finalize().into_bytes()))
        .unwrap_or_default();
    format!("{user_id}.{tag}")
}

/// The user a token names, when its HMAC is right.
fn token_user(key: &[u8], token: &str) -> ServiceResult<UserId> {
    let bad = || ServiceError::invalid("token", "not a valid unsubscribe link");
    let (id, tag) = token.trim().split_once('.').ok_or_else(bad)?;
    let user_id: UserId = id.parse().map_err(|_| bad())?;
    let tag = hex::decode(tag).map_err(|_| bad())?;
    let mac = mac(key, user_id).ok_or_else(bad)?;
    mac.verify_slice(&tag).map_err(|_| bad())?;
    Ok(user_id)
}

/// `16–22 November 2026`, `30 November – 6 December 2026`, `29 December 2025 – 4 January 2026`.
fn period(start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    let last = end - Duration::days(1);
    if start.year() != last.year() {
        format!(
            "{} – {}",
            start.format("%-d %B %Y"),
            last.format("%-d %B %Y")
        )
    } else if start.month() != last.month() {
        format!("{} – {}", start.format("%-d %B"), last.format("%-d %B %Y"))
    } else {
        format!("{}–{}", start.format("%-d"), last.format("%-d %B %Y"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(day: u32, minute: u32) -> DigestPolicy {
        DigestPolicy {
            enabled: true,
            day,
            minute,
            client_url: "https://chat.example".into(),
            server_url: "https://chat.example".into(),
            key: b"key".to_vec(),
        }
    }

    fn weeks(policy: DigestPolicy) -> impl Fn(&str) -> String {
        move |now: &str| {
            let now: DateTime<Utc> = now.parse().unwrap();
            format!(
                "{} {}",
                due_week(&policy, now).to_rfc3339(),
                next_at(&policy, now).to_rfc3339()
            )
        }
    }

    #[test]
    fn the_due_week_ends_on_the_send_day_once_its_time_has_passed() {
        // Mondays 08:00; 2026-11-23 is a Monday.
        let at = weeks(policy(0, 480));
        assert_eq!(
            at("2026-11-23T08:00:00Z"),
            "2026-11-16T00:00:00+00:00 2026-11-30T08:00:00+00:00"
        );
        assert_eq!(
            at("2026-11-23T07:59:59Z"),
            "2026-11-09T00:00:00+00:00 2026-11-23T08:00:00+00:00"
        );
        assert_eq!(
            at("2026-11-29T23:00:00Z"),
            "2026-11-16T00:00:00+00:00 2026-11-30T08:00:00+00:00"
        );
        // Fridays 17:30; 2026-11-27 is a Friday.
        let at = weeks(policy(4, 17 * 60 + 30));
        assert_eq!(
            at("2026-11-27T18:00:00Z"),
            "2026-11-20T00:00:00+00:00 2026-12-04T17:30:00+00:00"
        );
        assert_eq!(
            at("2026-11-26T12:00:00Z"),
            "2026-11-13T00:00:00+00:00 2026-11-27T17:30:00+00:00"
        );
    }

    #[test]
    fn periods_read_naturally() {
        let d = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            period(d("2026-11-16T00:00:00Z"), d("2026-11-23T00:00:00Z")),
            "16–22 November 2026"
        );
        assert_eq!(
            period(d("2026-11-30T00:00:00Z"), d("2026-12-07T00:00:00Z")),
            "30 November – 6 December 2026"
        );
        assert_eq!(
            period(d("2025-12-29T00:00:00Z"), d("2026-01-05T00:00:00Z")),
            "29 December 2025 – 4 January 2026"
        );
    }

    #[test]
    fn unsubscribe_tokens_are_checked() {
        let user = UserId::new();
        let token = unsubscribe_token(b"key", user);
        assert_eq!(token_user(b"key", &token).unwrap(), user);
        assert!(token_user(b"other key", &token).is_err());
        let other = UserId::new();
        let forged = format!("{other}.{}", token.split_once('.').unwrap().1);
        for bad in [forged.as_str(), "", "x.y", &token[..token.len() - 2]] {
            assert!(token_user(b"key", bad).is_err(), "{bad}");
        }
    }
}
