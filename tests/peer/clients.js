// Socket.IO clients for the end-to-end tests (tests/it/socketio.rs).
//
// argv[2] is JSON: { url, path, timeoutMs, clients: [{ name, token?, dialect?,
// transports?, until?, untilUpgraded?, upgradeAfter?, holdUpgrade?,
// recover? }] }. Every client connects; once each has connected or been
// refused, "ready" is printed on its own line. Each then records every event
// it receives until it has seen one named `until` (and, with `untilUpgraded:
// true`, has also completed its upgrade to WebSocket), clients without one
// just wait, or until timeoutMs. Then one JSON line goes to stdout: { name: {
// connected, error, transport, upgraded, eventsAtProbe, eventsBeforeUpgrade,
// recovered, pid, events: [[name, ...args]] } }, `eventsAtProbe` and
// `eventsBeforeUpgrade` being how many events the client had when the server
// answered its upgrade probe and when its upgrade completed (null if it never
// did).
//
// `upgradeAfter: n` holds the library's own upgrade back until the client
// has `n` events: it connects with `upgrade: false`, then starts the very
// probe the library would have started at once (ping "probe", pause polling,
// "upgrade"), so that the upgrade happens while events flow. `holdUpgrade: m`
// keeps polling going after the probe's answer until `m` more events came,
// before pausing it and sending "upgrade", as a slow client would: those
// events flow while the server holds both transports. Both use the
// engine's `probe` and the polling transport's `pause` (engine.io-client
// 6.5, as the lock file pins it).
//
// With `live: true` in the spec, each event is also printed as it arrives, as
// `event [client, name, ...args]`, and the clients stop once stdin closes (or
// at timeoutMs) rather than on `until`: the test drives them step by step.
//
// `recover: { pid, offset }` starts a client as one that reconnects with
// connection-state recovery would: the library sends them in its CONNECT.
//
// Meanwhile stdin takes commands, one JSON object a line, each answered
// with one JSON line on stdout:
// - { op: "drop", name, after }: once the client has `after` events, close
//   its transport as a network failure would, without the library's own
//   reconnection; answers { dropped: name } once it is disconnected.
// - { op: "reconnect", name, url? }: reconnect it (to `url`, say another
//   node), the library sending its pid and the offset of the last event it
//   got; answers { reconnected: name, recovered } once connected.
"use strict";

const readline = require("node:readline");
const { io } = require("socket.io-client");

const spec = JSON.parse(process.argv[2]);
const results = {};
let pendingConnects = spec.clients.length;
let pendingUntil = spec.clients.filter((c) => c.until).length;
let finished = false;

function finish() {
  if (finished) return;
  finished = true;
  for (const c of spec.clients) {
    const r = results[c.name];
    r.transport = r.socket.io.engine ? r.socket.io.engine.transport.name : null;
    r.pid = r.socket._pid === undefined ? null : r.socket._pid;
    r.socket.close();
    delete r.socket;
    delete r.waiting;
    delete r.held;
  }
  process.stdout.write(JSON.stringify(results) + "\n", () => process.exit(0));
}

function answer(line) {
  process.stdout.write(JSON.stringify(line) + "\n");
}

function settled() {
  pendingConnects -= 1;
  if (pendingConnects === 0) {
    process.stdout.write("ready\n");
    if (pendingUntil === 0 && !spec.live) finish();
  }
}

for (const c of spec.clients) {
  const auth = {};
  if (c.token !== undefined) auth.token = c.token;
  if (c.dialect !== undefined) auth.dialect = c.dialect;
  const options = {
    path: spec.path,
    auth,
    reconnection: false,
    forceNew: true,
    autoConnect: false,
  };
  if (c.transports) options.transports = c.transports;
  if (c.upgradeAfter !== undefined) options.upgrade = false;
  const socket = io(spec.url, options);
  if (c.recover) {
    socket._pid = c.recover.pid;
    socket._lastOffset = c.recover.offset;
  }
  const r = {
    socket,
    connected: false,
    error: null,
    upgraded: false,
    eventsAtProbe: null,
    eventsBeforeUpgrade: null,
    recovered: null,
    events: [],
    waiting: null,
    held: null,
  };
  results[c.name] = r;
  let seen = false;
  let first = true;
  // Lets a held upgrade go on once enough events came.
  const release = () => {
    if (r.held && r.events.length >= r.held.after) {
      const held = r.held;
      r.held = null;
      held.then();
    }
  };
  // Once it saw `until` (and upgraded, if it must).
  const done = () => {
    pendingUntil -= 1;
    if (pendingUntil === 0 && pendingConnects === 0 && !spec.live) finish();
  };
  const watchUpgrade = () => {
    const engine = socket.io.engine;
    // Emitted once the probe is answered, just before polling is paused.
    engine.on("upgrading", () => {
      r.eventsAtProbe = r.events.length;
      if (c.holdUpgrade) {
        const polling = engine.transport;
        const pause = polling.pause.bind(polling);
        const after = r.events.length + c.holdUpgrade;
        polling.pause = (then) => {
          r.held = { after, then: () => pause(then) };
          release();
        };
      }
    });
    engine.on("upgrade", () => {
      r.upgraded = true;
      r.eventsBeforeUpgrade = r.events.length;
      if (seen && c.untilUpgraded) done();
    });
  };
  socket.io.on("open", watchUpgrade);
  socket.on("connect", () => {
    r.connected = true;
    r.recovered = socket.recovered === true;
    if (first) {
      first = false;
      settled();
    } else {
      answer({ reconnected: c.name, recovered: r.recovered });
    }
  });
  socket.on("connect_error", (err) => {
    r.error = err.message;
    if (first) {
      first = false;
      settled();
    }
  });
  socket.onAny((name, ...args) => {
    r.events.push([name, ...args]);
    if (spec.live) {
      process.stdout.write("event " + JSON.stringify([c.name, name, ...args]) + "\n");
    }
    if (r.waiting && r.events.length >= r.waiting.after) {
      const waiting = r.waiting;
      r.waiting = null;
      waiting.then();
    }
    release();
    if (c.upgradeAfter === r.events.length) {
      socket.io.engine.probe("websocket");
    }
    if (!seen && c.until && name === c.until) {
      seen = true;
      if (!c.untilUpgraded || r.upgraded) done();
    }
  });
  socket.connect();
}

if (spec.live) {
  process.stdin.on("end", finish);
  process.stdin.resume();
}

function drop(r, name) {
  r.socket.once("disconnect", () => answer({ dropped: name }));
  r.socket.io.reconnection(false);
  r.socket.io.engine.close();
}

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const command = JSON.parse(line);
  const r = results[command.name];
  if (command.op === "drop") {
    if (r.events.length >= command.after) {
      drop(r, command.name);
    } else {
      r.waiting = { after: command.after, then: () => drop(r, command.name) };
    }
  } else if (command.op === "reconnect") {
    if (command.url) r.socket.io.uri = command.url;
    r.socket.connect();
  }
});

setTimeout(finish, spec.timeoutMs);
