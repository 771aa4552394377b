"""Merging contacts: one person entered twice becomes one contact, losing nothing.

Used by ``kith merge`` (``merge_contacts``) and by imports (``merge_drafts``: a file row that
matches a contact, or two rows of one file that match each other).

Rules for the fields (``merge_drafts(base, extra)``), with their reasons:
- Multi-valued fields are unions, ``base`` first: emails (compared casefolded), phones (by E.164,
  or by the text kept for a number that did not parse), addresses (by their five parts, label
  ignored), tags and languages (casefolded). Nothing anyone typed is dropped.
- Scalars (name, given and family name, organization, role) are filled only where ``base`` is
  empty: the contact already in the vault was curated by a person; a file is not.
- Notes: ``extra``'s notes are appended after a blank line unless ``base`` already contains them,
  so merging the same thing twice changes nothing (imports must be idempotent).
- Custom fields: a value already present under the same key (or its numbered variants ``key 2``,
  ``key 3``) is not repeated; a different value under a taken key gets the next number.
- A merge that would pass the model's limits (100 emails, 64 KiB of notes...) is refused
  (``fits``); the caller reports it.

Rules for ``merge_contacts`` (the vault side), with their reasons:
- Everything happens in one transaction, then the file is vacuumed: all or nothing.
- Links (interactions, relationships, event sign-ups and attendance, preferences) that pointed at
  a merged-away contact point at the kept one (``RecordStore.relink``); a relationship between
  two of the merged contacts would relate the kept contact to itself, so it is shredded.
- The kept contact joins every segment the others were in (so no member loses sight of it).
- Preferences: if several contacts have them, they are combined into the kept one's record:
  a rule denied by any is denied (consent must never be widened by a merge), do-not-contact if
  any, the strictest frequency, and every consent entry, oldest first, plus one saying "merged".
- Targets: if more than one contact is a target the merge is refused (``MergeConflict``): two
  institutions and stances cannot be combined without a person deciding.
- Retention: the kept contact takes the earliest expiry any of them had, for the whole contact
  and per field (someone decided that data should go by then; a merge must not keep it
  longer). Then the merged-away contacts are crypto-shredded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from functools import reduce
from typing import TYPE_CHECKING

from vault.domain import preferences as prefs_mod
from vault.domain import relationships
from vault.domain.dates import last_kept_day
from vault.domain.model import Address, Contact, ContactDraft
from vault.domain.retention import CUSTOM_PREFIX, ContactRetention
from vault.domain.segments import TARGET_ROLE
from vault.domain.validate import MAX_ITEMS, MAX_NOTES
from vault.errors import InvalidInput, MergeConflict, NothingToMerge

if TYPE_CHECKING:
    from vault.api import Vault

_SCALARS = ("name", "given_name", "family_name", "org", "role")
_FREQUENCY_ORDER = {"": 0, "daily": 1, "weekly": 2, "monthly": 3}
_MAX_KEY = 64


def _address_key(a: Address) -> tuple[str, ...]:
    return tuple(x.casefold() for x in (a.street, a.locality, a.region, a.postal_code, a.country))


def _union(base: tuple[str, ...], extra: tuple[str, ...]) -> tuple[str, ...]:
    seen = {x.casefold() for x in base}
    out = list(base)
    for item in extra:
        if item.casefold() not in seen:
            seen.add(item.casefold())
            out.append(item)
    return tuple(out)


def merge_fields(
    base: tuple[tuple[str, str], ...], extra: tuple[tuple[str, str], ...]
) -> tuple[tuple[str, str], ...]:
    """Custom fields of both, each value once; a clash of keys numbers the newcomer."""
    out = dict(base)
    for key, value in extra:
        variant = re.compile(re.escape(key) + r"(?: \d+)?")
        if any(v == value and variant.fullmatch(k) for k, v in out.items()):
            continue
        if key not in out:
            out[key] = value
            continue
        n = 2
        while f"{key[: _MAX_KEY - 6]} {n}" in out:
            n += 1
        out[f"{key[: _MAX_KEY - 6]} {n}"] = value
    return tuple(out.items())


def merge_notes(base: str, extra: str) -> str:
    """``base``, then ``extra`` after a blank line unless ``base`` already holds it."""
    if not extra or extra in base:
        return base
    return f"{base}\n\n{extra}" if base else extra


def merge_drafts(base: ContactDraft, extra: ContactDraft) -> ContactDraft:
    """``base`` with every value of ``extra`` it lacks (rules in the module docstring)."""
    emails = {e.value.casefold() for e in base.emails}
    phones = {p.value for p in base.phones}
    addresses = {_address_key(a) for a in base.addresses}
    scalars = {name: getattr(base, name) or getattr(extra, name) for name in _SCALARS}
    return replace(
        base,
        **scalars,
        emails=base.emails + tuple(e for e in extra.emails if e.value.casefold() not in emails),
        phones=base.phones + tuple(p for p in extra.phones if p.value not in phones),
        addresses=base.addresses
        + tuple(a for a in extra.addresses if _address_key(a) not in addresses),
        languages=_union(base.languages, extra.languages),
        tags=_union(base.tags, extra.tags),
        notes=merge_notes(base.notes, extra.notes),
        fields=merge_fields(base.fields, extra.fields),
    )


def fits(draft: ContactDraft) -> str | None:
    """Why ``draft`` cannot be stored after a merge (``vault/domain/validate.py``), or None."""
    for many, what in ((draft.emails, "emails"), (draft.phones, "phones"),
                       (draft.addresses, "addresses"), (draft.tags, "tags")):  # fmt: skip
        if len(many) > MAX_ITEMS:
            return f"merging would give more than {MAX_ITEMS} {what}"
    if len(draft.notes) > MAX_NOTES:
        return "merging would make the notes longer than 64 KiB"
    return None


def combine_preferences(
    contact: str, parts: list[prefs_mod.Preferences], now: int
) -> prefs_mod.Preferences:
    """Several contacts' preferences as one: deny wins, strictest frequency, every consent entry."""
    rules: dict[str, bool] = {}
    for part in parts:
        for rule, allowed in part.rules:
            rules[rule] = rules.get(rule, True) and allowed
    frequency = max((p.max_frequency for p in parts), key=lambda f: _FREQUENCY_ORDER.get(f, 0))
    consent = sorted((c for p in parts for c in p.consent), key=lambda c: c.at)
    note = prefs_mod.Consent(
        at=now, source="merge", changes=(f"merged the preferences of {len(parts)} contacts",)
    )
    return prefs_mod.Preferences(
        contact=contact,
        rules=tuple(sorted(rules.items())),
        max_frequency=frequency,
        do_not_contact=any(p.do_not_contact for p in parts),
        consent=(*consent, note),
        recorded=True,
    )


def _owned(vault: Vault, contact_id: bytes, role: str, record_type: str) -> list[bytes]:
    records = vault.records
    return [r for r in records.linked_to(contact_id, role) if records.type_of(r) == record_type]


def _keep_earliest_expiry(vault: Vault, keep_id: bytes, rules: list[ContactRetention]) -> None:
    """The kept contact expires (whole or per field) at the earliest date any of them had."""
    dates = [r.expires for r in rules if r.expires is not None]
    if dates and (rules[0].expires is None or min(dates) < rules[0].expires):
        vault.records.set_expiry(keep_id, min(dates))
    kept = dict(rules[0].fields)
    for key, expires in sorted((k, v) for r in rules[1:] for k, v in r.fields.items()):
        if key not in kept or expires < kept[key]:
            kept[key] = expires
            day = last_kept_day(expires)
            vault.retention.retain_field(keep_id, key.removeprefix(CUSTOM_PREFIX), day)


def merge_contacts(vault: Vault, keep_id: bytes, other_ids: Iterable[bytes], now: int) -> Contact:
    """Merge ``other_ids`` into ``keep_id`` (rules in the module docstring); returns the result."""
    others = list(dict.fromkeys(o for o in other_ids if o != keep_id))
    if not others:
        raise NothingToMerge
    repo, records, store = vault.contacts, vault.records, vault.live_store
    everyone = [keep_id, *others]
    contacts = [repo.get_by_id(c) for c in everyone]
    merged = reduce(merge_drafts, (c.draft() for c in contacts[1:]), contacts[0].draft())
    problem = fits(merged)
    if problem:
        raise InvalidInput(f"({problem})")
    if sum(1 for c in everyone if records.linked_to(c, TARGET_ROLE)) > 1:
        raise MergeConflict
    pref_records = [
        (c, r) for c in everyone for r in _owned(vault, c, prefs_mod.ROLE, prefs_mod.RECORD_TYPE)
    ]
    retention = vault.retention
    rules = [retention.of_contact(c) for c in everyone]
    with store.transaction():
        repo.update(keep_id, merged)
        _keep_earliest_expiry(vault, keep_id, rules)
        for other in others:
            for segment_id in records.segments_of(other):
                records.add_to_segment(keep_id, segment_id)
        if len(pref_records) > 1:
            parts = [prefs_mod.decode(c.hex(), records.get(r).fields) for c, r in pref_records]
            kept_record = pref_records[0][1]
            records.update(
                kept_record,
                prefs_mod.encode_fields(combine_preferences(keep_id.hex(), parts, now)),
            )
            records.shred([r for _, r in pref_records[1:]], vacuum=False)
        for other in others:
            records.relink(other, keep_id)
        subjects = set(records.linked_to(keep_id, relationships.SUBJECT))
        selfish = subjects & set(records.linked_to(keep_id, relationships.OBJECT))
        records.shred(sorted(selfish), vacuum=False)
        records.shred(others, vacuum=False)
    store.vacuum()
    return repo.get_by_id(keep_id)


__all__ = [
    "combine_preferences",
    "fits",
    "merge_contacts",
    "merge_drafts",
    "merge_fields",
    "merge_notes",
]
