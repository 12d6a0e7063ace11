//! `BackupStore` for both engines, stamped by [`impl_sql_stores!`](crate::impl_sql_stores):
//! the catalog statements differ per engine (see `sql::backup`), the walk is the same.

/// Reads the data tables, parents first, each with its columns and their kinds, through
/// transaction `$tx` (an expression block for the impls below).
#[doc(hidden)]
#[macro_export]
macro_rules! __backup_catalog {
    ($engine:expr, $tx:ident) => {{
        let engine: ferrochat_store::Engine = $engine;
        let names: Vec<(String,)> = sqlx::query_as(ferrochat_store::sql::backup::tables(engine))
            .fetch_all(&mut *$tx)
            .await?;
        let names: Vec<String> = names.into_iter().map(|(n,)| n).collect();
        let mut parents: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
            std::collections::BTreeMap::new();
        let mut columns: std::collections::BTreeMap<
            String,
            Vec<(String, ferrochat_store::sql::backup::Kind)>,
        > = std::collections::BTreeMap::new();
        for table in &names {
            let cols: Vec<(String, String)> =
                sqlx::query_as(ferrochat_store::sql::backup::columns(engine))
                    .bind(table)
                    .fetch_all(&mut *$tx)
                    .await?;
            let mut kinds = Vec::with_capacity(cols.len());
            for (name, declared) in cols {
                kinds.push((name, ferrochat_store::sql::backup::kind(engine, &declared)?));
            }
            columns.insert(table.clone(), kinds);
            let refs: Vec<(String,)> =
                sqlx::query_as(ferrochat_store::sql::backup::parents(engine))
                    .bind(table)
                    .fetch_all(&mut *$tx)
                    .await?;
            parents.insert(table.clone(), refs.into_iter().map(|(p,)| p).collect());
        }
        ferrochat_store::sql::backup::parents_first(&names, &parents)?
            .into_iter()
            .map(|t| {
                let cols = columns.remove(&t).unwrap_or_default();
                (t, cols)
            })
            .collect::<Vec<(String, Vec<(String, ferrochat_store::sql::backup::Kind)>)>>()
    }};
}

/// Implements `BackupStore` for an engine's store type.
#[doc(hidden)]
#[macro_export]
macro_rules! impl_sql_backup_store {
    ($store:ident, $engine:expr) => {
        const _: () = {
            use std::collections::{BTreeMap, BTreeSet};

            use async_trait::async_trait;
            use ferrochat_store::sql::backup::{self as q, Kind};
            use ferrochat_store::{
                BackupCounts, BackupStore, DumpSink, Engine, LoadItem, StoreError, StoreResult,
            };
            use serde_json::Value;
            use sqlx::Row as _;

            /// Most placeholders one insert may carry (SQLite allows 32,766).
            const MAX_PARAMS: usize = 30_000;
            /// Most rows one insert may carry.
            const MAX_ROWS: usize = 500;

            fn other(e: impl std::fmt::Display) -> StoreError {
                StoreError::Other(e.to_string().into())
            }

            #[async_trait]
            impl BackupStore for $store {
                async fn dump(&self, sink: &mut dyn DumpSink) -> StoreResult<BackupCounts> {
                    let engine: Engine = $engine;
                    let mut tx = self.pool.begin().await?;
                    if engine == Engine::Postgres {
                        // One snapshot for every table, however long the dump takes.
                        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query("SET LOCAL statement_timeout = 0")
                            .execute(&mut *tx)
                            .await?;
                    }
                    let tables = $crate::__backup_catalog!(engine, tx);
                    let mut counts = BackupCounts::default();
                    for (table, columns) in &tables {
                        let names: Vec<String> = columns.iter().map(|(c, _)| c.clone()).collect();
                        sink.table(table, &names).map_err(other)?;
                        counts.tables += 1;
                        let sql = q::select(table, &names);
                        let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *tx);
                        let mut values: Vec<Value> = Vec::with_capacity(columns.len());
                        while let Some(row) = futures_util::TryStreamExt::try_next(&mut rows).await? {
                            values.clear();
                            for (i, (_, kind)) in columns.iter().enumerate() {
                                values.push(match kind {
                                    Kind::Text => row
                                        .try_get::<Option<String>, _>(i)?
                                        .map_or(Value::Null, Value::String),
                                    Kind::Int => row
                                        .try_get::<Option<i64>, _>(i)?
                                        .map_or(Value::Null, Value::from),
                                    Kind::Int4 => row
                                        .try_get::<Option<i32>, _>(i)?
                                        .map_or(Value::Null, Value::from),
                                    Kind::Bool => row
                                        .try_get::<Option<bool>, _>(i)?
                                        .map_or(Value::Null, Value::Bool),
                                });
                            }
                            sink.row(&values).map_err(other)?;
                            counts.rows += 1;
                        }
                    }
                    tx.commit().await?;
                    Ok(counts)
                }

                async fn is_empty(&self) -> StoreResult<bool> {
                    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM users")
                        .fetch_one(&self.pool)
                        .await?;
                    Ok(n == 0)
                }

                async fn load(
                    &self,
                    items: &mut (dyn Iterator<Item = Result<LoadItem, String>> + Send),
                ) -> StoreResult<BackupCounts> {
                    let engine: Engine = $engine;
                    let _turn = match &self.write_gate {
                        Some(gate) => Some(gate.lock().await),
                        None => None,
                    };
                    let mut tx = self.begin_write().await?;
                    if engine == Engine::Postgres {
                        sqlx::query("SET LOCAL statement_timeout = 0")
                            .execute(&mut *tx)
                            .await?;
                    }
                    let known: BTreeMap<String, Vec<(String, Kind)>> =
                        $crate::__backup_catalog!(engine, tx).into_iter().collect();
                    let mut counts = BackupCounts::default();
                    // The current table, its columns' kinds in the dump's order, and rows
                    // waiting to be inserted.
                    let mut current: Option<(String, Vec<String>, Vec<Kind>)> = None;
                    let mut pending: Vec<Vec<Value>> = Vec::new();
                    let mut seen: BTreeSet<String> = BTreeSet::new();
                    loop {
                        let mut item = items.next().transpose().map_err(other)?;
                        let flush = match &item {
                            None | Some(LoadItem::Table { .. }) => true,
                            Some(LoadItem::Row(_)) => false,
                        };
                        if let Some(LoadItem::Row(values)) = &mut item {
                            let values = std::mem::take(values);
                            let Some((table, names, kinds)) = &current else {
                                return Err(other("a row before any table"));
                            };
                            if values.len() != kinds.len() {
                                return Err(other(format!(
                                    "a row of {table} has {} values for {} columns",
                                    values.len(),
                                    names.len()
                                )));
                            }
                            for (value, (kind, column)) in
                                values.iter().zip(kinds.iter().zip(names))
                            {
                                q::check(*kind, value)
                                    .map_err(|e| other(format!("{table}.{column}: {e}")))?;
                            }
                            pending.push(values);
                            counts.rows += 1;
                        }
                        let full = current.as_ref().is_some_and(|(_, names, _)| {
                            pending.len() >= MAX_ROWS
                                || (pending.len() + 1) * names.len().max(1) > MAX_PARAMS
                        });
                        if (flush || full) && !pending.is_empty() {
                            if let Some((table, names, kinds)) = &current {
                                let sql = q::insert(table, names, pending.len());
                                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                                for row in pending.drain(..) {
                                    for (value, kind) in row.into_iter().zip(kinds) {
                                        query = match kind {
                                            Kind::Text => query.bind(match value {
                                                Value::String(s) => Some(s),
                                                _ => None,
                                            }),
                                            Kind::Int => query.bind(value.as_i64()),
                                            Kind::Int4 => query.bind(
                                                value.as_i64().and_then(|v| i32::try_from(v).ok()),
                                            ),
                                            Kind::Bool => query.bind(match value {
                                                Value::Bool(b) => Some(b),
                                                Value::Number(n) => n.as_i64().map(|v| v == 1),
                                                _ => None,
                                            }),
                                        };
                                    }
                                }
                                query.execute(&mut *tx).await?;
                            }
                        }
                        match item {
                            None => break,
                            Some(LoadItem::Row(_)) => {}
                            Some(LoadItem::Table { name, columns }) => {
                                let Some(target) = known.get(&name) else {
                                    return Err(other(format!(
                                        "the backup has a table {name} this version does not know (made by a newer ferrochat?)"
                                    )));
                                };
                                if !seen.insert(name.clone()) {
                                    return Err(other(format!("table {name} appears twice")));
                                }
                                let mut kinds = Vec::with_capacity(columns.len());
                                for column in &columns {
                                    let Some((_, kind)) = target.iter().find(|(c, _)| c == column)
                                    else {
                                        return Err(other(format!(
                                            "the backup has a column {name}.{column} this version does not know"
                                        )));
                                    };
                                    kinds.push(*kind);
                                }
                                counts.tables += 1;
                                current = Some((name, columns, kinds));
                            }
                        }
                    }
                    tx.commit().await?;
                    Ok(counts)
                }
            }
        };
    };
}
