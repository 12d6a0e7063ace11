//! "Edit an answer's content part and resubmit" (§7.8): the user rewrites part of a stored
//! answer and asks the model to go on from there.
//!
//! As LibreChat does it: the answer's parts, with the one edited replaced, become the last
//! (assistant) turn of the prompt; the generation is a new answer, a sibling of the edited one,
//! which stays as it was; what is stored is the edited parts followed by the new ones, the
//! first new part joined to the last old one when both are of the kind edited. Only text and
//! reasoning parts carry over (an old error part does not). Unlike LibreChat v0.8.1, a
//! reasoning edit keeps its text (Node read `text` where the client sends `think`).

use ferrochat_core::{Message, MessageId};
use ferrochat_providers::{Role, Turn};
use serde_json::Value;

use super::PartKind;
use crate::{ServiceError, ServiceResult};

/// The user's edit of one content part of a stored answer.
#[derive(Clone, Debug)]
pub struct EditedPart {
    /// The answer edited: a stored reply to the message being answered again.
    pub answer: MessageId,
    /// The part's position in that answer's content.
    pub index: usize,
    /// The part's kind; it must be the kind of the stored part.
    pub kind: PartKind,
    /// The part's new text.
    pub text: String,
}

/// The edited answer's parts, the kind edited, and the answer as the prompt's last turn.
pub(super) struct Prefix {
    pub parts: Vec<(PartKind, String)>,
    pub kind: PartKind,
    /// The answer's text parts joined; `None` when it has no text to go on from.
    pub turn: Option<Turn>,
}

fn kind_of(part: &Value) -> Option<(PartKind, &str)> {
    match part.get("type").and_then(Value::as_str)? {
        "text" => Some((PartKind::Text, part.get("text")?.as_str()?)),
        "think" => Some((PartKind::Think, part.get("think")?.as_str()?)),
        _ => None,
    }
}

/// Applies `edit` to the answer it names, which must be in `history` and answer `asked`.
pub(super) fn prefix(
    history: &[Message],
    asked: &Message,
    edit: &EditedPart,
) -> ServiceResult<Prefix> {
    let answer = history
        .iter()
        .find(|m| m.id == edit.answer && !m.is_created_by_user && m.parent_id == Some(asked.id))
        .ok_or_else(|| {
            ServiceError::invalid(
                "responseMessageId",
                "is not an answer to the message being answered again",
            )
        })?;
    let stored: Vec<Value> = answer
        .content
        .as_ref()
        .and_then(|c| serde_json::from_str(c.as_str()).ok())
        .unwrap_or_default();
    match stored.get(edit.index).and_then(kind_of) {
        Some((kind, _)) if kind == edit.kind => {}
        _ => {
            return Err(ServiceError::invalid(
                "editedContent",
                "index does not name a part of that type in the answer",
            ));
        }
    }
    let parts: Vec<(PartKind, String)> = stored
        .iter()
        .enumerate()
        .filter_map(|(i, part)| {
            let (kind, text) = kind_of(part)?;
            Some((
                kind,
                if i == edit.index {
                    edit.text.as_str()
                } else {
                    text
                }
                .to_owned(),
            ))
        })
        .collect();
    let said: String = parts
        .iter()
        .filter(|(kind, _)| *kind == PartKind::Text)
        .map(|(_, text)| text.as_str())
        .collect();
    // Anthropic refuses a final assistant turn that ends in white space.
    let said = said.trim_end();
    let turn = (!said.is_empty()).then(|| Turn {
        images: Vec::new(),
        role: Role::Assistant,
        text: said.to_owned(),
    });
    Ok(Prefix {
        parts,
        kind: edit.kind,
        turn,
    })
}

/// The stored parts of a continued answer: `prefix`, then `new`, the first new part joined to
/// the last old one when both are of the `edited` kind.
pub(super) fn merge(
    mut prefix: Vec<(PartKind, String)>,
    edited: PartKind,
    new: Vec<(PartKind, String)>,
) -> Vec<(PartKind, String)> {
    let mut new = new.into_iter();
    let mut next = new.next();
    if let (Some((last_kind, last)), Some((first_kind, first))) = (prefix.last_mut(), &next)
        && *last_kind == edited
        && *first_kind == edited
    {
        last.push_str(first);
        next = None;
    }
    prefix.extend(next);
    prefix.extend(new);
    prefix
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(kind: PartKind, text: &str) -> (PartKind, String) {
        (kind, text.to_owned())
    }

    #[test]
    fn the_first_new_part_joins_the_last_old_one_only_when_both_are_the_edited_kind() {
        use PartKind::{Text, Think};
        let old = vec![p(Think, "hmm"), p(Text, "Edited")];
        assert_eq!(
            merge(old.clone(), Text, vec![p(Text, " and more"), p(Think, "x")]),
            [p(Think, "hmm"), p(Text, "Edited and more"), p(Think, "x")]
        );
        // A reasoning edit: the last old part is text, so nothing joins.
        assert_eq!(
            merge(old.clone(), Think, vec![p(Text, "!")]),
            [p(Think, "hmm"), p(Text, "Edited"), p(Text, "!")]
        );
        assert_eq!(merge(old.clone(), Text, vec![]), old);
        assert_eq!(merge(vec![], Text, vec![p(Text, "a")]), [p(Text, "a")]);
    }
}
