//! The browser console at `GET /`: a small chat client of the workspace
//! dialect (`/api/...` and `/ws`), written as plain HTML, CSS and JavaScript
//! modules in `crates/api/console/` and compiled into the binary. There is no
//! build step and nothing is loaded from elsewhere: the page's
//! Content-Security-Policy allows this origin only.
//!
//! Every file is answered with a strong `ETag` (a hash of its bytes, taken at
//! compile time) and `Cache-Control: no-cache`, so a browser revalidates
//! with `If-None-Match` and gets a 304 until a new binary ships new bytes.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

use crate::error::{ApiError, ErrorBody};

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    /// FNV-1a of `body`, the `ETag`'s value.
    hash: u64,
}

/// FNV-1a, 64 bits: enough to tell two versions of a file apart, and cheap
/// enough to run at compile time.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

macro_rules! asset {
    ($name:literal, $content_type:expr) => {
        Asset {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!("../../console/", $name)),
            hash: fnv1a(include_bytes!(concat!("../../console/", $name))),
        }
    };
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The page at `/`.
const PAGE: Asset = asset!("index.html", HTML);

/// What the page loads, under `/console/`.
const ASSETS: [Asset; 10] = [
    asset!("console.css", CSS),
    asset!("main.js", JS),
    asset!("api.js", JS),
    asset!("gateway.js", JS),
    asset!("store.js", JS),
    asset!("dom.js", JS),
    asset!("auth.js", JS),
    asset!("sidebar.js", JS),
    asset!("timeline.js", JS),
    asset!("thread.js", JS),
];

/// The page may load scripts, styles and data from this origin only (the
/// WebSocket to `/ws` included: `'self'` covers `ws:` and `wss:` on the same
/// host), may not be framed, and posts its forms nowhere else.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The console's page.
/// # Responses: 200 · 304 the browser's copy is current
#[utoipa::path(get, path = "/", tag = "console",
    responses(
        (status = 200, description = "The console, an HTML page", content_type = "text/html", body = String),
        (status = 304, description = "Not modified: the copy named by If-None-Match is current"),
    ))]
pub async fn console_page(req: HttpRequest) -> HttpResponse {
    serve(
        &req,
        &PAGE,
        &[
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
    )
}

/// One of the console's scripts or its style sheet.
/// # Responses: 200 · 304 the browser's copy is current · 404 no such file
#[utoipa::path(get, path = "/console/{file}", tag = "console",
    params(("file" = ConsoleFile, Path, description = "A file of the console")),
    responses(
        (status = 200, description = "The file", content(
            (String = "text/javascript"),
            (String = "text/css"),
        )),
        (status = 304, description = "Not modified: the copy named by If-None-Match is current"),
        (status = 404, description = "No such file", body = ErrorBody),
    ))]
pub async fn console_asset(
    req: HttpRequest,
    file: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let file = file.into_inner();
    let asset = ASSETS.iter().find(|a| a.name == file).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "Not found",
            vec![format!("The console has no file {file}")],
        )
    })?;
    Ok(serve(&req, asset, &[]))
}

/// `asset` with `headers`, or a 304 when the request's `If-None-Match` names
/// its version.
fn serve(req: &HttpRequest, asset: &Asset, headers: &[(HeaderName, &'static str)]) -> HttpResponse {
    let etag = format!("\"{:016x}\"", asset.hash);
    let current = req
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag);
    let mut response = if current {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    for (name, value) in headers {
        response.insert_header((name.clone(), HeaderValue::from_static(value)));
    }
    if current {
        response.finish()
    } else {
        response.content_type(asset.content_type).body(asset.body)
    }
}

/// The `file` of `/console/{file}` in the OpenAPI document: the name of one
/// of the embedded files.
pub struct ConsoleFile;

impl utoipa::PartialSchema for ConsoleFile {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("The name of one of the console's files"))
            .enum_values(Some(ASSETS.iter().map(|asset| asset.name)))
            .into()
    }
}

impl utoipa::ToSchema for ConsoleFile {}

#[cfg(test)]
mod tests {
    use actix_web::http::StatusCode;
    use actix_web::http::header;
    use actix_web::{App, test, web};

    use super::*;

    async fn get(path: &str, if_none_match: Option<&str>) -> actix_web::dev::ServiceResponse {
        let app = test::init_service(
            App::new()
                .route("/", web::get().to(console_page))
                .route("/console/{file}", web::get().to(console_asset)),
        )
        .await;
        let mut req = test::TestRequest::get().uri(path);
        if let Some(tag) = if_none_match {
            req = req.insert_header((header::IF_NONE_MATCH, tag));
        }
        test::call_service(&app, req.to_request()).await
    }

    fn header(res: &actix_web::dev::ServiceResponse, name: header::HeaderName) -> &str {
        res.headers().get(name).unwrap().to_str().unwrap()
    }

    #[actix_web::test]
    async fn the_page_is_html_under_a_policy_that_allows_this_origin_only() {
        let res = get("/", None).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            header(&res, header::CONTENT_TYPE),
            "text/html; charset=utf-8"
        );
        let policy = header(&res, header::CONTENT_SECURITY_POLICY);
        assert!(policy.starts_with("default-src 'none'"), "{policy}");
        assert!(policy.contains("script-src 'self';"), "{policy}");
        assert!(!policy.contains("unsafe"), "{policy}");
        assert_eq!(header(&res, header::CACHE_CONTROL), "no-cache");
        let body = test::read_body(res).await;
        assert!(body.starts_with(b"<!doctype html>"));
    }

    #[actix_web::test]
    async fn every_file_comes_with_its_type_and_a_version_tag() {
        for asset in &ASSETS {
            let res = get(&format!("/console/{}", asset.name), None).await;
            assert_eq!(res.status(), StatusCode::OK, "{}", asset.name);
            assert_eq!(header(&res, header::CONTENT_TYPE), asset.content_type);
            assert_eq!(header(&res, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
            assert_eq!(
                header(&res, header::ETAG),
                format!("\"{:016x}\"", asset.hash)
            );
            assert_eq!(test::read_body(res).await, asset.body);
        }
    }

    #[actix_web::test]
    async fn a_current_copy_is_not_sent_again_and_a_stale_one_is() {
        let etag = header(&get("/console/main.js", None).await, header::ETAG).to_owned();
        let res = get("/console/main.js", Some(&etag)).await;
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(header(&res, header::ETAG), etag);
        assert!(test::read_body(res).await.is_empty());

        let res = get("/console/main.js", Some("\"0000000000000000\"")).await;
        assert_eq!(res.status(), StatusCode::OK);

        let page_tag = header(&get("/", None).await, header::ETAG).to_owned();
        assert_ne!(page_tag, etag, "each file has its own tag");
        assert_eq!(
            get("/", Some(&page_tag)).await.status(),
            StatusCode::NOT_MODIFIED
        );
    }

    #[actix_web::test]
    async fn an_unknown_file_is_a_404_in_the_envelope() {
        for path in [
            "/console/nope.js",
            "/console/index.html",
            "/console/..%2FCargo.toml",
        ] {
            let res = get(path, None).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
            let body: serde_json::Value = test::read_body_json(res).await;
            assert_eq!(body["statusCode"], 404);
            assert_eq!(body["message"], "Not found");
        }
    }

    /// A module added to `console/` but not to `ASSETS` would fail to load
    /// in the browser only; this catches it at `cargo test`.
    #[actix_web::test]
    async fn every_file_of_the_console_folder_is_served() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("console");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .filter(|name| name != PAGE.name)
            .collect();
        on_disk.sort();
        let mut served: Vec<String> = ASSETS.iter().map(|a| a.name.to_owned()).collect();
        served.sort();
        assert_eq!(on_disk, served);
    }
}
