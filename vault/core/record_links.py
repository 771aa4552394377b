"""The links between records: who an interaction is about, who signed up for an event.

A link is ``(record, target, role, dependent)`` in the ``links`` table (plaintext inside the
encrypted database: see ``vault/core/schema.py``). ``dependent``: the record exists only because
of the target (an interaction about a contact, a relationship between two contacts), so
shredding the target shreds it too (``RecordStore.shred`` follows ``dependents``).

This is a mixin of ``RecordStore``: it needs only ``self.store``.
"""

from __future__ import annotations

from collections.abc import Iterable

from vault.core.store import Store


class RecordLinks:
    """Link queries and changes on ``self.store``."""

    store: Store

    def link(self, record_id: bytes, target_id: bytes, role: str, *, dependent: bool) -> None:
        """Record that ``record_id`` refers to ``target_id`` in ``role``.

        ``dependent`` means ``record_id`` exists only because of ``target_id`` (an interaction
        about a contact, a relationship between two contacts): shredding the target shreds it.
        """
        self.store.execute(
            "INSERT OR IGNORE INTO links (record_id, target_id, role, dependent) VALUES (?,?,?,?)",
            (record_id, target_id, role, int(dependent)),
        )

    def unlink(self, record_id: bytes, target_id: bytes, role: str) -> None:
        """Remove one link."""
        self.store.execute(
            "DELETE FROM links WHERE record_id = ? AND target_id = ? AND role = ?",
            (record_id, target_id, role),
        )

    def linked_to(self, target_id: bytes, role: str | None = None) -> list[bytes]:
        """Ids of records that link to ``target_id`` (in ``role`` if given)."""
        if role is None:
            rows = self.store.execute(
                "SELECT record_id FROM links WHERE target_id = ?", (target_id,)
            )
        else:
            rows = self.store.execute(
                "SELECT record_id FROM links WHERE target_id = ? AND role = ?", (target_id, role)
            )
        return [bytes(r[0]) for r in rows]

    def relink(self, old: bytes, new: bytes) -> None:
        """Point every link from or to ``old`` at ``new`` instead (merging contacts, issue 3).

        A link ``new`` already has is kept once; a link that would join ``new`` to itself is
        dropped. Dependents of ``old`` become dependents of ``new``, so shredding ``old``
        afterwards shreds nothing else.
        """
        with self.store.transaction():
            self.store.execute(
                "UPDATE OR IGNORE links SET target_id = ? WHERE target_id = ?", (new, old)
            )
            self.store.execute(
                "UPDATE OR IGNORE links SET record_id = ? WHERE record_id = ?", (new, old)
            )
            self.store.execute("DELETE FROM links WHERE record_id = ? OR target_id = ?", (old, old))
            self.store.execute(
                "DELETE FROM links WHERE record_id = ? AND target_id = ?", (new, new)
            )

    def links_from(self, record_id: bytes, role: str | None = None) -> list[bytes]:
        """Ids of records that ``record_id`` links to (in ``role`` if given)."""
        if role is None:
            rows = self.store.execute(
                "SELECT target_id FROM links WHERE record_id = ?", (record_id,)
            )
        else:
            rows = self.store.execute(
                "SELECT target_id FROM links WHERE record_id = ? AND role = ?", (record_id, role)
            )
        return [bytes(r[0]) for r in rows]

    def dependents(self, record_ids: Iterable[bytes]) -> set[bytes]:
        """``record_ids`` plus, transitively, every record that depends on them."""
        found: set[bytes] = set()
        todo = list(record_ids)
        while todo:
            current = todo.pop()
            if current in found:
                continue
            found.add(current)
            todo.extend(
                bytes(r[0])
                for r in self.store.execute(
                    "SELECT record_id FROM links WHERE target_id = ? AND dependent = 1", (current,)
                )
            )
        return found

    def links_of_type(self, record_type: str, role: str) -> list[tuple[bytes, bytes]]:
        """(record id, target id) of every ``role`` link from a record of ``record_type``."""
        rows = self.store.execute(
            "SELECT l.record_id, l.target_id FROM links l JOIN records r ON r.id = l.record_id "
            "WHERE r.type = ? AND l.role = ?",
            (record_type, role),
        )
        return [(bytes(r[0]), bytes(r[1])) for r in rows]
