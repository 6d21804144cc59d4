//! Every server-dialect route at once: authentication, bad ids and methods.

use concord_tests::server::crew;
use concord_tests::{assert_envelope, assert_error, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Every route of the server dialect with a body it would accept.
fn routes(server: i64, channel: i64, member: i64) -> Vec<(Method, String, Option<Value>)> {
    let content = Some(json!({"content": "hi"}));
    vec![
        (Method::POST, "/servers".into(), Some(json!({"name": "S"}))),
        (
            Method::PATCH,
            format!("/servers/{server}"),
            Some(json!({"name": "S"})),
        ),
        (Method::DELETE, format!("/servers/{server}"), None),
        (Method::PATCH, format!("/servers/{server}/leave"), None),
        (
            Method::PATCH,
            format!("/servers/{server}/invite-code"),
            Some(json!({"inviteCode": "abcdefghijkl"})),
        ),
        (
            Method::PUT,
            format!("/servers/{server}/bans/1"),
            Some(json!({"reason": "spam"})),
        ),
        (Method::DELETE, format!("/servers/{server}/bans/1"), None),
        (Method::GET, format!("/servers/{server}/bans"), None),
        (
            Method::PATCH,
            format!("/members/{member}?serverId={server}"),
            Some(json!({"role": "GUEST"})),
        ),
        (
            Method::DELETE,
            format!("/members/{member}?serverId={server}"),
            None,
        ),
        (
            Method::POST,
            format!("/channels?serverId={server}"),
            Some(json!({"name": "c", "type": "TEXT"})),
        ),
        (
            Method::PATCH,
            format!("/channels/{channel}?serverId={server}"),
            Some(json!({"name": "c"})),
        ),
        (
            Method::DELETE,
            format!("/channels/{channel}?serverId={server}"),
            None,
        ),
        (
            Method::POST,
            format!("/conversations?serverId={server}"),
            Some(json!({"memberId": member})),
        ),
        (
            Method::POST,
            format!("/socket/messages?serverId={server}&channelId={channel}"),
            content.clone(),
        ),
        (
            Method::PATCH,
            format!("/socket/messages/1?serverId={server}&channelId={channel}"),
            content.clone(),
        ),
        (
            Method::DELETE,
            format!("/socket/messages/1?serverId={server}&channelId={channel}"),
            None,
        ),
        (Method::GET, format!("/messages?channelId={channel}"), None),
        (
            Method::POST,
            "/socket/direct-messages?conversationId=1".into(),
            content.clone(),
        ),
        (
            Method::PATCH,
            "/socket/direct-messages/1?conversationId=1".into(),
            content,
        ),
        (
            Method::DELETE,
            "/socket/direct-messages/1?conversationId=1".into(),
            None,
        ),
        (
            Method::GET,
            "/direct-messages?conversationId=1".into(),
            None,
        ),
    ]
}

#[tokio::test]
async fn every_route_requires_authentication() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    for (method, path, body) in routes(crew.id, crew.general, crew.member(&crew.guest)) {
        let (status, err) = app.call(method.clone(), &path, None, body.clone()).await;
        assert_error(
            status,
            &err,
            StatusCode::UNAUTHORIZED,
            "Authentication required",
        );
        let (status, err) = app
            .call(method.clone(), &path, Some("not.a.token"), body)
            .await;
        assert_error(
            status,
            &err,
            StatusCode::UNAUTHORIZED,
            "Authentication required",
        );
    }

    // nothing changed
    let server = crew.view(&app, &crew.owner).await;
    assert_eq!(server["name"], "Crew");
    assert_eq!(server["members"].as_array().map(Vec::len), Some(4));
}

#[tokio::test]
async fn ids_that_are_not_positive_integers_are_rejected() {
    let app = spawn_app().await;
    let crew = crew(&app).await;
    let token = Some(crew.owner.token.as_str());

    for (method, path) in [
        (Method::PATCH, "/servers/abc".to_owned()),
        (Method::PATCH, "/servers/0".to_owned()),
        (Method::DELETE, "/servers/-3".to_owned()),
        (
            Method::PATCH,
            "/servers/99999999999999999999/leave".to_owned(),
        ),
        (Method::DELETE, format!("/members/0?serverId={}", crew.id)),
        (
            Method::DELETE,
            format!("/members/{}?serverId=0", crew.member(&crew.guest)),
        ),
        (Method::DELETE, format!("/channels/x?serverId={}", crew.id)),
        (Method::GET, "/messages?channelId=abc".to_owned()),
        (
            Method::GET,
            format!("/messages?channelId={}&cursor=0", crew.general),
        ),
        (
            Method::GET,
            format!("/messages?channelId={}&cursor=abc", crew.general),
        ),
        (Method::GET, "/direct-messages?conversationId=-1".to_owned()),
    ] {
        let (status, body) = app
            .call(method.clone(), &path, token, Some(json!({"name": "x"})))
            .await;
        assert_envelope(status, &body, StatusCode::BAD_REQUEST);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {path}: {body}");
    }
}

#[tokio::test]
async fn an_unsupported_method_on_a_known_path_is_405() {
    let app = spawn_app().await;
    let crew = crew(&app).await;

    for (method, path) in [
        (Method::GET, "/servers".to_owned()),
        (Method::GET, format!("/servers/{}", crew.id)),
        (Method::POST, format!("/servers/{}/leave", crew.id)),
        (
            Method::GET,
            format!("/members/{}", crew.member(&crew.guest)),
        ),
        (Method::GET, "/channels".to_owned()),
        (Method::POST, "/messages".to_owned()),
        (Method::PUT, "/socket/messages/1".to_owned()),
        (Method::POST, format!("/servers/{}/bans", crew.id)),
        (Method::GET, format!("/servers/{}/bans/1", crew.id)),
    ] {
        let (status, body) = app.call(method, &path, Some(&crew.owner.token), None).await;
        assert_envelope(status, &body, StatusCode::METHOD_NOT_ALLOWED);
    }
}
