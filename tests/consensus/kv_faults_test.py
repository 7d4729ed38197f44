#!/usr/bin/python3
"""A 3-process KV cluster on loopback under faults, its history checked.

While `coronet kv workload` runs concurrent clients (recording every
operation's call and return times), a nemesis kills the leader with SIGKILL
and restarts it, pauses a node with SIGSTOP/SIGCONT, partitions the leader
from the others through the nodes' fault-injecting transport, and kills a
follower. Afterwards `coronet kv check` must find the history linearizable:
no acknowledged write lost, no stale read. Every process is started here and
stopped here by its PID.

usage: kv_faults_test.py CORONET [SECONDS]
"""
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

coronet = sys.argv[1]
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 14.0
work = tempfile.mkdtemp(prefix="coronet-kv-faults-")
nodes = {}  # id -> Popen
events = []


def free_ports(n):
    # Below the kernel's ephemeral range (32768+): other tests running at the
    # same time bind port 0 and could otherwise take a port while its node is
    # down between a SIGKILL and its restart.
    rng = random.Random(os.getpid())
    ports = []
    while len(ports) < n:
        port = rng.randrange(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        if port not in ports:
            ports.append(port)
    return ports


ports = free_ports(6)
raft = {i: f"tcp://127.0.0.1:{ports[i - 1]}" for i in (1, 2, 3)}
http = {i: f"127.0.0.1:{ports[i + 2]}" for i in (1, 2, 3)}
peers = [arg for i in (1, 2, 3) for arg in ("--peer", f"{i}={raft[i]}={http[i]}")]


def log(msg):
    events.append(f"{time.monotonic():.2f} {msg}")
    print(msg, flush=True)


def start(i):
    out = open(os.path.join(work, f"node-{i}.log"), "ab")
    # --no-fsync: SIGKILL ends the process, not the machine; the page cache
    # keeps what was written, and the run stays fast on a loaded CI box.
    nodes[i] = subprocess.Popen(
        [coronet, "--log-level", "warn", "kv", "serve", "--id", str(i), *peers,
         "--data-dir", os.path.join(work, f"node-{i}"), "--no-fsync", "--fault-injection",
         "--timeout-ms", "1000"],
        stdout=out, stderr=subprocess.STDOUT)
    log(f"node {i} started (pid {nodes[i].pid})")


def kill(i, sig=signal.SIGKILL):
    p = nodes[i]
    os.kill(p.pid, sig)
    if sig == signal.SIGKILL:
        p.wait(timeout=10)
    log(f"node {i} (pid {p.pid}) <- {signal.Signals(sig).name}")


def request(i, method, path, body=None, timeout=1.0):
    req = urllib.request.Request(f"http://{http[i]}{path}", data=body, method=method)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"{}")


def leader(deadline=10.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        for i in (1, 2, 3):
            try:
                s = request(i, "GET", "/v1/status", timeout=0.5)
                if s.get("role") == "leader":
                    return i
            except OSError:
                pass
        time.sleep(0.05)
    return None


def partition(isolated):
    others = [i for i in (1, 2, 3) if i != isolated]
    request(isolated, "PUT", "/v1/faults/partition", ",".join(map(str, others)).encode())
    for i in others:
        request(i, "PUT", "/v1/faults/partition", str(isolated).encode())
    log(f"node {isolated} partitioned from {others}")


def heal():
    for i in (1, 2, 3):
        request(i, "DELETE", "/v1/faults/partition")
    log("partition healed")


def main():
    for i in (1, 2, 3):
        start(i)
    first = leader()
    if first is None:
        raise SystemExit("no leader elected within 10 s")
    history = os.path.join(work, "history.jsonl")
    urls = ",".join(f"http://{http[i]}" for i in (1, 2, 3))
    workload = subprocess.Popen(
        [coronet, "kv", "workload", "--url", urls, "--history", history, "--clients", "6", "--keys", "4",
         "--seconds", str(seconds), "--ops", "150000", "--attempt-timeout-ms", "500", "--op-timeout-ms", "3000",
         "--seed", "17"])
    try:
        step = seconds / 7
        time.sleep(step)
        victim = leader() or 1
        kill(victim)  # the leader crashes
        time.sleep(step)
        start(victim)
        time.sleep(step * 0.5)
        paused = leader() or 2
        kill(paused, signal.SIGSTOP)  # a stop-the-world pause of the leader
        time.sleep(step)
        os.kill(nodes[paused].pid, signal.SIGCONT)
        log(f"node {paused} <- SIGCONT")
        time.sleep(step * 0.5)
        isolated = leader() or 3
        partition(isolated)  # the leader cut off; the majority elects another
        time.sleep(step)
        heal()
        follower = next(i for i in (1, 2, 3) if i != (leader() or 0))
        kill(follower)  # a follower crashes and comes back
        time.sleep(step * 0.3)
        start(follower)
        workload.wait(timeout=seconds + 60)
    finally:
        if workload.poll() is None:
            workload.kill()
            workload.wait()
    if workload.returncode != 0:
        raise SystemExit(f"workload failed with status {workload.returncode}")
    with open(history) as f:
        ops = [json.loads(line) for line in f if line.strip()]
    ok_writes = sum(1 for o in ops if o["op"] != "get" and o["outcome"] == "ok")
    ok_reads = sum(1 for o in ops if o["op"] == "get")
    print(f"history: {len(ops)} operations, {ok_writes} acknowledged writes, {ok_reads} reads")
    if ok_writes < 50 or ok_reads < 50:
        raise SystemExit("too few operations completed for the check to mean anything")
    check = subprocess.run([coronet, "kv", "check", history, "--seconds", "60"])
    if check.returncode != 0:
        shutil.copy(history, os.path.join(tempfile.gettempdir(), "coronet-kv-faults-history.jsonl"))
        raise SystemExit("the history is not linearizable (copied to /tmp/coronet-kv-faults-history.jsonl)")


def diagnose():
    for i, p in sorted(nodes.items()):
        state = "running" if p.poll() is None else f"exited with {p.returncode}"
        print(f"--- node {i} (pid {p.pid}) {state}; last lines of its log:")
        with open(os.path.join(work, f"node-{i}.log"), errors="replace") as f:
            print("".join(f.readlines()[-15:]))
    print("--- events:\n" + "\n".join(events))


try:
    main()
    print("PASS: linearizable under SIGKILL, SIGSTOP and a partition")
except BaseException:
    diagnose()
    raise
finally:
    for i, p in nodes.items():
        if p.poll() is None:
            os.kill(p.pid, signal.SIGCONT)
            p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    if os.environ.get("KEEP_FAULTS_DIR"):
        print("kept", work)
    else:
        shutil.rmtree(work, ignore_errors=True)
