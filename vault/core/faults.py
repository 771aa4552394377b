"""Crash points for the tests that kill Kith between two writes (issue 12).

``crash_point(name)`` kills the process with SIGKILL, at once and without cleanup, when the
environment variable ``KITH_TEST_CRASH_AT`` equals ``name``; otherwise it does nothing. Only the
real-process tests set it (``tests/vault/core/test_passwd_rotation.py``,
``tests/vault/core/test_erasure_attacks.py``, ``tests/vault/core/test_search_chunk_erasure.py``);
the names are the places listed in docs/storage-format.md ("Crash safety").
"""

from __future__ import annotations

import os
import signal

ENV = "KITH_TEST_CRASH_AT"


def crash_point(name: str) -> None:
    """Die here if a test asked for it."""
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
