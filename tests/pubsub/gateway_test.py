#!/usr/bin/env python3
"""The broker's HTTP/WebSocket gateway driven by clients written independently
of coronet: Python's `websockets` (Debian's python3-websockets) and urllib.

Starts `coronet broker serve --http` on loopback, checks JSON and binary
frames both ways, HTTP publishing and errors, queue groups and cleanup, and
stops the process by its PID (SIGINT) expecting exit status 0. Exits 77
(skipped) when the websockets module is missing."""
import asyncio
import json
import re
import signal
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

try:
    import websockets
except ImportError:
    print("skipped: python3-websockets is not installed")
    sys.exit(77)

coronet = sys.argv[1]


def start():
    log = tempfile.NamedTemporaryFile(mode="w+", prefix="gateway-", suffix=".log")
    proc = subprocess.Popen([coronet, "broker", "serve", "--url", "tcp://127.0.0.1:0", "--http", "127.0.0.1:0"],
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        log.seek(0)
        m = re.search(r"gateway on (http://127\.0\.0\.1:\d+)", log.read())
        if m:
            return proc, log, m.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    log.seek(0)
    sys.exit("the gateway never printed its URL:\n" + log.read())


def http(method, url, body=None):
    req = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


async def recv_json(ws):
    return json.loads(await asyncio.wait_for(ws.recv(), 5))


async def main(base):
    ws_url = base.replace("http://", "ws://") + "/ws"
    status, body = http("GET", base + "/status")
    assert status == 200 and json.loads(body)["websockets"] == 0, body

    async with websockets.connect(ws_url) as a, websockets.connect(ws_url) as b:
        await a.send(json.dumps({"op": "sub", "pattern": "orders.>"}))
        assert await recv_json(a) == {"op": "ok", "for": "sub", "pattern": "orders.>"}
        await b.send(json.dumps({"op": "sub", "pattern": "orders.*", "binary": True}))
        assert (await recv_json(b))["op"] == "ok"

        # HTTP publish reaches both: JSON for a, binary for b.
        status, body = http("POST", base + "/publish/orders.eu", b"first")
        assert status == 200 and json.loads(body) == {"published": "orders.eu"}, (status, body)
        m = await recv_json(a)
        assert m == {"op": "msg", "topic": "orders.eu", "seq": 1, "data": "first"}, m
        frame = await asyncio.wait_for(b.recv(), 5)
        assert isinstance(frame, bytes), frame
        (n,) = struct.unpack_from("<H", frame)
        assert frame[2:2 + n] == b"orders.eu" and frame[2 + n:] == b"first", frame

        # A JSON publish over the WebSocket, and a binary one.
        await a.send(json.dumps({"op": "pub", "topic": "orders.us", "data": "second"}))
        m = await recv_json(a)
        assert m["topic"] == "orders.us" and m["data"] == "second" and m["seq"] == 2, m
        await b.recv()
        topic = b"orders.bin.deep"
        await b.send(struct.pack("<H", len(topic)) + topic + b"raw bytes")
        m = await recv_json(a)  # orders.> matches, orders.* does not
        assert m["topic"] == "orders.bin.deep" and m["data"] == "raw bytes", m

        # Bad requests get an error and the socket stays usable.
        for bad, fragment in [("not json", "JSON object"),
                              (json.dumps({"op": "pub", "topic": "a..b", "data": "x"}), "level 2 is empty"),
                              (json.dumps({"op": "sub", "pattern": "a.>.b"}), "last level"),
                              (json.dumps({"op": "fly"}), "unknown op"),
                              (json.dumps({"op": "unsub", "pattern": "never.subscribed"}), "not subscribed")]:
            await a.send(bad)
            e = await recv_json(a)
            assert e["op"] == "error" and fragment in e["error"], (bad, e)
        await b.send(b"\x05")
        e = json.loads(await asyncio.wait_for(b.recv(), 5))
        assert e["op"] == "error" and "binary frame" in e["error"], e

        status, body = http("GET", base + "/status")
        assert json.loads(body)["websockets"] == 2, body
        # The broker's topics, busiest first, with what each published.
        topics = {t["topic"]: t["published"] for t in json.loads(body)["topics"]}
        assert topics.get("orders.eu") == 1 and topics.get("orders.us") == 1, body

        # Unsubscribe: nothing more arrives on a.
        await a.send(json.dumps({"op": "unsub", "pattern": "orders.>"}))
        assert (await recv_json(a))["for"] == "unsub"
        http("POST", base + "/publish/orders.eu", b"third")
        await b.recv()  # b still gets it
        try:
            extra = await asyncio.wait_for(a.recv(), 0.3)
            raise AssertionError(f"unsubscribed socket got {extra}")
        except asyncio.TimeoutError:
            pass

    # Queue group: two sockets share the work.
    async with websockets.connect(ws_url) as w1, websockets.connect(ws_url) as w2:
        for w in (w1, w2):
            await w.send(json.dumps({"op": "sub", "pattern": "jobs.>", "group": "workers"}))
            assert (await recv_json(w))["op"] == "ok"
        for i in range(10):
            assert http("POST", base + f"/publish/jobs.build", str(i).encode())[0] == 200
        got = []
        for w in (w1, w2):
            for _ in range(5):
                got.append((await recv_json(w))["data"])
        assert sorted(got, key=int) == [str(i) for i in range(10)], got

    # HTTP errors.
    assert http("POST", base + "/publish/a..b", b"x")[0] == 400
    assert http("GET", base + "/publish/a.b")[0] == 405
    assert http("GET", base + "/nope")[0] == 404
    status, page = http("GET", base + "/")
    assert status == 200 and "coronet broker gateway" in page

    # /metrics: Prometheus text with the broker's and the gateway's counters.
    status, text = http("GET", base + "/metrics")
    assert status == 200, status
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    assert "# TYPE coronet_broker_published_total counter" in text, text
    assert samples["coronet_broker_published_total"] >= 13, samples  # orders.eu x3 at least, jobs.build x10
    assert samples["coronet_broker_delivered_total"] >= 13, samples
    assert samples["coronet_gateway_published_total"] >= 13, samples
    assert samples["coronet_broker_connections"] >= 1, samples

    deadline = time.monotonic() + 10
    while json.loads(http("GET", base + "/status")[1])["websockets"] != 0:
        assert time.monotonic() < deadline, "closed WebSockets were not cleaned up"
        await asyncio.sleep(0.05)


proc, log, base = start()
try:
    asyncio.run(main(base))
finally:
    proc.send_signal(signal.SIGINT)
    try:
        code = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = "killed after SIGINT was ignored"
    log.seek(0)
    output = log.read()
if code != 0:
    sys.exit(f"coronet broker serve exited with {code}:\n{output}")
print("gateway: JSON and binary frames, HTTP publish, errors, queue groups and cleanup all check out")
