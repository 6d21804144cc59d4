use concord_tests::spawn_app;
use reqwest::StatusCode;

#[tokio::test]
async fn health_answers_ok() {
    let app = spawn_app().await;
    let (status, body) = app.call(reqwest::Method::GET, "/health", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
}
