#!/usr/bin/env python3
"""A quick posting loop: signs up a user, creates a workspace and CHANNELS channels,
then CLIENTS threads each post POSTS ~200-byte messages over keep-alive HTTP.
Usage: scripts/post-loop.py PORT CLIENTS POSTS CHANNELS. Rough figures only: it is not a benchmark.
"""
import http.client, json, sys, threading, time, uuid

host, port = "127.0.0.1", int(sys.argv[1])
threads, per_thread, channels = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])

def call(conn, method, path, body=None, token=None):
    headers = {"content-type": "application/json"}
    if token: headers["authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    r = conn.getresponse(); data = r.read()
    return r.status, (json.loads(data) if data else None)

c = http.client.HTTPConnection(host, port)
name = "bench" + uuid.uuid4().hex[:8]
_, u = call(c, "POST", "/api/users", {"username": name, "email": f"{name}@x.io", "password": "password1", "first_name": "B", "last_name": "B"})
tok = u["token"]
_, ws = call(c, "POST", "/api/workspaces", {"name": "bench", "description": "d"}, tok)
chans = []
for i in range(channels):
    _, ch = call(c, "POST", f"/api/workspaces/{ws['id']}/channels", {"name": f"c{i}"}, tok)
    chans.append(ch["id"])
lat = []; lock = threading.Lock(); errors = [0]
content = "x" * 200
def worker(t):
    conn = http.client.HTTPConnection(host, port)
    mine = []
    for i in range(per_thread):
        ch = chans[(t + i) % len(chans)]
        s = time.perf_counter()
        st, _ = call(conn, "POST", f"/api/channels/{ch}/messages", {"content": content}, tok)
        mine.append(time.perf_counter() - s)
        if st != 201: errors[0] += 1
    with lock: lat.extend(mine)
start = time.perf_counter()
ts = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
[t.start() for t in ts]; [t.join() for t in ts]
wall = time.perf_counter() - start
lat.sort()
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
print(f"{len(lat)} posts, {threads} clients, {channels} channel(s): {len(lat)/wall:.0f} posts/s, p50 {p(.5):.2f} ms, p99 {p(.99):.2f} ms, errors {errors[0]}")
