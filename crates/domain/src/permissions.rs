//! Who may do what: the permission table of API.md section 2 as pure functions
//! over facts the service has already loaded.
//!
//! Each function answers `Ok(())` or `Err(Denied(reason))`; the reason is the
//! sentence a client sees in the 403 envelope's `errors`. Being a member of the
//! workspace at all is checked by the service before any of these run, since a
//! non-member has no [`Role`] to pass.

use crate::channel::Channel;
use crate::ids::UserId;
use crate::topic::UserTopic;
use crate::workspace::{Membership, Role, Workspace};

/// The action is not allowed; the reason is shown to the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub &'static str);

fn allow_if(ok: bool, reason: &'static str) -> Result<(), Denied> {
    if ok { Ok(()) } else { Err(Denied(reason)) }
}

/// Editing a workspace's name, description or image: owner and admins.
pub fn edit_workspace(actor: Role) -> Result<(), Denied> {
    allow_if(
        actor >= Role::Admin,
        "Only the owner or an admin can edit the workspace",
    )
}

/// Deleting a workspace: the owner alone.
pub fn delete_workspace(actor: Role) -> Result<(), Denied> {
    allow_if(
        actor == Role::Owner,
        "Only the owner can delete the workspace",
    )
}

/// Adding a user to a workspace directly (not by invite code): owner and admins.
pub fn add_member(actor: Role) -> Result<(), Denied> {
    allow_if(
        actor >= Role::Admin,
        "Only the owner or an admin can add members",
    )
}

/// Regenerating the invite code: owner and admins.
pub fn regenerate_invite_code(actor: Role) -> Result<(), Denied> {
    allow_if(
        actor >= Role::Admin,
        "Only the owner or an admin can regenerate the invite code",
    )
}

/// Changing `target`'s role to `new_role`. Owner and admins may; nobody changes
/// the owner's role or their own; only the owner makes (or unmakes) admins; the
/// owner role cannot be given.
pub fn change_role(actor: &Membership, target: &Membership, new_role: Role) -> Result<(), Denied> {
    allow_if(
        actor.role >= Role::Admin,
        "Only the owner or an admin can change roles",
    )?;
    allow_if(
        target.role != Role::Owner,
        "The owner's role cannot be changed",
    )?;
    allow_if(
        target.user_id != actor.user_id,
        "You cannot change your own role",
    )?;
    allow_if(new_role != Role::Owner, "The owner role cannot be given")?;
    allow_if(
        actor.role == Role::Owner || (new_role < Role::Admin && target.role < Role::Admin),
        "Only the owner can make or change admins",
    )
}

/// Removing (kicking) `target` from the workspace. Owner and admins may kick
/// anyone ranked below them; moderators may kick guests; the owner is never
/// kicked; leaving yourself is [`leave_workspace`].
pub fn kick_member(actor: &Membership, target: &Membership) -> Result<(), Denied> {
    allow_if(target.role != Role::Owner, "The owner cannot be removed")?;
    allow_if(
        target.user_id != actor.user_id,
        "Leave the workspace instead of removing yourself",
    )?;
    allow_if(
        outranks_for_removal(actor.role, target.role),
        match actor.role {
            Role::Moderator => "Moderators can only remove guests",
            Role::Guest => "Only the owner, an admin or a moderator can remove members",
            _ => "Only the owner can remove an admin",
        },
    )
}

/// Banning `target`, who holds `target_role` (`Guest` if not a member; the
/// role they were banned with if banned already), from the workspace: the
/// same ranks as kicking. Owner and admins ban anyone ranked below them,
/// moderators ban guests; nobody bans the owner or themself.
pub fn ban_member(actor: &Membership, target: UserId, target_role: Role) -> Result<(), Denied> {
    allow_if(target_role != Role::Owner, "The owner cannot be banned")?;
    allow_if(target != actor.user_id, "You cannot ban yourself")?;
    allow_if(
        outranks_for_removal(actor.role, target_role),
        match actor.role {
            Role::Moderator => "Moderators can only ban guests",
            Role::Guest => "Only the owner, an admin or a moderator can ban members",
            _ => "Only the owner can ban an admin",
        },
    )
}

/// Lifting a ban: whoever could have placed it, ranked against `banned_role`,
/// the role the user was banned with. With no ban to lift (`None`), anyone who
/// may ban at all (moderators and up) is told there is nothing to do.
pub fn lift_ban(actor: &Membership, banned_role: Option<Role>) -> Result<(), Denied> {
    allow_if(
        actor.role >= Role::Moderator,
        "Only the owner, an admin or a moderator can lift bans",
    )?;
    allow_if(
        banned_role.is_none_or(|role| outranks_for_removal(actor.role, role)),
        match actor.role {
            Role::Moderator => "Moderators can only lift bans of guests",
            _ => "Only the owner can lift the ban of an admin",
        },
    )
}

/// Listing a workspace's bans: those who may ban, moderators and up.
pub fn list_bans(actor: Role) -> Result<(), Denied> {
    allow_if(
        actor >= Role::Moderator,
        "Only the owner, an admin or a moderator can list bans",
    )
}

/// Whether `actor` ranks high enough to remove (kick or ban) someone of
/// `target`'s rank: the owner removes anyone, admins remove moderators and
/// guests, moderators remove guests.
fn outranks_for_removal(actor: Role, target: Role) -> bool {
    actor == Role::Owner || actor >= Role::Moderator && target < actor && target < Role::Admin
}

/// Leaving a workspace: anyone but the owner.
pub fn leave_workspace(actor: Role) -> Result<(), Denied> {
    allow_if(actor != Role::Owner, "The owner cannot leave the workspace")
}

/// Creating a channel: any member when the workspace lets members create
/// channels, else moderators and up.
pub fn create_channel(actor: Role, workspace: &Workspace) -> Result<(), Denied> {
    allow_if(
        workspace.members_can_create_channels || actor >= Role::Moderator,
        "Only moderators and up can create channels in this workspace",
    )
}

/// Reading a channel (and its messages): any member for a public channel; for a
/// private one its members, the owner and admins. Its creator counts as one of
/// its members even after leaving it, so keeps the creator's rights to edit,
/// delete and add users to it.
pub fn see_channel(actor: &Membership, channel: &Channel, in_channel: bool) -> Result<(), Denied> {
    allow_if(
        !channel.private
            || in_channel
            || channel.creator_id == actor.user_id
            || actor.role >= Role::Admin,
        "This channel is private",
    )
}

/// Editing a channel: its creator and moderators and up; the `general` channel
/// keeps its name.
pub fn edit_channel(actor: &Membership, channel: &Channel, renames: bool) -> Result<(), Denied> {
    allow_if(
        channel.creator_id == actor.user_id || actor.role >= Role::Moderator,
        "Must be channel owner to edit a channel",
    )?;
    allow_if(
        !(channel.is_general && renames),
        "The general channel cannot be renamed",
    )
}

/// Deleting a channel: its creator and moderators and up; never `general`.
pub fn delete_channel(actor: &Membership, channel: &Channel) -> Result<(), Denied> {
    allow_if(
        channel.creator_id == actor.user_id || actor.role >= Role::Moderator,
        "Must be channel owner to delete a channel",
    )?;
    allow_if(!channel.is_general, "The general channel cannot be deleted")
}

/// Adding `target` to a channel. Public channels: its members (and the owner
/// and admins), and anyone joining themselves. Private channels: the creator,
/// the owner and admins. That `target` is a workspace member is checked by the
/// service.
pub fn add_to_channel(
    actor: &Membership,
    channel: &Channel,
    actor_in_channel: bool,
    target: UserId,
) -> Result<(), Denied> {
    let ok = if channel.private {
        channel.creator_id == actor.user_id || actor.role >= Role::Admin
    } else {
        actor_in_channel || actor.role >= Role::Admin || target == actor.user_id
    };
    allow_if(ok, "You cannot add users to this channel")
}

/// Removing `target` from a channel: the creator, the owner, admins, or the
/// user themself.
pub fn remove_from_channel(
    actor: &Membership,
    channel: &Channel,
    target: UserId,
) -> Result<(), Denied> {
    allow_if(
        channel.creator_id == actor.user_id || actor.role >= Role::Admin || target == actor.user_id,
        "Must be channel owner or current user",
    )
}

/// Editing a message: its author alone, and never once it is deleted.
pub fn edit_message(actor: UserId, author: UserId, deleted: bool) -> Result<(), Denied> {
    allow_if(actor == author, "Only the author can edit a message")?;
    allow_if(!deleted, "A deleted message cannot be edited")
}

/// Deleting a message: its author, or moderators and up in its workspace.
/// `actor_role` is `None` in a conversation's context where only authorship counts.
pub fn delete_message(
    actor: UserId,
    actor_role: Option<Role>,
    author: UserId,
) -> Result<(), Denied> {
    allow_if(
        actor == author || actor_role.is_some_and(|r| r >= Role::Moderator),
        "Only the author or a moderator can delete a message",
    )
}

/// Pinning or unpinning a message of a channel: the channel's creator and
/// moderators and up. (In a conversation every participant may: see
/// [`use_conversation`].)
pub fn pin_in_channel(actor: &Membership, channel: &Channel) -> Result<(), Denied> {
    allow_if(
        channel.creator_id == actor.user_id || actor.role >= Role::Moderator,
        "Only the channel's creator or a moderator can pin messages",
    )
}

/// Following a user's own topic (`user:{id}`, their read state on every
/// device): that user alone.
pub fn follow_user_topic(actor: UserId, topic: &UserTopic) -> Result<(), Denied> {
    allow_if(
        topic.user_id == actor,
        "You may only follow your own user topic",
    )
}

/// Reading or posting in a conversation: its participants alone.
pub fn use_conversation(is_participant: bool) -> Result<(), Denied> {
    allow_if(
        is_participant,
        "User does not have permission to send message in this Direct Message",
    )
}

/// Retitling or deleting a conversation: its creator alone.
pub fn manage_conversation(actor: UserId, creator: UserId) -> Result<(), Denied> {
    allow_if(
        actor == creator,
        "Only the creator can change this conversation",
    )
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::channel::ChannelKind;
    use crate::ids::{ChannelId, MembershipId, WorkspaceId};

    use Role::{Admin, Guest, Moderator, Owner};

    const ALL: [Role; 4] = [Owner, Admin, Moderator, Guest];

    fn member(user: i64, role: Role) -> Membership {
        let t = Utc.timestamp_opt(0, 0).unwrap();
        Membership {
            id: MembershipId::new(user * 10),
            workspace_id: WorkspaceId::new(1),
            user_id: UserId::new(user),
            role,
            created_at: t,
            updated_at: t,
        }
    }

    fn workspace(members_can_create_channels: bool) -> Workspace {
        let t = Utc.timestamp_opt(0, 0).unwrap();
        Workspace {
            id: WorkspaceId::new(1),
            name: "w".into(),
            description: None,
            image_url: None,
            owner_id: UserId::new(1),
            invite_code: "abcdefghijkl".into(),
            members_can_create_channels,
            created_at: t,
            updated_at: t,
        }
    }

    fn channel(creator: i64, private: bool, is_general: bool) -> Channel {
        let t = Utc.timestamp_opt(0, 0).unwrap();
        Channel {
            id: ChannelId::new(5),
            workspace_id: WorkspaceId::new(1),
            name: "c".into(),
            kind: ChannelKind::Text,
            description: None,
            topic: None,
            private,
            creator_id: UserId::new(creator),
            is_general,
            created_at: t,
            updated_at: t,
            last_message_at: None,
        }
    }

    /// Asserts `rule` allows exactly the roles in `allowed`.
    fn only(allowed: &[Role], rule: impl Fn(Role) -> Result<(), Denied>) {
        for role in ALL {
            assert_eq!(rule(role).is_ok(), allowed.contains(&role), "{role:?}");
        }
    }

    #[test]
    fn owner_and_admins_edit_a_workspace() {
        only(&[Owner, Admin], edit_workspace);
    }

    #[test]
    fn only_the_owner_deletes_a_workspace() {
        only(&[Owner], delete_workspace);
    }

    #[test]
    fn owner_and_admins_add_members_and_regenerate_invites() {
        only(&[Owner, Admin], add_member);
        only(&[Owner, Admin], regenerate_invite_code);
    }

    #[test]
    fn everyone_but_the_owner_may_leave() {
        only(&[Admin, Moderator, Guest], leave_workspace);
    }

    #[test]
    fn role_changes_follow_the_table() {
        // (actor role, target role, new role, allowed)
        let rows = [
            (Owner, Guest, Admin, true),
            (Owner, Admin, Guest, true),
            (Owner, Moderator, Guest, true),
            (Admin, Guest, Moderator, true),
            (Admin, Moderator, Guest, true),
            (Admin, Guest, Admin, false),
            (Admin, Admin, Guest, false),
            (Moderator, Guest, Moderator, false),
            (Guest, Guest, Moderator, false),
            (Owner, Guest, Owner, false),
            (Admin, Owner, Guest, false),
        ];
        for (actor, target, new_role, allowed) in rows {
            let got = change_role(&member(1, actor), &member(2, target), new_role);
            assert_eq!(
                got.is_ok(),
                allowed,
                "{actor:?} sets {target:?} to {new_role:?}"
            );
        }
    }

    #[test]
    fn nobody_changes_their_own_role() {
        for role in ALL {
            assert!(change_role(&member(1, role), &member(1, role), Guest).is_err());
        }
    }

    /// (actor role, target role, whether the actor may kick or ban the
    /// target): kicks and bans follow the same ranks.
    const RANKS: [(Role, Role, bool); 13] = [
        (Owner, Admin, true),
        (Owner, Moderator, true),
        (Owner, Guest, true),
        (Admin, Moderator, true),
        (Admin, Guest, true),
        (Admin, Admin, false),
        (Admin, Owner, false),
        (Moderator, Guest, true),
        (Moderator, Moderator, false),
        (Moderator, Admin, false),
        (Moderator, Owner, false),
        (Guest, Guest, false),
        (Guest, Moderator, false),
    ];

    #[test]
    fn kicks_follow_rank() {
        for (actor, target, allowed) in RANKS {
            let got = kick_member(&member(1, actor), &member(2, target));
            assert_eq!(got.is_ok(), allowed, "{actor:?} kicks {target:?}");
        }
    }

    #[test]
    fn nobody_kicks_themselves() {
        assert!(kick_member(&member(1, Owner), &member(1, Owner)).is_err());
        assert!(kick_member(&member(2, Admin), &member(2, Admin)).is_err());
    }

    #[test]
    fn bans_follow_the_ranks_of_kicks() {
        for (actor, target, allowed) in RANKS {
            let got = ban_member(&member(1, actor), UserId::new(2), target);
            assert_eq!(got.is_ok(), allowed, "{actor:?} bans {target:?}");
        }
    }

    #[test]
    fn nobody_bans_themselves_or_the_owner() {
        for role in ALL {
            let err = ban_member(&member(1, role), UserId::new(1), role).unwrap_err();
            let expected = if role == Owner {
                "The owner cannot be banned"
            } else {
                "You cannot ban yourself"
            };
            assert_eq!(err, Denied(expected), "{role:?}");
        }
        assert_eq!(
            ban_member(&member(1, Admin), UserId::new(2), Owner),
            Err(Denied("The owner cannot be banned"))
        );
    }

    #[test]
    fn a_ban_is_lifted_by_whoever_could_have_placed_it() {
        // (actor role, role the user was banned with, allowed)
        let rows = [
            (Owner, Admin, true),
            (Owner, Guest, true),
            (Admin, Moderator, true),
            (Admin, Admin, false),
            (Moderator, Guest, true),
            (Moderator, Moderator, false),
            (Guest, Guest, false),
        ];
        for (actor, banned, allowed) in rows {
            let got = lift_ban(&member(1, actor), Some(banned));
            assert_eq!(got.is_ok(), allowed, "{actor:?} lifts a ban of {banned:?}");
        }
    }

    #[test]
    fn lifting_no_ban_is_for_moderators_and_up() {
        only(&[Owner, Admin, Moderator], |r| {
            lift_ban(&member(1, r), None)
        });
    }

    #[test]
    fn moderators_and_up_list_bans() {
        only(&[Owner, Admin, Moderator], list_bans);
    }

    #[test]
    fn channel_creation_depends_on_the_workspace_setting() {
        only(&ALL, |r| create_channel(r, &workspace(true)));
        only(&[Owner, Admin, Moderator], |r| {
            create_channel(r, &workspace(false))
        });
    }

    #[test]
    fn public_channels_are_visible_to_every_member() {
        for role in ALL {
            assert!(see_channel(&member(2, role), &channel(1, false, false), false).is_ok());
        }
    }

    #[test]
    fn private_channels_are_visible_to_their_members_owner_and_admins() {
        let private = channel(1, true, false);
        only(&[Owner, Admin], |r| {
            see_channel(&member(2, r), &private, false)
        });
        for role in ALL {
            assert!(see_channel(&member(2, role), &private, true).is_ok());
            // The creator, here user 1, whether or not still in it.
            assert!(see_channel(&member(1, role), &private, false).is_ok());
        }
    }

    #[test]
    fn channels_are_edited_by_their_creator_and_moderators_up() {
        let c = channel(1, false, false);
        only(&[Owner, Admin, Moderator], |r| {
            edit_channel(&member(2, r), &c, true)
        });
        assert!(edit_channel(&member(1, Guest), &c, true).is_ok());
        only(&[Owner, Admin, Moderator], |r| {
            delete_channel(&member(2, r), &c)
        });
        assert!(delete_channel(&member(1, Guest), &c).is_ok());
    }

    #[test]
    fn general_keeps_its_name_and_is_never_deleted() {
        let general = channel(1, false, true);
        for role in ALL {
            assert!(edit_channel(&member(1, role), &general, true).is_err());
            assert!(delete_channel(&member(1, role), &general).is_err());
        }
        assert!(edit_channel(&member(1, Owner), &general, false).is_ok());
    }

    #[test]
    fn public_channel_members_add_others_and_anyone_joins_themselves() {
        let c = channel(1, false, false);
        assert!(add_to_channel(&member(2, Guest), &c, true, UserId::new(3)).is_ok());
        assert!(add_to_channel(&member(2, Guest), &c, false, UserId::new(3)).is_err());
        assert!(add_to_channel(&member(2, Guest), &c, false, UserId::new(2)).is_ok());
        assert!(add_to_channel(&member(2, Admin), &c, false, UserId::new(3)).is_ok());
    }

    #[test]
    fn private_channels_are_joined_only_through_creator_owner_or_admin() {
        let c = channel(1, true, false);
        assert!(add_to_channel(&member(1, Guest), &c, true, UserId::new(3)).is_ok());
        only(&[Owner, Admin], |r| {
            add_to_channel(&member(2, r), &c, true, UserId::new(3))
        });
        assert!(add_to_channel(&member(2, Guest), &c, false, UserId::new(2)).is_err());
    }

    #[test]
    fn channel_removal_by_creator_owner_admin_or_self() {
        let c = channel(1, false, false);
        assert!(remove_from_channel(&member(1, Guest), &c, UserId::new(3)).is_ok());
        only(&[Owner, Admin], |r| {
            remove_from_channel(&member(2, r), &c, UserId::new(3))
        });
        assert!(remove_from_channel(&member(3, Guest), &c, UserId::new(3)).is_ok());
    }

    #[test]
    fn only_authors_edit_messages_and_never_deleted_ones() {
        let (me, other) = (UserId::new(1), UserId::new(2));
        assert!(edit_message(me, me, false).is_ok());
        assert!(edit_message(other, me, false).is_err());
        assert!(edit_message(me, me, true).is_err());
    }

    #[test]
    fn authors_and_moderators_up_delete_messages() {
        let (me, other) = (UserId::new(1), UserId::new(2));
        assert!(delete_message(me, Some(Guest), me).is_ok());
        assert!(delete_message(me, None, me).is_ok());
        only(&[Owner, Admin, Moderator], |r| {
            delete_message(other, Some(r), me)
        });
        assert!(delete_message(other, None, me).is_err());
    }

    #[test]
    fn conversations_belong_to_their_participants_and_creator() {
        assert!(use_conversation(true).is_ok());
        assert!(use_conversation(false).is_err());
        assert!(manage_conversation(UserId::new(1), UserId::new(1)).is_ok());
        assert!(manage_conversation(UserId::new(2), UserId::new(1)).is_err());
    }

    #[test]
    fn channel_creators_and_moderators_up_pin() {
        let c = channel(4, false, false);
        only(&[Owner, Admin, Moderator], |r| {
            pin_in_channel(&member(2, r), &c)
        });
        assert!(pin_in_channel(&member(4, Guest), &c).is_ok());
    }

    #[test]
    fn a_user_topic_is_followed_by_its_user_alone() {
        let topic = UserTopic {
            user_id: UserId::new(7),
        };
        assert!(follow_user_topic(UserId::new(7), &topic).is_ok());
        assert!(follow_user_topic(UserId::new(8), &topic).is_err());
    }
}
