//! Catalog statements and helpers for dumps and loads (see [`crate::BackupStore`]).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::{Engine, StoreError};

/// The data tables: not the migration ledger, not SQLite's internals, not the SQLite search
/// index and its queue (triggers refill them from the messages as they load).
pub fn tables(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_sqlx%' ESCAPE '\\' \
             AND name NOT LIKE 'message\\_search%' ESCAPE '\\' ORDER BY name"
        }
        Engine::Postgres => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
             AND table_name NOT LIKE '\\_sqlx%' ORDER BY table_name"
        }
    }
}

/// Columns of table $1 with their declared types, in order; PostgreSQL's generated columns
/// (the search vector) are left out: they are computed again.
pub fn columns(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => "SELECT name, type FROM pragma_table_info($1) ORDER BY cid",
        Engine::Postgres => {
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 \
             AND is_generated = 'NEVER' ORDER BY ordinal_position"
        }
    }
}

/// Tables that table $1's foreign keys reference.
pub fn parents(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list($1)",
        Engine::Postgres => {
            "SELECT DISTINCT p.relname::text FROM pg_constraint k \
             JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid \
             WHERE k.contype = 'f' AND c.relname = $1 \
             AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())"
        }
    }
}

/// How a column's values are read and bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Text.
    Text,
    /// A 64-bit integer (SQLite's every integer; PostgreSQL's bigint).
    Int,
    /// PostgreSQL's 32-bit integer.
    Int4,
    /// A boolean (0/1 in SQLite).
    Bool,
}

/// The kind of a declared column type; other types are refused, so a new one cannot be
/// skipped silently.
pub fn kind(engine: Engine, declared: &str) -> Result<Kind, StoreError> {
    let t = declared.to_ascii_lowercase();
    Ok(match (engine, t.as_str()) {
        (_, "text") => Kind::Text,
        (_, "boolean") => Kind::Bool,
        (_, "bigint") => Kind::Int,
        (Engine::Sqlite, "integer") => Kind::Int,
        (Engine::Postgres, "integer") => Kind::Int4,
        _ => {
            return Err(StoreError::Other(
                format!("column type {declared:?} has no backup form").into(),
            ));
        }
    })
}

/// Double-quoted identifier.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `SELECT` of the given columns of a table.
pub fn select(table: &str, columns: &[String]) -> String {
    let list: Vec<String> = columns.iter().map(|c| ident(c)).collect();
    format!("SELECT {} FROM {}", list.join(", "), ident(table))
}

/// `INSERT` of `rows` rows of the given columns, placeholders numbered row by row.
pub fn insert(table: &str, columns: &[String], rows: usize) -> String {
    let list: Vec<String> = columns.iter().map(|c| ident(c)).collect();
    let n = columns.len();
    let values: Vec<String> = (0..rows)
        .map(|r| {
            let p: Vec<String> = (1..=n).map(|c| format!("${}", r * n + c)).collect();
            format!("({})", p.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO {} ({}) VALUES {}",
        ident(table),
        list.join(", "),
        values.join(", ")
    )
}

/// Orders tables so each comes after the tables it references; refuses a cycle.
pub fn parents_first(
    tables: &[String],
    parents: &BTreeMap<String, BTreeSet<String>>,
) -> Result<Vec<String>, StoreError> {
    let mut done: Vec<String> = Vec::with_capacity(tables.len());
    let mut left: Vec<&String> = tables.iter().collect();
    while !left.is_empty() {
        let before = left.len();
        left.retain(|t| {
            let ready = parents.get(*t).is_none_or(|ps| {
                ps.iter()
                    .all(|p| p == *t || done.contains(p) || !tables.contains(p))
            });
            if ready {
                done.push((*t).clone());
            }
            !ready
        });
        if left.len() == before {
            return Err(StoreError::Other(
                format!("foreign keys form a cycle among {left:?}").into(),
            ));
        }
    }
    Ok(done)
}

/// Checks a loaded value against its column's kind.
pub fn check(kind: Kind, value: &Value) -> Result<(), String> {
    let ok = match (kind, value) {
        (_, Value::Null) => true,
        (Kind::Text, Value::String(_)) => true,
        (Kind::Int | Kind::Int4, Value::Number(n)) => n.is_i64(),
        (Kind::Bool, Value::Bool(_)) => true,
        (Kind::Bool, Value::Number(n)) => matches!(n.as_i64(), Some(0 | 1)),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{value} does not fit a {kind:?} column"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_come_first_and_cycles_are_refused() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let deps = |pairs: &[(&str, &[&str])]| {
            pairs
                .iter()
                .map(|(t, ps)| (t.to_string(), ps.iter().map(|p| p.to_string()).collect()))
                .collect::<BTreeMap<_, BTreeSet<_>>>()
        };
        let order = parents_first(
            &names(&["conversations", "folders", "messages", "users"]),
            &deps(&[
                ("conversations", &["users", "folders"]),
                ("folders", &["users"]),
                ("messages", &["conversations", "users"]),
            ]),
        )
        .unwrap();
        assert_eq!(
            order,
            names(&["users", "folders", "conversations", "messages"])
        );
        assert!(
            parents_first(&names(&["a", "b"]), &deps(&[("a", &["b"]), ("b", &["a"])])).is_err()
        );
    }

    #[test]
    fn inserts_number_placeholders_row_by_row() {
        assert_eq!(
            insert("t", &["a".into(), "b\"c".into()], 2),
            "INSERT INTO \"t\" (\"a\", \"b\"\"c\") VALUES ($1, $2), ($3, $4)"
        );
    }
}
