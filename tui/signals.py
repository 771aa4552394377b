"""SIGTERM and SIGHUP take the same path as Ctrl-C (issue 14, item 3).

Python turns SIGINT into ``KeyboardInterrupt``, so every ``finally`` block and every
``except BaseException`` cleanup runs: a transaction rolls back, a partial export is
overwritten and unlinked, a restore's scratch folder is removed. By default SIGTERM (``kill``,
a shutdown, a process manager) and SIGHUP (the terminal closed) kill the process with no
cleanup at all, which once left 73-317 KB of plaintext behind a ``kith export``. Here both
raise ``Terminated``, a ``KeyboardInterrupt``, so they take exactly the Ctrl-C path; the CLI
then exits 128 + the signal number, as a shell reports a process killed by it.

The handlers are installed for one CLI run and the previous ones restored after it (the
in-process test runner and the TUI keep their own). Only the main thread can set handlers;
elsewhere nothing is changed.

The TUI adds a deadline (``deadline_after_signal``): the Ctrl-C path still runs first, but a
TUI whose terminal is gone must not outlive it holding an unlocked vault. Seen in test runs on
a loaded machine: `kith tui` processes left spinning after their tmux server was killed, with
both signals ignored (the handler ignores a second signal so that cleanup is not interrupted,
and the shutdown never ended). So ``GRACE_SECONDS`` after the signal, if the process still
runs, the vault is locked (its keys wiped) and the process exits at once with 128 + the
signal number. CLI commands get no such deadline: their cleanup (overwriting a partial
plaintext export) must be allowed to finish.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType

SIGNALS = (signal.SIGTERM, signal.SIGHUP)
GRACE_SECONDS = 5.0
HANG_ENV = "KITH_TEST_HANG_AT"


class Terminated(KeyboardInterrupt):
    """The process was asked to stop by a signal (SIGTERM or SIGHUP)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise(signum: int, frame: FrameType | None) -> None:
    for sig in SIGNALS:  # a second signal during cleanup must not interrupt the cleanup
        signal.signal(sig, signal.SIG_IGN)
    raise Terminated(signum)


@contextlib.contextmanager
def terminate_like_ctrl_c() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise ``Terminated``."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in SIGNALS}
    for sig in SIGNALS:
        signal.signal(sig, _raise)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def deadline_after_signal(
    last_words: Callable[[], None], grace: float = GRACE_SECONDS
) -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP take the Ctrl-C path (``Terminated``) and, if the
    process still runs ``grace`` seconds later, ``last_words`` runs (the TUI locks its vault)
    and the process exits with 128 + the signal number, whatever its shutdown is waiting on."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def last_resort(signum: int) -> None:
        time.sleep(grace)
        try:
            last_words()
        finally:
            os._exit(128 + signum)

    def handler(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=last_resort, args=(signum,), daemon=True,
                         name="kith-signal-deadline").start()  # fmt: skip
        _raise(signum, frame)

    previous = {sig: signal.getsignal(sig) for sig in SIGNALS}
    for sig in SIGNALS:
        signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def hang_point(name: str) -> None:
    """Tests only: block here for good when ``KITH_TEST_HANG_AT`` equals ``name``, standing in
    for a shutdown that never ends (``tests/tui/test_tmux_hangup.py``)."""
    if os.environ.get(HANG_ENV) == name:
        while True:
            time.sleep(60)
