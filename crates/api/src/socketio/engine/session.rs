//! One Engine.IO session, as one task: its active transport, an upgrade
//! probe, the heartbeat, and the queue of messages for the client.
//!
//! Outgoing messages are taken from the queue only when a transport can
//! carry them at once: by a pending poll (all that is queued goes in its
//! answer), or by the WebSocket. Each message therefore leaves through
//! exactly one transport, and an upgrade neither loses nor repeats any:
//! until the client's `upgrade` packet they go to polls, after it to the
//! WebSocket.

use std::sync::{Arc, PoisonError};
use std::time::Duration;

use actix_ws::CloseCode;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, sleep_until, timeout};

use super::encode_payload;
use super::websocket::{Frame, WebSocket};
use super::{CloseReason, Control, Outgoing, Packet, Payload, RequestError, Shared, Transport};
use crate::limits::Slot;

/// What a request asks of its session.
pub(super) enum Command {
    /// A GET: answered when there is something to send.
    Poll(oneshot::Sender<PollReply>),
    /// A POST's packets.
    Post(Vec<Packet>, oneshot::Sender<PostReply>),
    /// A POST whose body is not Engine.IO.
    Invalid(oneshot::Sender<PostReply>),
    /// A POST while another was in flight.
    Overlap,
    /// A POST that failed in a way that ends the session.
    Fail(CloseReason),
    /// A WebSocket with this session's id.
    Upgrade(WebSocket),
}

pub(super) enum PollReply {
    Payload(String),
    Error(RequestError),
}

pub(super) enum PostReply {
    Ok,
    Error(RequestError),
}

/// The transport that carries the session now.
enum Active {
    Polling {
        pending: Option<oneshot::Sender<PollReply>>,
    },
    WebSocket(WebSocket),
}

/// A WebSocket on its way to replacing polling.
struct Probe {
    ws: WebSocket,
    /// `2probe` was answered; the client may now send `upgrade`.
    probed: bool,
    deadline: Instant,
    /// When a poll held during the upgrade ends with a noop.
    noop_at: Option<Instant>,
}

/// How long a poll that arrives during an upgrade is held before it ends
/// with a noop: the reference server's check interval. Held, not answered
/// at once, so that a poll racing the client's `upgrade` packet sees the
/// upgrade (and its 400) rather than a noop from the polling that is over.
const UPGRADE_NOOP_AFTER: Duration = Duration::from_millis(100);

/// What woke the session.
enum Step {
    Closing,
    Timer,
    Command(Command),
    Frame(Frame),
    ProbeFrame(Frame),
    Outgoing(Outgoing),
    /// Every request handle is gone (the engine itself was dropped).
    Orphaned,
}

pub(super) struct Session {
    shared: Arc<Shared>,
    sid: Arc<str>,
    commands: mpsc::Receiver<Command>,
    outgoing: mpsc::Receiver<Outgoing>,
    incoming: Option<mpsc::Sender<Payload>>,
    control: Arc<Control>,
    active: Active,
    probe: Option<Probe>,
    /// Engine packets (pings) waiting for a poll.
    waiting: Vec<Packet>,
    next_ping: Option<Instant>,
    pong_by: Option<Instant>,
    /// A server close over polling, waiting until then for a poll to carry
    /// what is left and the `close` packet.
    closing_by: Option<Instant>,
    /// The session's place in its client address's cap, given back when
    /// the task ends.
    _address: Slot,
}

impl Session {
    pub(super) fn new(
        shared: Arc<Shared>,
        sid: Arc<str>,
        commands: mpsc::Receiver<Command>,
        outgoing: mpsc::Receiver<Outgoing>,
        incoming: mpsc::Sender<Payload>,
        control: Arc<Control>,
        address: Slot,
    ) -> Self {
        Self {
            shared,
            sid,
            commands,
            outgoing,
            incoming: Some(incoming),
            control,
            active: Active::Polling { pending: None },
            probe: None,
            waiting: Vec::new(),
            next_ping: None,
            pong_by: None,
            closing_by: None,
            _address: address,
        }
    }

    fn transport(&self) -> Transport {
        match self.active {
            Active::Polling { .. } => Transport::Polling,
            Active::WebSocket(_) => Transport::WebSocket,
        }
    }

    /// Serves the session to its end. `ws` is the WebSocket of a session
    /// opened over one; the `open` packet goes there (a polling session's
    /// went in the handshake's answer).
    pub(super) async fn run(mut self, ws: Option<WebSocket>, open: Packet) {
        // The heartbeat counts from the handshake, as the client's does.
        self.next_ping = Some(Instant::now() + self.shared.config.ping_interval);
        let mut ended = None;
        if let Some(mut ws) = ws {
            if ws.send(open.to_frame()).await.is_err() {
                ended = Some(CloseReason::TransportClose);
            }
            self.active = Active::WebSocket(ws);
        }
        metrics::gauge!("concord_socketio_sessions", "transport" => self.transport().name())
            .increment(1.0);
        let reason = match ended {
            Some(reason) => reason,
            None => self.serve().await,
        };
        self.finish(reason).await;
    }

    async fn serve(&mut self) -> CloseReason {
        let mut close_seen = false;
        loop {
            let step = self.next_step(close_seen).await;
            let result = match step {
                Step::Closing => {
                    close_seen = true;
                    self.on_close_request().await
                }
                Step::Timer => self.on_timer().await,
                Step::Command(command) => self.on_command(command).await,
                Step::Frame(frame) => self.on_frame(frame).await,
                Step::ProbeFrame(frame) => self.on_probe_frame(frame).await,
                Step::Outgoing(message) => self.deliver(message).await,
                Step::Orphaned => Err(CloseReason::ServerClose),
            };
            if let Err(reason) = result {
                return reason;
            }
        }
    }

    /// The earliest timer the session waits for.
    fn deadline(&self) -> Option<Instant> {
        [
            self.next_ping,
            self.pong_by,
            self.probe.as_ref().map(|p| p.deadline),
            self.probe.as_ref().and_then(|p| p.noop_at),
            self.closing_by,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Whether a transport can take a message now.
    fn can_deliver(&self) -> bool {
        if self.closing_by.is_some() {
            return false;
        }
        match &self.active {
            Active::Polling { pending } => pending.as_ref().is_some_and(|p| !p.is_closed()),
            Active::WebSocket(_) => true,
        }
    }

    async fn next_step(&mut self, close_seen: bool) -> Step {
        let deadline = self.deadline();
        let can_deliver = self.can_deliver();
        let active = match &mut self.active {
            Active::WebSocket(ws) => Some(&mut ws.frames),
            Active::Polling { .. } => None,
        };
        let probe = self.probe.as_mut().map(|p| &mut p.ws.frames);
        tokio::select! {
            biased;
            () = self.control.closing.cancelled(), if !close_seen => Step::Closing,
            () = sleep_or_never(deadline) => Step::Timer,
            command = self.commands.recv() => command.map_or(Step::Orphaned, Step::Command),
            frame = recv_or_never(active) => frame.map_or(Step::Frame(Frame::Closed), Step::Frame),
            frame = recv_or_never(probe) => frame.map_or(Step::ProbeFrame(Frame::Closed), Step::ProbeFrame),
            Some(message) = self.outgoing.recv(), if can_deliver => Step::Outgoing(message),
        }
    }

    async fn on_close_request(&mut self) -> Result<(), CloseReason> {
        match self.control.requested() {
            Some(CloseReason::ServerClose) | None => match &mut self.active {
                Active::WebSocket(_) => {
                    self.flush_websocket().await?;
                    Err(CloseReason::ServerClose)
                }
                Active::Polling { pending } => match pending.take().filter(|p| !p.is_closed()) {
                    Some(reply) => {
                        let (mut packets, sent) = self.drain();
                        packets.push(Packet::Close);
                        if reply
                            .send(PollReply::Payload(encode_payload(&packets)))
                            .is_ok()
                        {
                            notify(sent);
                        }
                        Err(CloseReason::ServerClose)
                    }
                    None => {
                        // Leave what is queued, and the `close` packet, for
                        // the client's next poll, if it comes in time.
                        let config = &self.shared.config;
                        self.closing_by =
                            Some(Instant::now() + config.ping_interval + config.ping_timeout);
                        self.next_ping = None;
                        self.pong_by = None;
                        Ok(())
                    }
                },
            },
            Some(reason) => Err(reason),
        }
    }

    async fn on_timer(&mut self) -> Result<(), CloseReason> {
        let now = Instant::now();
        if self.closing_by.is_some_and(|at| at <= now) {
            return Err(CloseReason::ServerClose);
        }
        if self.pong_by.is_some_and(|at| at <= now) {
            return Err(CloseReason::PingTimeout);
        }
        if self.probe.as_ref().is_some_and(|p| p.deadline <= now)
            && let Some(probe) = self.probe.take()
        {
            probe.ws.close(CloseCode::Normal).await;
        }
        if let Some(probe) = self.probe.as_mut()
            && probe.noop_at.is_some_and(|at| at <= now)
        {
            probe.noop_at = None;
            if let Active::Polling { pending } = &mut self.active
                && let Some(reply) = pending.take()
            {
                let _ = reply.send(PollReply::Payload(encode_payload([&Packet::Noop])));
            }
        }
        if let Some(at) = self.next_ping.filter(|at| *at <= now) {
            // Counted from when the ping was due, not from when this task
            // got to it: the client's side of the contract does the same.
            self.next_ping = None;
            self.pong_by = Some(at + self.shared.config.ping_timeout);
            self.send_control(Packet::Ping("".into())).await?;
        }
        Ok(())
    }

    /// Sends an engine packet now over WebSocket, or with the next poll.
    async fn send_control(&mut self, packet: Packet) -> Result<(), CloseReason> {
        match &mut self.active {
            Active::WebSocket(_) => self.write(packet.to_frame()).await,
            Active::Polling { pending } => {
                let reply = pending.take();
                self.waiting.push(packet);
                if let Some(reply) = reply {
                    self.answer_poll(reply);
                }
                Ok(())
            }
        }
    }

    /// Everything waiting for a poll: engine packets, then queued messages
    /// with their attachments.
    fn drain(&mut self) -> (Vec<Packet>, Vec<oneshot::Sender<()>>) {
        let mut packets = std::mem::take(&mut self.waiting);
        let mut sent = Vec::new();
        while let Ok(message) = self.outgoing.try_recv() {
            push_message(&mut packets, &mut sent, message);
        }
        (packets, sent)
    }

    /// Answers a poll with what is waiting; keeps it if nothing is.
    fn answer_poll(&mut self, reply: oneshot::Sender<PollReply>) {
        let (packets, sent) = self.drain();
        if packets.is_empty() {
            if let Some(probe) = self.probe.as_mut().filter(|p| p.probed) {
                // Upgrading: the client waits for this poll to end before it
                // completes the upgrade; it ends soon with a noop.
                probe.noop_at = Some(Instant::now() + UPGRADE_NOOP_AFTER);
            }
            if let Active::Polling { pending } = &mut self.active {
                *pending = Some(reply);
            }
            return;
        }
        let body = encode_payload(&packets);
        if reply.send(PollReply::Payload(body)).is_ok() {
            notify(sent);
        } else {
            // The client went away before the answer: keep its packets for
            // the next poll rather than lose them.
            self.waiting = packets;
        }
    }

    async fn on_command(&mut self, command: Command) -> Result<(), CloseReason> {
        // A pong is late even if the timer has not fired yet.
        if self.pong_by.is_some_and(|at| at <= Instant::now()) {
            if let Command::Poll(reply) = command {
                let _ = reply.send(PollReply::Error(RequestError::UnknownSid));
            } else if let Command::Post(_, reply) | Command::Invalid(reply) = command {
                let _ = reply.send(PostReply::Error(RequestError::UnknownSid));
            }
            return Err(CloseReason::PingTimeout);
        }
        match command {
            Command::Poll(reply) => self.on_poll(reply),
            Command::Post(packets, reply) => {
                if matches!(self.active, Active::WebSocket(_)) {
                    let _ = reply.send(PostReply::Error(RequestError::BadRequest));
                    return Ok(());
                }
                let result = self.on_packets(packets).await;
                let _ = reply.send(PostReply::Ok);
                result
            }
            Command::Invalid(reply) => {
                let _ = reply.send(PostReply::Error(RequestError::BadRequest));
                Err(CloseReason::ParseError)
            }
            Command::Overlap => Err(CloseReason::TransportError),
            Command::Fail(reason) => Err(reason),
            Command::Upgrade(ws) => {
                let busy = matches!(self.active, Active::WebSocket(_))
                    || self.probe.is_some()
                    || self.closing_by.is_some()
                    || !self.shared.config.allow_upgrades;
                if busy {
                    ws.refuse().await;
                } else {
                    let deadline = Instant::now() + self.shared.config.upgrade_timeout;
                    self.probe = Some(Probe {
                        ws,
                        probed: false,
                        noop_at: None,
                        deadline,
                    });
                }
                Ok(())
            }
        }
    }

    fn on_poll(&mut self, reply: oneshot::Sender<PollReply>) -> Result<(), CloseReason> {
        let pending = match &mut self.active {
            Active::WebSocket(_) => {
                // After an upgrade, polling is over for this session.
                let _ = reply.send(PollReply::Error(RequestError::BadRequest));
                return Ok(());
            }
            Active::Polling { pending } => pending,
        };
        if pending.as_ref().is_some_and(|p| !p.is_closed()) {
            // Two polls at once: the reference server answers the second
            // with 400 and closes the session (the first gets `close`).
            let _ = reply.send(PollReply::Error(RequestError::BadRequest));
            return Err(CloseReason::TransportError);
        }
        *pending = None;
        if self.closing_by.is_some() {
            let (mut packets, sent) = self.drain();
            packets.push(Packet::Close);
            if reply
                .send(PollReply::Payload(encode_payload(&packets)))
                .is_ok()
            {
                notify(sent);
            }
            return Err(CloseReason::ServerClose);
        }
        self.answer_poll(reply);
        Ok(())
    }

    /// Packets from the active transport.
    async fn on_packets(&mut self, packets: Vec<Packet>) -> Result<(), CloseReason> {
        for packet in packets {
            match packet {
                Packet::Message(payload) => self.hand_up(payload).await?,
                Packet::Pong(_) => {
                    if self.pong_by.take().is_some() {
                        self.next_ping = Some(Instant::now() + self.shared.config.ping_interval);
                    }
                }
                Packet::Close => return Err(CloseReason::ClientClose),
                // Engine.IO v4 pings go from server to client only.
                Packet::Ping(_) => return Err(CloseReason::TransportError),
                Packet::Open(_) | Packet::Upgrade | Packet::Noop => {}
            }
        }
        Ok(())
    }

    /// Gives a client message to the layer above, waiting while it is busy
    /// (the client waits in turn: its POST is not answered, its frames not
    /// read).
    async fn hand_up(&mut self, payload: Payload) -> Result<(), CloseReason> {
        if self.closing_by.is_some() {
            return Ok(());
        }
        let Some(incoming) = &self.incoming else {
            return Ok(());
        };
        if incoming.send(payload).await.is_err() {
            // The layer above stopped listening: nobody serves the session.
            return Err(CloseReason::ServerClose);
        }
        Ok(())
    }

    async fn on_frame(&mut self, frame: Frame) -> Result<(), CloseReason> {
        match frame {
            Frame::Message(Payload::Text(text)) => match Packet::decode_text(&text) {
                Ok(packet) => self.on_packets(vec![packet]).await,
                Err(_) => Err(CloseReason::ParseError),
            },
            Frame::Message(Payload::Binary(bytes)) => self.hand_up(Payload::Binary(bytes)).await,
            Frame::TooBig => Err(CloseReason::TransportError),
            Frame::Closed => Err(CloseReason::TransportClose),
        }
    }

    async fn on_probe_frame(&mut self, frame: Frame) -> Result<(), CloseReason> {
        let Some(mut probe) = self.probe.take() else {
            return Ok(());
        };
        let packet = match &frame {
            Frame::Message(Payload::Text(text)) => Packet::decode_text(text).ok(),
            _ => None,
        };
        match packet {
            Some(Packet::Ping(data)) if &*data == "probe" && !probe.probed => {
                if probe.ws.send(Packet::Pong(data).to_frame()).await.is_err() {
                    return Ok(());
                }
                probe.probed = true;
                self.probe = Some(probe);
                // A poll waiting now ends with a noop, so that the client
                // can pause polling and complete the upgrade.
                if let Active::Polling { pending } = &mut self.active
                    && let Some(reply) = pending.take()
                {
                    let _ = reply.send(PollReply::Payload(encode_payload([&Packet::Noop])));
                }
                Ok(())
            }
            Some(Packet::Upgrade) if probe.probed => {
                // The poll that was waiting at the probe ended then; one
                // held now came after it, and polling is over.
                if let Active::Polling { pending } = &mut self.active
                    && let Some(reply) = pending.take()
                {
                    let _ = reply.send(PollReply::Error(RequestError::BadRequest));
                }
                self.active = Active::WebSocket(probe.ws);
                metrics::counter!("concord_socketio_upgrades_total").increment(1);
                metrics::gauge!("concord_socketio_sessions", "transport" => "polling")
                    .decrement(1.0);
                metrics::gauge!("concord_socketio_sessions", "transport" => "websocket")
                    .increment(1.0);
                // Engine packets that were waiting for a poll go first.
                for packet in std::mem::take(&mut self.waiting) {
                    self.write(packet.to_frame()).await?;
                }
                Ok(())
            }
            // Anything else on a probe, or its end, abandons the upgrade;
            // the session goes on polling.
            _ => {
                if !matches!(frame, Frame::Closed) {
                    probe.ws.close(CloseCode::Protocol).await;
                }
                Ok(())
            }
        }
    }

    /// Sends one queued message on the active transport.
    async fn deliver(&mut self, message: Outgoing) -> Result<(), CloseReason> {
        match &mut self.active {
            Active::Polling { pending } => {
                let reply = pending.take();
                let mut packets = std::mem::take(&mut self.waiting);
                let mut sent = Vec::new();
                push_message(&mut packets, &mut sent, message);
                while let Ok(message) = self.outgoing.try_recv() {
                    push_message(&mut packets, &mut sent, message);
                }
                let delivered = reply.is_some_and(|reply| {
                    reply
                        .send(PollReply::Payload(encode_payload(&packets)))
                        .is_ok()
                });
                if delivered {
                    notify(sent);
                } else {
                    // The poll went away first: the next one carries these.
                    self.waiting = packets;
                }
                Ok(())
            }
            Active::WebSocket(_) => {
                self.write(Packet::Message(message.head).to_frame()).await?;
                for bytes in message.attachments {
                    self.write(Payload::Binary(bytes)).await?;
                }
                if let Some(sent) = message.sent {
                    let _ = sent.send(());
                }
                Ok(())
            }
        }
    }

    /// Sends queued messages on the WebSocket, as many as are queued now.
    async fn flush_websocket(&mut self) -> Result<(), CloseReason> {
        while let Ok(message) = self.outgoing.try_recv() {
            self.deliver(message).await?;
        }
        Ok(())
    }

    /// Writes one frame on the WebSocket. A client that leaves it full for
    /// a whole heartbeat is too slow.
    async fn write(&mut self, frame: Payload) -> Result<(), CloseReason> {
        let Active::WebSocket(ws) = &mut self.active else {
            return Ok(());
        };
        let config = &self.shared.config;
        let patience = config.ping_interval + config.ping_timeout;
        let control = Arc::clone(&self.control);
        let send = timeout(patience, ws.send(frame));
        tokio::pin!(send);
        let mut watching = true;
        loop {
            tokio::select! {
                sent = &mut send => return match sent {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(_)) => Err(CloseReason::TransportClose),
                    Err(_) => Err(CloseReason::TooSlow),
                },
                // A graceful close keeps writing; "too slow" stops at once.
                () = control.closing.cancelled(), if watching => {
                    if control.requested() == Some(CloseReason::TooSlow) {
                        return Err(CloseReason::TooSlow);
                    }
                    watching = false;
                }
            }
        }
    }

    /// Ends the session: forgets it, tells the layer above, and closes the
    /// transports.
    async fn finish(mut self, reason: CloseReason) {
        tracing::debug!(sid = %self.sid, ?reason, "engine.io session closing");
        metrics::gauge!("concord_socketio_sessions", "transport" => self.transport().name())
            .decrement(1.0);
        if reason == CloseReason::TooSlow {
            metrics::counter!("concord_socketio_slow_closes_total").increment(1);
        }
        *self
            .control
            .ended
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(reason);
        self.control.request_close(reason);
        self.incoming = None;
        if reason == CloseReason::ClientClose
            && matches!(self.active, Active::Polling { pending: None })
        {
            self.linger().await;
        }
        self.shared.forget(&self.sid);
        self.commands.close();
        // Requests already queued learn that the session is gone.
        while let Ok(command) = self.commands.try_recv() {
            match command {
                Command::Poll(reply) => {
                    let _ = reply.send(PollReply::Error(RequestError::UnknownSid));
                }
                Command::Post(_, reply) | Command::Invalid(reply) => {
                    let _ = reply.send(PostReply::Error(RequestError::UnknownSid));
                }
                Command::Upgrade(ws) => ws.refuse().await,
                Command::Overlap | Command::Fail(_) => {}
            }
        }
        if let Some(probe) = self.probe.take() {
            probe.ws.close(CloseCode::Normal).await;
        }
        match std::mem::replace(&mut self.active, Active::Polling { pending: None }) {
            Active::Polling {
                pending: Some(reply),
            } => {
                // The reference server ends a waiting poll with a noop when
                // the client closed, and with `close` otherwise.
                let last = if reason == CloseReason::ClientClose {
                    Packet::Noop
                } else {
                    Packet::Close
                };
                let _ = reply.send(PollReply::Payload(encode_payload([&last])));
            }
            Active::Polling { pending: None } => {}
            Active::WebSocket(ws) => {
                let code = match reason {
                    CloseReason::ClientClose | CloseReason::ServerClose => CloseCode::Normal,
                    CloseReason::TransportClose => CloseCode::Away,
                    CloseReason::ParseError => CloseCode::Invalid,
                    CloseReason::TransportError => CloseCode::Size,
                    CloseReason::PingTimeout | CloseReason::TooSlow => CloseCode::Policy,
                };
                ws.close(code).await;
            }
        }
    }
}

impl Session {
    /// After a `close` packet in a POST with no poll waiting: a poll that
    /// crossed that POST on the way (the client had it in flight) still
    /// ends with a noop, as it would have had it arrived first; the session
    /// is forgotten after it, or after [`CLOSE_LINGER`].
    async fn linger(&mut self) {
        let Ok(Some(command)) = timeout(CLOSE_LINGER, self.commands.recv()).await else {
            return;
        };
        match command {
            Command::Poll(reply) => {
                let _ = reply.send(PollReply::Payload(encode_payload([&Packet::Noop])));
            }
            Command::Post(_, reply) | Command::Invalid(reply) => {
                let _ = reply.send(PostReply::Error(RequestError::UnknownSid));
            }
            Command::Upgrade(ws) => ws.refuse().await,
            Command::Overlap | Command::Fail(_) => {}
        }
    }
}

/// How long a session closed by the client waits for a poll that crossed
/// its `close` packet.
const CLOSE_LINGER: Duration = Duration::from_secs(1);

/// Appends a message and its attachments, in order.
fn push_message(packets: &mut Vec<Packet>, sent: &mut Vec<oneshot::Sender<()>>, message: Outgoing) {
    sent.extend(message.sent);
    packets.push(Packet::Message(message.head));
    packets.extend(
        message
            .attachments
            .into_iter()
            .map(|bytes| Packet::Message(Payload::Binary(bytes))),
    );
}

/// Tells the senders of messages that a poll's answer carried them.
fn notify(sent: Vec<oneshot::Sender<()>>) {
    for sent in sent {
        let _ = sent.send(());
    }
}

async fn sleep_or_never(deadline: Option<Instant>) {
    match deadline {
        Some(at) => sleep_until(at).await,
        None => std::future::pending().await,
    }
}

async fn recv_or_never<T>(rx: Option<&mut mpsc::Receiver<T>>) -> Option<T> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}
