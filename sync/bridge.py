"""How a vault record maps onto the sync merge model, both ways (pure; no I/O).

    desired = to_sync(record_type, vault_values)     # what the op log should say
    changes = diff(record_type, desired, merged)     # the ops' changes (None: nothing to do)
    values  = to_vault(record_change)                # what the vault should hold

A contact's multi-valued attributes (``emails``, ``phones``, ``addresses``, ``languages``,
``tags``, ``fields``) are stored by the vault as one JSON array per field; sync sees each
array item as one element of an add-wins set (DESIGN §6), encoded as compact JSON. ``notes``
is free text: sync keeps concurrent notes side by side (``note.add``), and the vault shows
them joined by a separator line so a person can merge them. Every other field is a scalar
(last writer wins).

Rules and reasons:
- Sets are compared as sets: the order of an array is not an edit, so two replicas that
  merely hold the same items in another order send nothing.
- A value that is not a JSON array where one is expected is sent as a scalar rather than
  lost (the vault's codec rejects it when read, as it would locally).
- Only contacts are synced (``SYNCED_TYPES``): records linked to them (targets, history) stay
  on this device; links are not part of the protocol yet.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from sync.bodies import AddElement, Change, ClearField, RemoveElement, SetField
from sync.changes import RecordChange

SYNCED_TYPES = frozenset({"contact"})
SET_FIELDS = frozenset({"emails", "phones", "addresses", "languages", "tags", "fields"})
NOTES_FIELD = "notes"
NOTE_SEPARATOR = "\n\n-- concurrent edit --\n\n"


@dataclass(frozen=True)
class Desired:
    """A record as the op log should describe it."""

    scalars: dict[str, bytes] = field(default_factory=dict)
    sets: dict[str, frozenset[bytes]] = field(default_factory=dict)
    notes: str = ""


def _items(raw: bytes) -> list[bytes] | None:
    try:
        parsed = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(parsed, list):
        return None
    return [json.dumps(x, ensure_ascii=False, separators=(",", ":")).encode() for x in parsed]


def to_sync(values: Mapping[str, bytes]) -> Desired:
    """The sync view of a record's opened vault fields."""
    out = Desired()
    for name, raw in values.items():
        items = _items(raw) if name in SET_FIELDS else None
        if name == NOTES_FIELD:
            object.__setattr__(out, "notes", raw.decode("utf-8", "replace"))
        elif items is not None:
            out.sets[name] = frozenset(items)
        else:
            out.scalars[name] = raw
    return out


def notes_text(change: RecordChange) -> str:
    """The notes of a merged record as one text (concurrent edits joined, oldest first)."""
    texts = [text.decode("utf-8", "replace") for _, text in change.notes if text]
    return NOTE_SEPARATOR.join(texts)


def diff(desired: Desired, merged: RecordChange | None) -> list[Change]:
    """The changes that bring ``merged`` (None if new) to ``desired`` (notes excluded)."""
    fields: Mapping[str, bytes | None] = merged.fields if merged else {}
    sets = merged.sets if merged else {}
    out: list[Change] = []
    for name, value in sorted(desired.scalars.items()):
        if fields.get(name) != value:
            out.append(SetField(name, value))
    out += [ClearField(n) for n, v in sorted(fields.items()) if v is not None
            and n not in desired.scalars]
    for name in sorted(set(desired.sets) | set(sets)):
        want = desired.sets.get(name, frozenset())
        have = sets.get(name, ())
        held = {value for _, value in have}
        out += [AddElement(name, v) for v in sorted(want - held)]
        out += [RemoveElement(name, eid) for eid, v in have if v not in want]
    return out


def to_vault(change: RecordChange) -> dict[str, bytes]:
    """The vault fields of a merged record (fields absent here are removed)."""
    out = {name: value for name, value in change.fields.items() if value is not None}
    for name in change.sets:
        items = [json.loads(v) for v in change.values(name)]
        if items:
            out[name] = json.dumps(items, ensure_ascii=False, separators=(",", ":")).encode()
    notes = notes_text(change)
    if notes:
        out[NOTES_FIELD] = notes.encode("utf-8")
    return out


def same_value(name: str, a: bytes | None, b: bytes | None) -> bool:
    """Whether two vault values of field ``name`` mean the same (sets ignore order)."""
    if a is None or b is None or name not in SET_FIELDS:
        return a == b
    items_a, items_b = _items(a), _items(b)
    if items_a is None or items_b is None:
        return a == b
    return set(items_a) == set(items_b)
