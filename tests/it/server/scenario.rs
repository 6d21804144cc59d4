//! The Done-means scenario of the server dialect, end to end over HTTP.

use std::collections::HashSet;

use concord_tests::server::{
    all_pages, create_server, general_id, invite_code, join, member_id, member_of, patch,
};
use concord_tests::{assert_error, id_of, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn three_users_share_a_server_with_roles_moderation_a_private_conversation_and_paged_history()
{
    let app = spawn_app().await;
    let owner = app.sign_up("olga").await;
    let mia = app.sign_up("mia").await;
    let gus = app.sign_up("gus").await;

    // the owner creates a server; the other two join with its invite code
    let server = create_server(&app, &owner, "Done").await;
    let id = id_of(&server);
    let general = general_id(&server);
    let code = invite_code(&server);
    for user in [&mia, &gus] {
        let (status, joined) = join(&app, id, &code, user).await;
        assert_eq!(status, StatusCode::OK, "{joined}");
        assert_eq!(
            member_of(&joined, user).map(|m| &m["role"]),
            Some(&json!("GUEST"))
        );
    }
    let (status, server) = join(&app, id, &code, &owner).await;
    assert_eq!(status, StatusCode::OK, "{server}");
    assert_eq!(server["members"].as_array().map(Vec::len), Some(3));

    // the owner makes mia a moderator
    let (status, server) = patch(
        &app,
        &format!("/members/{}?serverId={id}", member_id(&server, &mia)),
        &owner,
        json!({"role": "MODERATOR"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{server}");
    assert_eq!(
        member_of(&server, &mia).map(|m| &m["role"]),
        Some(&json!("MODERATOR"))
    );

    // the moderator deletes the guest's message
    let messages = format!("/socket/messages?serverId={id}&channelId={general}");
    let (status, rude) = app
        .post(&messages, &gus.token, json!({"content": "something rude"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rude}");
    let (status, deleted) = app
        .delete(
            &format!(
                "/socket/messages/{}?serverId={id}&channelId={general}",
                id_of(&rude)
            ),
            &mia.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["deleted"], true);
    assert_eq!(deleted["content"], "This message has been deleted.");
    assert!(deleted["fileUrl"].is_null(), "{deleted}");

    // the guest cannot create channels; the moderator can
    let (status, body) = app
        .post(
            &format!("/channels?serverId={id}"),
            &gus.token,
            json!({"name": "guest-room", "type": "TEXT"}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    let (status, body) = app
        .post(
            &format!("/channels?serverId={id}"),
            &mia.token,
            json!({"name": "mods", "type": "TEXT"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // a conversation between owner and moderator that the guest cannot read
    let (status, conversation) = app
        .post(
            &format!("/conversations?serverId={id}"),
            &owner.token,
            json!({"memberId": member_id(&server, &mia)}),
        )
        .await;
    assert!(status.is_success(), "{status}: {conversation}");
    let dm = id_of(&conversation);
    let (status, whisper) = app
        .post(
            &format!("/socket/direct-messages?conversationId={dm}"),
            &mia.token,
            json!({"content": "about gus..."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{whisper}");
    let (status, body) = app
        .get(&format!("/direct-messages?conversationId={dm}"), &gus.token)
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    let (status, body) = app
        .post(
            &format!("/socket/direct-messages?conversationId={dm}"),
            &gus.token,
            json!({"content": "I can hear you"}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "Forbidden");
    let (status, body) = app
        .get(
            &format!("/direct-messages?conversationId={dm}"),
            &owner.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["items"][0]["id"], whisper["id"]);

    // 25 messages, paged back 10 at a time
    let mut sent = vec![id_of(&rude)];
    for i in 0..24 {
        let by = [&owner, &mia, &gus][i % 3];
        let (status, message) = app
            .post(&messages, &by.token, json!({"content": format!("n{i}")}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{message}");
        sent.push(id_of(&message));
    }
    let pages = all_pages(&app, &format!("/messages?channelId={general}"), &gus, None).await;
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [10, 10, 5],
        "{pages:?}"
    );
    let seen = pages.concat();
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        25,
        "no duplicates"
    );
    sent.reverse();
    assert_eq!(seen, sent, "newest first, none skipped");
}
