//! Conversations (direct messages): rooms of two or more members of one
//! workspace, or a member's own notes.

use concord_domain::{
    Conversation, ConversationId, Invalid, MembershipId, NewConversation, Role, UserId,
    WorkspaceId, conversation::direct_key, permissions,
};
use concord_ports::AccessChange;

use crate::workspaces::not_found;
use crate::{Authored, Conversations, Missing, NOT_A_MEMBER, ServiceError, Shared};

impl Conversations {
    /// Start a conversation of `actor` and `new.others`, all members of the
    /// workspace. Without others it is the caller's own notes, as a
    /// conversation naming only the caller.
    /// # Errors
    /// `NotFound(WorkspaceMember)` if one is not a member.
    pub fn create_conversation(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
        new: NewConversation,
    ) -> Result<Conversation, ServiceError> {
        self.member_of(actor, workspace)?;
        for user in &new.others {
            if self.ports.members.membership(workspace, *user)?.is_none() {
                return Err(ServiceError::NotFound(Missing::WorkspaceMember));
            }
        }
        let conversation = self
            .ports
            .conversations
            .create_conversation(workspace, actor, &new, None)
            .map_err(not_found(Missing::WorkspaceMember))?;
        self.announce_participants(&conversation);
        Ok(conversation)
    }

    /// The one 1:1 conversation between `actor` and `other` in `workspace`,
    /// created on first use.
    fn direct_conversation(
        &self,
        actor: UserId,
        workspace: WorkspaceId,
        other: UserId,
    ) -> Result<Conversation, ServiceError> {
        self.member_of(actor, workspace)?;
        if other == actor {
            return Err(Invalid::one("A conversation needs another member").into());
        }
        if self.ports.members.membership(workspace, other)?.is_none() {
            return Err(ServiceError::NotFound(Missing::WorkspaceMember));
        }
        let new = NewConversation::new(actor, None, [other]);
        let conversation = self
            .ports
            .conversations
            .create_conversation(workspace, actor, &new, Some(direct_key(actor, other)))
            .map_err(not_found(Missing::WorkspaceMember))?;
        // Perhaps found rather than created: the store does not say, and a
        // gain announced twice costs one re-read.
        self.announce_participants(&conversation);
        Ok(conversation)
    }

    /// Every participant of a new conversation gains it.
    fn announce_participants(&self, conversation: &Conversation) {
        for &user in &conversation.participants {
            self.announce(AccessChange::UserGained(user));
        }
    }

    /// The conversations `actor` takes part in, optionally in one workspace;
    /// those of workspaces they have left are not shown (nor readable).
    pub fn list_conversations(
        &self,
        actor: UserId,
        workspace: Option<WorkspaceId>,
    ) -> Result<Vec<Conversation>, ServiceError> {
        let mine: Vec<WorkspaceId> = self
            .ports
            .workspaces
            .workspaces_of_user(actor)?
            .iter()
            .map(|w| w.id)
            .collect();
        let all = self
            .ports
            .conversations
            .conversations_of_user(actor, workspace)?;
        Ok(all
            .into_iter()
            .filter(|c| mine.contains(&c.workspace_id))
            .collect())
    }

    /// One conversation; participants only.
    pub fn get_conversation(
        &self,
        actor: UserId,
        id: ConversationId,
    ) -> Result<Conversation, ServiceError> {
        let (conversation, _) = self.readable_conversation(actor, id)?;
        Ok(conversation)
    }

    /// Retitle a conversation; its creator alone.
    pub fn set_conversation_topic(
        &self,
        actor: UserId,
        id: ConversationId,
        topic: Option<String>,
    ) -> Result<Conversation, ServiceError> {
        let (conversation, _) = self.readable_conversation(actor, id)?;
        permissions::manage_conversation(actor, conversation.creator_id)?;
        self.ports
            .conversations
            .set_conversation_topic(id, topic)
            .map_err(not_found(Missing::Conversation))
    }

    /// Delete a conversation and its messages; its creator alone.
    pub fn delete_conversation(
        &self,
        actor: UserId,
        id: ConversationId,
    ) -> Result<Conversation, ServiceError> {
        let (conversation, _) = self.readable_conversation(actor, id)?;
        permissions::manage_conversation(actor, conversation.creator_id)?;
        self.ports
            .conversations
            .delete_conversation(id)
            .map_err(not_found(Missing::Conversation))?;
        self.announce(AccessChange::Room(id.into()));
        Ok(conversation)
    }

    /// The one 1:1 conversation between `actor` and the member `member` of
    /// `server`, created on first use, with every member of the server (the
    /// server dialect shows participants with their membership).
    /// # Errors
    /// `NotFound(Member)` for no such member of the server.
    pub fn start_direct(
        &self,
        actor: UserId,
        server: WorkspaceId,
        member: MembershipId,
    ) -> Result<Authored<Conversation>, ServiceError> {
        self.member_of(actor, server)?;
        let members = self.ports.members.members_with_users(server)?;
        let other = self.membership_in(server, member)?.user_id;
        Ok(Authored {
            value: self.direct_conversation(actor, server, other)?,
            members,
        })
    }
}

impl Shared {
    /// A conversation the caller takes part in and whose workspace they still belong to.
    pub(crate) fn readable_conversation(
        &self,
        actor: UserId,
        id: ConversationId,
    ) -> Result<(Conversation, Role), ServiceError> {
        let conversation = self
            .ports
            .conversations
            .conversation_by_id(id)?
            .ok_or(ServiceError::NotFound(Missing::Conversation))?;
        permissions::use_conversation(conversation.has_participant(actor))?;
        let me = self
            .ports
            .members
            .membership(conversation.workspace_id, actor)?
            .ok_or(ServiceError::Forbidden(NOT_A_MEMBER))?;
        Ok((conversation, me.role))
    }
}
