"""A day's work in a real terminal: `kith tui` in tmux, driven by keys, read back as screen text.

Unlock, filter `segment:volunteers`, mark 3 contacts, add them to a segment, log a call, see it
in the history and the frequency limit it reaches. Not here yet: door mode (its pilot tests are in
test_app_events.py; typed ahead faster than a screen change, keys land in the field that had the
focus, which this test could not yet drive reliably) and an outreach preview (no screen yet).
Every wait is for text on the screen; the timeouts only end a failing test.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui.app_helpers import PASSPHRASE
from tests.tui.test_tmux_smoke import HEIGHT, WIDTH, Tmux, kith_command, pytestmark  # noqa: F401
from tests.tui.workspace_helpers import make_organizing_vault
from vault.api import Vault

WAIT = 120.0


@pytest.fixture
def day(tmp_path: Path) -> Iterator[tuple[Tmux, Path]]:
    folder = tmp_path / "vault"
    ids = make_organizing_vault(folder, interactions=0)
    with Vault.open(folder, PASSPHRASE) as vault:
        volunteers = vault.segments.create("volunteers")
        people = ("Ada Brandt", "Chiara Dumont", "Efua Fontaine")
        vault.segments.add(volunteers, [bytes.fromhex(ids[n]) for n in people])
        vault.segments.create("canvass team")
    session = Tmux(f"kith-day-{os.getpid()}")
    command = shlex.join([*kith_command(), "--vault", str(folder), "tui"])
    root = shlex.quote(str(Path(__file__).resolve().parents[2]))
    env = f"cd {root} && env -u COLUMNS -u LINES TERM=xterm-256color"
    session.run("-f", "/dev/null", "new-session", "-d", "-s", "kith",
                "-x", str(WIDTH), "-y", str(HEIGHT), "sleep 120")  # fmt: skip
    session.run("respawn-pane", "-k", "-t", "kith", f"{env} {command}; sleep 60")
    try:
        yield session, folder
    finally:
        subprocess.run(["tmux", "-L", session.socket, "kill-server"], check=False)


def test_a_days_work(day: tuple[Tmux, Path]) -> None:
    tmux, folder = day
    tmux.wait_for("Unlock your Kith vault", WAIT)
    tmux.literal(PASSPHRASE)
    tmux.keys("Enter")
    tmux.wait_for("7 contacts", WAIT)

    tmux.keys("/")
    tmux.wait_for("/ Filter  ^l Lock", WAIT)  # the filter box has the focus
    tmux.literal("segment:volunteers")
    screen = tmux.wait_for("3 of 7 contacts", WAIT)
    assert "Efua Fontaine" in screen and "Bram Castell" not in screen
    tmux.keys("Enter")  # to the list
    tmux.wait_for("e Edit", WAIT)
    tmux.keys("Space", "Space", "Space")
    tmux.wait_for("3 marked", WAIT)

    tmux.keys("g")
    tmux.wait_for("3 contacts chosen", WAIT)
    tmux.wait_for("a Add", WAIT)
    tmux.keys("a")  # "canvass team" sorts first
    tmux.wait_for("3 contact(s) added to canvass team", WAIT)
    tmux.keys("Escape")
    tmux.wait_for("3 marked", WAIT)
    tmux.wait_for("g Segments", WAIT)

    tmux.keys("Home", "Enter")  # Ada's contact screen
    tmux.wait_for("Family name", WAIT)
    tmux.wait_for("l Log", WAIT)
    tmux.keys("l")
    tmux.wait_for("Log an interaction with Ada Brandt", WAIT)
    tmux.wait_for("^s Log it", WAIT)
    tmux.keys("Tab", "Tab", "Tab")  # kind "call", when "now", direction: to the summary
    tmux.literal("phoned about the rent strike")
    tmux.keys("Enter")
    tmux.wait_for("LIMIT REACHED until", WAIT)  # the call counts against Ada's weekly limit
    tmux.keys("End")  # the history is below the fields
    tmux.wait_for("History: 3 interactions, newest first", WAIT)  # 2 in the fixture
    screen = tmux.wait_for("asked about the assembly", WAIT)  # the older call, scrolled into view
    history = screen[screen.index("History:") :].splitlines()
    assert "call" in history[1] and "phoned about the rent strike" in history[1]  # newest first
    tmux.keys("Escape")
    tmux.wait_for("3 marked", WAIT)

    tmux.keys("C-q")

    with Vault.open(folder, PASSPHRASE) as vault:
        team = vault.segments.find("canvass team")
        assert team.contacts == 3
