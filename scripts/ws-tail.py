#!/usr/bin/env python3
"""Follow Concord realtime topics from the command line.

    scripts/ws-tail.py ws://127.0.0.1:8080/ws TOKEN chat:5:messages \\
        [chat:5:messages:update ...] [--since chat:5:messages=12 ...] \\
        [--dialect server] [--header-auth]

A dependency-free WebSocket client (RFC 6455, Python 3 standard library
only) for the gateway described in API.md section 5 and docs/asyncapi.json.
It connects, reads `hello`, sends `identify` (or, with --header-auth, sends
the token as `Authorization: Bearer` on the upgrade request), subscribes to
the topics once `ready` arrives (with `since` for the topics given one), and
then prints every server frame as one JSON line on stdout. It sends
{"op":"ping"} every heartbeat_interval_ms / 2 and answers WebSocket pings.

When the connection ends it prints the close code and reason on stderr,
followed by the --since arguments that resume where it stopped:

    closed: 4008 Too slow; reconnect and resume with since
    resume with: --since chat:5:messages=14 --since chat:5:messages:update=13

Exit status: 0 when the server closes normally (1000, or a close frame
without a code) or on Ctrl-C / SIGTERM; 1 for any other close code, a
connection lost without a close frame, or a refused handshake; 2 for bad
arguments.
"""

import argparse
import base64
import hashlib
import json
import os
import select
import signal
import socket
import ssl
import struct
import sys
import time
from urllib.parse import urlsplit

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA

NORMAL_CLOSES = (1000, 1005)  # 1005: a close frame that carries no code


class Closed(Exception):
    """The connection ended; `code` is None when no close frame came."""

    def __init__(self, code, reason):
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


class Stop(Exception):
    """Ctrl-C or SIGTERM."""


def die(message, status=1):
    print(f"ws-tail: {message}", file=sys.stderr)
    sys.exit(status)


def mask(payload, key):
    """XORs `payload` with the 4-byte `key`, as every client frame must be."""
    n = len(payload)
    if n == 0:
        return b""
    stream = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(stream, "big")).to_bytes(n, "big")


class WebSocket:
    """A minimal client connection: handshake, framing, fragmentation."""

    def __init__(self, url, headers=(), timeout=10.0):
        parts = urlsplit(url)
        if parts.scheme not in ("ws", "wss") or not parts.hostname:
            die(f"not a ws:// or wss:// URL: {url}", 2)
        secure = parts.scheme == "wss"
        port = parts.port or (443 if secure else 80)
        try:
            sock = socket.create_connection((parts.hostname, port), timeout=timeout)
            if secure:
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname)
        except OSError as e:
            die(f"cannot connect to {parts.hostname}:{port}: {e}")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        self.buf = bytearray()
        self.fragments = None  # (opcode, [payloads]) while a message is fragmented
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        if parts.port:
            host = f"{host}:{parts.port}"
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._handshake(host, path, headers)
        sock.settimeout(None)

    # -- handshake ---------------------------------------------------------

    def _handshake(self, host, path, headers):
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {host}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            "User-Agent: concord-ws-tail",
            *headers,
        ]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > 65536:
                die("handshake response headers too large")
            chunk = self._recv()
            if not chunk:
                die("connection closed during the handshake")
            self.buf += chunk
        head, _, rest = bytes(self.buf).partition(b"\r\n\r\n")
        self.buf = bytearray(rest)  # frames may follow the headers at once
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        fields = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        status = status_line.split(" ", 2)
        if len(status) < 2 or status[1] != "101":
            body = self._drain_body(fields)
            die(f"upgrade refused: {status_line}" + (f"\n{body}" if body else ""))
        expected = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
        if fields.get("sec-websocket-accept") != expected:
            die("bad Sec-WebSocket-Accept in the handshake response")
        if fields.get("upgrade", "").lower() != "websocket":
            die("the handshake response does not upgrade to websocket")

    def _drain_body(self, fields):
        """The refusal's body (an error envelope, usually), best effort."""
        try:
            length = int(fields.get("content-length", "0"))
        except ValueError:
            length = 0
        self.sock.settimeout(2.0)
        try:
            while len(self.buf) < min(length, 65536):
                chunk = self._recv()
                if not chunk:
                    break
                self.buf += chunk
        except OSError:
            pass
        return bytes(self.buf[:length]).decode("utf-8", "replace").strip()

    # -- I/O ---------------------------------------------------------------

    def _recv(self):
        return self.sock.recv(65536)

    def fileno(self):
        return self.sock.fileno()

    def pending(self):
        """Whether bytes are already buffered (select() cannot see them)."""
        if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            return True
        return bool(self.buf)

    def send(self, opcode, payload=b""):
        """Sends one final frame, masked as RFC 6455 requires of clients."""
        header = bytearray([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header.append(0x80 | n)
        elif n < 1 << 16:
            header.append(0x80 | 126)
            header += struct.pack("!H", n)
        else:
            header.append(0x80 | 127)
            header += struct.pack("!Q", n)
        key = os.urandom(4)
        self.sock.sendall(bytes(header) + key + mask(payload, key))

    def send_json(self, obj):
        self.send(OP_TEXT, json.dumps(obj, separators=(",", ":")).encode())

    def close(self, code=1000, reason=""):
        try:
            self.send(OP_CLOSE, struct.pack("!H", code) + reason.encode()[:120])
        except OSError:
            pass

    def _take(self, n):
        """Exactly `n` buffered-or-received bytes; Closed on EOF."""
        while len(self.buf) < n:
            chunk = self._recv()
            if not chunk:
                raise Closed(None, "connection lost without a close frame")
            self.buf += chunk
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def _frame(self):
        """Reads one frame: (fin, opcode, payload)."""
        b0, b1 = self._take(2)
        if b0 & 0x70:
            raise self.fail("reserved bits set in a server frame")
        fin, opcode = bool(b0 & 0x80), b0 & 0x0F
        masked, n = bool(b1 & 0x80), b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", self._take(2))
        elif n == 127:
            (n,) = struct.unpack("!Q", self._take(8))
            if n >> 63:
                raise self.fail("frame length has its top bit set")
        key = self._take(4) if masked else None  # servers do not mask; tolerate it
        payload = self._take(n)
        if key:
            payload = mask(payload, key)
        return fin, opcode, payload

    def fail(self, reason):
        """A server frame broke the protocol: close with 1002 and stop."""
        self.close(1002, reason)
        return Closed(1002, reason)

    def message(self):
        """Reads one frame; returns a complete data message as (opcode, payload).

        Reassembles fragmented messages, answers pings, and raises Closed
        when the server sends a close frame (after echoing it, as RFC 6455
        asks). Returns None after a control frame or a fragment, so that the
        caller's heartbeat never waits for the next complete message.
        """
        fin, opcode, payload = self._frame()
        if opcode == OP_PING:
            self.send(OP_PONG, payload)
            return None
        elif opcode == OP_PONG:
            return None
        elif opcode == OP_CLOSE:
            if len(payload) >= 2:
                (code,) = struct.unpack("!H", payload[:2])
                reason = payload[2:].decode("utf-8", "replace")
            else:
                code, reason = 1005, ""
            self.close(code if code not in (1005, 1006, 1015) else 1000)
            raise Closed(code, reason)
        elif opcode in (OP_TEXT, OP_BINARY):
            if self.fragments is not None:
                raise self.fail("a new message started inside a fragmented one")
            if fin:
                return opcode, payload
            self.fragments = (opcode, [payload])
            return None
        elif opcode == OP_CONT:
            if self.fragments is None:
                raise self.fail("continuation frame without a message")
            self.fragments[1].append(payload)
            if not fin:
                return None
            first, parts = self.fragments
            self.fragments = None
            return first, b"".join(parts)
        else:
            raise self.fail(f"unknown opcode {opcode:#x}")


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="ws-tail.py",
        description="Follow Concord realtime topics and print every server frame as a JSON line.",
        epilog="Example: scripts/ws-tail.py ws://127.0.0.1:8080/ws \"$TOKEN\" chat:5:messages "
        "chat:5:messages:update --since chat:5:messages=12",
    )
    p.add_argument("url", help="gateway URL, e.g. ws://127.0.0.1:8080/ws")
    p.add_argument("token", help="a bearer token from POST /api/users or POST /api/session")
    p.add_argument("topics", nargs="+", metavar="topic", help="chat:{roomId}:messages or chat:{roomId}:messages:update")
    p.add_argument(
        "--since",
        action="append",
        default=[],
        metavar="TOPIC=SEQ",
        help="replay the topic's events after SEQ before live ones (repeatable)",
    )
    p.add_argument(
        "--dialect",
        choices=("workspace", "server"),
        default="workspace",
        help="JSON shape of event data (default: workspace)",
    )
    p.add_argument(
        "--header-auth",
        action="store_true",
        help="authenticate with an Authorization header on the upgrade request instead of an identify frame",
    )
    args = p.parse_intermixed_args(argv)
    since = {}
    for item in args.since:
        topic, sep, seq = item.rpartition("=")
        try:
            since[topic] = int(seq)
        except ValueError:
            sep = ""
        if not sep or not topic:
            p.error(f"--since wants TOPIC=SEQ, got {item!r}")
    args.since = since
    return args


def emit(line):
    try:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise Stop()


def on_signal(signum, frame):
    raise Stop()


def run(args):
    url, headers = args.url, []
    if args.header_auth:
        headers.append(f"Authorization: Bearer {args.token}")
        if args.dialect == "server":
            url += ("&" if "?" in url else "?") + "dialect=server"
    ws = WebSocket(url, headers)
    # The last seq seen per topic, for the resume hint printed at the end.
    seen = {}
    next_ping = None
    interval = None
    status = 0
    try:
        while True:
            now = time.monotonic()
            if next_ping is not None and now >= next_ping:
                # Checked on every turn, so a busy stream never starves it.
                ws.send_json({"op": "ping"})
                next_ping = now + interval
            if not ws.pending():
                timeout = None if next_ping is None else max(0.0, next_ping - now)
                readable, _, _ = select.select([ws], [], [], timeout)
                if not readable:
                    continue
            message = ws.message()
            if message is None:
                continue
            opcode, payload = message
            if opcode == OP_BINARY:
                emit(json.dumps({"ws-tail": "binary frame", "base64": base64.b64encode(payload).decode()}))
                continue
            text = payload.decode("utf-8", "replace")
            try:
                frame = json.loads(text)
            except ValueError:
                emit(json.dumps({"ws-tail": "non-JSON text frame", "text": text}))
                continue
            emit(json.dumps(frame, separators=(",", ":"), ensure_ascii=False))
            op = frame.get("op") if isinstance(frame, dict) else None
            if op == "hello":
                interval = max(0.05, frame.get("heartbeat_interval_ms", 30000) / 2000.0)
                next_ping = time.monotonic() + interval
                if not args.header_auth:
                    ws.send_json({"op": "identify", "token": args.token, "dialect": args.dialect})
            elif op == "ready":
                sub = {"op": "subscribe", "topics": args.topics}
                since = {t: s for t, s in args.since.items() if t in args.topics}
                if since:
                    sub["since"] = since
                ws.send_json(sub)
            elif op == "subscribed":
                topic = frame.get("topic")
                if topic in args.since:
                    # Replay follows; until it arrives, resuming needs the same since.
                    seen[topic] = min(args.since[topic], frame.get("seq", 0))
                else:
                    seen[topic] = frame.get("seq", 0)
            elif op == "event":
                topic, seq = frame.get("topic"), frame.get("seq", 0)
                seen[topic] = max(seen.get(topic, seq), seq)
            elif op == "error" and frame.get("topic") in seen and frame.get("statusCode") == 403:
                del seen[frame["topic"]]  # access revoked: nothing to resume
    except Closed as c:
        if c.code is None:
            print(f"closed: {c.reason}", file=sys.stderr)
            status = 1
        else:
            print(f"closed: {c.code} {c.reason}".rstrip(), file=sys.stderr)
            status = 0 if c.code in NORMAL_CLOSES else 1
    except Stop:
        ws.close(1000, "bye")
        status = 0
    except OSError as e:
        print(f"closed: {e}", file=sys.stderr)
        status = 1
    finally:
        try:
            ws.sock.close()
        except OSError:
            pass
    if seen:
        hint = " ".join(f"--since {t}={s}" for t, s in sorted(seen.items()))
        print(f"resume with: {hint}", file=sys.stderr)
    return status


def main():
    args = parse_args(sys.argv[1:])
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        status = run(args)
    except Stop:  # interrupted before the connection was up
        status = 0
    sys.exit(status)


if __name__ == "__main__":
    main()
