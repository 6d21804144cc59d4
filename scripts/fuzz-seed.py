#!/usr/bin/env python3
"""Seed a fresh Concord for `make fuzz`.

    scripts/fuzz-seed.py BASE_URL

Creates, over the public API, a workspace owner with a workspace, a channel
with a message, a second member and a conversation with a message, and a
server-dialect server. Any unexpected answer stops the run: a fuzz run
against a half-seeded server would prove little. Only the standard library,
so it runs before (and without) the fuzzing venv.
"""

import json
import sys
import urllib.request


def call(base, method, path, body=None, token=None, expect=(200, 201)):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            status, payload = res.status, res.read()
    except urllib.error.HTTPError as e:
        status, payload = e.code, e.read()
    if status not in expect:
        sys.exit(f"fuzz-seed: {method} {path} answered {status}: {payload[:300]!r}")
    return json.loads(payload)


def user(base, name):
    return call(base, "POST", "/api/users", {
        "username": name, "email": f"{name}@example.com", "password": "fuzz-password-1",
        "first_name": name.capitalize(), "last_name": "Fuzz",
    })


def main():
    base = sys.argv[1].rstrip("/")
    owner = user(base, "owner")
    guest = user(base, "guest")
    token = owner["token"]
    ws = call(base, "POST", "/api/workspaces",
              {"name": "Fuzz", "description": "Seeded for make fuzz"}, token)
    call(base, "POST", f"/api/workspaces/{ws['id']}/members", {"user_id": guest["id"]}, token)
    channel = call(base, "POST", f"/api/workspaces/{ws['id']}/channels", {"name": "fuzz"}, token)
    call(base, "POST", f"/api/channels/{channel['id']}/messages", {"content": "hello"}, token)
    dm = call(base, "POST", f"/api/workspaces/{ws['id']}/direct_messages", {"users": [guest["id"]]}, token)
    call(base, "POST", f"/api/direct_messages/{dm['id']}/messages", {"content": "hi"}, token)
    call(base, "POST", "/servers", {"name": "Fuzz server"}, token)


if __name__ == "__main__":
    main()
