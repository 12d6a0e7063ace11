//! Token estimates for when an upstream reports no usage, and for fitting a prompt into a
//! model's context window before sending it.
//!
//! No tokenizer table is embedded (they cost megabytes per model family and differ between
//! providers); the estimate follows the observed ratios of BPE tokenizers: about four bytes of
//! English per token, one token per CJK character, and a small cost per message.

/// Tokens a message costs beyond its text (role markers), as OpenAI documents for chat models.
pub const PER_MESSAGE: u32 = 4;

/// Estimated tokens of `text`.
pub fn estimate(text: &str) -> u32 {
    let mut ascii_bytes: u32 = 0;
    let mut wide: u32 = 0;
    for c in text.chars() {
        if c.is_ascii() {
            ascii_bytes = ascii_bytes.saturating_add(1);
        } else if c.len_utf8() >= 3 {
            // CJK and most symbols: about one token each.
            wide = wide.saturating_add(1);
        } else {
            ascii_bytes = ascii_bytes.saturating_add(2);
        }
    }
    ascii_bytes.div_ceil(4).saturating_add(wide)
}

/// Estimated tokens of a message in a prompt.
pub fn message(text: &str) -> u32 {
    estimate(text).saturating_add(PER_MESSAGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rough_ratios() {
        assert_eq!(estimate(""), 0);
        assert_eq!(estimate("Hello, how are you today?"), 7);
        assert_eq!(estimate("你好世界"), 4);
        assert_eq!(message("Hi"), 5);
    }
}
