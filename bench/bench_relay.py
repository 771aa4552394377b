"""Relay load on loopback: N concurrent clients pushing and pulling sealed bundles.

    .venv/bin/python -m bench.bench_relay [--clients 8] [--rounds 100] [--seconds 60]

A real ``kith relay serve`` process per storage engine (SQLite; PostgreSQL in a private
cluster when its server binaries are installed). Each client owns a mailbox and repeats, up
to ``--rounds`` times or until ``--seconds`` pass (both bounds hold): post one 4,178-byte
sealed bundle (the smallest padded size: one small edit), list the mailbox, fetch the new
item. Reports sustained bundles per second (posted and fetched back), the p50 and p95 latency
of a post and of a list+fetch, and the relay's resident memory before and after (it must stay
flat: nothing is cached per request).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.common import p95
from sync.bundle import SegmentKey, seal
from sync.transports.relay import NODELAY

ROOT = Path(__file__).resolve().parents[1]


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _start(args: list[str]) -> tuple[subprocess.Popen[bytes], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "relay", "serve", "--port", "0", "--rate", "100000",
         *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    return proc, "http://127.0.0.1:" + line.rsplit(":", 1)[1].strip()


def _client(url: str, rounds: int, deadline: float, bundle: bytes,
            posts: list[float], fetches: list[float]) -> None:
    box = secrets.token_hex(16)
    auth = {"Authorization": "Bearer " + secrets.token_hex(32)}
    after = 0
    transport = httpx.HTTPTransport(socket_options=[NODELAY])
    with httpx.Client(base_url=url, timeout=60, transport=transport) as http:
        for _ in range(rounds):
            if time.monotonic() > deadline:
                return
            start = time.perf_counter()
            seq = http.post(f"/v1/m/{box}", content=bundle, headers=auth).json()["seq"]
            posts.append(time.perf_counter() - start)
            start = time.perf_counter()
            items = http.get(f"/v1/m/{box}?after={after}", headers=auth).json()["items"]
            got = http.get(f"/v1/m/{box}/{items[-1][0]}", headers=auth).content
            fetches.append(time.perf_counter() - start)
            assert got == bundle and items[-1][0] == seq
            after = seq


def run(name: str, serve_args: list[str], clients: int, rounds: int, seconds: float) -> None:
    proc, url = _start(serve_args)
    try:
        key = SegmentKey(secrets.token_bytes(16), 0, secrets.token_bytes(32))
        bundle = seal(key, [secrets.token_bytes(200)], {})
        httpx.get(url + "/v1/info")
        rss_before = _rss_kib(proc.pid)
        posts: list[float] = []
        fetches: list[float] = []
        deadline = time.monotonic() + seconds
        threads = [threading.Thread(target=_client,
                                    args=(url, rounds, deadline, bundle, posts, fetches))
                   for _ in range(clients)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        rss_after = _rss_kib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(f"| {name} | {clients} | {len(posts)} | {len(posts) / elapsed:.0f} | "
          f"{statistics.median(posts) * 1000:.1f} / {p95(posts) * 1000:.1f} | "
          f"{statistics.median(fetches) * 1000:.1f} / {p95(fetches) * 1000:.1f} | "
          f"{rss_before // 1024} -> {rss_after // 1024} MiB |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    print(f"bundle: 4,178 bytes; {args.clients} clients x up to {args.rounds} rounds, "
          f"at most {args.seconds:.0f} s per engine")
    print("| storage | clients | bundles | bundles/s | post p50 / p95 ms "
          "| list+fetch p50 / p95 ms | relay RSS |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", ["--data", tmp], args.clients, args.rounds, args.seconds)
    sys.path.insert(0, str(ROOT))
    from tests.relay.pg import start_cluster

    cluster = start_cluster()
    if isinstance(cluster, str):
        print(f"PostgreSQL skipped: {cluster}")
        return
    try:
        os.environ.pop("KITH_RELAY_DATABASE", None)
        run("PostgreSQL", ["--data", str(cluster.base / "unused"), "--database",
                           cluster.new_database()], args.clients, args.rounds, args.seconds)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
