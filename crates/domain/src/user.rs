//! Users and the value objects a sign-up is made of.

use chrono::{DateTime, Utc};

use crate::ids::UserId;
use crate::validation::{Invalid, bounded_text};

/// Longest accepted image URL, in characters.
pub const MAX_URL_CHARS: usize = 2048;

/// A registered user, as every dialect shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub image_url: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl User {
    /// "First Last", the display name both dialects use.
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// A validated sign-up; the password is hashed by the service before it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUser {
    pub username: Username,
    pub email: Email,
    pub password: Password,
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub image_url: Option<String>,
}

/// An email address: trimmed, lower-cased, at most 254 characters, one `@`
/// with a non-empty local part and a dotted domain.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim().to_lowercase();
        let valid = s.chars().count() <= 254
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
            && match s.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                }
                None => false,
            };
        valid
            .then_some(Self(s))
            .ok_or_else(|| Invalid::one("Invalid email"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A username: 1–40 characters of ASCII letters, digits, `_`, `.` and `-`
/// (ASCII so that every client, and the OpenAPI document's pattern, agrees
/// on what a letter is).
/// Uniqueness is case-insensitive (enforced by the store).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Username(String);

/// A byte a username may hold: an ASCII letter or digit, `_`, `.` or `-`.
pub(crate) fn is_username_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

impl Username {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(Invalid::one("Username is required"));
        }
        let ok_chars = s.bytes().all(is_username_byte);
        if s.chars().count() > 40 || !ok_chars {
            return Err(Invalid::one(
                "Username must be 1-40 ASCII letters, digits, '_', '.' or '-'",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A first or last name: trimmed, 1–80 characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PersonName(String);

impl PersonName {
    /// `label` is "First Name" or "Last Name", as the seed spells the errors.
    pub fn parse(raw: &str, label: &str) -> Result<Self, Invalid> {
        bounded_text(raw, label, 1, 80).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A plain-text password: 6–72 characters, as typed (not trimmed). Never
/// logged. Characters, not bytes, so that any client can count them; the
/// hasher sees to it that every one of them counts (bcrypt itself reads only
/// 72 bytes).
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw.chars().count() {
            0 => Err(Invalid::one("Password is required")),
            1..6 => Err(Invalid::one("Password must be at least 6 characters")),
            6..=72 => Ok(Self(raw.to_owned())),
            _ => Err(Invalid::one("Password must be at most 72 characters")),
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// An optional image URL: trimmed, at most 2,048 characters, no whitespace
/// inside; an empty string means "no image".
pub fn parse_image_url(raw: &str) -> Result<Option<String>, Invalid> {
    parse_url(raw, "Image URL")
}

/// An optional URL, checked as [`parse_image_url`] does; `label` names the
/// field in the error.
pub fn parse_url(raw: &str, label: &str) -> Result<Option<String>, Invalid> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.chars().count() > MAX_URL_CHARS || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Invalid::one(format!(
            "{label} must be at most {MAX_URL_CHARS} characters, without spaces"
        )));
    }
    Ok(Some(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse(" John@Example.COM ").unwrap().as_str(),
            "john@example.com"
        );
        for bad in [
            "",
            "john",
            "john@",
            "@example.com",
            "john@example",
            "a b@c.de",
            "a@b@c.de",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn usernames_allow_word_characters_only() {
        assert!(Username::parse("john_doe.2-x").is_ok());
        assert!(Username::parse("john doe").is_err());
        assert!(Username::parse("<script>").is_err());
        // Letters are ASCII letters: look-alikes and combining marks are out.
        for non_ascii in ["jöhn", "ｊohn", "john\u{0903}", "١٢٣"] {
            assert!(Username::parse(non_ascii).is_err(), "{non_ascii}");
        }
        assert!(Username::parse(&"a".repeat(41)).is_err());
        assert_eq!(
            Username::parse("  ").unwrap_err().0,
            vec!["Username is required"]
        );
    }

    #[test]
    fn passwords_fit_bcrypt() {
        assert!(Password::parse("secret").is_ok());
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(73)).is_err());
        // characters, not bytes: 72 of them may be 288 bytes, 3 only 6
        assert!(Password::parse(&"\u{1F600}".repeat(72)).is_ok());
        assert!(Password::parse(&"\u{1F600}".repeat(73)).is_err());
        assert!(Password::parse("ééé").is_err());
        assert_eq!(
            format!("{:?}", Password::parse("secret!").unwrap()),
            "Password(***)"
        );
    }

    #[test]
    fn names_use_the_seed_labels() {
        assert_eq!(
            PersonName::parse("", "First Name").unwrap_err().0,
            vec!["First Name is required"]
        );
        assert!(PersonName::parse(&"n".repeat(81), "Last Name").is_err());
    }

    #[test]
    fn image_urls_are_optional_and_bounded() {
        assert_eq!(parse_image_url("").unwrap(), None);
        assert_eq!(
            parse_image_url(" https://x.io/a.png ").unwrap().as_deref(),
            Some("https://x.io/a.png")
        );
        assert!(parse_image_url("https://x.io/a b.png").is_err());
        assert!(parse_image_url(&"h".repeat(2049)).is_err());
    }
}
