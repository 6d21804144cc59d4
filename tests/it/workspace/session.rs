//! `GET`, `POST` and `DELETE /api/session`: who am I, log in, log out.

use concord_tests::{assert_error, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn without_a_token_the_current_user_is_null() {
    let app = spawn_app().await;

    let (status, body) = app.call(Method::GET, "/api/session", None, None).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"user": null}));
}

#[tokio::test]
async fn with_a_token_the_current_user_is_returned() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    let (status, me) = app.get("/api/session", &ada.token).await;

    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(
        me,
        json!({
            "id": ada.id,
            "username": "ada",
            "email": "ada@example.com",
            "first_name": "ada",
            "last_name": "Tester",
            "image_url": null,
        })
    );
}

#[tokio::test]
async fn a_bad_token_on_the_current_user_is_refused_rather_than_treated_as_no_session() {
    let app = spawn_app().await;

    let (status, err) = app.get("/api/session", "not-a-token").await;

    assert_error(
        status,
        &err,
        StatusCode::UNAUTHORIZED,
        "Authentication required",
    );
}

#[tokio::test]
async fn logging_in_returns_the_user_and_a_working_token() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    let (status, body) = app.log_in("ada@example.com", "password1").await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], ada.id);
    assert_eq!(body["username"], "ada");
    assert_eq!(body["email"], "ada@example.com");
    assert_eq!(body["first_name"], "ada");
    assert_eq!(body["last_name"], "Tester");
    assert_eq!(body["image_url"], Value::Null);
    assert!(body.get("password").is_none(), "{body}");
    let token = body["token"].as_str().expect("token");
    let (status, me) = app.get("/api/session", token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["id"], ada.id);
}

#[tokio::test]
async fn logging_in_ignores_the_letter_case_of_the_email() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    let (status, body) = app.log_in("  ADA@Example.COM ", "password1").await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], ada.id);
}

#[tokio::test]
async fn a_wrong_password_is_invalid_credentials() {
    let app = spawn_app().await;
    app.sign_up("ada").await;

    let (status, err) = app.log_in("ada@example.com", "wrong-password").await;

    assert_error(
        status,
        &err,
        StatusCode::UNAUTHORIZED,
        "Invalid credentials",
    );
    assert!(err.get("token").is_none());
}

#[tokio::test]
async fn an_unknown_email_is_invalid_credentials_too() {
    let app = spawn_app().await;

    let (status, err) = app.log_in("nobody@example.com", "password1").await;

    assert_error(
        status,
        &err,
        StatusCode::UNAUTHORIZED,
        "Invalid credentials",
    );
}

#[tokio::test]
async fn logging_in_without_email_or_password_lists_both() {
    let app = spawn_app().await;

    let (status, err) = app
        .call(Method::POST, "/api/session", None, Some(json!({})))
        .await;

    assert_error(status, &err, StatusCode::BAD_REQUEST, "Validation error");
    assert_eq!(
        err["errors"],
        json!(["Email is required", "Password is required"])
    );
}

#[tokio::test]
async fn logging_out_revokes_the_token() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let ws = app.create_workspace(&ada, "Ada's").await;

    let (status, body) = app.delete("/api/session", &ada.token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["message"].is_string(), "{body}");

    for (method, path) in [
        (Method::GET, "/api/session".to_owned()),
        (Method::GET, "/api/workspaces/session".to_owned()),
        (Method::GET, format!("/api/workspaces/{ws}")),
        (Method::DELETE, "/api/session".to_owned()),
    ] {
        let (status, err) = app.call(method, &path, Some(&ada.token), None).await;
        assert_error(
            status,
            &err,
            StatusCode::UNAUTHORIZED,
            "Authentication required",
        );
    }
}

#[tokio::test]
async fn logging_out_one_session_leaves_the_users_other_sessions_signed_in() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let (_, second) = app.log_in("ada@example.com", "password1").await;
    let second = second["token"].as_str().expect("token").to_owned();
    assert_ne!(second, ada.token);

    let (status, _) = app.delete("/api/session", &ada.token).await;
    assert_eq!(status, StatusCode::OK);

    let (status, me) = app.get("/api/session", &second).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["id"], ada.id);
}

#[tokio::test]
async fn after_logging_out_a_user_can_log_in_again() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    app.delete("/api/session", &ada.token).await;

    let (status, body) = app.log_in("ada@example.com", "password1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, me) = app
        .get("/api/session", body["token"].as_str().expect("token"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["id"], ada.id);
}

#[tokio::test]
async fn logging_out_requires_authentication() {
    let app = spawn_app().await;

    let (status, err) = app.call(Method::DELETE, "/api/session", None, None).await;

    assert_error(
        status,
        &err,
        StatusCode::UNAUTHORIZED,
        "Authentication required",
    );
}
