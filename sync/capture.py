"""After a local write: turn edits of shared records into signed ops, the same way for every
writer (the CLI's commands and the TUI's forms share this one policy, issue 15).

    capture_after_write(vault) -> int    ops captured now (0: nothing shared, or left for later)

Rules and reasons:
- Nothing shared, nothing to do: a vault that shares no segment never loads the sync state, so
  private work pays nothing for sync.
- Above ``AFTER_WRITE_MAX_OPS`` ops held, the capture is left to the next sync command: loading
  the replica costs about 0.2 ms per op (docs/performance.md), too much to pay after every
  keystroke-sized edit; the next sync command finds the change by its fingerprint all the same.
- A failure here never undoes the write (it is already committed): it is raised for the caller
  to report as a warning, and the next sync command captures the change.
"""

from __future__ import annotations

from sync import runner
from sync.replica import SEGMENT_PREFIX, Replica
from vault import Vault
from vault.domain.sync_state import SyncStore

__all__ = ["AFTER_WRITE_MAX_OPS", "capture_after_write"]

AFTER_WRITE_MAX_OPS = 20_000


def capture_after_write(vault: Vault) -> int:
    """Capture local edits of shared records as signed ops now, when that is cheap."""
    store = SyncStore(vault.live_store, vault.keyring)
    names = store.blob_names(SEGMENT_PREFIX)
    if not names:
        return 0
    held = sum(store.log_count(bytes.fromhex(n[len(SEGMENT_PREFIX):])) for n in names)
    if held > AFTER_WRITE_MAX_OPS:
        return 0
    replica = Replica(vault)
    captured = runner.capture_all(replica, runner.now_ms())
    if captured:
        replica.save()
    return int(captured)
