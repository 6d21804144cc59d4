//! `POST /api/users` (sign up) and `GET /api/users/{id}`.

use concord_tests::{assert_error, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn sign_up_body(name: &str) -> Value {
    json!({
        "username": name,
        "email": format!("{name}@example.com"),
        "password": "password1",
        "first_name": "Ada",
        "last_name": "Lovelace",
    })
}

const USER_FIELDS: [&str; 6] = [
    "id",
    "username",
    "email",
    "first_name",
    "last_name",
    "image_url",
];

#[tokio::test]
async fn signing_up_returns_the_new_user_and_a_working_token() {
    let app = spawn_app().await;
    let mut body = sign_up_body("ada");
    body["image_url"] = json!("https://example.com/ada.png");

    let (status, user) = app.call(Method::POST, "/api/users", None, Some(body)).await;

    assert_eq!(status, StatusCode::CREATED, "{user}");
    assert!(user["id"].as_i64().is_some_and(|id| id > 0), "{user}");
    assert_eq!(user["username"], "ada");
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["first_name"], "Ada");
    assert_eq!(user["last_name"], "Lovelace");
    assert_eq!(user["image_url"], "https://example.com/ada.png");
    let token = user["token"].as_str().expect("token");
    assert!(!token.is_empty());

    let (status, me) = app.get("/api/session", token).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["id"], user["id"]);
}

#[tokio::test]
async fn a_signed_up_user_has_exactly_the_documented_snake_case_fields_and_no_password() {
    let app = spawn_app().await;
    let (status, user) = app
        .call(
            Method::POST,
            "/api/users",
            None,
            Some(sign_up_body("grace")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");

    let mut keys: Vec<&str> = user
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    let mut expected: Vec<&str> = USER_FIELDS.iter().copied().chain(["token"]).collect();
    expected.sort_unstable();
    assert_eq!(keys, expected, "{user}");
    assert_eq!(user["image_url"], Value::Null);
    assert!(!user.to_string().contains("password1"), "{user}");
}

#[tokio::test]
async fn sign_up_accepts_camel_case_field_names() {
    let app = spawn_app().await;
    let (status, user) = app
        .call(
            Method::POST,
            "/api/users",
            None,
            Some(json!({
                "username": "linus",
                "email": "linus@example.com",
                "password": "password1",
                "firstName": "Linus",
                "lastName": "Torvalds",
                "imageUrl": "https://example.com/tux.png",
            })),
        )
        .await;

    assert_eq!(status, StatusCode::CREATED, "{user}");
    assert_eq!(user["first_name"], "Linus");
    assert_eq!(user["last_name"], "Torvalds");
    assert_eq!(user["image_url"], "https://example.com/tux.png");
}

#[tokio::test]
async fn signing_up_with_a_taken_email_is_refused_as_user_already_exists() {
    let app = spawn_app().await;
    app.sign_up("ada").await;

    let mut body = sign_up_body("someone_else");
    body["email"] = json!("ada@example.com");
    let (status, err) = app.call(Method::POST, "/api/users", None, Some(body)).await;

    assert_error(status, &err, StatusCode::FORBIDDEN, "User already exists");
}

#[tokio::test]
async fn a_taken_email_is_refused_whatever_its_letter_case() {
    let app = spawn_app().await;
    app.sign_up("ada").await;

    let mut body = sign_up_body("someone_else");
    body["email"] = json!("ADA@Example.com");
    let (status, err) = app.call(Method::POST, "/api/users", None, Some(body)).await;

    assert_error(status, &err, StatusCode::FORBIDDEN, "User already exists");
}

#[tokio::test]
async fn signing_up_with_a_taken_username_is_refused_as_user_already_exists() {
    let app = spawn_app().await;
    app.sign_up("ada").await;

    let mut body = sign_up_body("ada");
    body["email"] = json!("another.ada@example.com");
    let (status, err) = app.call(Method::POST, "/api/users", None, Some(body)).await;

    assert_error(status, &err, StatusCode::FORBIDDEN, "User already exists");
}

#[tokio::test]
async fn a_refused_duplicate_sign_up_does_not_replace_the_existing_account() {
    let app = spawn_app().await;
    app.sign_up("ada").await;

    let mut body = sign_up_body("ada2");
    body["email"] = json!("ada@example.com");
    body["password"] = json!("another-password");
    let (status, _) = app.call(Method::POST, "/api/users", None, Some(body)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, _) = app.log_in("ada@example.com", "another-password").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.log_in("ada@example.com", "password1").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn sign_up_lists_every_invalid_field_at_once() {
    let app = spawn_app().await;
    let (status, err) = app
        .call(
            Method::POST,
            "/api/users",
            None,
            Some(json!({"username": "ada", "email": "not-an-email", "password": "password1"})),
        )
        .await;

    assert_error(status, &err, StatusCode::BAD_REQUEST, "Validation error");
    let errors = err["errors"].as_array().expect("errors");
    for expected in [
        "Invalid email",
        "First Name is required",
        "Last Name is required",
    ] {
        assert!(errors.iter().any(|e| e == expected), "{expected}: {err}");
    }
    assert_eq!(errors.len(), 3, "{err}");
}

#[tokio::test]
async fn an_empty_sign_up_reports_all_five_required_fields() {
    let app = spawn_app().await;
    let (status, err) = app
        .call(Method::POST, "/api/users", None, Some(json!({})))
        .await;

    assert_error(status, &err, StatusCode::BAD_REQUEST, "Validation error");
    assert_eq!(err["errors"].as_array().expect("errors").len(), 5, "{err}");
}

#[tokio::test]
async fn sign_up_refuses_a_short_password_and_an_overlong_name() {
    let app = spawn_app().await;
    let mut body = sign_up_body("ada");
    body["password"] = json!("123");
    body["first_name"] = json!("a".repeat(81));
    let (status, err) = app.call(Method::POST, "/api/users", None, Some(body)).await;

    assert_error(status, &err, StatusCode::BAD_REQUEST, "Validation error");
    assert_eq!(err["errors"].as_array().expect("errors").len(), 2, "{err}");
}

#[tokio::test]
async fn a_refused_sign_up_creates_no_account() {
    let app = spawn_app().await;
    let mut body = sign_up_body("ada");
    body["last_name"] = json!("");
    let (status, _) = app.call(Method::POST, "/api/users", None, Some(body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // the same email and username are still free
    app.sign_up("ada").await;
}

#[tokio::test]
async fn any_signed_in_user_can_read_another_users_profile() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;

    let (status, user) = app.get(&format!("/api/users/{}", ada.id), &bob.token).await;

    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["id"], ada.id);
    assert_eq!(user["username"], "ada");
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["first_name"], "ada");
    assert_eq!(user["last_name"], "Tester");
    assert_eq!(user["image_url"], Value::Null);
    let mut keys: Vec<&str> = user
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    let mut expected = USER_FIELDS.to_vec();
    expected.sort_unstable();
    assert_eq!(keys, expected, "no token or password in a profile: {user}");
}

#[tokio::test]
async fn reading_a_user_requires_authentication() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    let (status, err) = app
        .call(Method::GET, &format!("/api/users/{}", ada.id), None, None)
        .await;

    assert_error(
        status,
        &err,
        StatusCode::UNAUTHORIZED,
        "Authentication required",
    );
}

#[tokio::test]
async fn reading_an_unknown_user_is_user_not_found() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    for id in [ada.id + 1000, i64::MAX] {
        let (status, err) = app.get(&format!("/api/users/{id}"), &ada.token).await;
        assert_error(status, &err, StatusCode::NOT_FOUND, "User not found");
    }
}

#[tokio::test]
async fn reading_a_user_with_a_malformed_id_is_a_bad_request() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    for id in ["abc", "0", "-1", "1.5", "99999999999999999999"] {
        let (status, err) = app.get(&format!("/api/users/{id}"), &ada.token).await;
        assert_error(status, &err, StatusCode::BAD_REQUEST, "Validation error");
    }
}
