//! `UsageStore` for both engines, stamped by [`impl_sql_stores!`](crate::impl_sql_stores) like
//! the other aggregates (see `shared_impls`).

/// Implements `UsageStore` for an engine's store type.
#[doc(hidden)]
#[macro_export]
macro_rules! impl_sql_usage_store {
    ($store:ident) => {
        const _: () = {
            use async_trait::async_trait;
            use ferrochat_store::sql::time::to_millis;
            use ferrochat_store::sql::usage::{self as q, UsageRowSql};
            use ferrochat_store::{StoreResult, UsageQuery, UsageRow, UsageStore};

            #[async_trait]
            impl UsageStore for $store {
                async fn usage(&self, query: &UsageQuery) -> StoreResult<Vec<UsageRow>> {
                    self.profiler
                        .run("usage.sums", async {
                            let mut statement = sqlx::query_as::<_, UsageRowSql>(
                                sqlx::AssertSqlSafe(q::usage(query)),
                            )
                            .bind(to_millis(query.from))
                            .bind(to_millis(query.to));
                            if let Some(user) = query.user {
                                statement = statement.bind(user.to_string());
                            }
                            let rows = statement.fetch_all(&self.pool).await?;
                            Ok(rows.into_iter().map(UsageRow::from).collect())
                        })
                        .await
                }
            }
        };
    };
}
