"""Tamper helpers for the packed fields of a record (``vault/core/packed.py``), for tests that
move, replay or damage one sealed field the way a database editor could.

``build`` writes the byte layout by hand (not through ``vault.core.packed``), so a test that
round-trips through it also checks the writer against the documented layout.
"""

from __future__ import annotations

from vault.core import packed
from vault.core.store import Store


def blob_of(store: Store, record_id: bytes) -> bytes:
    """The record's packed value as stored."""
    row = store.one("SELECT packed FROM records WHERE id = ?", (record_id,))
    assert row is not None
    return bytes(row[0])


def entry(store: Store, record_id: bytes, name: str) -> packed.Entry:
    """One field's entry (name, version, sealed body) of a stored record."""
    found = [e for e in packed.parse(blob_of(store, record_id)).entries if e.name == name]
    assert len(found) == 1, name
    return found[0]


def build(layout: int, seed: bytes, entries: list[tuple[bytes, int, bytes]]) -> bytes:
    """The documented layout, by hand: layout | seed | count | (len, name, version, len, body)."""
    out = bytes([layout]) + seed + len(entries).to_bytes(2, "big")
    for raw_name, version, body in entries:
        out += bytes([len(raw_name)]) + raw_name + version.to_bytes(4, "big")
        out += len(body).to_bytes(4, "big") + body
    return out


def put_entry(
    store: Store,
    record_id: bytes,
    name: str,
    *,
    body: bytes | None = None,
    version: int | None = None,
) -> None:
    """Replace one field's sealed body and/or version in place (layout, seed, order kept)."""
    parsed = packed.parse(blob_of(store, record_id))
    rows = [
        (
            e.name.encode(),
            version if e.name == name and version is not None else e.version,
            body if e.name == name and body is not None else e.body,
        )
        for e in parsed.entries
    ]
    store.execute(
        "UPDATE records SET packed = ? WHERE id = ?",
        (build(parsed.layout, parsed.seed, rows), record_id),
    )


def every_entry(store: Store) -> list[tuple[bytes, packed.Entry]]:
    """(record id, entry) of every field of every record."""
    return [
        (bytes(rid), e)
        for rid, blob in store.execute("SELECT id, packed FROM records")
        for e in packed.parse(bytes(blob)).entries
    ]
