//! Mentions in message text (API.md section 7): `@username` (any case, a
//! whole word) and `<@userId>`. Parsing finds who a text names; whether
//! they may read the room, and so count as mentioned, is the use case's
//! question.

use crate::ids::UserId;
use crate::user::is_username_byte;

/// Most distinct users one message mentions; the rest are plain text.
pub const MAX_MENTIONS: usize = 50;

/// Who a message's text names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mentioned {
    /// Usernames after `@`, lowercased, each once.
    pub usernames: Vec<String>,
    /// Ids inside `<@…>`, each once.
    pub user_ids: Vec<UserId>,
}

impl Mentioned {
    /// The names and ids `text` mentions, at most [`MAX_MENTIONS`] of each.
    pub fn parse(text: &str) -> Self {
        let mut found = Mentioned::default();
        if !text.contains('@') {
            return found;
        }
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'<' && bytes.get(i + 1) == Some(&b'@') {
                let digits = bytes[i + 2..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                let end = i + 2 + digits;
                if digits > 0 && bytes.get(end) == Some(&b'>') {
                    if let Some(id) = text[i + 2..end].parse::<i64>().ok().and_then(UserId::parse) {
                        push_once(&mut found.user_ids, id);
                    }
                    i = end + 1;
                    continue;
                }
            }
            if bytes[i] == b'@' && (i == 0 || !is_word_byte(bytes[i - 1])) {
                let len = bytes[i + 1..]
                    .iter()
                    .take_while(|&&b| is_username_byte(b))
                    .count();
                // A name ends where a word does: "@bob." mentions bob.
                let name = text[i + 1..i + 1 + len].trim_end_matches(['.', '-']);
                let whole_word = !bytes
                    .get(i + 1 + len)
                    .is_some_and(|&b| b >= 0x80 || b == b'@');
                if !name.is_empty() && name.len() <= 40 && whole_word {
                    push_once(&mut found.usernames, name.to_ascii_lowercase());
                }
                i += 1 + len.max(1);
                continue;
            }
            i += 1;
        }
        found.usernames.truncate(MAX_MENTIONS);
        found.user_ids.truncate(MAX_MENTIONS);
        found
    }

    pub fn is_empty(&self) -> bool {
        self.usernames.is_empty() && self.user_ids.is_empty()
    }
}

fn push_once<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// A byte that, before `@`, makes it no name mention: part of a word (an
/// email address), or a malformed `<@id>`.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'<') || b >= 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        Mentioned::parse(text).usernames
    }

    #[test]
    fn at_names_are_found_once_in_any_case_as_whole_words() {
        assert_eq!(names("hi @Ada and @bob."), ["ada", "bob"]);
        assert_eq!(names("@ada @ADA"), ["ada"]);
        assert_eq!(names("(@ada), @bob!"), ["ada", "bob"]);
        assert!(names("mail ada@example.com").is_empty());
        assert!(names("@ café").is_empty());
        assert!(names("@adaé").is_empty());
        assert!(names("no mention").is_empty());
    }

    #[test]
    fn id_mentions_are_found_and_bad_ones_ignored() {
        let m = Mentioned::parse("<@12> <@12> <@x> <@> <@0> <@99999999999999999999> <@7>");
        assert_eq!(m.user_ids, [UserId::new(12), UserId::new(7)]);
        assert!(m.usernames.is_empty());
    }

    #[test]
    fn a_flood_of_mentions_is_bounded() {
        let text: String = (0..200).map(|i| format!("@u{i} <@{}> ", i + 1)).collect();
        let m = Mentioned::parse(&text);
        assert_eq!(m.usernames.len(), MAX_MENTIONS);
        assert_eq!(m.user_ids.len(), MAX_MENTIONS);
    }
}
