//! Statements and rows of `prompt_groups` and `prompts`.

use ferrochat_core::{Prompt, PromptGroup, PromptKind};

use super::conversations::{Bind, Statement, next};
use super::time::{from_millis, parse_id};
use crate::{PromptGroupQuery, StoreError};

macro_rules! group_columns {
    () => {
        "g.id, g.user_id, g.name, g.command, g.oneliner, g.category, g.production_id, \
         p.prompt AS production_prompt, g.number_of_generations, g.created_at, g.updated_at"
    };
}

macro_rules! groups_from {
    () => {
        " FROM prompt_groups g LEFT JOIN prompts p ON p.id = g.production_id"
    };
}

macro_rules! prompt_columns {
    () => {
        "id, group_id, user_id, prompt, type, created_at, updated_at"
    };
}

/// Inserts a group: id, user, name, command, oneliner, category, production, created, updated.
pub const INSERT_GROUP: &str = "INSERT INTO prompt_groups (id, user_id, name, command, oneliner, \
     category, production_id, number_of_generations, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9)";
/// Inserts a version: id, group, user, text, type, created, updated.
pub const INSERT_PROMPT: &str = "INSERT INTO prompts (id, group_id, user_id, prompt, type, \
     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
/// Group $2 of user $1.
pub const GROUP: &str = concat!(
    "SELECT ",
    group_columns!(),
    groups_from!(),
    " WHERE g.user_id = $1 AND g.id = $2"
);
/// User $1's group with command $2.
pub const BY_COMMAND: &str = concat!(
    "SELECT ",
    group_columns!(),
    groups_from!(),
    " WHERE g.user_id = $1 AND g.command = $2"
);
/// Rewrites group $2 of user $1: name $3, command $4, oneliner $5, category $6, updated $7.
pub const UPDATE_GROUP: &str = "UPDATE prompt_groups SET name = $3, command = $4, oneliner = $5, \
     category = $6, updated_at = $7 WHERE user_id = $1 AND id = $2";
/// Touches group $2 of user $1 at $3, making version $4 the one in use when $4 is not null.
pub const TOUCH_GROUP: &str = "UPDATE prompt_groups SET updated_at = $3, \
     production_id = COALESCE($4, production_id) WHERE user_id = $1 AND id = $2";
/// Deletes group $2 of user $1.
pub const DELETE_GROUP: &str = "DELETE FROM prompt_groups WHERE user_id = $1 AND id = $2";
/// Versions of group $2 of user $1, newest first.
pub const PROMPTS: &str = concat!(
    "SELECT ",
    prompt_columns!(),
    " FROM prompts WHERE group_id = $2 AND user_id = $1 ORDER BY created_at DESC, id DESC"
);
/// Version $2 of user $1.
pub const PROMPT: &str = concat!(
    "SELECT ",
    prompt_columns!(),
    " FROM prompts WHERE user_id = $1 AND id = $2"
);
/// Deletes version $2 of user $1.
pub const DELETE_PROMPT: &str = "DELETE FROM prompts WHERE user_id = $1 AND id = $2";
/// The newest version left in group $1.
pub const NEWEST: &str =
    "SELECT id FROM prompts WHERE group_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1";
/// Points group $1 at version $2 (null: none) at $3 when it pointed at $4, else only touches it.
pub const REPOINT: &str = "UPDATE prompt_groups SET updated_at = $3, production_id = \
     CASE WHEN production_id = $4 THEN $2 ELSE production_id END WHERE id = $1";

/// The `WHERE` of a list or count of user $1's groups; placeholders numbered as added.
fn filter(user_id: &str, query: &PromptGroupQuery<'_>) -> (String, Vec<Bind>) {
    let mut binds = vec![Bind::Text(user_id.into())];
    let mut sql = String::from(" WHERE g.user_id = $1");
    if let Some(name) = query.name {
        let p = next(&mut binds, Bind::Text(name.to_lowercase()));
        sql.push_str(&format!(" AND lower(g.name) LIKE '%' || {p} || '%'"));
    }
    if let Some(category) = query.category {
        let p = next(&mut binds, Bind::Text(category.into()));
        sql.push_str(&format!(" AND g.category = {p}"));
    }
    (sql, binds)
}

/// A page of user $1's groups, most recently changed first.
pub fn list(user_id: &str, query: &PromptGroupQuery<'_>) -> Statement {
    let (filter, mut binds) = filter(user_id, query);
    let mut sql = format!(
        concat!("SELECT ", group_columns!(), groups_from!(), "{}"),
        filter
    );
    if let Some((at, id)) = &query.after {
        let a = next(&mut binds, Bind::Int(at.timestamp_millis()));
        let i = next(&mut binds, Bind::Text(id.to_string()));
        sql.push_str(&format!(
            " AND (g.updated_at < {a} OR (g.updated_at = {a} AND g.id < {i}))"
        ));
    }
    sql.push_str(&format!(
        " ORDER BY g.updated_at DESC, g.id DESC LIMIT {} OFFSET {}",
        query.limit, query.offset
    ));
    Statement { sql, binds }
}

/// How many of user $1's groups match.
pub fn count(user_id: &str, query: &PromptGroupQuery<'_>) -> Statement {
    let (filter, binds) = filter(user_id, query);
    Statement {
        sql: format!("SELECT count(*) FROM prompt_groups g{filter}"),
        binds,
    }
}

/// A `prompt_groups` row with its production text.
#[allow(missing_docs)]
#[derive(Debug, sqlx::FromRow)]
pub struct GroupRow {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub command: Option<String>,
    pub oneliner: String,
    pub category: String,
    pub production_id: Option<String>,
    pub production_prompt: Option<String>,
    pub number_of_generations: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl TryFrom<GroupRow> for PromptGroup {
    type Error = StoreError;

    fn try_from(r: GroupRow) -> Result<Self, StoreError> {
        Ok(PromptGroup {
            id: parse_id(&r.id)?,
            user_id: parse_id(&r.user_id)?,
            name: r.name,
            command: r.command,
            oneliner: r.oneliner,
            category: r.category,
            production_id: r.production_id.as_deref().map(parse_id).transpose()?,
            production_prompt: r.production_prompt,
            number_of_generations: r.number_of_generations,
            created_at: from_millis(r.created_at)?,
            updated_at: from_millis(r.updated_at)?,
        })
    }
}

/// A `prompts` row.
#[allow(missing_docs)]
#[derive(Debug, sqlx::FromRow)]
pub struct PromptRow {
    pub id: String,
    pub group_id: String,
    pub user_id: String,
    pub prompt: String,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl TryFrom<PromptRow> for Prompt {
    type Error = StoreError;

    fn try_from(r: PromptRow) -> Result<Self, StoreError> {
        Ok(Prompt {
            id: parse_id(&r.id)?,
            group_id: parse_id(&r.group_id)?,
            user_id: parse_id(&r.user_id)?,
            text: r.prompt,
            kind: PromptKind::parse(&r.kind).ok_or_else(|| {
                StoreError::Other(format!("unknown prompt type {}", r.kind).into())
            })?,
            created_at: from_millis(r.created_at)?,
            updated_at: from_millis(r.updated_at)?,
        })
    }
}
