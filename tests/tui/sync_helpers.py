"""Two organizers' vaults for the TUI sync tests (``tests/sync/pair.py``: alice shares
``Tenants`` with bob, both verified), and small readers of their sync state.

Invented people only. Identity keys can be fixed (``fixed_keys``) so safety numbers, and the
pictures that show them, are the same on every run.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from pathlib import Path

import pytest

import vault.core.identity
from tests.conftest import PASSPHRASE
from tests.sync.pair import Org, make_org, ok, pair
from tui.app import KithApp
from vault.api import Vault
from vault.domain.sync_state import SyncStore

__all__ = ["PASSPHRASE", "Org", "fixed_keys", "make_org", "ok", "ops", "pair", "segment_id"]


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
