"""The contact repository: ``ContactDraft`` <-> sealed record fields.

Each attribute of a contact is one sealed field (``vault/core/records.py``), named as in the model.
Text is UTF-8; multi-valued attributes are compact JSON arrays *inside* the sealed value (JSON
never appears in associated data or signed bytes). Empty attributes are not stored at all.
Only this module knows that mapping.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from vault import ids
from vault.core.records import Record, RecordStore
from vault.domain.model import Address, Contact, ContactDraft, Email, Phone
from vault.errors import EditConflict, IntegrityError, NotFound

RECORD_TYPE = "contact"
TEXT_FIELDS = ("name", "given_name", "family_name", "org", "role", "notes")
LIST_FIELDS = ("emails", "phones", "addresses", "languages", "tags", "fields")


def encode(draft: ContactDraft) -> dict[str, bytes]:
    """The sealed-field values of a draft (empty attributes omitted)."""
    out: dict[str, bytes] = {}
    for name in TEXT_FIELDS:
        value = getattr(draft, name)
        if value:
            out[name] = value.encode("utf-8")
    lists: dict[str, Any] = {
        "emails": [[e.value, e.label] for e in draft.emails],
        "phones": [[p.value, p.label, p.valid] for p in draft.phones],
        "addresses": [
            [a.street, a.locality, a.region, a.postal_code, a.country, a.label]
            for a in draft.addresses
        ],
        "languages": list(draft.languages),
        "tags": list(draft.tags),
        "fields": [list(pair) for pair in draft.fields],
    }
    for name, value in lists.items():
        if value:
            out[name] = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return out


def three_way(
    base: Mapping[str, bytes], new: Mapping[str, bytes], current: Mapping[str, bytes]
) -> dict[str, bytes | None]:
    """The encoded attributes to store when an edit of ``base`` into ``new`` meets ``current``.

    Only attributes the edit changed appear in the result. Text: the edit's value, unless
    ``current`` changed it too (to something else): ``EditConflict``. Custom fields: the same,
    key by key. Other lists: ``current`` minus the items the edit removed, plus those it added.
    """
    out: dict[str, bytes | None] = {}
    clash: list[str] = []
    for name in sorted(new.keys() | base.keys()):
        was, now, there = base.get(name), new.get(name), current.get(name)
        if now == was:
            continue
        if name in TEXT_FIELDS:
            if there not in (was, now):
                clash.append(name)
            out[name] = now
            continue
        a, b, c = _items(was), _items(now), _items(there)
        merged = _merge_fields(a, b, c, clash) if name == "fields" else _merge_list(a, b, c)
        out[name] = _encode_items(merged)
    if clash:
        words = ", ".join(dict.fromkeys(clash))
        raise EditConflict(f"(changed elsewhere meanwhile: {words})")
    return out


def _items(value: bytes | None) -> list[Any]:
    return list(json.loads(value)) if value else []


def _encode_items(items: list[Any]) -> bytes | None:
    return json.dumps(items, ensure_ascii=False, separators=(",", ":")).encode() if items else None


def _key(item: Any) -> str:
    return json.dumps(item, sort_keys=True)


def _merge_list(was: list[Any], now: list[Any], there: list[Any]) -> list[Any]:
    old = {_key(i) for i in was}
    removed = old - {_key(i) for i in now}
    kept = [i for i in there if _key(i) not in removed]
    present = {_key(i) for i in kept}
    return kept + [i for i in now if _key(i) not in present and _key(i) not in old]


def _merge_fields(
    was: list[Any], now: list[Any], there: list[Any], clash: list[str]
) -> list[Any]:
    before, after, stored = ({str(k): str(v) for k, v in x} for x in (was, now, there))
    for field in before.keys() | after.keys():
        if before.get(field) == after.get(field):
            continue
        if stored.get(field) not in (before.get(field), after.get(field)):
            clash.append(f"custom field {field}")
        if field in after:
            stored[field] = after[field]
        else:
            stored.pop(field, None)
    return [[k, v] for k, v in stored.items()]


def decode(values: Mapping[str, bytes]) -> dict[str, Any]:
    """Model attributes from opened field values; a malformed value is an ``IntegrityError``."""
    try:
        attrs: dict[str, Any] = {
            name: values[name].decode("utf-8") for name in TEXT_FIELDS if name in values
        }
        lists = {name: json.loads(values[name]) for name in LIST_FIELDS if name in values}
        attrs["emails"] = tuple(Email(v, lab) for v, lab in lists.get("emails", ()))
        attrs["phones"] = tuple(Phone(v, lab, bool(ok)) for v, lab, ok in lists.get("phones", ()))
        attrs["addresses"] = tuple(Address(*parts) for parts in lists.get("addresses", ()))
        attrs["languages"] = tuple(str(x) for x in lists.get("languages", ()))
        attrs["tags"] = tuple(str(x) for x in lists.get("tags", ()))
        attrs["fields"] = tuple((str(k), str(v)) for k, v in lists.get("fields", ()))
    except (ValueError, TypeError, UnicodeDecodeError):
        raise IntegrityError("(a contact field is malformed)") from None
    return attrs


class ContactRepository:
    """Contacts stored as sealed records in one segment (the private one unless told)."""

    def __init__(self, records: RecordStore, home_segment: bytes) -> None:
        self.records = records
        self.home_segment = home_segment
        self.segment_names: dict[bytes, str] = {}

    def _contact(self, record: Record) -> Contact:
        return Contact(
            id=ids.full(record.id),
            segments=tuple(
                sorted(self.segment_names[s] for s in record.segments if s in self.segment_names)
            ),
            created=record.created,
            updated=record.updated,
            **decode(record.fields),
        )

    def resolve(self, prefix: str) -> bytes:
        """The id of the one contact whose id starts with ``prefix``."""
        return self.records.resolve(RECORD_TYPE, prefix, "contact")

    def add(self, draft: ContactDraft) -> Contact:
        """Store a new contact (already normalized by ``vault.domain.validate``)."""
        record_id = self.records.create(RECORD_TYPE, encode(draft), self.home_segment)
        return self.get_by_id(record_id)

    def add_many(self, drafts: list[ContactDraft]) -> list[bytes]:
        """Store many contacts in one transaction."""
        return self.records.create_many(RECORD_TYPE, (encode(d) for d in drafts), self.home_segment)

    def get_by_id(self, record_id: bytes) -> Contact:
        """One contact by full id."""
        record = self.records.get(record_id)
        if record.type != RECORD_TYPE:
            raise NotFound("(no contact with that id)")
        return self._contact(record)

    def get(self, prefix: str) -> Contact:
        """One contact by id prefix."""
        return self.get_by_id(self.resolve(prefix))

    def update(
        self, record_id: bytes, draft: ContactDraft, *, base: ContactDraft | None = None
    ) -> Contact:
        """Write only the attributes that changed (each gets a new field version).

        ``base`` is the contact as the caller read it before editing (a form, ``kith edit``).
        With it, only the attributes the caller changed (``draft`` differs from ``base``) are
        written, so a change another writer made meanwhile to any other attribute survives
        (issue 14: a TUI save used to undo a concurrent ``kith edit``). If another writer
        changed the same text attribute (or the same custom field) differently,
        ``EditConflict`` is raised and nothing is written: which edit should win is the user's
        call, not a silent guess. Lists (emails, phones, addresses, tags, languages) merge
        item by item: what the caller added is added, what it removed is removed.
        Without ``base``, every attribute that differs from the stored contact is written.
        Read and write happen in one transaction, so no other process writes in between.
        """
        new = encode(draft)
        with self.records.store.transaction():
            old = encode(self.get_by_id(record_id).draft())
            if base is None:
                wanted: dict[str, bytes | None] = {k: new.get(k) for k in new.keys() | old.keys()}
            else:
                wanted = three_way(encode(base), new, old)
            changes = {k: v for k, v in wanted.items() if old.get(k) != v}
            if changes:
                self.records.update(record_id, changes)
        return self.get_by_id(record_id)

    def delete(self, record_ids: list[bytes]) -> int:
        """Crypto-shred contacts."""
        return self.records.shred(record_ids)

    def all(self) -> Iterator[Contact]:
        """Every contact, opened and verified, streaming."""
        for record in self.records.iter_type(RECORD_TYPE):
            yield self._contact(record)

    def count(self) -> int:
        """How many contacts."""
        return self.records.count(RECORD_TYPE)
