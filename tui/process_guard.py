"""Process hardening at startup: no core dumps, and not dumpable (issue 12).

Why: while Kith runs, its memory holds decrypted contacts and keys. A core dump writes that
memory to disk in plaintext, and one is a keystroke away: Ctrl-\\ at any prompt sends SIGQUIT,
whose default action is to dump core. So before anything else the ``kith`` entry point (the CLI
and the TUI alike) calls ``harden()``:

- ``RLIMIT_CORE`` soft *and* hard limits to 0: the kernel writes no core file, and nothing later
  in the process (a library) can raise the limit again. Children inherit the limit.
- ``prctl(PR_SET_DUMPABLE, 0)`` (Linux, through ctypes on libc): no core even where the limit is
  not consulted (a ``core_pattern`` pipe), and other processes of the same user can no longer
  attach a debugger or read ``/proc/PID/mem``, ``environ`` or ``maps``. Root, or anyone with
  ``CAP_SYS_PTRACE``, still can: see docs/threat-model.md.

Where a call is not available (not Linux, not POSIX) it is skipped and ``status()`` says so;
hardening never stops Kith from starting.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import sys
from dataclasses import dataclass

try:
    import resource
except ImportError:  # pragma: no cover - not POSIX
    resource = None  # type: ignore[assignment]

PR_GET_DUMPABLE = 3
PR_SET_DUMPABLE = 4


@dataclass(frozen=True)
class Status:
    """What the running process is protected by."""

    core_limit: tuple[int, int] | None  # (soft, hard); None where unknown
    dumpable: bool | None  # None where unknown (not Linux)

    @property
    def core_dumps_off(self) -> bool:
        """True when the kernel will write no core file for this process."""
        return self.core_limit == (0, 0) or self.dumpable is False

    def to_json(self) -> dict[str, object]:
        """For ``kith info --json``."""
        return {
            "core_limit": list(self.core_limit) if self.core_limit is not None else None,
            "dumpable": self.dumpable,
            "core_dumps": "off" if self.core_dumps_off else "on",
        }


def _prctl(option: int, value: int = 0) -> int | None:
    """``prctl(option, value)`` through libc on Linux; None elsewhere or on failure."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        result = int(libc.prctl(option, value, 0, 0, 0))
    except (OSError, AttributeError):
        return None
    return None if result < 0 else result


def harden() -> Status:
    """Turn core dumps off and make the process non-dumpable, as far as this system allows."""
    if resource is not None:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _prctl(PR_SET_DUMPABLE, 0)
    return status()


def status() -> Status:
    """The protections in force now."""
    limit: tuple[int, int] | None = None
    if resource is not None:
        with contextlib.suppress(ValueError, OSError):
            soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
            limit = (int(soft), int(hard))
    flag = _prctl(PR_GET_DUMPABLE)
    return Status(core_limit=limit, dumpable=None if flag is None else bool(flag))
