//! Reactions and pins on messages (API.md section 7): the emoji a reaction
//! may be, and the bounds on both.

use crate::ids::UserId;
use crate::validation::Invalid;

/// Most distinct emoji one message holds.
pub const MAX_EMOJI_PER_MESSAGE: usize = 20;

/// Most reactors a reaction lists (its count goes on).
pub const MAX_REACTORS_LISTED: usize = 100;

/// Most pinned messages one room holds.
pub const MAX_PINS_PER_ROOM: usize = 50;

/// Longest emoji, in UTF-8 bytes.
const MAX_EMOJI_BYTES: usize = 32;

/// One emoji on a message: who used it, in order of first use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reaction {
    pub emoji: String,
    /// Everyone who reacted with it, listed or not.
    pub count: u32,
    /// The first [`MAX_REACTORS_LISTED`] who reacted, oldest first.
    pub user_ids: Vec<UserId>,
}

/// What a reaction may be: one Unicode emoji (a single grapheme cluster of at
/// most 32 bytes, with a pictographic or keycap base) or a shortcode such as
/// `:party_parrot:` (`:[a-z0-9_+-]{1,32}:`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Emoji(String);

impl Emoji {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if is_shortcode(raw) || is_unicode_emoji(raw) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Invalid::one(
                "Emoji must be one Unicode emoji or a shortcode like :thumbsup:",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_shortcode(s: &str) -> bool {
    s.strip_prefix(':')
        .and_then(|s| s.strip_suffix(':'))
        .is_some_and(|name| {
            (1..=32).contains(&name.len())
                && name.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'+' | b'-')
                })
        })
}

/// One emoji: a pictographic base (or a keycap's digit, `#` or `*`, or a
/// pair of regional indicators: a flag), then only what extends an emoji
/// into one cluster (variation selectors, skin tones, keycap, tags, and
/// zero-width joiners each followed by another pictograph).
fn is_unicode_emoji(s: &str) -> bool {
    if s.is_empty() || s.len() > MAX_EMOJI_BYTES {
        return false;
    }
    let chars: Vec<char> = s.chars().collect();
    if chars.iter().all(|&c| is_regional_indicator(c)) {
        return chars.len() == 2;
    }
    let keycap = matches!(chars[0], '0'..='9' | '#' | '*');
    if keycap {
        return chars[1..] == ['\u{FE0F}', '\u{20E3}'] || chars[1..] == ['\u{20E3}'];
    }
    if !is_pictographic(chars[0]) {
        return false;
    }
    let mut joined = false;
    for &c in &chars[1..] {
        if joined {
            if !is_pictographic(c) {
                return false;
            }
            joined = false;
        } else if c == '\u{200D}' {
            joined = true;
        } else if !is_emoji_extender(c) {
            return false;
        }
    }
    !joined
}

fn is_regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

/// Extended_Pictographic, approximated by the blocks it occupies.
fn is_pictographic(c: char) -> bool {
    matches!(c,
        '\u{00A9}' | '\u{00AE}' | '\u{203C}' | '\u{2049}' | '\u{2122}' | '\u{2139}'
        | '\u{2194}'..='\u{21AA}'
        | '\u{231A}'..='\u{23FF}'
        | '\u{24C2}'
        | '\u{25AA}'..='\u{27BF}'
        | '\u{2934}' | '\u{2935}'
        | '\u{2B05}'..='\u{2B55}'
        | '\u{3030}' | '\u{303D}' | '\u{3297}' | '\u{3299}'
        | '\u{1F000}'..='\u{1F1E5}'
        | '\u{1F200}'..='\u{1F3FA}'
        | '\u{1F400}'..='\u{1FAFF}'
    )
}

/// What may follow an emoji's base inside the same cluster.
fn is_emoji_extender(c: char) -> bool {
    matches!(c,
        '\u{FE0F}' | '\u{FE0E}' | '\u{20E3}'
        | '\u{1F3FB}'..='\u{1F3FF}'   // skin tones
        | '\u{E0020}'..='\u{E007F}'   // tags (subdivision flags)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_emoji_and_shortcodes_are_reactions() {
        for ok in [
            "👍",
            "❤️",
            "👍🏽",
            "👩‍👩‍👧‍👦",
            "🏳️‍🌈",
            "🇫🇷",
            "1️⃣",
            "🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}",
            ":thumbsup:",
            ":+1:",
            ":party_parrot-2:",
        ] {
            assert_eq!(Emoji::parse(ok).map(|e| e.0), Ok(ok.to_owned()), "{ok}");
        }
    }

    #[test]
    fn text_several_emoji_and_bad_shortcodes_are_refused() {
        for bad in [
            "",
            "a",
            "ab",
            "👍👍",
            "🇫",
            "🇫🇷🇫",
            "1",
            "👍a",
            "👩‍",
            "::",
            ":Thumbsup:",
            ":has space:",
            &format!(":{}:", "a".repeat(33)),
            "<script>",
            "\u{200D}",
            "👩‍👩‍👧‍👦👩‍👩‍👧‍👦",
        ] {
            assert!(Emoji::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
