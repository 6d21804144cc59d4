//! Concord's domain: entities, validated value objects and the permission rules
//! of the contract (API.md section 2).
//!
//! Everything here is pure: no I/O, no async, no framework, no serialization.
//! Both HTTP dialects and the realtime gateway reach these rules through the
//! services in `concord-ports`; nothing outside this crate decides who may do what.

pub mod channel;
pub mod conversation;
pub mod event;
pub mod history;
pub mod ids;
pub mod mention;
pub mod message;
pub mod permissions;
pub mod reaction;
pub mod search;
pub mod topic;
pub mod user;
pub mod validation;
pub mod workspace;

pub use channel::{Channel, ChannelKind, ChannelName, ChannelPatch, NewChannel};
pub use conversation::{Conversation, NewConversation};
pub use event::{RoomEvent, RoomEventKind};
pub use history::{AroundSplit, HistoryAt, Window};
pub use ids::{
    AttachmentId, ChannelId, ConversationId, MembershipId, MessageId, RoomId, Seq, UserId,
    WorkspaceId,
};
pub use mention::Mentioned;
pub use message::{Attachment, IdempotencyKey, Message, MessageContent, NewMessage, Page, Room};
pub use permissions::Denied;
pub use reaction::{Emoji, Reaction};
pub use search::SearchQuery;
pub use topic::{Topic, TopicKind, UserTopic};
pub use user::{Email, NewUser, Password, PersonName, User, Username};
pub use validation::{Invalid, Validator};
pub use workspace::{
    Ban, InviteCode, Membership, NewBan, NewWorkspace, Role, Workspace, WorkspaceName,
    WorkspacePatch,
};
