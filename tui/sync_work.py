"""Sync from the TUI: the CLI's own sync functions, run in a worker thread, with result lines.

    sync_target(vault, "~/usb" | "relay:https://...", mode, progress)   kith sync pull + push
    sync_relays(vault, progress)                                       kith sync (configured relays)
    sync_connect(vault, "HOST:PORT", peer, progress)                  kith sync connect
    sync_serve(vault, "HOST:PORT", progress, stop)                     kith sync serve
    capture_unless_syncing(vault) -> "" | why not                       the after-write capture

Rules and reasons:
- Nothing here has rules of its own: capture, sealed bundles, the refusal of unknown,
  unverified or halted peers and every receive check are those of ``sync.runner``,
  ``sync.session`` and ``sync.relay_runner``, called exactly as ``kith sync`` calls them. The
  result lines say what the CLI says (``tui/commands/sync_cmds.py``), word for word where it
  can.
- One sync at a time per process (``SYNC_LOCK``): each run loads its own ``Replica`` and saves
  it whole, so two at once (a sync and a capture after an edit) could save over each other's
  ops. A capture asked for while a sync runs is left for the next sync, which finds the change
  by its fingerprint (``sync.capture``): the edit itself is already saved.
- ``sync_serve`` can be stopped: ``ServeStop.stop`` wakes the listening socket by connecting
  to it and hanging up, which ends the one session ``sync.session.serve`` waits for.
- A folder that cannot be used is one line (the OS's reason, or the CLI's disk-full line);
  no path or file name of a bundle is shown.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sync import relay_runner, runner, session
from sync.capture import capture_after_write
from sync.replica import Replica
from sync.transports.relay import RelayClient, is_relay, parse_address
from sync.welcomes import Received
from tui.errors import SyncRunning
from tui.safe_text import safe
from vault.api import Vault
from vault.errors import DiskFull, InvalidInput, KithError

__all__ = [
    "MODES",
    "SYNC_LOCK",
    "Outcome",
    "ServeStop",
    "capture_unless_syncing",
    "closed_under",
    "host_port",
    "sync_connect",
    "sync_relays",
    "sync_serve",
    "sync_target",
    "sync_turn",
    "taken_lines",
]

Progress = Callable[[str, int, int], None]

SYNC_LOCK = threading.Lock()
"""Held by every sync, share, unshare and verify run from the TUI, and by captures."""

MODES = (("Pull, then push", "both"), ("Pull only", "pull"), ("Push only", "push"))


@dataclass
class Outcome:
    """What a run did: lines for the person, whether it all went well, whether records
    changed (the contact list is then read again)."""

    lines: list[str] = field(default_factory=list)
    ok: bool = True
    changed: bool = False


@contextlib.contextmanager
def sync_turn() -> Iterator[None]:
    """Hold ``SYNC_LOCK`` for a short change (share, unshare, verify, add a peer), or raise
    ``SyncRunning`` at once: a wait for a peer may hold it for minutes."""
    if not SYNC_LOCK.acquire(blocking=False):
        raise SyncRunning
    try:
        yield
    finally:
        SYNC_LOCK.release()


def closed_under(app: object, vault: Vault) -> bool:
    """Whether the app locked (closed `vault`) while work on it ran in a worker thread: the
    worker's failure is then expected, and nothing is left to report."""
    return getattr(app, "vault", None) is not vault


def capture_unless_syncing(vault: Vault) -> str:
    """The CLI's after-write capture, unless a sync is running; "" or why it did not happen."""
    if not SYNC_LOCK.acquire(blocking=False):
        return "a sync is running; the next sync queues it"
    try:
        capture_after_write(vault)
    except KithError as error:
        return error.message
    finally:
        SYNC_LOCK.release()
    return ""


def taken_lines(taken: list[Received], outcome: Outcome) -> None:
    """The CLI's report of received bundles (``sync_cmds._report``), into ``outcome``."""
    applied = sum(1 for t in taken if t.applied)
    refused = [t for t in taken if t.error is not None]
    for item in refused:
        assert item.error is not None
        outcome.lines.append(f"refused a {item.kind} at {item.step}: {item.error.message}")
        if not item.retryable:
            outcome.ok = False
    voided = sum(t.voided for t in taken)
    if voided:
        outcome.lines.append(f"{voided} change(s) by someone removed, or without the role, "
                             "were logged without effect")  # fmt: skip
    for by, name in sorted({(t.removed_by, t.removed_from or "a shared segment")
                            for t in taken if t.removed_by is not None}):  # fmt: skip
        outcome.lines.append(f"you were removed from {safe(name)} by {safe(by)}: its later "
                             "changes will not reach you, and yours are no longer sent")
    for name in sorted({f for t in taken for f in t.forks}):
        outcome.lines.append(f"warning: {safe(name)} signed two histories: their changes are "
                             "on hold")  # fmt: skip
    outcome.lines.append(f"took {applied} file(s), refused {len(refused)}")
    outcome.changed = outcome.changed or applied > 0


def _folder_error(error: OSError) -> KithError:
    if error.errno == errno.ENOSPC:
        return DiskFull()
    return InvalidInput(f"(cannot use that folder: {error.strerror or 'error'})")


def sync_target(vault: Vault, target: str, mode: str, progress: Progress) -> Outcome:
    """``kith sync pull TARGET`` then ``kith sync push TARGET`` (or one of them): TARGET is a
    folder or ``relay:URL``."""
    text = target.strip()
    if not text:
        raise InvalidInput("(give a folder, e.g. on a USB stick, or relay:https://HOST)")
    relay = is_relay(text)
    address = parse_address(text) if relay else ""
    path = Path(os.path.expanduser(text))
    steps = 2 if mode == "both" else 1
    outcome = Outcome()
    with SYNC_LOCK:
        replica = Replica(vault)
        try:
            with RelayClient(address) if relay else contextlib.nullcontext() as client:
                done = 0
                if mode in ("both", "pull"):
                    progress("Pulling: taking new files...", done, steps)
                    pulled = (relay_runner.pull_relay(replica, client) if client is not None
                              else runner.pull_folder(replica, path))  # fmt: skip
                    done += 1
                    if pulled.ignored:
                        outcome.lines.append(f"{pulled.ignored} file(s) are not Kith sync files "
                                             "or are over 64 MiB: ignored from now on")  # fmt: skip
                    if pulled.unopened:
                        outcome.lines.append(
                            f"{pulled.unopened} file(s) could not be opened (for a segment you "
                            "do not hold, damaged, or not readable yet): kept for the next pull"
                        )
                    taken_lines(pulled.taken, outcome)
                if mode in ("both", "push"):
                    progress("Pushing: writing what others lack...", done, steps)
                    pushed = (relay_runner.push_relay(replica, client) if client is not None
                              else runner.push_folder(replica, path))  # fmt: skip
                    for segment in pushed.skipped:
                        outcome.lines.append(f"skipped segment {segment[:12]}: a member's key "
                                             "changed (verify them)")  # fmt: skip
                    outcome.lines.append(f"wrote {pushed.written} file(s)")
                progress("Done.", steps, steps)
        except OSError as error:
            raise _folder_error(error) from None
    return outcome


def sync_relays(vault: Vault, progress: Progress) -> Outcome:
    """``kith sync``: pull then push through every relay set with ``kith sync relay set``
    (``relay_runner.sync_configured``); one relay that fails is a line, the others still run."""
    outcome = Outcome()
    with SYNC_LOCK:
        progress("Syncing through the configured relays...", 0, 1)
        rounds = relay_runner.sync_configured(Replica(vault))
        taken = [t for turn in rounds if turn.pulled is not None for t in turn.pulled.taken]
        for turn in rounds:
            if turn.error is not None:
                outcome.lines.append(f"relay:{safe(turn.base)}: {turn.error.message}")
                outcome.ok = False
            elif turn.pulled is not None and turn.pushed is not None:
                applied = sum(1 for t in turn.pulled.taken if t.applied)
                outcome.lines.append(f"relay:{safe(turn.base)}: took {applied}, "
                                     f"wrote {turn.pushed.written} file(s)")  # fmt: skip
        taken_lines(taken, outcome)
        progress("Done.", 1, 1)
    return outcome


def host_port(text: str) -> tuple[str, int]:
    """HOST:PORT, as the CLI reads it; ``InvalidInput`` if not."""
    host, _, port = text.strip().rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535:
        raise InvalidInput("(use HOST:PORT, e.g. 192.168.1.20:7000)")
    return host.strip("[]"), int(port)


def _session_lines(report: session.SessionReport, outcome: Outcome) -> Outcome:
    outcome.lines.append(f"synced with {safe(report.peer)}: sent {report.sent} bundle(s)")
    taken_lines(report.taken, outcome)
    return outcome


def sync_connect(vault: Vault, address: str, peer: str, progress: Progress) -> Outcome:
    """``kith sync connect HOST:PORT [--peer NAME]``."""
    host, port = host_port(address)
    with SYNC_LOCK:
        progress(f"Connecting to {host}:{port}...", 0, 1)
        report = session.connect(Replica(vault), host, port, peer.strip() or None)
        progress("Done.", 1, 1)
    return _session_lines(report, Outcome())


class ServeStop:
    """Stops a ``sync_serve`` that waits for a peer (from the UI thread)."""

    def __init__(self) -> None:
        self.stopped = False
        self.address: tuple[str, int] | None = None

    def stop(self) -> None:
        """Wake the listening socket: the session it accepts ends at once."""
        self.stopped = True
        if self.address is None:
            return
        host, port = self.address
        anywhere = host in ("", "0.0.0.0")  # noqa: S104 - which address wakes a wildcard listener
        wake = "127.0.0.1" if anywhere else "::1" if host == "::" else host
        with contextlib.suppress(OSError), socket.create_connection((wake, port), timeout=2):
            pass


def sync_serve(vault: Vault, listen: str, progress: Progress, stop: ServeStop) -> Outcome:
    """``kith sync serve --listen HOST:PORT``: wait for one peer, and sync with it."""
    host, port = host_port(listen)
    reports: list[session.SessionReport] = []

    def listening(bound: int) -> None:
        stop.address = (host, bound)
        progress(f"Listening on {host}:{bound}: on the other device run "
                 f"`kith sync connect HOST:{bound}` (Close stops waiting)", 0, 1)  # fmt: skip

    with SYNC_LOCK:
        try:
            session.serve(lambda: Replica(vault), host, port, listening,
                          on_session=reports.append)  # fmt: skip
        except KithError:
            if stop.stopped:
                return Outcome(["Stopped: no one synced."], ok=True)
            raise
        except OSError as error:  # the address is taken, or not this machine's
            raise InvalidInput(f"(cannot listen there: {error.strerror or 'error'})") from None
    progress("Done.", 1, 1)
    return _session_lines(reports[0], Outcome())
