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
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

SIGNALS = (signal.SIGTERM, signal.SIGHUP)


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
