"""Two organizers' vaults for the TUI sync tests (``tests/sync/pair.py``: alice shares
``Tenants`` with bob, both verified), and small readers of their sync state.

Invented people only. Identity keys can be fixed (``fixed_keys``) so safety numbers, and the
pictures that show them, are the same on every run.
"""

from __future__ import annotations

import threading
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import vault.core.identity
from sync import session
from sync.replica import Replica
from tests.conftest import PASSPHRASE
from tests.sync.pair import Org, make_org, ok, pair
from tui.app import KithApp
from vault.api import Vault
from vault.domain.sync_state import SyncStore

__all__ = [
    "PASSPHRASE",
    "Org",
    "Waiting",
    "fixed_keys",
    "make_org",
    "ok",
    "ops",
    "pair",
    "segment_id",
    "wait_for_one_peer",
]


@dataclass
class Waiting:
    """A peer waiting for one session (``kith sync serve``) in a thread: its port, and the
    names of the errors its side of the session ended with."""

    port: int
    thread: threading.Thread
    failures: list[str] = field(default_factory=list)


def wait_for_one_peer(folder: Path) -> Waiting:
    """The vault in ``folder`` serves one session on loopback (``session.serve``), in a thread;
    returns once it listens."""
    ports: list[int] = []
    listening = threading.Event()
    failures: list[str] = []

    def serve() -> None:
        with Vault.open(folder, PASSPHRASE) as opened:
            try:
                session.serve(lambda: Replica(opened), "127.0.0.1", 0,
                              lambda bound: (ports.append(bound), listening.set()))  # fmt: skip
            except Exception as error:  # the caller asserts on them
                failures.append(type(error).__name__)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert listening.wait(60)
    return Waiting(ports[0], thread, failures)


def ops(folder: Path, name: str = "Tenants") -> int:
    """How many signed ops the vault in ``folder`` holds for segment ``name``."""
    with Vault.open(folder, PASSPHRASE) as opened:
        found = opened.segments.find(name).id
        return SyncStore(opened.live_store, opened.keyring).log_count(found)


def segment_id(app: KithApp, name: str) -> bytes:
    """The id of segment ``name`` in the app's open vault."""
    assert app.vault is not None
    return app.vault.segments.find(name).id


@pytest.fixture
def fixed_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Device identities from a counter instead of the OS CSPRNG (stable safety numbers)."""
    counter = iter(range(1, 1_000))
    seeds = types.SimpleNamespace(urandom=lambda n: bytes([next(counter)]) * n)
    with monkeypatch.context() as patch:
        patch.setattr(vault.core.identity, "os", seeds)
        yield
