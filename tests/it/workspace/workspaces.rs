//! `GET /api/workspaces/session`, `POST /api/workspaces` and
//! `GET`/`PUT`/`DELETE /api/workspaces/{id}`, plus the end-to-end scenario.

use concord_tests::{assert_error, ids_of, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn names(list: &Value) -> Vec<&str> {
    let Some(list) = list.as_array() else {
        panic!("not an array: {list}")
    };
    list.iter()
        .map(|v| v["name"].as_str().unwrap_or_else(|| panic!("no name: {v}")))
        .collect()
}

// --- GET /api/workspaces/session ---

#[tokio::test]
async fn a_new_user_has_no_workspaces() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    let (status, list) = app.get("/api/workspaces/session", &ada.token).await;

    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn my_workspaces_are_those_i_own_or_joined_and_no_others() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let owned = app.create_workspace(&ada, "Ada's").await;
    let joined = app.create_workspace(&bob, "Bob's").await;
    app.add_member(joined, &bob, &ada).await;
    let foreign = app.create_workspace(&bob, "Bob's private").await;

    let (status, list) = app.get("/api/workspaces/session", &ada.token).await;

    assert_eq!(status, StatusCode::OK, "{list}");
    let mut got = ids_of(&list);
    got.sort_unstable();
    assert_eq!(got, vec![owned, joined], "{list}");
    assert!(!got.contains(&foreign));
    let first = list
        .as_array()
        .expect("array")
        .iter()
        .find(|w| w["id"] == owned)
        .expect("owned workspace");
    assert_eq!(
        *first,
        json!({
            "id": owned,
            "name": "Ada's",
            "description": "test",
            "owner_id": ada.id,
            "image_url": null,
        })
    );
}

#[tokio::test]
async fn listing_my_workspaces_requires_authentication() {
    let app = spawn_app().await;

    let (status, err) = app
        .call(Method::GET, "/api/workspaces/session", None, None)
        .await;

    assert_error(
        status,
        &err,
        StatusCode::UNAUTHORIZED,
        "Authentication required",
    );
}

#[tokio::test]
async fn listing_the_workspaces_of_a_user_who_no_longer_exists_is_user_not_found() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    app.delete_user_row(&ada);

    let (status, err) = app.get("/api/workspaces/session", &ada.token).await;

    assert_error(status, &err, StatusCode::NOT_FOUND, "User not found");
}

// --- POST /api/workspaces ---

#[tokio::test]
async fn creating_a_workspace_returns_it_with_its_owner() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    let (status, ws) = app
        .post(
            "/api/workspaces",
            &ada.token,
            json!({"name": "My Workspace", "description": "A description", "image_url": "https://example.com/ws.png"}),
        )
        .await;

    assert_eq!(status, StatusCode::CREATED, "{ws}");
    assert!(ws["id"].as_i64().is_some_and(|id| id > 0), "{ws}");
    assert_eq!(ws["name"], "My Workspace");
    assert_eq!(ws["description"], "A description");
    assert_eq!(ws["image_url"], "https://example.com/ws.png");
    assert_eq!(
        ws["owner"],
        json!({
            "id": ada.id,
            "first_name": "ada",
            "last_name": "Tester",
            "email": "ada@example.com",
            "image_url": null,
        })
    );
}

#[tokio::test]
async fn a_new_workspace_has_its_creator_as_owner_and_a_general_channel() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let ws = app.create_workspace(&ada, "Ada's").await;

    let (status, details) = app.get(&format!("/api/workspaces/{ws}"), &ada.token).await;
    assert_eq!(status, StatusCode::OK, "{details}");
    assert_eq!(
        details["members"],
        json!([{"id": ada.id, "name": "ada Tester", "email": "ada@example.com", "role": "owner"}])
    );

    let (status, channels) = app
        .get(&format!("/api/workspaces/{ws}/channels"), &ada.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{channels}");
    assert_eq!(names(&channels), vec!["general"], "{channels}");
    assert_eq!(channels[0]["private"], false);
    assert_eq!(channels[0]["owner_id"], ada.id);
}

#[tokio::test]
async fn creating_a_workspace_without_name_or_description_lists_both() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    let (status, err) = app.post("/api/workspaces", &ada.token, json!({})).await;

    assert_error(
        status,
        &err,
        StatusCode::BAD_REQUEST,
        "Invalid request body",
    );
    assert_eq!(
        err["errors"],
        json!(["Name is required", "Description is required"])
    );
}

#[tokio::test]
async fn workspace_names_must_be_1_to_80_characters_and_descriptions_at_most_1000() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    for body in [
        json!({"name": "   ", "description": "d"}),
        json!({"name": "n".repeat(81), "description": "d"}),
        json!({"name": "ok", "description": "d".repeat(1001)}),
    ] {
        let (status, err) = app.post("/api/workspaces", &ada.token, body).await;
        assert_error(
            status,
            &err,
            StatusCode::BAD_REQUEST,
            "Invalid request body",
        );
    }
    let (status, ws) = app
        .post(
            "/api/workspaces",
            &ada.token,
            json!({"name": "n".repeat(80), "description": "d".repeat(1000)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ws}");

    let (_, list) = app.get("/api/workspaces/session", &ada.token).await;
    assert_eq!(
        ids_of(&list).len(),
        1,
        "only the valid workspace exists: {list}"
    );
}

#[tokio::test]
async fn creating_a_workspace_requires_authentication() {
    let app = spawn_app().await;

    let (status, err) = app
        .call(
            Method::POST,
            "/api/workspaces",
            None,
            Some(json!({"name": "n", "description": "d"})),
        )
        .await;

    assert_error(
        status,
        &err,
        StatusCode::UNAUTHORIZED,
        "Authentication required",
    );
}

// --- GET /api/workspaces/{id} ---

#[tokio::test]
async fn workspace_details_show_the_owner_and_every_member_with_their_role() {
    let app = spawn_app().await;
    let team = app.team().await;

    let (status, details) = app
        .get(&format!("/api/workspaces/{}", team.ws), &team.guest.token)
        .await;

    assert_eq!(status, StatusCode::OK, "{details}");
    assert_eq!(details["id"], team.ws);
    assert_eq!(details["name"], "Team");
    assert_eq!(details["description"], "test");
    assert_eq!(
        details["owner"],
        json!({"id": team.owner.id, "name": "owner Tester", "email": "owner@example.com"})
    );
    let mut members = details["members"].as_array().expect("members").clone();
    members.sort_by_key(|m| m["id"].as_i64());
    let mut expected = vec![
        json!({"id": team.owner.id, "name": "owner Tester", "email": "owner@example.com", "role": "owner"}),
        json!({"id": team.admin.id, "name": "admin Tester", "email": "admin@example.com", "role": "admin"}),
        json!({"id": team.moderator.id, "name": "moderator Tester", "email": "moderator@example.com", "role": "moderator"}),
        json!({"id": team.guest.id, "name": "guest Tester", "email": "guest@example.com", "role": "guest"}),
    ];
    expected.sort_by_key(|m| m["id"].as_i64());
    assert_eq!(members, expected);
}

#[tokio::test]
async fn a_non_member_cannot_see_a_workspace() {
    let app = spawn_app().await;
    let team = app.team().await;

    let (status, err) = app
        .get(
            &format!("/api/workspaces/{}", team.ws),
            &team.outsider.token,
        )
        .await;

    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
    assert!(!err.to_string().contains("owner@example.com"), "{err}");
}

#[tokio::test]
async fn an_unknown_workspace_is_workspace_not_found() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    for id in [424_242, i64::MAX] {
        let (status, err) = app.get(&format!("/api/workspaces/{id}"), &ada.token).await;
        assert_error(status, &err, StatusCode::NOT_FOUND, "Workspace not found");
    }
}

#[tokio::test]
async fn reading_a_workspace_requires_authentication() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let ws = app.create_workspace(&ada, "Ada's").await;

    let (status, err) = app
        .call(Method::GET, &format!("/api/workspaces/{ws}"), None, None)
        .await;

    assert_error(
        status,
        &err,
        StatusCode::UNAUTHORIZED,
        "Authentication required",
    );
}

// --- PUT /api/workspaces/{id} ---

#[tokio::test]
async fn the_owner_can_edit_the_workspace_and_the_change_is_visible_afterwards() {
    let app = spawn_app().await;
    let team = app.team().await;

    let (status, ws) = app
        .put(
            &format!("/api/workspaces/{}", team.ws),
            &team.owner.token,
            json!({"name": "Renamed", "description": "New description", "image_url": "https://example.com/new.png"}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{ws}");
    assert_eq!(ws["id"], team.ws);
    assert_eq!(ws["name"], "Renamed");
    assert_eq!(ws["description"], "New description");
    assert_eq!(ws["image_url"], "https://example.com/new.png");
    assert_eq!(ws["owner"]["id"], team.owner.id);
    assert_eq!(ws["owner"]["email"], "owner@example.com");

    let (_, details) = app
        .get(&format!("/api/workspaces/{}", team.ws), &team.guest.token)
        .await;
    assert_eq!(details["name"], "Renamed");
    assert_eq!(details["description"], "New description");
    assert_eq!(details["image_url"], "https://example.com/new.png");
    let (_, list) = app.get("/api/workspaces/session", &team.guest.token).await;
    assert_eq!(names(&list), vec!["Renamed"]);
}

#[tokio::test]
async fn an_admin_can_edit_the_workspace() {
    let app = spawn_app().await;
    let team = app.team().await;

    let (status, ws) = app
        .put(
            &format!("/api/workspaces/{}", team.ws),
            &team.admin.token,
            json!({"name": "By the admin"}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{ws}");
    assert_eq!(ws["name"], "By the admin");
    assert_eq!(
        ws["owner"]["id"], team.owner.id,
        "the owner stays the owner"
    );
}

#[tokio::test]
async fn editing_only_the_description_keeps_the_name() {
    let app = spawn_app().await;
    let team = app.team().await;

    let (status, ws) = app
        .put(
            &format!("/api/workspaces/{}", team.ws),
            &team.owner.token,
            json!({"description": "Only this"}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{ws}");
    assert_eq!(ws["name"], "Team");
    assert_eq!(ws["description"], "Only this");
}

#[tokio::test]
async fn a_moderator_a_guest_and_a_non_member_cannot_edit_the_workspace() {
    let app = spawn_app().await;
    let team = app.team().await;
    let path = format!("/api/workspaces/{}", team.ws);

    for user in [&team.moderator, &team.guest, &team.outsider] {
        let (status, err) = app
            .put(&path, &user.token, json!({"name": "Hijacked"}))
            .await;
        assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
    }

    let (_, details) = app.get(&path, &team.owner.token).await;
    assert_eq!(details["name"], "Team", "a refused edit changes nothing");
}

#[tokio::test]
async fn editing_an_unknown_workspace_is_workspace_not_found() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    let (status, err) = app
        .put("/api/workspaces/424242", &ada.token, json!({"name": "x"}))
        .await;

    assert_error(status, &err, StatusCode::NOT_FOUND, "Workspace not found");
}

#[tokio::test]
async fn an_edit_with_an_empty_or_overlong_name_is_a_bad_request_and_changes_nothing() {
    let app = spawn_app().await;
    let team = app.team().await;
    let path = format!("/api/workspaces/{}", team.ws);

    for body in [
        json!({"name": ""}),
        json!({"name": "n".repeat(81)}),
        json!({"description": "d".repeat(1001)}),
    ] {
        let (status, err) = app.put(&path, &team.owner.token, body).await;
        assert_error(status, &err, StatusCode::BAD_REQUEST, "Validation error");
    }

    let (_, details) = app.get(&path, &team.owner.token).await;
    assert_eq!(details["name"], "Team");
    assert_eq!(details["description"], "test");
}

#[tokio::test]
async fn editing_a_workspace_requires_authentication() {
    let app = spawn_app().await;
    let team = app.team().await;

    let (status, err) = app
        .call(
            Method::PUT,
            &format!("/api/workspaces/{}", team.ws),
            None,
            Some(json!({"name": "x"})),
        )
        .await;

    assert_error(
        status,
        &err,
        StatusCode::UNAUTHORIZED,
        "Authentication required",
    );
}

// --- DELETE /api/workspaces/{id} ---

#[tokio::test]
async fn the_owner_can_delete_the_workspace_and_it_is_gone_afterwards() {
    let app = spawn_app().await;
    let team = app.team().await;
    let channel = app
        .create_channel(team.ws, &team.guest, "random", false)
        .await;
    let path = format!("/api/workspaces/{}", team.ws);

    let (status, body) = app.delete(&path, &team.owner.token).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"message": "Workspace deleted"}));
    let (status, err) = app.get(&path, &team.owner.token).await;
    assert_error(status, &err, StatusCode::NOT_FOUND, "Workspace not found");
    let (status, err) = app
        .get(&format!("/api/channels/{channel}"), &team.guest.token)
        .await;
    assert_error(status, &err, StatusCode::NOT_FOUND, "Channel not found");
    for user in [&team.owner, &team.guest] {
        let (_, list) = app.get("/api/workspaces/session", &user.token).await;
        assert_eq!(list, json!([]));
    }
    let (status, err) = app.delete(&path, &team.owner.token).await;
    assert_error(status, &err, StatusCode::NOT_FOUND, "Workspace not found");
}

#[tokio::test]
async fn only_the_owner_can_delete_the_workspace() {
    let app = spawn_app().await;
    let team = app.team().await;
    let path = format!("/api/workspaces/{}", team.ws);

    for user in [&team.admin, &team.moderator, &team.guest, &team.outsider] {
        let (status, err) = app.delete(&path, &user.token).await;
        assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
    }

    let (status, _) = app.get(&path, &team.guest.token).await;
    assert_eq!(status, StatusCode::OK, "the workspace survives");
}

#[tokio::test]
async fn deleting_an_unknown_workspace_is_workspace_not_found() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    let (status, err) = app.delete("/api/workspaces/424242", &ada.token).await;

    assert_error(status, &err, StatusCode::NOT_FOUND, "Workspace not found");
}

#[tokio::test]
async fn deleting_a_workspace_requires_authentication() {
    let app = spawn_app().await;
    let team = app.team().await;
    let path = format!("/api/workspaces/{}", team.ws);

    let (status, err) = app.call(Method::DELETE, &path, None, None).await;

    assert_error(
        status,
        &err,
        StatusCode::UNAUTHORIZED,
        "Authentication required",
    );
    let (status, _) = app.get(&path, &team.owner.token).await;
    assert_eq!(status, StatusCode::OK);
}

// --- the "done means" scenario ---

#[tokio::test]
async fn two_users_share_a_workspace_and_a_private_channel_from_sign_up_to_logout() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;

    // alice makes a workspace and adds bob
    let ws = app.create_workspace(&alice, "Acme").await;
    let (status, bob_before) = app.get(&format!("/api/workspaces/{ws}"), &bob.token).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{bob_before}");
    app.add_member(ws, &alice, &bob).await;
    let (status, details) = app.get(&format!("/api/workspaces/{ws}"), &bob.token).await;
    assert_eq!(status, StatusCode::OK, "{details}");
    assert_eq!(details["members"].as_array().expect("members").len(), 2);
    let (_, bobs) = app.get("/api/workspaces/session", &bob.token).await;
    assert_eq!(ids_of(&bobs), vec![ws]);

    // a private channel of bob's: visible to him and to the owner, not to another guest
    let carol = app.sign_up("carol").await;
    app.add_member(ws, &alice, &carol).await;
    let secret = app.create_channel(ws, &bob, "secret", true).await;
    let public = app.create_channel(ws, &bob, "public", false).await;
    let channels_path = format!("/api/workspaces/{ws}/channels");
    let (_, for_bob) = app.get(&channels_path, &bob.token).await;
    assert!(ids_of(&for_bob).contains(&secret), "{for_bob}");
    let (_, for_alice) = app.get(&channels_path, &alice.token).await;
    assert!(
        ids_of(&for_alice).contains(&secret),
        "owner sees it: {for_alice}"
    );
    let (_, for_carol) = app.get(&channels_path, &carol.token).await;
    assert!(!ids_of(&for_carol).contains(&secret), "{for_carol}");
    assert!(ids_of(&for_carol).contains(&public), "{for_carol}");
    let secret_path = format!("/api/channels/{secret}");
    let (status, err) = app.get(&secret_path, &carol.token).await;
    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");

    // once bob adds carol, she sees it too
    let (status, _) = app
        .post(
            &format!("{secret_path}/users"),
            &bob.token,
            json!({"user_id": carol.id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, channel) = app.get(&secret_path, &carol.token).await;
    assert_eq!(status, StatusCode::OK, "{channel}");
    assert_eq!(channel["private"], true);

    // carol may not edit or delete bob's channel; bob may
    let (status, err) = app
        .put(&secret_path, &carol.token, json!({"topic": "carol's"}))
        .await;
    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
    let (status, err) = app.delete(&secret_path, &carol.token).await;
    assert_error(status, &err, StatusCode::FORBIDDEN, "Forbidden");
    let (status, channel) = app
        .put(&secret_path, &bob.token, json!({"topic": "plans"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{channel}");
    let (_, channel) = app.get(&secret_path, &alice.token).await;
    assert_eq!(channel["topic"], "plans");
    let (status, body) = app.delete(&secret_path, &bob.token).await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let (status, err) = app.get(&secret_path, &alice.token).await;
    assert_error(status, &err, StatusCode::NOT_FOUND, "Channel not found");

    // alice logs out: her token is refused from then on, bob's still works
    let (status, _) = app.delete("/api/session", &alice.token).await;
    assert_eq!(status, StatusCode::OK);
    let (status, err) = app
        .get(&format!("/api/workspaces/{ws}"), &alice.token)
        .await;
    assert_error(
        status,
        &err,
        StatusCode::UNAUTHORIZED,
        "Authentication required",
    );
    let (status, _) = app.get(&format!("/api/workspaces/{ws}"), &bob.token).await;
    assert_eq!(status, StatusCode::OK);
}
