"""Benchmark: the organizer's screens at 100,000 contacts against 200, in the same run.

Run from the repository root (building the large vault takes a few minutes; it is built once
and used for every repeat):

    .venv/bin/python -m bench.bench_tui_workspace [--contacts 100000] [--small 200] [--repeat 3]

Headless (`App.run_test()`) at 80x24, the real app from `tui.app.make_app` on real vaults (cheap
KDF, invented contacts from `bench.common.synthetic_contacts`). Both vaults hold the same
organizing data, scaled: one contact with 200 interactions; consent (allow email) for one
contact in 10, do-not-contact for one in 97, a weekly limit for one in 50; segments "canvass"
(one contact in 10), "press" (100 contacts) and "board" (10). Measured, each as p95 (and max)
over `--switches` repetitions, a screen opened and closed each time:

- filter keystroke -> rows shown: each prefix of 8 words typed letter by letter, from the
  filter box reporting the query to the new rows being shown (as bench/bench_tui_app.py; the
  box's 80 ms debounce is a fixed wait on top and is not included);
- `Enter` on the contact with 200 interactions -> its contact screen drawn (the profile
  loaded and the first frame of the new screen composed);
- `g` -> the segments panel drawn with its counts;
- `w` on the whole list, then `Enter` on channel `email`, kind `news` -> both lists drawn with
  every reason (the screen's worker resolves consent, do-not-contact, limits and addresses for
  every contact shown).

"Drawn" is the first compositor refresh of the new screen after its data is in its widgets
(`Screen._compositor_refresh`, which composes the frame in a headless run too).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual.screen import Screen
from textual.widgets import Input

from bench.bench_tui_app import PASSPHRASE, settle
from bench.common import p95, synthetic_contacts
from tui.app import make_app
from tui.screens.detail import DetailScreen
from tui.screens.main import MainScreen
from tui.screens.may_contact import WhoMayScreen
from tui.screens.segments import SegmentsScreen
from tui.widgets import ContactFilter, ContactList
from vault import Vault
from vault.crypto.kdf import TEST_PARAMS
from vault.domain import preferences as prefs_mod
from vault.domain.interactions import make_draft

SIZE = (80, 24)
WORDS = ("garcía", "lyon", "tenants", "person4242", "okafor", "zoë", "press", "3361000")
BUSY_NAME = "Busy Organizer"
NOW = 1_750_000_000


def build_vault(folder: Path, count: int) -> float:
    """A cheap-KDF vault of `count` contacts with organizing data; returns the seconds taken."""
    from vault.domain.model import ContactDraft, Email

    began = time.perf_counter()
    vault = Vault.create(folder, PASSPHRASE, params=TEST_PARAMS, allow_weak=True, region="FR")
    drafts = synthetic_contacts(count - 1)
    drafts.insert(0, ContactDraft(name=BUSY_NAME, emails=(Email("busy@example.org"),)))
    made: list[bytes] = []
    for start in range(0, count, 5000):
        made += vault.contacts.add_many(drafts[start : start + 5000])
    busy = made[0]
    history = [make_draft("call" if n % 3 else "meeting", NOW - n * 3600, summary=f"talk {n}")
               for n in range(200)]  # fmt: skip
    vault.interactions.log_many([(busy, draft) for draft in history])
    prefs = []
    for n, record in enumerate(made):
        change = None
        if n % 97 == 1:
            change = prefs_mod.PreferenceChange(do_not_contact=True, consent_source="call")
        elif n % 10 == 0:
            weekly = "weekly" if n % 50 == 0 else None
            change = prefs_mod.PreferenceChange(allow=("email",), max_frequency=weekly,
                                                consent_source="form")  # fmt: skip
        if change is not None:
            blank = prefs_mod.Preferences(record.hex())
            prefs.append((record, prefs_mod.apply(blank, change, NOW)))
    vault.preferences.add_many(prefs)
    for name, step in (("canvass", 10), ("press", max(1, count // 100)), ("board", count // 10)):
        segment = vault.segments.create(name)
        vault.segments.add(segment, made[::step])
    vault.lock()
    return time.perf_counter() - began


class Frames:
    """The first compositor refresh of a screen whose data is in (hooked on the real class)."""

    def __init__(self) -> None:
        self.watch: Callable[[Screen[Any]], bool] | None = None
        self.drawn: float | None = None
        self._original: Callable[[Screen[Any]], None] | None = None

    def install(self) -> None:
        original = Screen._compositor_refresh
        self._original = original
        frames = self

        def refresh(screen: Screen[Any]) -> None:
            original(screen)
            if frames.drawn is None and frames.watch is not None and frames.watch(screen):
                frames.drawn = time.perf_counter()

        Screen._compositor_refresh = refresh  # type: ignore[method-assign,assignment]

    def remove(self) -> None:
        if self._original is not None:
            Screen._compositor_refresh = self._original  # type: ignore[method-assign,assignment]


async def timed_switch(
    pilot: Any, frames: Frames, key: str, ready: Callable[[Screen[Any]], bool]
) -> float:
    """Seconds from pressing `key` to the first frame composed of a screen `ready` accepts."""
    frames.watch, frames.drawn = ready, None
    began = time.perf_counter()
    await pilot.press(key)
    await settle(lambda: frames.drawn is not None)
    frames.watch = None
    assert frames.drawn is not None
    return frames.drawn - began


def figures(out: dict[str, float], name: str, seconds: list[float]) -> None:
    """Median, p95 (the max below 20 samples) and max of `seconds`, in ms."""
    out[f"{name}_median"] = statistics.median(seconds) * 1e3
    out[f"{name}_p95"], out[f"{name}_max"] = p95(seconds) * 1e3, max(seconds) * 1e3


async def scenario(folder: Path, switches: int, asks: int) -> dict[str, float]:
    """Unlock, then filter, contact screen, segments panel, who may; figures in ms."""
    out: dict[str, float] = {}
    frames = Frames()
    frames.install()
    shown: list[str] = []
    original_show = MainScreen.show

    def show(screen: MainScreen, snap: Any) -> None:
        original_show(screen, snap)
        shown.append(screen.view.query)

    MainScreen.show = show  # type: ignore[method-assign,assignment]
    app = make_app(folder, idle_timeout=1e9)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            app.screen.query_one("#passphrase", Input).value = PASSPHRASE
            await app.screen.query_one("#passphrase", Input).action_submit()
            await settle(lambda: isinstance(app.screen, MainScreen) and app.screen.complete)
            main = app.screen
            assert isinstance(main, MainScreen)
            await pilot.pause()

            box = main.query_one("#filter", ContactFilter)
            latencies = []
            for word in WORDS:
                for end in range(1, len(word) + 1):
                    query, count = word[:end], len(shown)
                    began = time.perf_counter()
                    main.post_message(ContactFilter.QueryChanged(box, query))
                    await settle(lambda q=query, n=count: len(shown) > n and shown[-1] == q)
                    latencies.append(time.perf_counter() - began)
                main.post_message(ContactFilter.QueryChanged(box, ""))
                await settle(lambda: shown[-1] == "")
            figures(out, "filter", latencies)
            await pilot.pause()

            contacts = main.query_one(ContactList)
            names = [row.name for row in contacts.rows]
            contacts.focus()
            contacts.move_cursor(names.index(BUSY_NAME))
            await pilot.pause()

            def detail(screen: Screen[Any]) -> bool:
                return isinstance(screen, DetailScreen) and screen.profile is not None

            def segments(screen: Screen[Any]) -> bool:
                return isinstance(screen, SegmentsScreen) and bool(screen.segments)

            for name, key, ready in (("contact", "enter", detail), ("segments", "g", segments)):
                times = []
                for _ in range(switches):
                    times.append(await timed_switch(pilot, frames, key, ready))
                    await pilot.press("escape")
                    await settle(lambda: app.screen is main)
                    await pilot.pause()
                figures(out, name, times)

            times = []
            for _ in range(asks):
                await pilot.press("w")
                await settle(lambda: isinstance(app.screen, WhoMayScreen))
                who = app.screen
                assert isinstance(who, WhoMayScreen)
                await pilot.pause()
                who.query_one("#kind", Input).focus()

                def answered(screen: Screen[Any], who: WhoMayScreen = who) -> bool:
                    return screen is who and who.result is not None

                times.append(await timed_switch(pilot, frames, "enter", answered))
                found = who.result
                assert found is not None and len(found.recipients) + len(found.excluded) == len(
                    names
                )
                await pilot.press("escape")
                await settle(lambda: app.screen is main)
                await pilot.pause()
            figures(out, "who", times)
            app.lock()
            await pilot.pause()
    finally:
        frames.remove()
        MainScreen.show = original_show  # type: ignore[method-assign,assignment]
    return out


MEASURES = [
    ("filter", "filter keystroke -> rows shown"),
    ("contact", "Enter -> contact screen (200 interactions)"),
    ("segments", "g -> segments panel drawn"),
    ("who", "who may I contact, email:news, everyone shown"),
]
LINES = [(f"{key}_{stat}", f"{label}, {stat} (ms)")
         for key, label in MEASURES for stat in ("median", "p95", "max")]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Build both vaults once, run the scenario on each, print the table."""
    parser = argparse.ArgumentParser(description="The organizer's screens: 100,000 against 200.")
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; medians reported")
    parser.add_argument("--switches", type=int, default=20, help="times each screen is opened")
    parser.add_argument("--asks", type=int, default=3, help="times who-may-contact is asked")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        big_dir, small_dir = Path(tmp) / "big", Path(tmp) / "small"
        print(f"building {args.contacts:,} + {args.small:,} contacts...", flush=True)
        built = build_vault(big_dir, args.contacts)
        build_vault(small_dir, args.small)
        print(f"built in {built:.1f} s", flush=True)
        runs: dict[int, list[dict[str, float]]] = {args.contacts: [], args.small: []}
        asyncio.run(scenario(small_dir, 2, 1))  # warm-up: imports, CSS, caches
        for _ in range(args.repeat):
            for folder, count in ((big_dir, args.contacts), (small_dir, args.small)):
                runs[count].append(asyncio.run(scenario(folder, args.switches, args.asks)))
                print(f"  ran {count:,}", flush=True)
    big, small = (
        {key: statistics.median(run[key] for run in runs[n]) for key in runs[n][0]}
        for n in (args.contacts, args.small)
    )
    head = f"{'':58} {f'{args.contacts:,}':>10} {f'{args.small:,}':>8} {'ratio':>7}"
    print(
        f"\nPython {sys.version.split()[0]}, headless {SIZE[0]}x{SIZE[1]}, cheap KDF, "
        f"{args.switches} switches, {args.asks} asks, median of {args.repeat} run(s), load average "
        f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    print(head)
    print("-" * len(head))
    for key, label in LINES:
        b, s = big[key], small[key]
        ratio = f"{b / s:7.2f}" if s > 0 else "      -"
        print(f"{label:58} {b:10.1f} {s:8.1f} {ratio}")
    missed = [label for key, label in LINES if key.endswith("_p95") and big[key] >= 50]
    print(f"\ntarget p95 < 50 ms at {args.contacts:,}: " + ("met" if not missed else
          "MISSED: " + "; ".join(missed)))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
