//! `UserStore` on PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ferrochat_core::{NewUser, Role, User, UserId};
use ferrochat_store::sql::{time::to_millis, users as q, users::UserRow};
use ferrochat_store::{StoreResult, UserPage, UserStore};

use crate::PgStore;

#[async_trait]
impl UserStore for PgStore {
    async fn create_user(&self, new: NewUser, now: DateTime<Utc>) -> StoreResult<User> {
        self.profiler
            .run("users.create", async {
                let row: UserRow = sqlx::query_as(q::INSERT)
                    .bind(UserId::new().to_string())
                    .bind(new.email)
                    .bind(new.username)
                    .bind(new.name)
                    .bind(new.provider)
                    .bind(new.role.as_str())
                    .bind(new.password_hash)
                    .bind(new.email_verified)
                    .bind(to_millis(now))
                    .fetch_one(&self.pool)
                    .await?;
                row.try_into()
            })
            .await
    }

    async fn user_by_id(&self, id: UserId) -> StoreResult<User> {
        self.profiler
            .run("users.by_id", async {
                let row: UserRow = sqlx::query_as(q::BY_ID)
                    .bind(id.to_string())
                    .fetch_one(&self.pool)
                    .await?;
                row.try_into()
            })
            .await
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<User> {
        self.profiler
            .run("users.by_email", async {
                let row: UserRow = sqlx::query_as(q::BY_EMAIL)
                    .bind(email)
                    .fetch_one(&self.pool)
                    .await?;
                row.try_into()
            })
            .await
    }

    async fn list_users(&self, after: Option<UserId>, limit: u32) -> StoreResult<UserPage> {
        self.profiler
            .run("users.list", async {
                // One extra row tells whether another page exists without a COUNT.
                let fetch = i64::from(limit) + 1;
                let rows: Vec<UserRow> = match after {
                    None => sqlx::query_as(q::LIST_FIRST).bind(fetch),
                    Some(id) => sqlx::query_as(q::LIST_AFTER)
                        .bind(id.to_string())
                        .bind(fetch),
                }
                .fetch_all(&self.pool)
                .await?;
                ferrochat_store::sql::users::page(rows, limit)
            })
            .await
    }

    async fn count_users(&self) -> StoreResult<u64> {
        self.profiler
            .run("users.count", async {
                let n: i64 = sqlx::query_scalar(q::COUNT).fetch_one(&self.pool).await?;
                Ok(u64::try_from(n).unwrap_or(0))
            })
            .await
    }

    async fn set_user_role(&self, id: UserId, role: Role, now: DateTime<Utc>) -> StoreResult<User> {
        self.profiler
            .run("users.set_role", async {
                let row: UserRow = sqlx::query_as(q::SET_ROLE)
                    .bind(id.to_string())
                    .bind(role.as_str())
                    .bind(to_millis(now))
                    .fetch_one(&self.pool)
                    .await?;
                row.try_into()
            })
            .await
    }

    async fn set_user_banned(
        &self,
        id: UserId,
        banned: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<User> {
        self.profiler
            .run("users.set_banned", async {
                let row: UserRow = sqlx::query_as(q::SET_BANNED)
                    .bind(id.to_string())
                    .bind(banned)
                    .bind(to_millis(now))
                    .fetch_one(&self.pool)
                    .await?;
                row.try_into()
            })
            .await
    }

    async fn user_by_identity(&self, provider: &str, subject: &str) -> StoreResult<User> {
        self.profiler
            .run("users.by_identity", async {
                let row: UserRow = sqlx::query_as(q::BY_IDENTITY)
                    .bind(provider)
                    .bind(subject)
                    .fetch_one(&self.pool)
                    .await?;
                row.try_into()
            })
            .await
    }

    async fn link_identity(
        &self,
        provider: &str,
        subject: &str,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.profiler
            .run("users.link_identity", async {
                sqlx::query(q::LINK_IDENTITY)
                    .bind(provider)
                    .bind(subject)
                    .bind(user_id.to_string())
                    .bind(to_millis(now))
                    .execute(&self.pool)
                    .await?;
                Ok(())
            })
            .await
    }

    async fn set_terms_accepted(
        &self,
        id: UserId,
        accepted: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.profiler
            .run("users.set_terms_accepted", async {
                let done = sqlx::query(q::SET_TERMS_ACCEPTED)
                    .bind(id.to_string())
                    .bind(accepted)
                    .bind(to_millis(now))
                    .execute(&self.pool)
                    .await?;
                ferrochat_store::sql::expect_one(done.rows_affected())
            })
            .await
    }

    async fn set_email_verified(&self, id: UserId, now: DateTime<Utc>) -> StoreResult<()> {
        self.profiler
            .run("users.set_email_verified", async {
                let done = sqlx::query(q::SET_EMAIL_VERIFIED)
                    .bind(id.to_string())
                    .bind(to_millis(now))
                    .execute(&self.pool)
                    .await?;
                ferrochat_store::sql::expect_one(done.rows_affected())
            })
            .await
    }

    async fn set_password_hash(
        &self,
        id: UserId,
        hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.profiler
            .run("users.set_password_hash", async {
                let done = sqlx::query(q::SET_PASSWORD_HASH)
                    .bind(id.to_string())
                    .bind(hash)
                    .bind(to_millis(now))
                    .execute(&self.pool)
                    .await?;
                ferrochat_store::sql::expect_one(done.rows_affected())
            })
            .await
    }

    async fn delete_user(&self, id: UserId) -> StoreResult<()> {
        self.profiler
            .run("users.delete", async {
                let done = sqlx::query(q::DELETE)
                    .bind(id.to_string())
                    .execute(&self.pool)
                    .await?;
                ferrochat_store::sql::expect_one(done.rows_affected())
            })
            .await
    }
}
