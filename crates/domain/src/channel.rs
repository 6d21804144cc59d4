//! Channels: public or private rooms inside a workspace.

use chrono::{DateTime, NaiveDate, Utc};

use crate::ids::{ChannelId, UserId, WorkspaceId};
use crate::validation::{Invalid, bounded_text};

/// The name of the channel every workspace is created with. It can be neither
/// renamed nor deleted, and no other channel may take the name.
pub const GENERAL: &str = "general";

/// The kind of a channel (the server dialect's `type`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ChannelKind {
    #[default]
    Text,
    Audio,
    Video,
}

impl ChannelKind {
    /// The upper-case name the server dialect and the store use.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Text => "TEXT",
            ChannelKind::Audio => "AUDIO",
            ChannelKind::Video => "VIDEO",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw.trim().to_ascii_uppercase().as_str() {
            "TEXT" => Ok(ChannelKind::Text),
            "AUDIO" => Ok(ChannelKind::Audio),
            "VIDEO" => Ok(ChannelKind::Video),
            _ => Err(Invalid::one("Type must be one of TEXT, AUDIO, VIDEO")),
        }
    }
}

/// A channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channel {
    pub id: ChannelId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub kind: ChannelKind,
    pub description: Option<String>,
    pub topic: Option<String>,
    pub private: bool,
    /// The member who created it (the workspace dialect's `owner_id`).
    pub creator_id: UserId,
    /// The undeletable channel made with the workspace.
    pub is_general: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_message_at: Option<DateTime<Utc>>,
}

impl Channel {
    /// The day the channel was created (the workspace dialect's `date_created`).
    pub fn date_created(&self) -> NaiveDate {
        self.created_at.date_naive()
    }
}

/// A channel name: trimmed, 1–80 characters, and never `general`, which
/// belongs to the channel each workspace is created with.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChannelName(String);

impl ChannelName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = bounded_text(raw, "Name", 1, 80)?;
        if s.eq_ignore_ascii_case(GENERAL) {
            return Err(Invalid::one("Name cannot be 'general'"));
        }
        Ok(Self(s))
    }

    /// Like [`ChannelName::parse`], but lets `general` through, for a patch
    /// that may repeat the general channel's own name. Whether that is a rename
    /// is decided against the channel by [`ChannelPatch::renames`] and
    /// [`ChannelPatch::takes_reserved_name`].
    pub fn parse_in_patch(raw: &str) -> Result<Self, Invalid> {
        let s = bounded_text(raw, "Name", 1, 80)?;
        if s.eq_ignore_ascii_case(GENERAL) {
            Ok(Self(GENERAL.to_owned()))
        } else {
            Self::parse(&s)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a caller asks to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewChannel {
    pub name: ChannelName,
    pub kind: ChannelKind,
    pub description: Option<String>,
    pub topic: Option<String>,
    pub private: bool,
}

/// A partial update: `None` leaves a field as it is; `Some(None)` clears an
/// optional one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelPatch {
    pub name: Option<ChannelName>,
    pub kind: Option<ChannelKind>,
    pub description: Option<Option<String>>,
    pub topic: Option<Option<String>>,
    pub private: Option<bool>,
}

impl ChannelPatch {
    /// Whether the patch would rename the channel to something other than its name.
    pub fn renames(&self, channel: &Channel) -> bool {
        self.name
            .as_ref()
            .is_some_and(|n| n.as_str() != channel.name)
    }

    /// Whether the patch would give a channel other than `general` the reserved name.
    pub fn takes_reserved_name(&self, channel: &Channel) -> bool {
        !channel.is_general && self.name.as_ref().is_some_and(|n| n.as_str() == GENERAL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_channel_may_be_named_general() {
        assert!(ChannelName::parse("General").is_err());
        assert!(ChannelName::parse(" general ").is_err());
        assert!(ChannelName::parse("general-chat").is_ok());
    }

    #[test]
    fn a_patch_may_repeat_general_but_only_on_general() {
        assert_eq!(
            ChannelName::parse_in_patch(" General ").unwrap().as_str(),
            GENERAL
        );
        assert!(ChannelName::parse_in_patch("").is_err());
    }

    #[test]
    fn channel_kinds_parse_case_insensitively() {
        assert_eq!(ChannelKind::parse("video").unwrap(), ChannelKind::Video);
        assert!(ChannelKind::parse("FAX").is_err());
    }
}
