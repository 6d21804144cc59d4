//! `GET`/`POST /api/socket/io` and `/socket.io`: Socket.IO for seed 000's
//! realtime clients (API.md section 6). The protocol is in
//! [`crate::socketio`], Concord's namespace in [`crate::gateway`].

use actix_web::{HttpRequest, HttpResponse, web};

use crate::socketio::SocketIo;

/// Both paths, as routed: startup trims the trailing slash the client
/// library sends (`/socket.io/` arrives as `/socket.io`).
pub const PATHS: [&str; 2] = ["/api/socket/io", "/socket.io"];

/// One Engine.IO request: a handshake, a poll, a POST of packets, or a
/// WebSocket upgrade.
/// # Responses: 200 · 101 · 400 protocol error · 403 · 413
pub async fn handle(
    socketio: web::Data<SocketIo>,
    req: HttpRequest,
    body: web::Payload,
) -> HttpResponse {
    socketio.handle(req, body).await
}

/// `GET` and `POST` of [`handle`] at `path`.
pub fn resource(path: &str) -> actix_web::Resource {
    web::resource(path)
        .route(web::get().to(handle))
        .route(web::post().to(handle))
}
