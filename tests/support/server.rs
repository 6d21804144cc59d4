//! The server dialect's builders: servers made over `POST /servers`, joined
//! by invite code, and a crew with one member of every role.

use crate::{TestApp, TestUser};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// `PATCH path` with a JSON body.
pub async fn patch(app: &TestApp, path: &str, user: &TestUser, body: Value) -> (StatusCode, Value) {
    app.call(Method::PATCH, path, Some(&user.token), Some(body))
        .await
}

/// `PATCH path` with no body at all.
pub async fn patch_empty(app: &TestApp, path: &str, user: &TestUser) -> (StatusCode, Value) {
    app.call(Method::PATCH, path, Some(&user.token), None).await
}

/// The `id` of any JSON object.
pub fn id_of(value: &Value) -> i64 {
    value["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id: {value}"))
}

/// The sorted keys of a JSON object.
pub fn keys_of(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// `members` of a server JSON.
pub fn members(server: &Value) -> &Vec<Value> {
    server["members"]
        .as_array()
        .unwrap_or_else(|| panic!("no members: {server}"))
}

/// `channels` of a server JSON.
pub fn channels(server: &Value) -> &Vec<Value> {
    server["channels"]
        .as_array()
        .unwrap_or_else(|| panic!("no channels: {server}"))
}

/// `user`'s member object in a server JSON, if they are a member.
pub fn member_of<'a>(server: &'a Value, user: &TestUser) -> Option<&'a Value> {
    members(server).iter().find(|m| m["profileId"] == user.id)
}

/// `user`'s membership id in a server JSON.
pub fn member_id(server: &Value, user: &TestUser) -> i64 {
    id_of(
        member_of(server, user)
            .unwrap_or_else(|| panic!("{} is not a member: {server}", user.username)),
    )
}

/// The channel named `name` in a server JSON, if listed.
pub fn channel_named<'a>(server: &'a Value, name: &str) -> Option<&'a Value> {
    channels(server).iter().find(|c| c["name"] == name)
}

/// The id of the server's `general` channel.
pub fn general_id(server: &Value) -> i64 {
    id_of(channel_named(server, "general").unwrap_or_else(|| panic!("no general: {server}")))
}

/// `POST /servers` as `owner`; asserts 201 and returns the server.
pub async fn create_server(app: &TestApp, owner: &TestUser, name: &str) -> Value {
    let (status, server) = app
        .post(
            "/servers",
            &owner.token,
            json!({"name": name, "imageUrl": "https://example.com/server.png"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{server}");
    server
}

/// `PATCH /servers/{id}/invite-code` with `{"inviteCode": code}` as `user`.
pub async fn join(app: &TestApp, server: i64, code: &str, user: &TestUser) -> (StatusCode, Value) {
    patch(
        app,
        &format!("/servers/{server}/invite-code"),
        user,
        json!({"inviteCode": code}),
    )
    .await
}

/// The server's invite code.
pub fn invite_code(server: &Value) -> String {
    server["inviteCode"]
        .as_str()
        .unwrap_or_else(|| panic!("no invite code: {server}"))
        .to_owned()
}

/// A server made over `POST /servers` by `owner`, joined by `admin`,
/// `moderator` and `guest` with its invite code, their roles set in the
/// store; `outsider` is signed up but not a member.
pub struct Crew {
    pub id: i64,
    pub code: String,
    pub general: i64,
    pub owner: TestUser,
    pub admin: TestUser,
    pub moderator: TestUser,
    pub guest: TestUser,
    pub outsider: TestUser,
    /// The server as the owner saw it once everyone had joined.
    pub server: Value,
}

impl Crew {
    /// `user`'s membership id.
    pub fn member(&self, user: &TestUser) -> i64 {
        member_id(&self.server, user)
    }

    /// The server as `user` (a member) sees it now, by re-joining with the code.
    pub async fn view(&self, app: &TestApp, user: &TestUser) -> Value {
        let (status, server) = join(app, self.id, &self.code, user).await;
        assert_eq!(status, StatusCode::OK, "{server}");
        server
    }

    /// `path` with `?serverId=` (or `&serverId=`) appended.
    pub fn with_server(&self, path: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{path}{sep}serverId={}", self.id)
    }

    /// The path to post to a channel of this server.
    pub fn messages_path(&self, channel: i64) -> String {
        format!("/socket/messages?serverId={}&channelId={channel}", self.id)
    }

    /// The path of one message of a channel of this server.
    pub fn message_path(&self, channel: i64, message: i64) -> String {
        format!(
            "/socket/messages/{message}?serverId={}&channelId={channel}",
            self.id
        )
    }

    /// `POST /socket/messages` to `channel` as `by`; asserts 201.
    pub async fn send(&self, app: &TestApp, channel: i64, by: &TestUser, content: &str) -> Value {
        let (status, message) = app
            .post(
                &self.messages_path(channel),
                &by.token,
                json!({"content": content}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{message}");
        message
    }
}

/// Sign up the five users and build their [`Crew`].
pub async fn crew(app: &TestApp) -> Crew {
    let owner = app.sign_up("owner").await;
    let admin = app.sign_up("admin").await;
    let moderator = app.sign_up("moderator").await;
    let guest = app.sign_up("guest").await;
    let outsider = app.sign_up("outsider").await;
    let created = create_server(app, &owner, "Crew").await;
    let id = id_of(&created);
    let code = invite_code(&created);
    for user in [&admin, &moderator, &guest] {
        let (status, body) = join(app, id, &code, user).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    app.set_role(id, &admin, "admin");
    app.set_role(id, &moderator, "moderator");
    let (status, server) = join(app, id, &code, &owner).await;
    assert_eq!(status, StatusCode::OK, "{server}");
    Crew {
        id,
        general: general_id(&server),
        code,
        owner,
        admin,
        moderator,
        guest,
        outsider,
        server,
    }
}

/// Signs up `name` and joins them to the crew's server as a guest, then gives
/// them `role` in the store.
pub async fn recruit(app: &TestApp, crew: &Crew, name: &str, role: &str) -> TestUser {
    let user = app.sign_up(name).await;
    let (status, body) = join(app, crew.id, &crew.code, &user).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.set_role(crew.id, &user, role);
    user
}

/// `GET path` expecting 200 `{items, nextCursor}`; returns the items' ids in
/// order and the cursor.
pub async fn page(app: &TestApp, path: &str, user: &TestUser) -> (Vec<i64>, Option<i64>) {
    let (status, body) = app.get(path, &user.token).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    assert_eq!(keys_of(&body), ["items", "nextCursor"], "{body}");
    let ids = body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items is not an array: {body}"))
        .iter()
        .map(id_of)
        .collect();
    let cursor = match &body["nextCursor"] {
        Value::Null => None,
        c => Some(c.as_i64().unwrap_or_else(|| panic!("bad cursor: {body}"))),
    };
    (ids, cursor)
}

/// Pages back through `base` (a path with a query string) `limit` at a time
/// (the default when `None`) until `nextCursor` is null; returns each page's ids.
pub async fn all_pages(
    app: &TestApp,
    base: &str,
    user: &TestUser,
    limit: Option<u32>,
) -> Vec<Vec<i64>> {
    let mut pages = Vec::new();
    let mut cursor: Option<i64> = None;
    loop {
        let mut path = base.to_owned();
        if let Some(limit) = limit {
            path.push_str(&format!("&limit={limit}"));
        }
        if let Some(c) = cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (ids, next) = page(app, &path, user).await;
        pages.push(ids);
        assert!(pages.len() <= 100, "paging never ends: {pages:?}");
        match next {
            Some(c) => cursor = Some(c),
            None => return pages,
        }
    }
}
