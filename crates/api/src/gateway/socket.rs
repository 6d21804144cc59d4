//! The outgoing half of a WebSocket connection: the frames a session sends,
//! encoded into the HTTP response body.
//!
//! actix-ws's own body sends frames strictly in order, so a close frame
//! waits behind every frame queued before it. That is right for most closes
//! (an `error` frame must arrive before the close it explains), but not for
//! "too slow": a client that cannot keep up would have to read its whole
//! backlog before learning it must resume, and a slow enough one never
//! would. [`Outlet::close_now`] puts the close frame ahead of the backlog and
//! drops the backlog, which the client replays with `since` anyway.
//!
//! Only frames still queued here can be overtaken; what the server already
//! handed to the kernel reaches the client first.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_http::ws::{Codec, Message};
use actix_web::body::BodyStream;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{CloseReason, MessageStream};
use bytestring::ByteString;
use futures_util::Stream;
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::Encoder;

/// Frames waiting to be encoded, as many as actix-ws's own body keeps.
const QUEUED_FRAMES: usize = 32;

/// RFC 6455: a control frame's payload is at most 125 bytes, two of them
/// the close code.
const MAX_CLOSE_REASON_BYTES: usize = 123;

/// The socket is closed; nothing more can be sent.
#[derive(Debug)]
pub struct Closed;

/// Sends frames to one client, in order, or a close frame ahead of them.
pub struct Outlet {
    frames: mpsc::Sender<Message>,
    urgent: oneshot::Sender<CloseReason>,
}

impl Outlet {
    /// Queues a text frame, waiting while the queue is full.
    pub async fn text(&mut self, frame: ByteString) -> Result<(), Closed> {
        self.frames
            .send(Message::Text(frame))
            .await
            .map_err(|_| Closed)
    }

    /// Answers a WebSocket ping.
    pub async fn pong(&mut self, bytes: &[u8]) -> Result<(), Closed> {
        self.frames
            .send(Message::Pong(Bytes::copy_from_slice(bytes)))
            .await
            .map_err(|_| Closed)
    }

    /// Closes after every frame queued before it.
    pub async fn close(self, reason: Option<CloseReason>) -> Result<(), Closed> {
        self.frames
            .send(Message::Close(reason))
            .await
            .map_err(|_| Closed)
    }

    /// Closes ahead of whatever is still queued, which is dropped.
    pub fn close_now(self, reason: CloseReason) {
        let _ = self.urgent.send(reason);
    }
}

/// Upgrades `req` like [`actix_ws::handle`], but with a body fed by an
/// [`Outlet`].
/// # Errors
/// When `req` is not a valid WebSocket upgrade.
pub fn upgrade(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<(HttpResponse, Outlet, MessageStream), actix_web::Error> {
    let (response, session, stream) = actix_ws::handle(req, payload)?;
    drop(session);
    // actix-ws's body is kept, never polled: dropping it is how the message
    // stream learns that the connection ended.
    let (head, replaced) = response.into_parts();
    let (frames, queued) = mpsc::channel(QUEUED_FRAMES);
    let (urgent, closing) = oneshot::channel();
    let body = OutletBody {
        queued,
        closing: Some(closing),
        buf: BytesMut::new(),
        codec: Codec::new(),
        done: false,
        _replaced: replaced,
    };
    let response = head.set_body(BodyStream::new(body)).map_into_boxed_body();
    Ok((response, Outlet { frames, urgent }, stream))
}

/// The response body: encodes queued frames, an urgent close first.
struct OutletBody {
    queued: mpsc::Receiver<Message>,
    /// Taken once it has resolved.
    closing: Option<oneshot::Receiver<CloseReason>>,
    buf: BytesMut,
    codec: Codec,
    done: bool,
    _replaced: actix_web::body::BoxBody,
}

impl OutletBody {
    /// Encodes `message`; returns whether it ends the connection.
    fn encode(&mut self, message: Message) -> Result<bool, actix_web::Error> {
        let message = match message {
            Message::Close(Some(mut reason)) => {
                if let Some(text) = reason.description.as_mut() {
                    let mut end = text.len().min(MAX_CLOSE_REASON_BYTES);
                    while !text.is_char_boundary(end) {
                        end -= 1;
                    }
                    text.truncate(end);
                }
                Message::Close(Some(reason))
            }
            other => other,
        };
        let last = matches!(message, Message::Close(_));
        self.codec.encode(message, &mut self.buf)?;
        Ok(last)
    }

    /// Stops taking frames: whatever is queued is dropped.
    fn finish(&mut self) {
        self.done = true;
        self.queued.close();
        while self.queued.try_recv().is_ok() {}
    }
}

impl Stream for OutletBody {
    type Item = Result<Bytes, actix_web::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        // An urgent close overtakes everything not yet encoded.
        if let Some(closing) = this.closing.as_mut()
            && let Poll::Ready(urgent) = Pin::new(closing).poll(cx)
        {
            this.closing = None;
            // An error means the outlet closed in order, or was dropped.
            if let Ok(reason) = urgent
                && !this.done
            {
                this.finish();
                if let Err(e) = this.encode(Message::Close(Some(reason))) {
                    return Poll::Ready(Some(Err(e)));
                }
            }
        }
        while !this.done {
            match this.queued.poll_recv(cx) {
                Poll::Ready(Some(message)) => match this.encode(message) {
                    Ok(true) => this.finish(),
                    Ok(false) => {}
                    Err(e) => return Poll::Ready(Some(Err(e))),
                },
                Poll::Ready(None) => this.done = true,
                Poll::Pending => break,
            }
        }
        if !this.buf.is_empty() {
            return Poll::Ready(Some(Ok(std::mem::take(&mut this.buf).freeze())));
        }
        if this.done {
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    }
}
