"""Shared check for the organizing marker tests: a marker is nowhere in plaintext.

Two levels: (1) inside the open database, no cell of any table holds a marker (every value is
sealed per field, not merely protected by SQLCipher's page encryption); (2) after lock, no file
in the vault folder holds a marker in UTF-8 or UTF-16.
"""

from __future__ import annotations

from pathlib import Path

from vault.api import Vault


def cells_holding(vault: Vault, markers: list[str]) -> list[str]:
    """``table.column`` of every database cell that contains a marker (case-insensitive)."""
    store = vault.live_store
    found: list[str] = []
    wanted = [m.casefold() for m in markers]
    tables = [r[0] for r in store.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        cursor_rows = store.execute(f"SELECT * FROM {table}")
        for row in cursor_rows:
            for i, cell in enumerate(row):
                if isinstance(cell, bytes | bytearray | memoryview):
                    text = bytes(cell).decode("utf-8", "ignore").casefold()
                elif isinstance(cell, str):
                    text = cell.casefold()
                else:
                    continue
                found += [f"{table}[{i}]: {m}" for m in wanted if m in text]
    return found


def files_holding(folder: Path, markers: list[str]) -> list[str]:
    """Files under ``folder`` holding a marker in UTF-8, UTF-16-LE or UTF-16-BE."""
    needles = [m.encode(enc) for m in markers for enc in ("utf-8", "utf-16-le", "utf-16-be")]
    found: list[str] = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.name}: {n!r}" for n in needles if n in data]
    return found


def assert_sealed(vault: Vault, markers: list[str]) -> None:
    """Both levels; locks the vault."""
    assert cells_holding(vault, markers) == []
    folder = vault.path
    vault.lock()
    assert files_holding(folder, markers) == []
