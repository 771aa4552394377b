"""Benchmark: the TUI's outreach screens stay responsive while the work runs in worker threads.

Run from the repository root:

    .venv/bin/python -m bench.bench_tui_outreach [--contacts 2000] [--small 200]

Headless (`App.run_test()`) at 80x24, the real app from `tui.app.make_app` on real vaults (cheap
KDF, invented contacts from `bench.common.synthetic_contacts`, every one allowing email, all in
one segment), and a real SMTP server on loopback (aiosmtpd, a dev dependency) taking every
message. For both sizes, side by side in the same run:

- Preview: from `p` to the preview drawn (audience resolved, sample rendered), and the longest
  event-loop stall meanwhile (resolving runs in a worker thread, which shares the GIL).
- Send: the whole send (paced by the transport's rate limit, set to its maximum of 6,000 a
  minute, so about 10 ms a message), and the longest stall and the 95th percentile of every
  event-loop callback meanwhile: how long the screen could not react to a key.
- Stop: from `x` pressed half-way through a second message's send to the run ended (at most
  the message in flight, and the rate-limit wait that Stop cuts short).

Stalls are measured as in bench/bench_tui_list.py (wrapping `asyncio.Handle._run`), as wall
time (what a user waits, including time the OS gave the CPU to other processes or the GIL to the
worker) and as the UI thread's own CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiosmtpd.controller import Controller

from bench.bench_tui_list import StallMonitor
from bench.common import p95, synthetic_contacts
from outreach.compose import Draft, compose
from outreach.config import OutreachConfig, email_settings
from tui.app import make_app
from tui.screens.main import MainScreen
from tui.screens.outreach import OutreachScreen
from tui.screens.outreach_preview import PreviewScreen
from tui.screens.outreach_send import SendScreen
from vault import Vault
from vault.crypto.kdf import TEST_PARAMS
from vault.domain.preferences import PreferenceChange

SIZE = (80, 24)
PASSPHRASE = "bench"
BODY = "Dear {given_name|friend},\nthe {city} group meets on Tuesday.\n"


class Counter:
    """aiosmtpd handler that counts messages."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.count += 1
        return "250 OK"


def build_vault(folder: Path, count: int, port: int) -> None:
    """`count` contacts allowing email in segment "all", SMTP settings, two messages."""
    vault = Vault.create(folder, PASSPHRASE, params=TEST_PARAMS, allow_weak=True)
    made = [bytes.fromhex(vault.contacts.add(d).id) for d in synthetic_contacts(count)]
    for raw in made:
        vault.preferences.change(raw, PreferenceChange(allow=("email",)), now=int(time.time()))
    segment = vault.segments.create("all")
    vault.segments.add(segment, made)
    OutreachConfig.of(vault).set_email(email_settings("127.0.0.1", port, "team@org.example",
                                                      "none", rate=6000))  # fmt: skip
    for subject in ("first", "second"):
        compose(vault, Draft("email", "news", "segment:all", BODY, subject))
    vault.lock()


async def settle(condition: Callable[[], bool], timeout: float = 600.0) -> None:
    """Yield to the app until `condition()` holds."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.001)


async def scenario(folder: Path, count: int, smtp: Counter,
                   monitor: StallMonitor) -> dict[str, float]:  # fmt: skip
    """Preview, send all, then send the other message and stop it half-way."""
    out: dict[str, float] = {}
    app = make_app(folder, kdf_params=TEST_PARAMS, allow_weak=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(lambda: type(app.screen).__name__ == "UnlockScreen")
        app.screen.query_one("#passphrase").value = PASSPHRASE  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(lambda: isinstance(app.screen, MainScreen) and app.screen.complete)
        await pilot.press("o")
        await settle(lambda: isinstance(app.screen, OutreachScreen)
                     and app.screen.messages is not None)  # fmt: skip
        outbox = app.screen
        for round_ in ("send", "stop"):
            start = time.perf_counter()
            with monitor.window() as window:
                await pilot.press("p")
                await settle(lambda: isinstance(app.screen, PreviewScreen)
                             and app.screen.preview is not None)  # fmt: skip
            if round_ == "send":
                out["preview_ms"] = (time.perf_counter() - start) * 1e3
                out["preview_stall"] = max(window.stalls) * 1e3
                out["preview_stall_cpu"] = max(window.stalls_cpu) * 1e3
            await pilot.press("s")
            await settle(lambda: isinstance(app.screen, SendScreen) and app.screen.known)
            screen = app.screen
            assert isinstance(screen, SendScreen)
            sent_before = smtp.count
            start = time.perf_counter()
            with monitor.window() as window:
                await pilot.press("s")
                if round_ == "stop":
                    await settle(lambda b=sent_before: smtp.count - b >= count // 2)
                    start = time.perf_counter()
                    await pilot.press("x")
                await settle(lambda s=screen: s.runs == 1)
            elapsed = (time.perf_counter() - start) * 1e3
            if round_ == "send":
                assert smtp.count - sent_before == count, "every recipient once"
                out["send_ms"] = elapsed
                out["send_stall"] = max(window.stalls) * 1e3
                out["send_stall_cpu"] = max(window.stalls_cpu) * 1e3
                out["send_stall_p95"] = p95(window.stalls) * 1e3
            else:
                out["stop_ms"] = elapsed
            await pilot.press("escape")
            await settle(lambda: app.screen is outbox)
            await pilot.press("down")  # the other (older) message
        await pilot.press("ctrl+q")
    return out


LINES = [
    ("preview_ms", "p -> preview drawn (ms)"),
    ("preview_stall", "longest UI stall while previewing, wall (ms)"),
    ("preview_stall_cpu", "longest UI stall while previewing, CPU (ms)"),
    ("send_ms", "send to everyone, rate-limited (ms)"),
    ("send_stall", "longest UI stall while sending, wall (ms)"),
    ("send_stall_cpu", "longest UI stall while sending, CPU (ms)"),
    ("send_stall_p95", "p95 of event-loop callbacks while sending (ms)"),
    ("stop_ms", "x -> send stopped (ms)"),
]


def main(argv: list[str] | None = None) -> int:
    """Build both vaults, run both scenarios, print the table."""
    parser = argparse.ArgumentParser(description="The TUI's outreach screens under work.")
    parser.add_argument("--contacts", type=int, default=2_000)
    parser.add_argument("--small", type=int, default=200)
    args = parser.parse_args(argv)
    smtp = Counter()
    with socket.socket() as probe:  # a free port for the server
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(smtp, hostname="127.0.0.1", port=port)
    controller.start()
    results: dict[int, dict[str, float]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            monitor = StallMonitor()
            for count in (args.contacts, args.small):
                folder = Path(tmp) / str(count)
                print(f"building {count:,} contacts...", flush=True)
                build_vault(folder, count, port)
                with monitor.installed():
                    results[count] = asyncio.run(scenario(folder, count, smtp, monitor))
    finally:
        controller.stop()
    big, small = results[args.contacts], results[args.small]
    head = f"{'':48} {f'{args.contacts:,}':>10} {f'{args.small:,}':>8} {'ratio':>7}"
    print(f"\nPython {sys.version.split()[0]}, headless {SIZE[0]}x{SIZE[1]}, cheap KDF, "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")  # fmt: skip
    print(head)
    print("-" * len(head))
    for key, label in LINES:
        b, s = big[key], small[key]
        ratio = f"{b / s:7.2f}" if s > 0 else "      -"
        print(f"{label:48} {b:10.1f} {s:8.1f} {ratio}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
