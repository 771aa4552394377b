"""After a local write from the command line: queue shared records for sync (issue 7).

Its own small module so that ``kith add``, ``edit`` and ``delete`` do not import every sync
command at start (issue 12 §3: process start-up); ``sync.capture`` loads the sync engine only
when the vault shares a segment.
"""

from __future__ import annotations

import click

from sync.capture import capture_after_write
from vault import Vault
from vault.errors import KithError


def after_write(vault: Vault) -> None:
    """Turn local edits of shared records into signed ops now (``sync.capture``: the policy the
    TUI shares); a failure is a warning, since the edit itself is saved."""
    try:
        capture_after_write(vault)
    except KithError as error:  # the edit itself is saved; the next sync command retries
        click.echo(
            f"warning: the change is saved but not yet queued for sync: {error.message}", err=True
        )
