//! JSON kept as validated text.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// A JSON value stored and served as text: checked once when made, never parsed into a tree
/// unless someone needs its parts. Conversation settings ride along on every list row and
/// every read; parsing them into maps only to print them again cost allocations on the hot
/// path for nothing.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JsonText(Box<RawValue>);

impl JsonText {
    /// Validates `text` as JSON.
    pub fn parse_text(text: String) -> Result<Self, serde_json::Error> {
        RawValue::from_string(text).map(Self)
    }

    /// The text of a value.
    pub fn from_value(value: &serde_json::Value) -> Self {
        // A `Value` always serializes to valid JSON.
        Self::parse_text(value.to_string()).unwrap_or_else(|_| Self::empty_object())
    }

    /// `{}`.
    pub fn empty_object() -> Self {
        match RawValue::from_string("{}".to_owned()) {
            Ok(raw) => Self(raw),
            // Unreachable: `{}` is JSON.
            Err(_) => Self(RawValue::NULL.to_owned()),
        }
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    /// The value as a tree, for callers that need its parts.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(self.0.get()).unwrap_or(serde_json::Value::Null)
    }

    /// The raw value, to embed in a serialized response as it is.
    pub fn as_raw(&self) -> &RawValue {
        &self.0
    }
}

impl PartialEq for JsonText {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Default for JsonText {
    fn default() -> Self {
        Self::empty_object()
    }
}

impl From<serde_json::Value> for JsonText {
    fn from(value: serde_json::Value) -> Self {
        Self::from_value(&value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_garbage() {
        let v = serde_json::json!({ "temperature": 0.5, "stop": ["a"] });
        let t = JsonText::from_value(&v);
        assert_eq!(t.to_value(), v);
        assert_eq!(serde_json::to_string(&t).ok().as_deref(), Some(t.as_str()));
        assert!(JsonText::parse_text("{nope".into()).is_err());
        assert_eq!(JsonText::default().as_str(), "{}");
    }
}
