"""After a local write: turn edits of shared records into signed ops, the same way for every
writer (the CLI's commands and the TUI's forms share this one policy, issue 15).

    capture_after_write(vault) -> int    ops captured now (0: nothing shared, or left for later)

Rules and reasons:
- Nothing shared, nothing to do: a vault that shares no segment never loads the sync state, so
  private work pays nothing for sync.
- Above ``AFTER_WRITE_MAX_OPS`` ops held, the capture is left to the next sync command: loading
  the replica costs about 0.2 ms per op (docs/performance.md), too much to pay after every
  keystroke-sized edit; the next sync command finds the change by its fingerprint all the same.
- The sync engine is imported only past the cheap check, so ``kith add``/``edit``/``delete``
  on a vault that shares nothing do not pay its start-up (issue 12 §3).
- A failure here never undoes the write (it is already committed): it is raised for the caller
  to report as a warning, and the next sync command captures the change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vault.domain.sync_state import SyncStore

if TYPE_CHECKING:
    from vault import Vault

__all__ = ["AFTER_WRITE_MAX_OPS", "capture_after_write"]

AFTER_WRITE_MAX_OPS = 20_000
SEGMENT_PREFIX = "segment:"
"""``sync.replica.SEGMENT_PREFIX``, repeated so that a vault sharing nothing never imports the
sync engine (start-up of ``kith add``/``delete``, issue 12 §3; equality pinned by a test)."""


def capture_after_write(vault: Vault) -> int:
    """Capture local edits of shared records as signed ops now, when that is cheap."""
    store = SyncStore(vault.live_store, vault.keyring)
    names = store.blob_names(SEGMENT_PREFIX)
    if not names:
        return 0
    held = sum(store.log_count(bytes.fromhex(n[len(SEGMENT_PREFIX):])) for n in names)
    if held > AFTER_WRITE_MAX_OPS:
        return 0
    from sync import runner  # the sync engine, loaded only when something is shared
    from sync.replica import Replica

    replica = Replica(vault)
    captured = runner.capture_all(replica, runner.now_ms())
    if captured:
        replica.save()
    return int(captured)
