// The realtime gateway (/ws, README "Realtime gateway"): identify, follow
// topics, keep the heartbeat, and after any drop reconnect with backoff and
// resume every topic with `since`, so that nothing is missed or seen twice.

const MAX_BACKOFF_MS = 15000;

export class Gateway {
  /**
   * `handlers`: onEvent(frame) for each event in order, onStatus(state,
   * detail) as the connection changes ('connecting', 'live', 'offline'),
   * onReady() after each (re)identify, onUnauthorized() when the token is
   * refused, onGap(topic) when a topic was too far behind to replay (its
   * history must be read again over HTTP), onForbidden(topic) when a topic
   * may no longer be read.
   */
  constructor(url, token, handlers) {
    this.url = url;
    this.token = token;
    this.handlers = handlers;
    this.topics = new Set();
    // The last seq seen per topic: where a resume starts.
    this.seqs = new Map();
    this.socket = null;
    this.ready = false;
    this.attempts = 0;
    this.retryTimer = null;
    this.pingTimer = null;
    this.stopped = true;
    this.onOnline = () => this.reconnectNow();
    this.onOffline = () => this.drop();
  }

  start() {
    this.stopped = false;
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    clearTimeout(this.retryTimer);
    this.detach(1000);
  }

  /** Follows `topics`: from now on (their `subscribed` seq), and again after every reconnect. */
  follow(topics) {
    const fresh = topics.filter((t) => !this.topics.has(t));
    fresh.forEach((t) => this.topics.add(t));
    if (this.ready && fresh.length) this.send({ op: 'subscribe', topics: fresh });
  }

  unfollow(topics) {
    const known = topics.filter((t) => this.topics.delete(t));
    known.forEach((t) => this.seqs.delete(t));
    if (this.ready && known.length) this.send({ op: 'unsubscribe', topics: known });
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.handlers.onStatus('connecting');
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.onmessage = (message) => this.receive(JSON.parse(message.data));
    socket.onclose = (close) => this.closed(close.code);
    socket.onerror = () => {}; // a close follows, with its code
  }

  send(frame) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  receive(frame) {
    this.lastHeard = Date.now();
    switch (frame.op) {
      case 'hello':
        this.heartbeatMs = frame.heartbeat_interval_ms;
        this.send({ op: 'identify', token: this.token, dialect: 'workspace' });
        clearInterval(this.pingTimer);
        this.pingTimer = setInterval(() => this.heartbeat(), this.heartbeatMs / 2);
        break;
      case 'ready':
        this.ready = true;
        this.attempts = 0;
        this.resubscribe();
        this.handlers.onStatus('live');
        this.handlers.onReady();
        break;
      case 'subscribed':
        // Without `since` the topic starts live from this seq; with it, the
        // `since` already kept stays until the replay brings events.
        if (!this.seqs.has(frame.topic)) this.seqs.set(frame.topic, frame.seq);
        break;
      case 'event': {
        const last = this.seqs.get(frame.topic);
        // User topics are state, always seq 0; room topics never go back.
        if (frame.seq > 0 && last !== undefined && frame.seq <= last) return;
        if (frame.seq > 0) this.seqs.set(frame.topic, frame.seq);
        this.handlers.onEvent(frame);
        break;
      }
      case 'error':
        this.refused(frame);
        break;
      default:
        break; // pong, unsubscribed
    }
  }

  /** Every followed topic again, each from its last seq. */
  resubscribe() {
    if (!this.topics.size) return;
    const since = {};
    for (const topic of this.topics) {
      if (this.seqs.has(topic) && !topic.startsWith('user:')) since[topic] = this.seqs.get(topic);
    }
    this.send({ op: 'subscribe', topics: [...this.topics], since });
  }

  refused(frame) {
    if (!frame.topic) return;
    if (frame.statusCode === 410) {
      // Too far behind: follow on from the room's latest seq and let the
      // view read the history it missed over HTTP.
      this.seqs.set(frame.topic, frame.seq);
      this.send({ op: 'subscribe', topics: [frame.topic], since: { [frame.topic]: frame.seq } });
      this.handlers.onGap(frame.topic);
    } else if (frame.statusCode === 403) {
      this.topics.delete(frame.topic);
      this.seqs.delete(frame.topic);
      this.handlers.onForbidden(frame.topic);
    }
  }

  heartbeat() {
    // Nothing heard for two intervals: the connection is dead even if the
    // browser has not noticed yet.
    if (Date.now() - this.lastHeard > 2 * this.heartbeatMs) {
      this.drop();
      return;
    }
    this.send({ op: 'ping' });
  }

  /** Lets go of the current socket without waiting for its close handshake. */
  detach(code) {
    clearInterval(this.pingTimer);
    this.ready = false;
    const socket = this.socket;
    this.socket = null;
    if (!socket) return;
    socket.onmessage = null;
    socket.onclose = null;
    if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) {
      socket.close(code);
    }
  }

  /** Gives up the current connection (network gone, heartbeat lost) and retries. */
  drop() {
    if (this.stopped) return;
    this.detach(1000);
    this.closed(1006);
  }

  closed(code) {
    clearInterval(this.pingTimer);
    this.ready = false;
    this.socket = null;
    if (this.stopped) return;
    if (code === 4001) {
      this.handlers.onUnauthorized();
      return;
    }
    const delay = Math.round(Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempts) * (0.5 + Math.random() / 2));
    this.attempts += 1;
    this.handlers.onStatus('offline', delay);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** The network is back: retry at once rather than at the end of the backoff. */
  reconnectNow() {
    if (this.stopped || this.ready) return;
    this.detach(1000);
    this.attempts = 0;
    this.connect();
  }
}
