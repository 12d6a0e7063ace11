//! Prompt templates (LibreChat's prompt library): a group holds the versions of one prompt
//! text, one of which is in use; a group may have a slash command. Texts hold `{{variables}}`
//! (`{{name}}`, or `{{name:option one|option two}}` offering choices), filled in when the
//! prompt is used: by the LibreChat client itself, or by [`PromptService::render`] for the
//! native API.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use ferrochat_core::{Prompt, PromptGroup, PromptGroupId, PromptId, PromptKind, UserId};
use ferrochat_store::{DynStore, PromptGroupQuery, StoreError};

/// The list query (re-exported for the doors).
/// What deleting a version did (re-exported for the doors).
pub use ferrochat_store::PromptDeleted;

use crate::error::not_found;
use crate::{Clock, ServiceError, ServiceResult, paging};

/// Longest name.
const MAX_NAME: usize = 200;
/// Longest one-liner.
const MAX_ONELINER: usize = 500;
/// Longest category.
const MAX_CATEGORY: usize = 64;
/// Longest command.
const MAX_COMMAND: usize = 56;
/// Longest prompt text.
pub const MAX_TEXT: usize = 100_000;
/// Default and largest page.
pub const DEFAULT_PAGE: u32 = 10;
/// Largest page.
pub const MAX_PAGE: u32 = 100;

/// A new group's fields.
#[derive(Clone, Debug, Default)]
pub struct NewGroup {
    /// Name.
    pub name: String,
    /// Slash command.
    pub command: Option<String>,
    /// One-line description.
    pub oneliner: Option<String>,
    /// Category.
    pub category: Option<String>,
}

/// Changes to a group; `None` leaves a field, `Some(None)` clears the command.
#[derive(Clone, Debug, Default)]
pub struct GroupChange {
    /// New name.
    pub name: Option<String>,
    /// New command, or none.
    pub command: Option<Option<String>>,
    /// New one-liner.
    pub oneliner: Option<String>,
    /// New category.
    pub category: Option<String>,
}

/// A version's text and kind.
#[derive(Clone, Debug)]
pub struct NewVersion {
    /// The text.
    pub text: String,
    /// How it is used.
    pub kind: PromptKind,
}

/// A page of groups.
#[derive(Clone, Debug)]
pub struct GroupPage {
    /// The groups.
    pub groups: Vec<PromptGroup>,
    /// Keyset cursor of the next page.
    pub next_cursor: Option<String>,
}

/// A filled-in prompt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The text with every variable replaced.
    pub text: String,
    /// The variables the text names, in order of first use.
    pub variables: Vec<String>,
}

/// Prompt templates.
#[derive(Clone)]
pub struct PromptService {
    store: DynStore,
    clock: Arc<dyn Clock>,
}

impl PromptService {
    /// Builds the service.
    pub fn new(store: DynStore, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Makes a group whose first version is in use.
    pub async fn create(
        &self,
        user: UserId,
        new: NewGroup,
        first: NewVersion,
    ) -> ServiceResult<(PromptGroup, Prompt)> {
        let now = self.clock.now();
        let mut group = PromptGroup {
            id: PromptGroupId::new(),
            user_id: user,
            name: check_name(&new.name)?,
            command: new
                .command
                .as_deref()
                .map(check_command)
                .transpose()?
                .flatten(),
            oneliner: check_len(
                "oneliner",
                new.oneliner.as_deref().unwrap_or(""),
                MAX_ONELINER,
            )?,
            category: check_len(
                "category",
                new.category.as_deref().unwrap_or(""),
                MAX_CATEGORY,
            )?,
            production_id: None,
            production_prompt: None,
            number_of_generations: 0,
            created_at: now,
            updated_at: now,
        };
        let prompt = version(&group, first, now)?;
        self.store
            .create_prompt_group(&group, &prompt)
            .await
            .map_err(command_taken)?;
        group.production_id = Some(prompt.id);
        group.production_prompt = Some(prompt.text.clone());
        Ok((group, prompt))
    }

    /// One of the user's groups.
    pub async fn group(&self, user: UserId, id: &str) -> ServiceResult<PromptGroup> {
        let id: PromptGroupId = id
            .parse()
            .map_err(|_| ServiceError::NotFound("prompt group"))?;
        self.store
            .prompt_group(user, id)
            .await
            .map_err(not_found("prompt group"))
    }

    /// A keyset page of the user's groups, most recently changed first; `category` `""` lists
    /// those without one.
    pub async fn list(
        &self,
        user: UserId,
        name: Option<&str>,
        category: Option<&str>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> ServiceResult<GroupPage> {
        let limit = paging::limit(limit, DEFAULT_PAGE, MAX_PAGE)?;
        let after = cursor
            .map(paging::decode_cursor::<PromptGroupId>)
            .transpose()?;
        let query = PromptGroupQuery {
            name: name.map(str::trim).filter(|n| !n.is_empty()),
            category: category.map(str::trim),
            after,
            offset: 0,
            limit: limit + 1,
        };
        let mut groups = self.store.prompt_groups(user, &query).await?;
        let next_cursor =
            paging::finish(&mut groups, limit, |g| paging::cursor(g.updated_at, g.id));
        Ok(GroupPage {
            groups,
            next_cursor,
        })
    }

    /// A numbered page (LibreChat's), with the number of matching groups.
    pub async fn page(
        &self,
        user: UserId,
        name: Option<&str>,
        category: Option<&str>,
        page: u32,
        size: u32,
    ) -> ServiceResult<(Vec<PromptGroup>, u64)> {
        let size = size.clamp(1, MAX_PAGE);
        let mut query = PromptGroupQuery {
            name: name.map(str::trim).filter(|n| !n.is_empty()),
            category: category.map(str::trim),
            after: None,
            offset: 0,
            limit: size,
        };
        let total = self.store.count_prompt_groups(user, &query).await?;
        query.offset = page.saturating_sub(1).saturating_mul(size);
        let groups = self.store.prompt_groups(user, &query).await?;
        Ok((groups, total))
    }

    /// Every group of the user (LibreChat's `/api/prompts/all`; a user has tens, not
    /// thousands), most recently changed first.
    pub async fn all(&self, user: UserId) -> ServiceResult<Vec<PromptGroup>> {
        let query = PromptGroupQuery {
            limit: 10_000,
            ..PromptGroupQuery::default()
        };
        Ok(self.store.prompt_groups(user, &query).await?)
    }

    /// Changes a group's name, command, one-liner or category.
    pub async fn update(
        &self,
        user: UserId,
        id: &str,
        change: GroupChange,
    ) -> ServiceResult<PromptGroup> {
        let mut group = self.group(user, id).await?;
        if let Some(name) = change.name {
            group.name = check_name(&name)?;
        }
        if let Some(command) = change.command {
            group.command = command.as_deref().map(check_command).transpose()?.flatten();
        }
        if let Some(oneliner) = change.oneliner {
            group.oneliner = check_len("oneliner", &oneliner, MAX_ONELINER)?;
        }
        if let Some(category) = change.category {
            group.category = check_len("category", &category, MAX_CATEGORY)?;
        }
        group.updated_at = self.clock.now();
        self.store
            .update_prompt_group(&group)
            .await
            .map_err(command_taken)?;
        Ok(group)
    }

    /// Deletes a group and its versions.
    pub async fn delete(&self, user: UserId, id: &str) -> ServiceResult<PromptGroupId> {
        let group = self.group(user, id).await?;
        if self.store.delete_prompt_group(user, group.id).await? {
            Ok(group.id)
        } else {
            Err(ServiceError::NotFound("prompt group"))
        }
    }

    /// Adds a version to a group; `production` puts it in use.
    pub async fn add_version(
        &self,
        user: UserId,
        group_id: &str,
        new: NewVersion,
        production: bool,
    ) -> ServiceResult<Prompt> {
        let group = self.group(user, group_id).await?;
        let prompt = version(&group, new, self.clock.now())?;
        self.store
            .add_prompt(&prompt, production)
            .await
            .map_err(not_found("prompt group"))?;
        Ok(prompt)
    }

    /// A group's versions, newest first.
    pub async fn versions(&self, user: UserId, group_id: &str) -> ServiceResult<Vec<Prompt>> {
        let group = self.group(user, group_id).await?;
        Ok(self.store.prompts(user, group.id).await?)
    }

    /// One version.
    pub async fn version(&self, user: UserId, id: &str) -> ServiceResult<Prompt> {
        let id: PromptId = id.parse().map_err(|_| ServiceError::NotFound("prompt"))?;
        self.store
            .prompt(user, id)
            .await
            .map_err(not_found("prompt"))
    }

    /// One version, which must belong to template `group_id` (the native API addresses
    /// versions under their template).
    pub async fn version_in(
        &self,
        user: UserId,
        group_id: &str,
        id: &str,
    ) -> ServiceResult<Prompt> {
        let prompt = self.version(user, id).await?;
        if prompt.group_id.to_string() == group_id {
            Ok(prompt)
        } else {
            Err(ServiceError::NotFound("prompt"))
        }
    }

    /// Puts a version in use in its group.
    pub async fn make_production(&self, user: UserId, id: &str) -> ServiceResult<Prompt> {
        let prompt = self.version(user, id).await?;
        self.store
            .make_production(user, prompt.id, self.clock.now())
            .await
            .map_err(not_found("prompt"))?;
        Ok(prompt)
    }

    /// Deletes a version (and its group with the last one).
    pub async fn delete_version(&self, user: UserId, id: &str) -> ServiceResult<PromptDeleted> {
        let prompt = self.version(user, id).await?;
        self.store
            .delete_prompt(user, prompt.id, self.clock.now())
            .await
            .map_err(not_found("prompt"))
    }

    /// Fills in a group's prompt in use (or a given version): `values` for the user's
    /// variables; `current_date`, `current_datetime`, `iso_datetime` and `current_user` are
    /// the server's unless given. Every variable must have a value.
    pub async fn render(
        &self,
        user: UserId,
        user_name: &str,
        group_id: &str,
        version_id: Option<&str>,
        values: &BTreeMap<String, String>,
    ) -> ServiceResult<Rendered> {
        let group = self.group(user, group_id).await?;
        let text = match version_id {
            Some(v) => self.version_in(user, &group.id.to_string(), v).await?.text,
            None => group.production_prompt.unwrap_or_default(),
        };
        render(&text, values, self.clock.now(), user_name)
    }
}

/// The variable names a text uses, in order of first use.
pub fn variables(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (name, _) in placeholders(text) {
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// `{{…}}` spans: (variable name, byte range of the whole placeholder).
fn placeholders(text: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|i| from + i) {
        let Some(close) = text[open + 2..].find("}}").map(|i| open + 2 + i) else {
            break;
        };
        let inner = &text[open + 2..close];
        let name = inner.split(':').next().unwrap_or("").trim();
        if !name.is_empty() && !name.contains('{') {
            out.push((name.to_owned(), open..close + 2));
        }
        from = close + 2;
    }
    out
}

/// Replaces every placeholder; an unknown variable is an error naming all that are missing.
pub fn render(
    text: &str,
    values: &BTreeMap<String, String>,
    now: DateTime<Utc>,
    user_name: &str,
) -> ServiceResult<Rendered> {
    let special = |name: &str| -> Option<String> {
        match name.to_ascii_lowercase().as_str() {
            "current_date" => Some(now.format("%Y-%m-%d (%A)").to_string()),
            "current_datetime" => Some(now.format("%Y-%m-%d %H:%M:%S (%A)").to_string()),
            "iso_datetime" => Some(now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            "current_user" => Some(user_name.to_owned()),
            _ => None,
        }
    };
    let spans = placeholders(text);
    let mut missing: Vec<String> = Vec::new();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (name, range) in &spans {
        out.push_str(&text[last..range.start]);
        match values.get(name).cloned().or_else(|| special(name)) {
            Some(v) => out.push_str(&v),
            None => {
                if !missing.contains(name) {
                    missing.push(name.clone());
                }
            }
        }
        last = range.end;
    }
    out.push_str(&text[last..]);
    if !missing.is_empty() {
        return Err(ServiceError::invalid(
            "variables",
            format!("no value for {}", missing.join(", ")),
        ));
    }
    Ok(Rendered {
        text: out,
        variables: variables(text),
    })
}

fn version(group: &PromptGroup, new: NewVersion, now: DateTime<Utc>) -> ServiceResult<Prompt> {
    if new.text.trim().is_empty() || new.text.chars().count() > MAX_TEXT {
        return Err(ServiceError::invalid(
            "prompt",
            format!("must hold text, at most {MAX_TEXT} characters"),
        ));
    }
    Ok(Prompt {
        id: PromptId::new(),
        group_id: group.id,
        user_id: group.user_id,
        text: new.text,
        kind: new.kind,
        created_at: now,
        updated_at: now,
    })
}

fn check_name(name: &str) -> ServiceResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(ServiceError::invalid(
            "name",
            format!("must be 1 to {MAX_NAME} characters"),
        ));
    }
    Ok(name.to_owned())
}

fn check_len(field: &'static str, text: &str, max: usize) -> ServiceResult<String> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(ServiceError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(text.to_owned())
}

/// A slash command: lower-case letters, digits and dashes; empty means none.
fn check_command(command: &str) -> ServiceResult<Option<String>> {
    let command = command.trim().trim_start_matches('/');
    if command.is_empty() {
        return Ok(None);
    }
    if command.len() > MAX_COMMAND
        || !command
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(ServiceError::invalid(
            "command",
            format!("must be lower-case letters, digits and dashes, at most {MAX_COMMAND}"),
        ));
    }
    Ok(Some(command.to_owned()))
}

fn command_taken(e: StoreError) -> ServiceError {
    match e {
        StoreError::Conflict { .. } => ServiceError::Conflict { field: "command" },
        StoreError::NotFound => ServiceError::NotFound("prompt group"),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_filled_and_missing_ones_named() {
        let now = DateTime::from_timestamp_millis(1_764_000_000_000).unwrap();
        let values: BTreeMap<String, String> = [
            ("text".into(), "hola".into()),
            ("tone".into(), "formal".into()),
        ]
        .into();
        let r = render(
            "Say {{text}} in a {{tone:formal|casual}} way, {{current_user}}, on {{current_date}}. {{text}}!",
            &values,
            now,
            "Ada",
        )
        .unwrap();
        assert_eq!(
            r.text,
            "Say hola in a formal way, Ada, on 2025-11-24 (Monday). hola!"
        );
        assert_eq!(
            r.variables,
            ["text", "tone", "current_user", "current_date"]
        );
        let err = render("{{a}} {{b}} {{a}}", &BTreeMap::new(), now, "Ada").unwrap_err();
        assert!(format!("{err:?}").contains("no value for a, b"), "{err:?}");
        // Not placeholders: empty, unclosed.
        assert_eq!(
            render("{{}} {{x", &BTreeMap::new(), now, "Ada")
                .unwrap()
                .text,
            "{{}} {{x"
        );
    }

    #[test]
    fn commands_are_slugs() {
        assert_eq!(
            check_command("/sum-up2").unwrap().as_deref(),
            Some("sum-up2")
        );
        assert_eq!(check_command(" ").unwrap(), None);
        assert!(check_command("Sum Up").is_err());
    }
}
