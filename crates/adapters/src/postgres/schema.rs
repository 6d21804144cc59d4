// @generated automatically by Diesel CLI.

diesel::table! {
    attachments (id) {
        id -> Int8,
        url -> Text,
        uploader_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    bans (workspace_id, user_id) {
        workspace_id -> Int8,
        user_id -> Int8,
        role -> Text,
        reason -> Nullable<Text>,
        banned_by -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    channel_members (channel_id, user_id) {
        channel_id -> Int8,
        user_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    channels (id) {
        id -> Int8,
        workspace_id -> Int8,
        name -> Text,
        kind -> Text,
        description -> Nullable<Text>,
        topic -> Nullable<Text>,
        private -> Bool,
        creator_id -> Int8,
        is_general -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        last_message_at -> Nullable<Timestamptz>,
        last_seq -> Int8,
        posted -> Int8,
    }
}

diesel::table! {
    conversation_participants (conversation_id, user_id) {
        conversation_id -> Int8,
        user_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    conversations (id) {
        id -> Int8,
        workspace_id -> Int8,
        topic -> Nullable<Text>,
        creator_id -> Int8,
        direct_key -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        last_message_at -> Nullable<Timestamptz>,
        last_seq -> Int8,
        posted -> Int8,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> Int8,
        key -> Text,
        request_hash -> Text,
        message_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    memberships (id) {
        id -> Int8,
        workspace_id -> Int8,
        user_id -> Int8,
        role -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    message_events (room_id, seq) {
        channel_id -> Nullable<Int8>,
        conversation_id -> Nullable<Int8>,
        room_id -> Int8,
        seq -> Int8,
        kind -> Text,
        message_id -> Int8,
        created_at -> Timestamptz,
        content -> Nullable<Text>,
    }
}

diesel::table! {
    message_mentions (user_id, room_id, message_id) {
        user_id -> Int8,
        room_id -> Int8,
        message_id -> Int8,
    }
}

diesel::table! {
    message_reactions (message_id, emoji, user_id) {
        id -> Int8,
        message_id -> Int8,
        emoji -> Text,
        user_id -> Int8,
    }
}

diesel::table! {
    messages (id) {
        id -> Int8,
        channel_id -> Nullable<Int8>,
        conversation_id -> Nullable<Int8>,
        room_id -> Nullable<Int8>,
        author_id -> Int8,
        parent_id -> Nullable<Int8>,
        content -> Text,
        attachment_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        edited_at -> Nullable<Timestamptz>,
        deleted_at -> Nullable<Timestamptz>,
        reactions -> Nullable<Jsonb>,
        pinned_at -> Nullable<Timestamptz>,
        mentions -> Nullable<Array<Int8>>,
        room_pos -> Int8,
    }
}

diesel::table! {
    read_markers (user_id, room_id) {
        user_id -> Int8,
        channel_id -> Nullable<Int8>,
        conversation_id -> Nullable<Int8>,
        room_id -> Int8,
        last_read_id -> Nullable<Int8>,
        last_read_pos -> Int8,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Text,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Int8,
        username -> Text,
        email -> Text,
        password_hash -> Text,
        first_name -> Text,
        last_name -> Text,
        image_url -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    workspaces (id) {
        id -> Int8,
        name -> Text,
        description -> Nullable<Text>,
        image_url -> Nullable<Text>,
        owner_id -> Int8,
        invite_code -> Text,
        members_can_create_channels -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(attachments -> users (uploader_id));
diesel::joinable!(bans -> workspaces (workspace_id));
diesel::joinable!(channel_members -> channels (channel_id));
diesel::joinable!(channel_members -> users (user_id));
diesel::joinable!(channels -> users (creator_id));
diesel::joinable!(channels -> workspaces (workspace_id));
diesel::joinable!(conversation_participants -> conversations (conversation_id));
diesel::joinable!(conversation_participants -> users (user_id));
diesel::joinable!(conversations -> users (creator_id));
diesel::joinable!(conversations -> workspaces (workspace_id));
diesel::joinable!(idempotency_keys -> messages (message_id));
diesel::joinable!(idempotency_keys -> users (user_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(memberships -> workspaces (workspace_id));
diesel::joinable!(message_events -> messages (message_id));
diesel::joinable!(message_mentions -> messages (message_id));
diesel::joinable!(message_mentions -> users (user_id));
diesel::joinable!(message_reactions -> messages (message_id));
diesel::joinable!(message_reactions -> users (user_id));
diesel::joinable!(messages -> attachments (attachment_id));
diesel::joinable!(messages -> channels (channel_id));
diesel::joinable!(messages -> conversations (conversation_id));
diesel::joinable!(messages -> users (author_id));
diesel::joinable!(read_markers -> channels (channel_id));
diesel::joinable!(read_markers -> conversations (conversation_id));
diesel::joinable!(read_markers -> users (user_id));
diesel::joinable!(workspaces -> users (owner_id));

diesel::allow_tables_to_appear_in_same_query!(
    attachments,
    bans,
    channel_members,
    channels,
    conversation_participants,
    conversations,
    idempotency_keys,
    memberships,
    message_events,
    message_mentions,
    message_reactions,
    messages,
    read_markers,
    revoked_tokens,
    users,
    workspaces,
);
