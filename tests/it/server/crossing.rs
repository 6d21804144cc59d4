//! One domain, two dialects: what is written through the server dialect is
//! read through the workspace dialect, and the other way round.

use concord_tests::server::{
    channel_named, create_server, crew, general_id, invite_code, join, member_id, member_of, page,
    patch, patch_empty,
};
use concord_tests::{channel_messages_path, dm_messages_path, id_of, spawn_app, workspace_role};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn a_server_is_readable_as_a_workspace_with_its_general_channel() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let details = app.workspace(crew.id, &crew.guest).await;
    assert_eq!(details["id"], crew.id);
    assert_eq!(details["name"], "Crew");
    assert_eq!(details["owner_id"], crew.owner.id);
    assert_eq!(details["image_url"], "https://example.com/server.png");
    assert_eq!(
        workspace_role(&details, &crew.owner).as_deref(),
        Some("owner")
    );
    assert_eq!(
        workspace_role(&details, &crew.admin).as_deref(),
        Some("admin")
    );
    assert_eq!(
        workspace_role(&details, &crew.moderator).as_deref(),
        Some("moderator")
    );
    assert_eq!(
        workspace_role(&details, &crew.guest).as_deref(),
        Some("guest")
    );

    let (status, channels) = app
        .get(
            &format!("/api/workspaces/{}/channels", crew.id),
            &crew.guest.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{channels}");
    let channels = channels.as_array().unwrap_or_else(|| panic!("{channels}"));
    assert_eq!(channels.len(), 1, "{channels:?}");
    assert_eq!(channels[0]["id"], crew.general);
    assert_eq!(channels[0]["name"], "general");
    assert_eq!(channels[0]["workspace_id"], crew.id);
    assert_eq!(channels[0]["owner_id"], crew.owner.id);

    let (status, listed) = app
        .get(
            &format!("/api/channels/{}", crew.general),
            &crew.guest.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["name"], "general");
}

#[tokio::test]
async fn a_member_added_to_a_workspace_shows_in_the_server_json() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let cy = app.sign_up("cy").await;
    let ws = app.create_workspace(&ada, "Slacky").await;
    let (status, membership) = app
        .post(
            &format!("/api/workspaces/{ws}/members"),
            &ada.token,
            json!({"user_id": bob.id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{membership}");

    // the owner regenerates the code, and gets the server back
    let (status, server) = patch_empty(&app, &format!("/servers/{ws}/invite-code"), &ada).await;
    assert_eq!(status, StatusCode::OK, "{server}");
    assert_eq!(server["id"], ws);
    assert_eq!(server["name"], "Slacky");
    assert_eq!(server["profileId"], ada.id);
    assert!(channel_named(&server, "general").is_some(), "{server}");
    let bob_member = member_of(&server, &bob).unwrap_or_else(|| panic!("bob missing: {server}"));
    assert_eq!(bob_member["role"], "GUEST");
    assert_eq!(bob_member["id"], membership["id"]);
    assert_eq!(
        member_of(&server, &ada).map(|m| (&m["role"], &m["isOwner"])),
        Some((&json!("ADMIN"), &json!(true)))
    );

    // someone joining with that code is a guest of the workspace
    let (status, joined) = join(&app, ws, &invite_code(&server), &cy).await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    let details = app.workspace(ws, &ada).await;
    assert_eq!(workspace_role(&details, &cy).as_deref(), Some("guest"));
}

#[tokio::test]
async fn a_guest_of_a_workspace_made_in_the_workspace_dialect_creates_channels_in_the_server_dialect()
 {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let ws = app.create_workspace(&ada, "Open").await;
    app.add_member(ws, &ada, &bob).await;

    let (status, server) = app
        .post(
            &format!("/channels?serverId={ws}"),
            &bob.token,
            json!({"name": "bobs-room", "type": "TEXT"}),
        )
        .await;

    assert_eq!(status, StatusCode::CREATED, "{server}");
    let channel = channel_named(&server, "bobs-room").unwrap_or_else(|| panic!("{server}"));
    assert_eq!(channel["profileId"], bob.id);
    let (status, fetched) = app
        .get(&format!("/api/channels/{}", id_of(channel)), &ada.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{fetched}");
    assert_eq!(fetched["owner_id"], bob.id);
    assert_eq!(fetched["workspace_id"], ws);
}

#[tokio::test]
async fn a_workspace_dialect_channel_shows_in_the_server_json() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let channel = app
        .create_channel(crew.id, &crew.moderator, "from-slack", false)
        .await;

    let server = crew.view(&app, &crew.guest).await;

    let listed = channel_named(&server, "from-slack").unwrap_or_else(|| panic!("{server}"));
    assert_eq!(listed["id"], channel);
    assert_eq!(listed["type"], "TEXT");
    assert_eq!(listed["profileId"], crew.moderator.id);
}

#[tokio::test]
async fn role_changes_and_kicks_in_the_server_dialect_show_in_the_workspace_dialect() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let (status, server) = patch(
        &app,
        &format!("/members/{}?serverId={}", crew.member(&crew.guest), crew.id),
        &crew.owner,
        json!({"role": "MODERATOR"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{server}");
    let details = app.workspace(crew.id, &crew.owner).await;
    assert_eq!(
        workspace_role(&details, &crew.guest).as_deref(),
        Some("moderator")
    );

    let (status, server) = app
        .delete(
            &format!("/members/{}?serverId={}", crew.member(&crew.guest), crew.id),
            &crew.owner.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{server}");
    let details = app.workspace(crew.id, &crew.owner).await;
    assert_eq!(workspace_role(&details, &crew.guest), None);
}

#[tokio::test]
async fn a_message_sent_in_one_dialect_is_read_in_the_other() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    let socket = crew
        .send(&app, crew.general, &crew.guest, "from the server side")
        .await;
    let (status, api) = app
        .post(
            &format!("/api/channels/{}/messages", crew.general),
            &crew.admin.token,
            json!({"content": "from the workspace side"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{api}");

    let in_workspace = app
        .history(&channel_messages_path(crew.general), &crew.owner)
        .await;
    assert_eq!(in_workspace.len(), 2, "{in_workspace:?}");
    assert_eq!(in_workspace[0]["id"], api["id"]);
    assert_eq!(in_workspace[1]["id"], socket["id"]);
    assert_eq!(in_workspace[1]["user_id"], crew.guest.id);
    assert_eq!(in_workspace[1]["content"], "from the server side");
    assert_eq!(in_workspace[1]["channel_id"], crew.general);

    let (status, body) = app
        .get(
            &format!("/messages?channelId={}", crew.general),
            &crew.owner.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let items = body["items"].as_array().unwrap_or_else(|| panic!("{body}"));
    assert_eq!(items.len(), 2, "{body}");
    assert_eq!(items[0]["id"], api["id"]);
    assert_eq!(items[0]["content"], "from the workspace side");
    assert_eq!(items[0]["memberId"], crew.member(&crew.admin));
    assert_eq!(items[0]["member"]["profile"]["id"], crew.admin.id);
    assert_eq!(items[0]["channelId"], crew.general);
}

#[tokio::test]
async fn a_message_deleted_in_one_dialect_shows_deleted_in_the_other() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let by_socket = id_of(
        &crew
            .send(&app, crew.general, &crew.guest, "delete me here")
            .await,
    );
    let by_api = id_of(
        &app.send_message(
            &format!("/api/channels/{}/messages", crew.general),
            &crew.guest,
            "delete me there",
        )
        .await,
    );

    // server dialect deletes what the workspace dialect then reads
    let (status, tomb) = app
        .delete(
            &crew.message_path(crew.general, by_socket),
            &crew.moderator.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{tomb}");
    // workspace dialect deletes what the server dialect then reads
    let (status, body) = app
        .delete(
            &format!("/api/channels/{}/messages/{by_api}", crew.general),
            &crew.moderator.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let in_workspace = app
        .history(&channel_messages_path(crew.general), &crew.owner)
        .await;
    let ws_socket = in_workspace
        .iter()
        .find(|m| m["id"] == by_socket)
        .unwrap_or_else(|| panic!("{in_workspace:?}"));
    assert_eq!(ws_socket["deleted"], true);
    assert_eq!(ws_socket["content"], "This message has been deleted.");

    let (status, body) = app
        .get(
            &format!("/messages?channelId={}", crew.general),
            &crew.owner.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let api_deleted = body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["id"] == by_api)
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(api_deleted["deleted"], true);
    assert_eq!(api_deleted["content"], "This message has been deleted.");
    assert!(api_deleted["fileUrl"].is_null(), "{api_deleted}");
}

#[tokio::test]
async fn a_conversation_started_in_the_server_dialect_is_a_direct_message_in_the_workspace_dialect()
{
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let (status, conversation) = app
        .post(
            &crew.with_server("/conversations"),
            &crew.owner.token,
            json!({"memberId": crew.member(&crew.guest)}),
        )
        .await;
    assert!(status.is_success(), "{status}: {conversation}");
    let dm = id_of(&conversation);

    let (status, listed) = app.get("/api/direct_messages", &crew.guest.token).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let found = listed
        .as_array()
        .unwrap_or_else(|| panic!("{listed}"))
        .iter()
        .find(|c| c["id"] == dm)
        .unwrap_or_else(|| panic!("conversation {dm} not listed: {listed}"));
    assert_eq!(found["workspace_id"], crew.id);
    let mut users: Vec<i64> = found["users"]
        .as_array()
        .unwrap_or_else(|| panic!("{found}"))
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    users.sort_unstable();
    let mut expected = vec![crew.owner.id, crew.guest.id];
    expected.sort_unstable();
    assert_eq!(users, expected);
    let (status, listed) = app.get("/api/direct_messages", &crew.moderator.token).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert!(
        listed
            .as_array()
            .is_some_and(|l| l.iter().all(|c| c["id"] != dm)),
        "a third member must not see it: {listed}"
    );

    // messages both ways
    let (status, socket) = app
        .post(
            &format!("/socket/direct-messages?conversationId={dm}"),
            &crew.owner.token,
            json!({"content": "server side"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{socket}");
    let api = app
        .send_message(
            &format!("/api/direct_messages/{dm}/messages"),
            &crew.guest,
            "workspace side",
        )
        .await;

    let in_workspace = app.history(&dm_messages_path(dm), &crew.owner).await;
    assert_eq!(in_workspace.len(), 2, "{in_workspace:?}");
    assert_eq!(in_workspace[1]["id"], socket["id"]);
    assert_eq!(in_workspace[1]["user_id"], crew.owner.id);
    assert_eq!(in_workspace[1]["content"], "server side");
    assert_eq!(in_workspace[1]["direct_message_id"], dm);

    let (ids, _) = page(
        &app,
        &format!("/direct-messages?conversationId={dm}"),
        &crew.owner,
    )
    .await;
    assert_eq!(ids, [id_of(&api), id_of(&socket)]);
    let (status, body) = app
        .get(
            &format!("/direct-messages?conversationId={dm}"),
            &crew.owner.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["items"][0]["content"], "workspace side");
    assert_eq!(body["items"][0]["memberId"], crew.member(&crew.guest));
    assert_eq!(body["items"][0]["conversationId"], dm);
}

#[tokio::test]
async fn a_server_made_in_the_server_dialect_keeps_guests_from_creating_channels_in_the_workspace_dialect()
 {
    let app = spawn_app().await;
    let owner = app.sign_up("owner").await;
    let guest = app.sign_up("guest").await;
    let server = create_server(&app, &owner, "Strict").await;
    let id = id_of(&server);
    let (status, joined) = join(&app, id, &invite_code(&server), &guest).await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    assert!(member_id(&joined, &guest) > 0, "{joined}");

    let (status, body) = app
        .post(
            &format!("/api/workspaces/{id}/channels"),
            &guest.token,
            json!({"name": "sneaky", "private": false}),
        )
        .await;

    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(general_id(&joined), general_id(&server));
}
