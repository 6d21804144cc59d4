//! Collecting validation failures, so that a client learns about every failing
//! field at once rather than one per round trip.

use std::fmt;

/// A request that broke one or more input rules. Each entry is a sentence a
/// person can read ("Name is required").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid(pub Vec<String>);

impl Invalid {
    /// A single failure.
    pub fn one(msg: impl Into<String>) -> Self {
        Self(vec![msg.into()])
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("; "))
    }
}

impl std::error::Error for Invalid {}

/// Accumulates field checks: `check` each field, then `finish`.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<String>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the outcome of one field's parse and hands back its value.
    pub fn check<T>(&mut self, result: Result<T, Invalid>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(Invalid(errs)) => {
                self.errors.extend(errs);
                None
            }
        }
    }

    /// Records a required field: absent is `"{label} is required"`.
    pub fn require<R, T>(
        &mut self,
        label: &str,
        raw: Option<R>,
        parse: impl FnOnce(R) -> Result<T, Invalid>,
    ) -> Option<T> {
        match raw {
            Some(raw) => self.check(parse(raw)),
            None => {
                self.errors.push(format!("{label} is required"));
                None
            }
        }
    }

    /// Records an optional field: absent stays `None` without error.
    pub fn optional<R, T>(
        &mut self,
        raw: Option<R>,
        parse: impl FnOnce(R) -> Result<T, Invalid>,
    ) -> Option<T> {
        raw.and_then(|raw| self.check(parse(raw)))
    }

    /// Adds a failure that is not tied to one field's parse.
    pub fn fail(&mut self, msg: impl Into<String>) {
        self.errors.push(msg.into());
    }

    /// `Ok(value)` when no check failed. `build` runs only then, so it may
    /// unwrap the `Option`s it captured through [`Option::unwrap_or_default`]
    /// or pattern matching without fear.
    pub fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T, Invalid> {
        if !self.errors.is_empty() {
            return Err(Invalid(self.errors));
        }
        build().ok_or_else(|| Invalid::one("Invalid request body"))
    }
}

/// Trims `raw` and checks its length in characters and the absence of control
/// characters; `label` names the field in the error.
pub(crate) fn bounded_text(
    raw: &str,
    label: &str,
    min: usize,
    max: usize,
) -> Result<String, Invalid> {
    let s = raw.trim();
    let len = s.chars().count();
    if len < min {
        return Err(Invalid::one(if min == 1 {
            format!("{label} is required")
        } else {
            format!("{label} must be at least {min} characters")
        }));
    }
    if len > max {
        return Err(Invalid::one(format!(
            "{label} must be at most {max} characters"
        )));
    }
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(Invalid::one(format!(
            "{label} must not contain control characters"
        )));
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failing_field_is_reported() {
        let mut v = Validator::new();
        let a: Option<String> = v.require("Name", None::<&str>, |s| bounded_text(s, "Name", 1, 80));
        let b = v.require("Description", Some(""), |s| {
            bounded_text(s, "Description", 1, 10)
        });
        let err = v.finish(|| Some((a?, b?))).unwrap_err();
        assert_eq!(err.0, vec!["Name is required", "Description is required"]);
    }

    #[test]
    fn text_is_trimmed_and_bounded_in_characters_not_bytes() {
        assert_eq!(bounded_text("  héllo ", "Name", 1, 5).unwrap(), "héllo");
        assert!(bounded_text("héllo!", "Name", 1, 5).is_err());
        assert!(bounded_text("a\u{0}b", "Name", 1, 5).is_err());
    }
}
