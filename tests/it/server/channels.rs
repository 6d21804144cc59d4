//! `POST /channels?serverId=`, `PATCH|DELETE /channels/{channelId}?serverId=`.

use concord_tests::server::{
    Crew, channel_named, channels, create_server, crew, general_id, patch,
};
use concord_tests::{TestApp, TestUser, assert_envelope, assert_error, id_of, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn create(
    app: &TestApp,
    crew: &Crew,
    by: &TestUser,
    name: &str,
    kind: &str,
) -> (StatusCode, Value) {
    app.post(
        &crew.with_server("/channels"),
        &by.token,
        json!({"name": name, "type": kind}),
    )
    .await
}

/// Creates `name` as `by` (201 asserted); returns the channel's id.
async fn created(app: &TestApp, crew: &Crew, by: &TestUser, name: &str) -> i64 {
    let (status, server) = create(app, crew, by, name, "TEXT").await;
    assert_eq!(status, StatusCode::CREATED, "{server}");
    id_of(channel_named(&server, name).unwrap_or_else(|| panic!("{name} missing: {server}")))
}

async fn update(
    app: &TestApp,
    crew: &Crew,
    by: &TestUser,
    channel: i64,
    body: Value,
) -> (StatusCode, Value) {
    patch(
        app,
        &crew.with_server(&format!("/channels/{channel}")),
        by,
        body,
    )
    .await
}

async fn delete(app: &TestApp, crew: &Crew, by: &TestUser, channel: i64) -> (StatusCode, Value) {
    app.delete(
        &crew.with_server(&format!("/channels/{channel}")),
        &by.token,
    )
    .await
}

// --- creating ---

#[tokio::test]
async fn the_owner_an_admin_and_a_moderator_create_channels() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    for (user, name) in [
        (&crew.owner, "by-owner"),
        (&crew.admin, "by-admin"),
        (&crew.moderator, "by-moderator"),
    ] {
        let (status, server) = create(&app, &crew, user, name, "TEXT").await;
        assert_eq!(status, StatusCode::CREATED, "{name}: {server}");
        assert_eq!(server["id"], crew.id, "the body is the server");
        assert!(channel_named(&server, "general").is_some(), "{server}");
        let channel =
            channel_named(&server, name).unwrap_or_else(|| panic!("{name} missing: {server}"));
        assert_eq!(channel["type"], "TEXT");
        assert_eq!(channel["profileId"], user.id);
        assert_eq!(channel["serverId"], crew.id);
    }
    let server = crew.view(&app, &crew.guest).await;
    assert_eq!(channels(&server).len(), 4, "{server}");
}

#[tokio::test]
async fn a_guest_cannot_create_a_channel_in_a_server() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, body) = create(&app, &crew, &crew.guest, "guest-room", "TEXT").await;

    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    let server = crew.view(&app, &crew.owner).await;
    assert!(channel_named(&server, "guest-room").is_none(), "{server}");
}

#[tokio::test]
async fn a_non_member_cannot_create_a_channel_and_a_missing_server_is_not_found() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, body) = create(&app, &crew, &crew.outsider, "intruder", "TEXT").await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");

    let (status, body) = app
        .post(
            "/channels?serverId=999999",
            &crew.owner.token,
            json!({"name": "nowhere", "type": "TEXT"}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Server not found");
}

#[tokio::test]
async fn no_channel_may_be_named_general() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    for name in ["general", "General", " GENERAL "] {
        let (status, body) = create(&app, &crew, &crew.owner, name, "TEXT").await;
        assert_envelope(status, &body, StatusCode::BAD_REQUEST);
    }

    let server = crew.view(&app, &crew.owner).await;
    assert_eq!(channels(&server).len(), 1, "{server}");
}

#[tokio::test]
async fn audio_and_video_channels_are_accepted_and_other_types_are_not() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    for (name, kind) in [("voice", "AUDIO"), ("stage", "VIDEO")] {
        let (status, server) = create(&app, &crew, &crew.owner, name, kind).await;
        assert_eq!(status, StatusCode::CREATED, "{server}");
        assert_eq!(
            channel_named(&server, name).map(|c| &c["type"]),
            Some(&json!(kind))
        );
    }

    let (status, body) = create(&app, &crew, &crew.owner, "holo", "HOLOGRAM").await;
    assert_envelope(status, &body, StatusCode::BAD_REQUEST);
    let (status, body) = app
        .post(
            &crew.with_server("/channels"),
            &crew.owner.token,
            json!({"name": "typed", "type": 7}),
        )
        .await;
    assert_envelope(status, &body, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_channel_needs_a_name_and_the_server_id() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, body) = app
        .post(
            &crew.with_server("/channels"),
            &crew.owner.token,
            json!({"type": "TEXT"}),
        )
        .await;
    assert_envelope(status, &body, StatusCode::BAD_REQUEST);

    let (status, body) = create(&app, &crew, &crew.owner, &"x".repeat(81), "TEXT").await;
    assert_envelope(status, &body, StatusCode::BAD_REQUEST);

    let (status, body) = app
        .post(
            "/channels",
            &crew.owner.token,
            json!({"name": "orphan", "type": "TEXT"}),
        )
        .await;
    assert_envelope(status, &body, StatusCode::BAD_REQUEST);
}

// --- editing ---

#[tokio::test]
async fn the_creator_renames_and_retypes_their_channel() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let channel = created(&app, &crew, &crew.moderator, "lobby").await;

    let (status, server) = update(
        &app,
        &crew,
        &crew.moderator,
        channel,
        json!({"name": "lounge", "type": "AUDIO"}),
    )
    .await;

    assert_eq!(status, StatusCode::OK, "{server}");
    assert_eq!(server["id"], crew.id);
    let lounge = channel_named(&server, "lounge").unwrap_or_else(|| panic!("{server}"));
    assert_eq!(lounge["id"], channel);
    assert_eq!(lounge["type"], "AUDIO");
    assert!(channel_named(&server, "lobby").is_none(), "{server}");
}

#[tokio::test]
async fn moderators_and_up_edit_anyones_channel() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let channel = created(&app, &crew, &crew.owner, "news").await;

    for (user, name) in [
        (&crew.moderator, "news-mod"),
        (&crew.admin, "news-admin"),
        (&crew.owner, "news-owner"),
    ] {
        let (status, server) = update(&app, &crew, user, channel, json!({"name": name})).await;
        assert_eq!(status, StatusCode::OK, "{server}");
        assert_eq!(
            channel_named(&server, name).map(|c| &c["id"]),
            Some(&json!(channel))
        );
    }
    let (status, server) =
        update(&app, &crew, &crew.admin, channel, json!({"type": "VIDEO"})).await;
    assert_eq!(status, StatusCode::OK, "{server}");
    assert_eq!(
        channel_named(&server, "news-owner").map(|c| &c["type"]),
        Some(&json!("VIDEO"))
    );
}

#[tokio::test]
async fn a_guest_cannot_edit_someone_elses_channel() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let channel = created(&app, &crew, &crew.moderator, "mods").await;

    let (status, body) = update(&app, &crew, &crew.guest, channel, json!({"name": "guests"})).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    let (status, body) = update(&app, &crew, &crew.guest, channel, json!({"type": "AUDIO"})).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    let (status, body) = update(
        &app,
        &crew,
        &crew.outsider,
        channel,
        json!({"name": "outside"}),
    )
    .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");

    let server = crew.view(&app, &crew.owner).await;
    assert_eq!(
        channel_named(&server, "mods").map(|c| &c["type"]),
        Some(&json!("TEXT"))
    );
}

#[tokio::test]
async fn a_demoted_creator_still_edits_and_deletes_their_channel() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let channel = created(&app, &crew, &crew.moderator, "mine").await;
    app.set_role(crew.id, &crew.moderator, "guest");

    let (status, server) = update(
        &app,
        &crew,
        &crew.moderator,
        channel,
        json!({"name": "still-mine"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{server}");

    let (status, server) = delete(&app, &crew, &crew.moderator, channel).await;
    assert_eq!(status, StatusCode::OK, "{server}");
    assert!(channel_named(&server, "still-mine").is_none(), "{server}");
}

#[tokio::test]
async fn the_general_channel_cannot_be_renamed() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    for user in [&crew.owner, &crew.admin, &crew.moderator] {
        let (status, body) =
            update(&app, &crew, user, crew.general, json!({"name": "random"})).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    }

    let server = crew.view(&app, &crew.owner).await;
    assert_eq!(general_id(&server), crew.general);
}

#[tokio::test]
async fn no_channel_may_be_renamed_to_general() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let channel = created(&app, &crew, &crew.owner, "other").await;

    let (status, body) = update(
        &app,
        &crew,
        &crew.owner,
        channel,
        json!({"name": "general"}),
    )
    .await;

    assert_envelope(status, &body, StatusCode::BAD_REQUEST);
    let server = crew.view(&app, &crew.owner).await;
    assert_eq!(
        channel_named(&server, "other").map(|c| &c["id"]),
        Some(&json!(channel))
    );
}

#[tokio::test]
async fn a_bad_type_in_an_edit_is_a_validation_error() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let channel = created(&app, &crew, &crew.owner, "typed").await;

    let (status, body) = update(&app, &crew, &crew.owner, channel, json!({"type": "SMELL"})).await;

    assert_envelope(status, &body, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_channel_of_another_server_is_channel_not_found() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    // the owner owns both servers, so only the mismatch can refuse
    let other = create_server(&app, &crew.owner, "Other").await;
    let foreign = general_id(&other);
    let (status, other) = app
        .post(
            &format!("/channels?serverId={}", id_of(&other)),
            &crew.owner.token,
            json!({"name": "foreign", "type": "TEXT"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    let foreign_plain =
        id_of(channel_named(&other, "foreign").unwrap_or_else(|| panic!("{other}")));

    for channel in [foreign, foreign_plain] {
        let (status, body) =
            update(&app, &crew, &crew.owner, channel, json!({"name": "moved"})).await;
        assert_error(status, &body, StatusCode::NOT_FOUND, "Channel not found");
        let (status, body) = delete(&app, &crew, &crew.owner, channel).await;
        assert_error(status, &body, StatusCode::NOT_FOUND, "Channel not found");
    }
    let (status, body) = update(&app, &crew, &crew.owner, 99_999_999, json!({"name": "x"})).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Channel not found");
}

// --- deleting ---

#[tokio::test]
async fn the_general_channel_cannot_be_deleted() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    for user in [&crew.owner, &crew.admin, &crew.moderator, &crew.guest] {
        let (status, body) = delete(&app, &crew, user, crew.general).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    }

    let server = crew.view(&app, &crew.owner).await;
    assert_eq!(general_id(&server), crew.general);
}

#[tokio::test]
async fn the_creator_and_moderators_and_up_delete_a_channel() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    for user in [&crew.moderator, &crew.admin, &crew.owner] {
        let channel = created(&app, &crew, &crew.owner, "doomed").await;
        let (status, server) = delete(&app, &crew, user, channel).await;
        assert_eq!(status, StatusCode::OK, "{server}");
        assert_eq!(server["id"], crew.id);
        assert!(channel_named(&server, "doomed").is_none(), "{server}");
        assert!(channel_named(&server, "general").is_some(), "{server}");
    }
}

#[tokio::test]
async fn a_guest_cannot_delete_a_channel() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let channel = created(&app, &crew, &crew.moderator, "keep").await;

    for user in [&crew.guest, &crew.outsider] {
        let (status, body) = delete(&app, &crew, user, channel).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    }

    let server = crew.view(&app, &crew.owner).await;
    assert!(channel_named(&server, "keep").is_some(), "{server}");
}

#[tokio::test]
async fn a_deleted_channel_takes_its_messages_with_it() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let channel = created(&app, &crew, &crew.owner, "temp").await;
    crew.send(&app, channel, &crew.guest, "soon gone").await;

    let (status, _) = delete(&app, &crew, &crew.owner, channel).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = app
        .post(
            &crew.messages_path(channel),
            &crew.guest.token,
            json!({"content": "anyone?"}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Channel not found");
    let (status, body) = app
        .get(&format!("/messages?channelId={channel}"), &crew.guest.token)
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Channel not found");
    let (status, body) = delete(&app, &crew, &crew.owner, channel).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "Channel not found");
}
