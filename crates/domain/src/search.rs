//! Message search: the query a member types.
//!
//! The query is web-search syntax (words, `"quoted phrases"`, `-excluded`,
//! `or`), read by the store's own parser; this type only bounds it. Whether
//! it names anything to look for is for that parser to say (a query of
//! nothing but operators or excluded words does not), so the store reports
//! it.

use crate::validation::Invalid;

/// Longest search query, in characters after trimming.
pub const MAX_QUERY_CHARS: usize = 200;

/// A search query: trimmed, 1–200 characters, no NUL byte.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SearchQuery(String);

impl SearchQuery {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.contains('\0') {
            return Err(Invalid::one("Search query must not contain NUL bytes"));
        }
        let s = raw.trim();
        match s.chars().count() {
            0 => Err(Invalid::one("Search query is required")),
            n if n > MAX_QUERY_CHARS => Err(Invalid::one(format!(
                "Search query must be at most {MAX_QUERY_CHARS} characters"
            ))),
            _ => Ok(Self(s.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a query is refused when it names nothing a message could be found
/// by: only operators, only excluded words, or no word at all.
pub const NOTHING_TO_FIND: &str =
    "Search query must contain a word to find (not only operators or excluded words)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_trimmed_and_bounded_in_characters() {
        assert_eq!(SearchQuery::parse("  cat  ").unwrap().as_str(), "cat");
        assert!(SearchQuery::parse(&"я".repeat(200)).is_ok());
        assert_eq!(
            SearchQuery::parse(&"я".repeat(201)).unwrap_err().0,
            vec!["Search query must be at most 200 characters"]
        );
    }

    #[test]
    fn an_empty_or_blank_query_is_refused() {
        for raw in ["", "   ", "\n\t"] {
            assert_eq!(
                SearchQuery::parse(raw).unwrap_err().0,
                vec!["Search query is required"],
                "{raw:?}"
            );
        }
    }

    #[test]
    fn syntax_is_kept_verbatim_for_the_parser_but_nul_is_refused() {
        for raw in [
            "\"big cat\" -dog or mouse",
            "'; DROP TABLE messages; --",
            "東京 タワー",
        ] {
            assert_eq!(SearchQuery::parse(raw).unwrap().as_str(), raw);
        }
        assert!(SearchQuery::parse("a\0b").is_err());
    }
}
