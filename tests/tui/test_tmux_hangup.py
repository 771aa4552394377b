"""A TUI never outlives a termination signal holding an unlocked vault (tui/signals.py).

`kith tui` runs in tmux and is unlocked; its shutdown is made to hang for good
(``KITH_TEST_HANG_AT=tui-exit``, standing in for a shutdown stuck on a terminal that is gone,
as seen in loaded test runs where `kith tui` processes kept spinning with both signals
ignored). SIGTERM or SIGHUP must still end the process within the grace period, with 128 + the
signal number. Without the deadline the process stays, and this test fails.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui.app_helpers import PASSPHRASE, PEOPLE, make_vault
from tests.tui.test_tmux_smoke import Tmux, kith_in_tmux, pytestmark  # noqa: F401
from tui.signals import GRACE_SECONDS, HANG_ENV

WAIT = 60.0


@pytest.fixture
def hanging(tmp_path: Path) -> Iterator[tuple[Tmux, Path]]:
    folder = make_vault(tmp_path / "vault", PEOPLE)
    status = tmp_path / "status"
    after = f"echo $? > {shlex.quote(str(status))}; sleep 60"
    with kith_in_tmux("kith-hup", folder, env=f"{HANG_ENV}=tui-exit", after=after) as session:
        yield session, status


def _kith_pid(tmux: Tmux) -> int:
    shell = tmux.run("display-message", "-p", "-t", "kith", "#{pane_pid}").strip()
    children = subprocess.run(["pgrep", "-P", shell], capture_output=True, text=True,
                              check=True).stdout.split()  # fmt: skip
    assert len(children) == 1, children
    return int(children[0])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_ends_the_tui_even_when_its_shutdown_hangs(
    hanging: tuple[Tmux, Path], signum: signal.Signals
) -> None:
    tmux, status = hanging
    tmux.wait_for("Unlock your Kith vault", WAIT)
    tmux.literal(PASSPHRASE)
    tmux.keys("Enter")
    tmux.wait_for("contacts", WAIT)
    pid = _kith_pid(tmux)
    os.kill(pid, signum)
    deadline = time.monotonic() + GRACE_SECONDS + WAIT
    while not status.exists() or not status.read_text().strip():
        assert time.monotonic() < deadline, "kith tui outlived the signal"
        time.sleep(0.2)
    assert status.read_text().strip() == str(128 + signum)
    assert not _alive(pid)
