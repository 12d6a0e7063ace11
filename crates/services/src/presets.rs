//! Presets: saved conversation settings a user starts chats from. At most one is the default;
//! it sorts first.

use std::sync::Arc;

use ferrochat_core::{Preset, UserId};
use ferrochat_store::DynStore;
use serde_json::Value;

use crate::validate::{Checks, label};
use crate::{Clock, ServiceError, ServiceResult};

/// Longest preset ID.
pub const PRESET_ID_MAX: usize = 100;
/// Longest title.
pub const PRESET_TITLE_MAX: usize = 200;
/// Largest settings object, serialized.
pub const SETTINGS_MAX_BYTES: usize = 64 * 1024;
/// Most presets a user may keep.
pub const PRESETS_MAX: usize = 500;

/// A preset as a caller saves it.
#[derive(Clone, Debug, Default)]
pub struct PresetInput {
    /// Existing ID to replace, or a new one; `None` makes one up.
    pub id: Option<String>,
    /// Name in the menu.
    pub title: Option<String>,
    /// `Some(true)` makes it the default (first, order 0), `Some(false)` makes it an ordinary
    /// preset again, `None` leaves that as it was.
    pub default: Option<bool>,
    /// Place in the menu; `None` keeps the stored one.
    pub order: Option<i64>,
    /// Everything else, as a JSON object.
    pub settings: Value,
}

/// Preset rules.
#[derive(Clone)]
pub struct PresetService {
    store: DynStore,
    clock: Arc<dyn Clock>,
}

impl PresetService {
    /// Builds the service.
    pub fn new(store: DynStore, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// The user's presets: by order (unset last), then most recently changed.
    pub async fn list(&self, user: UserId) -> ServiceResult<Vec<Preset>> {
        Ok(self.store.presets(user).await?)
    }

    /// Creates or replaces a preset.
    pub async fn save(&self, user: UserId, input: PresetInput) -> ServiceResult<Preset> {
        let mut checks = Checks::default();
        let id = match input.id.as_deref() {
            Some(id) => label(id, "presetId", PRESET_ID_MAX, &mut checks),
            None => uuid::Uuid::new_v4().to_string(),
        };
        let title = input
            .title
            .as_deref()
            .map(|t| label(t, "title", PRESET_TITLE_MAX, &mut checks));
        if !input.settings.is_object() {
            checks.fail("preset", "must be a JSON object");
        } else if input.settings.to_string().len() > SETTINGS_MAX_BYTES {
            checks.fail(
                "preset",
                format!("must be at most {} KiB", SETTINGS_MAX_BYTES / 1024),
            );
        }
        checks.finish()?;
        let existing = self.store.presets(user).await?;
        let current = existing.iter().find(|p| p.id == id);
        if current.is_none() && existing.len() >= PRESETS_MAX {
            return Err(ServiceError::invalid(
                "presetId",
                format!("at most {PRESETS_MAX} presets per user"),
            ));
        }
        let now = self.clock.now();
        let mut preset = Preset {
            id,
            user_id: user,
            title,
            is_default: current.is_some_and(|p| p.is_default),
            position: input.order.or(current.and_then(|p| p.position)),
            settings: input.settings,
            created_at: current.map_or(now, |p| p.created_at),
            updated_at: now,
        };
        match input.default {
            Some(true) => {
                preset.is_default = true;
                preset.position = Some(0);
            }
            Some(false) => {
                preset.is_default = false;
                preset.position = None;
            }
            None => {}
        }
        Ok(self.store.save_preset(&preset).await?)
    }

    /// Deletes one preset, or every preset of the user with `None`; returns how many went.
    pub async fn delete(&self, user: UserId, id: Option<&str>) -> ServiceResult<u64> {
        Ok(match id {
            Some(id) => self.store.delete_preset(user, id).await?,
            None => self.store.delete_all_presets(user).await?,
        })
    }
}
