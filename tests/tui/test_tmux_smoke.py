"""One real-terminal smoke test: `kith tui` in tmux, driven by keys, read back as screen text.

It runs the installed entry point (`kith`, else `python -m tui`) on a pseudo-terminal, so it
checks what the pilot tests cannot: the real driver, the terminal size, and that a contact named
with an OSC title sequence does not retitle the terminal. Skipped when tmux is missing (CI
installs it). It uses its own tmux server socket, so it never touches the user's sessions.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui.app_helpers import HOSTILE, PASSPHRASE, PEOPLE, make_vault

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

WIDTH, HEIGHT = 100, 30


class Tmux:
    """One detached tmux session on a private server socket."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def run(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True, text=True, timeout=20, check=True,
        )  # fmt: skip
        return done.stdout

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "kith", *keys)

    def literal(self, text: str) -> None:
        self.run("send-keys", "-t", "kith", "-l", text)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "kith")

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")
            time.sleep(0.1)


def kith_command() -> list[str]:
    script = Path(sys.executable).with_name("kith")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tui"]


@contextlib.contextmanager
def kith_in_tmux(name: str, folder: Path, *, env: str = "", after: str = "sleep 30"
                 ) -> Iterator[Tmux]:
    """`kith --vault FOLDER tui` in a tmux window of WIDTH x HEIGHT on a private server named
    ``name``, with ``env`` (``VAR=value ...``) added and ``after`` run once it ends; the server
    is killed however the test ends."""
    session = Tmux(f"{name}-{os.getpid()}")
    command = shlex.join([*kith_command(), "--vault", str(folder), "tui"])
    root = shlex.quote(str(Path(__file__).resolve().parents[2]))
    setup = f"cd {root} && env -u COLUMNS -u LINES TERM=xterm-256color {env}"  # size: the pty
    # Create the window at its size first, then start kith in it, so kith starts at that size.
    session.run("-f", "/dev/null", "new-session", "-d", "-s", "kith",
                "-x", str(WIDTH), "-y", str(HEIGHT), "sleep 120")  # fmt: skip
    session.run("respawn-pane", "-k", "-t", "kith", f"{setup} {command}; {after}")
    try:
        yield session
    finally:
        subprocess.run(["tmux", "-L", session.socket, "kill-server"], check=False)


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    folder = make_vault(tmp_path / "vault", [*PEOPLE, HOSTILE])
    with kith_in_tmux("kith-test", folder) as session:
        yield session


def test_kith_tui_in_a_real_terminal(tmux: Tmux) -> None:
    tmux.wait_for("Unlock your Kith vault")
    tmux.literal(PASSPHRASE)
    tmux.keys("Enter")
    screen = tmux.wait_for("7 contacts")
    assert "Ada Brandt" in screen and "Tenants United" in screen
    assert "[bold red]x" in screen and "Evil]0;ownedCorp" in screen  # literal, inert
    assert "\x1b" not in screen and "\x07" not in screen
    assert "owned" not in tmux.run("display-message", "-p", "-t", "kith", "#{pane_title}")

    tmux.keys("/")
    tmux.wait_for("/ Filter  ^l Lock")  # the filter box has the focus
    tmux.literal("chi")
    screen = tmux.wait_for("1 of 7 contacts")
    assert "Chiara Dumont" in screen and "Ada Brandt" not in screen

    tmux.keys("Enter")  # from the filter to the list
    tmux.wait_for("e Edit")
    tmux.keys("Enter")  # open the contact
    screen = tmux.wait_for("Family name")
    assert "Riverside Food Co-op" in screen and "volunteer, press" in screen

    tmux.keys("C-l")
    screen = tmux.wait_for("Unlock your Kith vault")
    assert "Chiara" not in screen
    tmux.keys("C-q")
    deadline = time.monotonic() + 10
    while "Unlock your Kith vault" in tmux.screen():  # the app leaves the alternate screen
        assert time.monotonic() < deadline, "kith did not quit on Ctrl+Q"
        time.sleep(0.1)
