//! The WebSocket transport: one Engine.IO packet per frame.
//!
//! A WebSocket's incoming stream cannot leave the worker thread that
//! accepted it, and its session task may live on another (the session was
//! opened by an earlier polling request). So a small reader task, on the
//! accepting thread, turns frames into [`Frame`]s for the session; the
//! session writes through actix-ws's `Session`, which may go anywhere.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{AggregatedMessage, CloseCode, ProtocolError};
use tokio::sync::mpsc;

use super::Payload;

/// What the reader passes on.
#[derive(Debug)]
pub(super) enum Frame {
    Message(Payload),
    /// A frame over `maxPayload`.
    TooBig,
    /// The client closed, or the connection broke.
    Closed,
}

/// How long a close frame may wait behind frames already queued: a client
/// that stopped reading costs a parked send this long, no more.
const CLOSE_GRACE: Duration = Duration::from_secs(5);
/// Frames read ahead of the session task.
const READ_AHEAD: usize = 16;

/// One accepted WebSocket.
pub(super) struct WebSocket {
    out: actix_ws::Session,
    pub(super) frames: mpsc::Receiver<Frame>,
}

/// Upgrades `req` and starts its reader.
/// # Errors
/// When `req` is not a valid WebSocket upgrade.
pub(super) fn accept(
    req: &HttpRequest,
    body: web::Payload,
    max_payload: usize,
) -> Result<(HttpResponse, WebSocket), actix_web::Error> {
    let (response, out, stream) = actix_ws::handle(req, body)?;
    let mut stream = stream
        .max_frame_size(max_payload)
        .aggregate_continuations()
        .max_continuation_size(max_payload);
    let (tx, frames) = mpsc::channel(READ_AHEAD);
    let mut pong = out.clone();
    actix_web::rt::spawn(async move {
        loop {
            let frame = tokio::select! {
                frame = stream.recv() => frame,
                // The session let go of this socket: stop reading, so the
                // connection can end.
                () = tx.closed() => return,
            };
            let frame = match frame {
                Some(Ok(AggregatedMessage::Text(text))) => Frame::Message(Payload::Text(text)),
                Some(Ok(AggregatedMessage::Binary(bytes))) => {
                    Frame::Message(Payload::Binary(bytes))
                }
                Some(Ok(AggregatedMessage::Ping(bytes))) => {
                    if pong.pong(&bytes).await.is_err() {
                        Frame::Closed
                    } else {
                        continue;
                    }
                }
                Some(Ok(AggregatedMessage::Pong(_))) => continue,
                Some(Err(e)) if too_big(&e) => Frame::TooBig,
                Some(Ok(AggregatedMessage::Close(_)) | Err(_)) | None => Frame::Closed,
            };
            let last = !matches!(frame, Frame::Message(_));
            if tx.send(frame).await.is_err() || last {
                return;
            }
        }
    });
    Ok((response, WebSocket { out, frames }))
}

/// Whether `e` is a frame, or a fragmented message, over the limit. actix-ws
/// reports the latter only as an I/O error with this text.
fn too_big(e: &ProtocolError) -> bool {
    match e {
        ProtocolError::Overflow => true,
        ProtocolError::Io(io) => io.to_string() == "Exceeded maximum continuation size",
        _ => false,
    }
}

impl WebSocket {
    /// Sends one frame.
    /// # Errors
    /// When the socket is closed.
    pub(super) async fn send(&mut self, payload: Payload) -> Result<(), actix_ws::Closed> {
        match payload {
            Payload::Text(text) => self.out.text(text).await,
            Payload::Binary(bytes) => self.out.binary(bytes).await,
        }
    }

    /// Closes with `code`, after what is already queued, waiting at most a
    /// grace period for room.
    pub(super) async fn close(self, code: CloseCode) {
        let reason = actix_ws::CloseReason {
            code,
            description: None,
        };
        let _ = tokio::time::timeout(CLOSE_GRACE, self.out.close(Some(reason))).await;
    }

    /// Closes a socket the session does not want (a second upgrade).
    pub(super) async fn refuse(self) {
        self.close(CloseCode::Normal).await;
    }
}
