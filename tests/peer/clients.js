// Socket.IO clients for the end-to-end tests (tests/it/socketio.rs).
//
// argv[2] is JSON: { url, path, timeoutMs, clients: [{ name, token?, dialect?,
// transports?, until? }] }. Every client connects; once each has connected
// or been refused, "ready" is printed on its own line. Each then records
// every event it receives until it has seen one named `until` (clients
// without one just wait), or until timeoutMs. Then one JSON line goes to
// stdout: { name: { connected, error, transport, upgraded, events: [[name, arg]] } }.
//
// With `live: true` in the spec, each event is also printed as it arrives, as
// `event [client, name, arg]`, and the clients stop once stdin closes (or
// at timeoutMs) rather than on `until`: the test drives them step by step.
"use strict";

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
    r.socket.close();
    delete r.socket;
  }
  process.stdout.write(JSON.stringify(results) + "\n", () => process.exit(0));
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
  const options = { path: spec.path, auth, reconnection: false, forceNew: true };
  if (c.transports) options.transports = c.transports;
  const socket = io(spec.url, options);
  const r = { socket, connected: false, error: null, upgraded: false, events: [] };
  results[c.name] = r;
  let seen = false;
  socket.io.engine.on("upgrade", () => {
    r.upgraded = true;
  });
  socket.on("connect", () => {
    r.connected = true;
    settled();
  });
  socket.on("connect_error", (err) => {
    r.error = err.message;
    settled();
  });
  socket.onAny((name, ...args) => {
    r.events.push([name, ...args]);
    if (spec.live) {
      process.stdout.write("event " + JSON.stringify([c.name, name, ...args]) + "\n");
    }
    if (!seen && c.until && name === c.until) {
      seen = true;
      pendingUntil -= 1;
      if (pendingUntil === 0 && pendingConnects === 0 && !spec.live) finish();
    }
  });
}

if (spec.live) {
  process.stdin.on("end", finish);
  process.stdin.resume();
}

setTimeout(finish, spec.timeoutMs);
