//! Markdown: the branch the user sees, each message under its author and time. Answers are
//! Markdown already and go in as they are.

use ferrochat_core::{Conversation, Message};

use crate::{byline, current_branch, visible_text, when};

/// The conversation's current branch as a Markdown document.
pub fn markdown(c: &Conversation, messages: &[Message]) -> String {
    let mut out = format!("# {}\n\n", c.title.replace('\n', " "));
    let byline = byline(c);
    out.push_str(&format!(
        "*{}{}{}*\n",
        when(c.created_at),
        if byline.is_empty() { "" } else { " · " },
        byline
    ));
    for m in current_branch(messages) {
        let text = visible_text(m);
        let mut heading = format!("\n## {}", m.sender);
        if !m.is_created_by_user
            && let Some(model) = m
                .model
                .as_deref()
                .filter(|model| !model.eq_ignore_ascii_case(&m.sender))
        {
            heading.push_str(&format!(" ({model})"));
        }
        out.push_str(&format!("{heading}\n\n*{}*\n\n", when(m.created_at)));
        if m.error {
            out.push_str("> **Error:** ");
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::*;

    #[test]
    fn the_current_branch_under_authors_and_times() {
        let md = markdown(&conversation(), &tree());
        assert!(
            md.starts_with(
                "# Quokkas: a *field* guide\n\n*2025-01-02 03:04 UTC · openAI · gpt-4o*\n"
            ),
            "{md}"
        );
        assert!(
            md.contains("\n## User\n\n*2025-01-02 03:04 UTC*\n\nWhere do quokkas live?\n"),
            "{md}"
        );
        assert!(
            md.contains("## GPT-4o\n\n*2025-01-02 03:04 UTC*\n\nMostly on **Rottnest Island**.\n"),
            "{md}"
        );
        assert!(md.contains("```rust\nfn main() {"), "{md}");
        assert!(
            !md.contains("On Rottnest Island."),
            "the other branch stays out"
        );
        assert!(!md.contains("secret reasoning"), "reasoning stays out");
    }
}
