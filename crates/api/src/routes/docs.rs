//! Swagger UI for `/api/openapi.json` at `/api/docs`, from files vendored
//! into the binary: it works offline, and loads nothing from elsewhere.

use std::sync::{Arc, LazyLock};

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpResponse, web};
use utoipa_swagger_ui::Config;

use crate::error::ApiError;

/// Where the page is: its assets are siblings of this path.
const BASE: &str = "/api/docs/";

static CONFIG: LazyLock<Arc<Config<'static>>> =
    LazyLock::new(|| Arc::new(Config::new(["/api/openapi.json"]).try_it_out_enabled(true)));

/// `GET /api/docs`: the Swagger UI page. Trailing slashes are trimmed
/// before routing, so the page names its own base for its relative assets.
pub async fn page() -> Result<HttpResponse, ApiError> {
    let file = swagger_file("index.html")?;
    let html = String::from_utf8_lossy(&file.bytes).replacen(
        "<head>",
        &format!("<head>\n    <base href=\"{BASE}\">"),
        1,
    );
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "no-cache"))
        .body(html))
}

/// `GET /api/docs/{file}`: one of Swagger UI's assets.
pub async fn asset(file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let file = swagger_file(&file)?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, file.content_type))
        .insert_header((CACHE_CONTROL, "public, max-age=3600"))
        .body(file.bytes.into_owned()))
}

fn swagger_file(path: &str) -> Result<utoipa_swagger_ui::SwaggerFile<'static>, ApiError> {
    let missing = || {
        ApiError::new(
            actix_web::http::StatusCode::NOT_FOUND,
            "Not found",
            vec![format!("No file {path} in the API docs")],
        )
    };
    match utoipa_swagger_ui::serve(path, Arc::clone(&CONFIG)) {
        Ok(Some(file)) => Ok(file),
        Ok(None) => Err(missing()),
        Err(e) => {
            tracing::error!(error = %e, "rendering the Swagger UI configuration");
            Err(ApiError::new(
                actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
                "Internal server error",
                vec!["The API docs could not be rendered".to_owned()],
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::{App, test};

    #[actix_web::test]
    async fn the_page_and_its_assets_are_served_from_the_binary() {
        let app = test::init_service(App::new().configure(crate::routes::configure)).await;
        let page =
            test::call_service(&app, test::TestRequest::get().uri("/api/docs").to_request()).await;
        assert!(page.status().is_success());
        let html = String::from_utf8(test::read_body(page).await.to_vec()).unwrap();
        assert!(html.contains("<base href=\"/api/docs/\">"), "{html}");
        assert!(
            !html.contains("http://") && !html.contains("https://unpkg"),
            "nothing from elsewhere"
        );

        let init = test::call_service(
            &app,
            test::TestRequest::get()
                .uri("/api/docs/swagger-initializer.js")
                .to_request(),
        )
        .await;
        assert!(init.status().is_success());
        let js = String::from_utf8(test::read_body(init).await.to_vec()).unwrap();
        assert!(js.contains("/api/openapi.json"), "{js}");

        let css = test::call_service(
            &app,
            test::TestRequest::get()
                .uri("/api/docs/swagger-ui.css")
                .to_request(),
        )
        .await;
        assert_eq!(css.headers().get("content-type").unwrap(), "text/css");

        let missing = test::call_service(
            &app,
            test::TestRequest::get()
                .uri("/api/docs/nope.js")
                .to_request(),
        )
        .await;
        assert_eq!(missing.status(), actix_web::http::StatusCode::NOT_FOUND);
    }
}
