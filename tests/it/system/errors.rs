//! What a client gets for bad input: the error envelope, routing misses, body
//! limits, content types, malformed JSON, bad ids and bad tokens.

use concord_tests::{assert_envelope, assert_error, now, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

// --- routing ---

#[tokio::test]
async fn an_unknown_route_is_a_404_in_the_envelope() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    // `/` is the console's page, and its files are under `/console/`.
    for path in [
        "/nope",
        "/api/nope",
        "/api/workspaces/1/nope",
        "/console",
        "/console/nope.js",
    ] {
        let (status, err) = app
            .send_raw(Method::GET, path, Some(&ada.token), None, vec![])
            .await;
        assert_envelope(status, &err, StatusCode::NOT_FOUND);
    }
    let (status, err) = app
        .send_raw(Method::POST, "/api/nope", None, None, vec![])
        .await;
    assert_envelope(status, &err, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_wrong_method_on_a_known_route_is_a_405_in_the_envelope() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let ws = app.create_workspace(&ada, "Ada's").await;

    for (method, path) in [
        (Method::PATCH, format!("/api/workspaces/{ws}")),
        (Method::GET, "/api/users".to_owned()),
        (Method::DELETE, "/api/workspaces".to_owned()),
        (Method::PUT, "/api/session".to_owned()),
        (Method::POST, "/health".to_owned()),
        (Method::GET, format!("/api/channels/{ws}/users")),
    ] {
        let (status, err) = app
            .send_raw(method, &path, Some(&ada.token), None, vec![])
            .await;
        assert_envelope(status, &err, StatusCode::METHOD_NOT_ALLOWED);
    }
}

#[tokio::test]
async fn a_405_names_the_methods_the_route_allows() {
    let app = spawn_app().await;

    let res = app.request(Method::PATCH, "/api/session", None, None).await;

    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    let allow = res
        .headers()
        .get(reqwest::header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .expect("Allow header")
        .to_owned();
    let mut methods: Vec<&str> = allow.split(',').map(str::trim).collect();
    methods.sort_unstable();
    assert_eq!(methods, ["DELETE", "GET", "POST"], "{allow}");
}

// --- bodies ---

#[tokio::test]
async fn a_body_over_one_mebibyte_is_a_413_in_the_envelope() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let big = format!(
        r#"{{"name": "big", "description": "{}"}}"#,
        "x".repeat(1024 * 1024)
    );

    let (status, err) = app
        .send_raw(
            Method::POST,
            "/api/workspaces",
            Some(&ada.token),
            Some("application/json"),
            big.clone().into_bytes(),
        )
        .await;
    assert_envelope(status, &err, StatusCode::PAYLOAD_TOO_LARGE);

    let (status, err) = app
        .send_raw(
            Method::POST,
            "/api/users",
            None,
            Some("application/json"),
            big.into_bytes(),
        )
        .await;
    assert_envelope(status, &err, StatusCode::PAYLOAD_TOO_LARGE);

    let (_, list) = app.get("/api/workspaces/session", &ada.token).await;
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn a_body_that_is_not_json_by_content_type_is_a_415_in_the_envelope() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let body = br#"{"name": "n", "description": "d"}"#.to_vec();

    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let (status, err) = app
            .send_raw(
                Method::POST,
                "/api/workspaces",
                Some(&ada.token),
                content_type,
                body.clone(),
            )
            .await;
        assert_envelope(status, &err, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
    let (_, list) = app.get("/api/workspaces/session", &ada.token).await;
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn json_with_a_charset_parameter_is_accepted() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    let (status, ws) = app
        .send_raw(
            Method::POST,
            "/api/workspaces",
            Some(&ada.token),
            Some("application/json; charset=utf-8"),
            br#"{"name": "n", "description": "d"}"#.to_vec(),
        )
        .await;

    assert_eq!(status, StatusCode::CREATED, "{ws}");
}

#[tokio::test]
async fn malformed_json_is_a_400_in_the_envelope() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    for body in [
        &br#"{"name": "n", "description": "#[..],
        b"not json at all",
        b"",
        br#"{"name": "n",, }"#,
    ] {
        let (status, err) = app
            .send_raw(
                Method::POST,
                "/api/workspaces",
                Some(&ada.token),
                Some("application/json"),
                body.to_vec(),
            )
            .await;
        assert_error(status, &err, StatusCode::BAD_REQUEST, "Validation error");
        assert!(
            !err["errors"].as_array().expect("errors").is_empty(),
            "{err}"
        );
    }
    let (status, err) = app
        .send_raw(
            Method::POST,
            "/api/session",
            None,
            Some("application/json"),
            b"{email".to_vec(),
        )
        .await;
    assert_error(status, &err, StatusCode::BAD_REQUEST, "Validation error");
}

#[tokio::test]
async fn json_of_the_wrong_shape_or_types_is_a_400_in_the_envelope() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    for body in [
        json!([{"name": "n", "description": "d"}]),
        json!("a string"),
        json!(null),
        json!({"name": 123, "description": "d"}),
        json!({"name": "n", "description": ["d"]}),
    ] {
        let (status, err) = app.post("/api/workspaces", &ada.token, body).await;
        assert_envelope(status, &err, StatusCode::BAD_REQUEST);
        let message = err["message"].as_str().expect("message");
        assert!(
            message == "Validation error" || message == "Invalid request body",
            "{err}"
        );
    }
    let (_, list) = app.get("/api/workspaces/session", &ada.token).await;
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn every_field_of_the_wrong_type_is_named_in_one_answer() {
    let app = spawn_app().await;

    let (status, err) = app
        .call(
            Method::POST,
            "/api/users",
            None,
            Some(json!({
                "username": 1, "email": ["ada@example.com"], "password": "password1",
                "firstName": {"x": 1}, "last_name": "Lovelace"
            })),
        )
        .await;

    assert_error(status, &err, StatusCode::BAD_REQUEST, "Validation error");
    let errors: Vec<&str> = err["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e.as_str())
        .collect();
    assert_eq!(errors.len(), 3, "{err}");
    for field in ["username", "email", "firstName"] {
        let prefix = format!("Invalid field {field}: invalid type");
        assert!(
            errors.iter().any(|e| e.starts_with(&prefix)),
            "{field}: {err}"
        );
    }

    // the server dialect's bodies, and ids inside lists, are read the same way
    let ada = app.sign_up("ada").await;
    let ws = app.create_workspace(&ada, "Home").await;
    for (path, body, named) in [
        (
            format!("/conversations?serverId={ws}"),
            json!({"memberId": "not-an-id"}),
            vec!["Invalid field memberId:"],
        ),
        (
            format!("/api/workspaces/{ws}/direct_messages"),
            json!({"users": [1, -2], "topic": 7}),
            vec!["Invalid field users[1]:", "Invalid field topic:"],
        ),
    ] {
        let (status, err) = app.post(&path, &ada.token, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
        let errors = err["errors"].as_array().expect("errors");
        assert_eq!(errors.len(), named.len(), "{err}");
        for prefix in named {
            assert!(
                errors
                    .iter()
                    .any(|e| e.as_str().is_some_and(|e| e.starts_with(prefix))),
                "{prefix}: {err}"
            );
        }
    }
}

#[tokio::test]
async fn unknown_request_fields_are_ignored() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    let (status, ws) = app
        .post(
            "/api/workspaces",
            &ada.token,
            json!({"name": "n", "description": "d", "colour": "blue", "id": 999}),
        )
        .await;

    assert_eq!(status, StatusCode::CREATED, "{ws}");
    assert_ne!(ws["id"], 999);
}

// --- path ids ---

#[tokio::test]
async fn non_numeric_zero_negative_and_out_of_range_path_ids_are_a_400_everywhere() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let body = json!({"name": "n", "description": "d", "user_id": ada.id});

    for bad in [
        "abc",
        "0",
        "-1",
        "1.5",
        "1e3",
        "99999999999999999999",
        "9223372036854775808",
    ] {
        for (method, path) in [
            (Method::GET, format!("/api/users/{bad}")),
            (Method::GET, format!("/api/workspaces/{bad}")),
            (Method::PUT, format!("/api/workspaces/{bad}")),
            (Method::DELETE, format!("/api/workspaces/{bad}")),
            (Method::POST, format!("/api/workspaces/{bad}/members")),
            (Method::DELETE, format!("/api/workspaces/{bad}/members/1")),
            (Method::DELETE, format!("/api/workspaces/1/members/{bad}")),
            (Method::GET, format!("/api/workspaces/{bad}/channels")),
            (Method::POST, format!("/api/workspaces/{bad}/channels")),
            (Method::GET, format!("/api/channels/{bad}")),
            (Method::PUT, format!("/api/channels/{bad}")),
            (Method::DELETE, format!("/api/channels/{bad}")),
            (Method::POST, format!("/api/channels/{bad}/users")),
            (Method::DELETE, format!("/api/channels/{bad}/users")),
        ] {
            let (status, err) = app
                .call(method.clone(), &path, Some(&ada.token), Some(body.clone()))
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {path}: {err}");
            assert_error(status, &err, StatusCode::BAD_REQUEST, "Validation error");
        }
    }
}

#[tokio::test]
async fn the_largest_valid_id_is_simply_not_found() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let max = i64::MAX;

    let (status, err) = app.get(&format!("/api/workspaces/{max}"), &ada.token).await;
    assert_error(status, &err, StatusCode::NOT_FOUND, "Workspace not found");
    let (status, err) = app.get(&format!("/api/channels/{max}"), &ada.token).await;
    assert_error(status, &err, StatusCode::NOT_FOUND, "Channel not found");
    let (status, err) = app.get(&format!("/api/users/{max}"), &ada.token).await;
    assert_error(status, &err, StatusCode::NOT_FOUND, "User not found");
}

// --- tokens ---

/// A JWT segment: base64url without padding.
fn b64url(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(T[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// Every authenticated endpoint's answer to `token` must be a 401.
async fn assert_refused_everywhere(app: &concord_tests::TestApp, token: &str, ws: i64) {
    for (method, path) in [
        (Method::GET, "/api/session".to_owned()),
        (Method::DELETE, "/api/session".to_owned()),
        (Method::GET, "/api/users/1".to_owned()),
        (Method::GET, "/api/workspaces/session".to_owned()),
        (Method::POST, "/api/workspaces".to_owned()),
        (Method::GET, format!("/api/workspaces/{ws}")),
        (Method::PUT, format!("/api/workspaces/{ws}")),
        (Method::DELETE, format!("/api/workspaces/{ws}")),
        (Method::POST, format!("/api/workspaces/{ws}/members")),
        (Method::DELETE, format!("/api/workspaces/{ws}/members/1")),
        (Method::GET, format!("/api/workspaces/{ws}/channels")),
        (Method::POST, format!("/api/workspaces/{ws}/channels")),
        (Method::GET, "/api/channels/1".to_owned()),
        (Method::PUT, "/api/channels/1".to_owned()),
        (Method::DELETE, "/api/channels/1".to_owned()),
        (Method::POST, "/api/channels/1/users".to_owned()),
        (Method::DELETE, "/api/channels/1/users".to_owned()),
    ] {
        let (status, err) = app
            .call(
                method.clone(),
                &path,
                Some(token),
                Some(json!({"name": "n", "description": "d", "user_id": 1})),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {err}");
        assert_error(
            status,
            &err,
            StatusCode::UNAUTHORIZED,
            "Authentication required",
        );
    }
}

#[tokio::test]
async fn a_token_signed_by_the_servers_secret_is_accepted() {
    // the control for the forged-token tests below: signing works as the server expects
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let token = app.sign_token(&json!({
        "sub": ada.id.to_string(), "iat": now(), "exp": now() + 600, "jti": "control",
    }));

    let (status, me) = app.get("/api/session", &token).await;

    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["id"], ada.id);
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let ws = app.create_workspace(&ada, "Ada's").await;
    let token = app.sign_token(&json!({
        "sub": ada.id.to_string(), "iat": now() - 7200, "exp": now() - 3600, "jti": "expired",
    }));

    assert_refused_everywhere(&app, &token, ws).await;
}

#[tokio::test]
async fn a_token_signed_with_another_secret_is_refused() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let ws = app.create_workspace(&ada, "Ada's").await;
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"sub": ada.id.to_string(), "iat": now(), "exp": now() + 600, "jti": "forged"}),
        &jsonwebtoken::EncodingKey::from_secret(b"an-attacker-guessed-secret-of-32-bytes"),
    )
    .expect("sign");

    assert_refused_everywhere(&app, &token, ws).await;
}

#[tokio::test]
async fn a_token_whose_claims_were_altered_is_refused() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let eve = app.sign_up("eve").await;
    let ws = app.create_workspace(&ada, "Ada's").await;
    // eve keeps her signature but claims to be ada
    let parts: Vec<&str> = eve.token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let claims = format!(
        r#"{{"sub":"{}","iat":{},"exp":{},"jti":"tampered"}}"#,
        ada.id,
        now(),
        now() + 600
    );
    let forged = format!("{}.{}.{}", parts[0], b64url(claims.as_bytes()), parts[2]);

    assert_refused_everywhere(&app, &forged, ws).await;
    let (status, _) = app.get(&format!("/api/workspaces/{ws}"), &ada.token).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn an_unsigned_alg_none_token_is_refused() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let ws = app.create_workspace(&ada, "Ada's").await;
    let header = b64url(br#"{"alg":"none","typ":"JWT"}"#);
    let claims = b64url(
        format!(
            r#"{{"sub":"{}","iat":{},"exp":{},"jti":"none"}}"#,
            ada.id,
            now(),
            now() + 600
        )
        .as_bytes(),
    );

    for token in [format!("{header}.{claims}."), format!("{header}.{claims}")] {
        assert_refused_everywhere(&app, &token, ws).await;
    }
}

#[tokio::test]
async fn garbage_tokens_are_refused() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let ws = app.create_workspace(&ada, "Ada's").await;

    for token in [
        "garbage",
        "a.b.c",
        "null",
        "eyJhbGciOiJIUzI1NiJ9..",
        &"x".repeat(5000),
    ] {
        assert_refused_everywhere(&app, token, ws).await;
    }
}

#[tokio::test]
async fn a_revoked_token_is_refused() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;
    let ws = app.create_workspace(&ada, "Ada's").await;
    let (status, _) = app.delete("/api/session", &ada.token).await;
    assert_eq!(status, StatusCode::OK);

    assert_refused_everywhere(&app, &ada.token, ws).await;
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let res = app
            .client
            .get(format!("{}/api/workspaces/session", app.address))
            .header(
                reqwest::header::AUTHORIZATION,
                format!("{scheme} {}", ada.token),
            )
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::OK, "{scheme}");
    }
}

#[tokio::test]
async fn an_authorization_header_that_is_not_a_bearer_token_is_refused() {
    let app = spawn_app().await;
    let ada = app.sign_up("ada").await;

    for value in [
        format!("Basic {}", ada.token),
        ada.token.clone(),
        "Bearer ".to_owned(),
        "Bearer".to_owned(),
    ] {
        let res = app
            .client
            .get(format!("{}/api/workspaces/session", app.address))
            .header(reqwest::header::AUTHORIZATION, value.clone())
            .send()
            .await
            .expect("request");
        let status = res.status();
        let body: serde_json::Value = res.json().await.expect("json");
        assert_error(
            status,
            &body,
            StatusCode::UNAUTHORIZED,
            "Authentication required",
        );
    }
}

// --- text Postgres cannot store ---

#[tokio::test]
async fn a_nul_character_in_any_text_is_a_400_in_both_dialects() {
    let app = spawn_app().await;
    let team = app.team().await;
    let general = app
        .get(
            &format!("/api/workspaces/{}/channels", team.ws),
            &team.owner.token,
        )
        .await
        .1[0]["id"]
        .clone();
    let owner = Some(team.owner.token.as_str());

    for (method, path, token, body) in [
        (
            Method::POST,
            "/api/session".to_owned(),
            None,
            json!({"email": "a\u{0}@b.c", "password": "password1"}),
        ),
        (
            Method::POST,
            "/api/session".to_owned(),
            None,
            json!({"email": "owner@example.com", "password": "pass\u{0}word1"}),
        ),
        (
            Method::POST,
            "/api/users".to_owned(),
            None,
            json!({"username": "nul", "email": "nul@example.com", "password": "password1", "first_name": "N\u{0}", "last_name": "L"}),
        ),
        (
            Method::POST,
            "/api/workspaces".to_owned(),
            owner,
            json!({"name": "W\u{0}"}),
        ),
        (
            Method::POST,
            format!("/api/channels/{general}/messages"),
            owner,
            json!({"content": "hi\u{0}"}),
        ),
        (
            Method::POST,
            "/servers".to_owned(),
            owner,
            json!({"name": "S\u{0}"}),
        ),
        (
            Method::POST,
            format!("/socket/messages?serverId={}&channelId={general}", team.ws),
            owner,
            json!({"content": "x", "fileUrl": "https://f/\u{0}"}),
        ),
        (
            Method::GET,
            format!("/messages?channelId={general}%00"),
            owner,
            Value::Null,
        ),
        (
            Method::GET,
            "/api/direct_messages?workspace_id=1%00".to_owned(),
            owner,
            Value::Null,
        ),
    ] {
        let body = (!body.is_null()).then_some(body);
        let (status, err) = app.call(method.clone(), &path, token, body).await;
        assert_envelope(status, &err, StatusCode::BAD_REQUEST);
        assert!(
            err["errors"]
                .to_string()
                .contains("must not contain a NUL character"),
            "{method} {path}: {err}"
        );
    }
    let (status, _) = app
        .get(
            &format!("/api/channels/{general}/messages"),
            &team.owner.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "the server still serves");
}

// --- what the HTTP parser answers by itself (docs/security.md) ---

/// The status line actix-http answers `raw` with, and whether a body came.
async fn raw_exchange(app: &concord_tests::TestApp, raw: &[u8]) -> (String, bool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.address.trim_start_matches("http://");
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(raw).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        tcp.read_to_end(&mut answer),
    )
    .await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.lines().next().unwrap_or_default().to_owned();
    let body = text
        .split_once("\r\n\r\n")
        .is_some_and(|(_, body)| !body.is_empty());
    (status, body)
}

#[tokio::test]
async fn requests_the_http_parser_refuses_get_the_documented_bare_statuses() {
    let app = spawn_app().await;
    let many_headers: String = (0..100).map(|i| format!("X-H{i}: v\r\n")).collect();
    for (raw, status) in [
        (
            b"GET /health HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\n\r\n".to_vec(),
            "400",
        ),
        (
            b"POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n".to_vec(),
            "400",
        ),
        (
            format!("GET /health HTTP/1.1\r\nHost: x\r\n{many_headers}\r\n").into_bytes(),
            "431",
        ),
    ] {
        let (line, has_body) = raw_exchange(&app, &raw).await;
        assert!(line.starts_with(&format!("HTTP/1.1 {status}")), "{line}");
        assert!(!has_body, "{line}: actix-http sends no body here");
    }
    // The server is unharmed.
    let (status, _) = app.call(Method::GET, "/health", None, None).await;
    assert_eq!(status, StatusCode::OK);
}
