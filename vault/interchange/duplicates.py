"""Likely duplicates already in the vault: groups for ``kith duplicates`` to show and
``kith merge`` to resolve.

Rules and reasons:
- Two contacts sharing a casefolded email or an E.164 phone are the same person in practice:
  they form one group, transitively (A shares an email with B, B a phone with C: one group),
  with the reasons ``email`` and/or ``phone``.
- Contacts with the same name (accent-, case- and space-insensitive, ``search.fold``) are
  *likely* duplicates only: two people can share a name. A name group that lies inside an
  email/phone group just adds the reason ``name``; otherwise it is its own group, reason
  ``name``, and a person decides.
- Only the five fields needed are decrypted (names, emails, phones), in memory, once; nothing is
  written. The comparison is exact on decrypted values, so this needs no blind index (which is
  truncated on purpose and would only give candidates).
- Groups are sorted by name, members by name then id, so the output is stable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vault import ids
from vault.domain.contacts import RECORD_TYPE, decode
from vault.domain.model import ContactDraft
from vault.domain.search import fold
from vault.interchange.blind_index import keys_of

if TYPE_CHECKING:
    from vault.api import Vault

_FIELDS = ("name", "given_name", "family_name", "emails", "phones")


@dataclass(frozen=True)
class Member:
    """One contact of a group."""

    id: str
    name: str


@dataclass(frozen=True)
class Group:
    """Contacts that are likely one person, and why (``email``, ``phone``, ``name``)."""

    members: tuple[Member, ...]
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The ``kith duplicates --json`` shape."""
        return {
            "ids": [m.id for m in self.members],
            "reasons": list(self.reasons),
            "contacts": [{"id": m.id, "name": m.name} for m in self.members],
        }


class _Sets:
    def __init__(self) -> None:
        self.parent: dict[bytes, bytes] = {}

    def find(self, x: bytes) -> bytes:
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while x != root:
            self.parent[x], x = root, self.parent.get(x, x)
        return root

    def union(self, a: bytes, b: bytes) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _name_key(draft: ContactDraft) -> str:
    text = draft.name or " ".join(p for p in (draft.given_name, draft.family_name) if p)
    return " ".join(fold(text).split())


def find_duplicates(vault: Vault) -> list[Group]:
    """Every group of likely duplicates (rules in the module docstring)."""
    names: dict[bytes, str] = {}
    by_key: dict[tuple[str, str], list[bytes]] = {}
    by_name: dict[str, list[bytes]] = {}
    for record_id, values in vault.records.iter_fields(RECORD_TYPE, _FIELDS):
        attrs = decode(values)
        draft = ContactDraft(**{k: v for k, v in attrs.items() if k in _FIELDS})
        names[record_id] = draft.display_name()
        for key in keys_of(draft.emails, draft.phones):
            by_key.setdefault(key, []).append(record_id)
        name = _name_key(draft)
        if name:
            by_name.setdefault(name, []).append(record_id)
    sets = _Sets()
    reasons: dict[bytes, set[str]] = {}
    for members in by_key.values():
        for other in members[1:]:
            sets.union(members[0], other)
    for (kind, _), members in by_key.items():
        if len(members) > 1:
            reasons.setdefault(sets.find(members[0]), set()).add(kind)
    components: dict[bytes, list[bytes]] = {}
    for record_id in {r for members in by_key.values() if len(members) > 1 for r in members}:
        components.setdefault(sets.find(record_id), []).append(record_id)
    found: list[tuple[list[bytes], set[str]]] = [
        (members, reasons[root]) for root, members in components.items()
    ]
    for members in by_name.values():
        if len(members) < 2:
            continue
        roots = {sets.find(m) for m in members}
        if len(roots) == 1 and next(iter(roots)) in components:
            reasons[next(iter(roots))].add("name")
        else:
            found.append((members, {"name"}))

    def member_key(record_id: bytes) -> tuple[str, bytes]:
        return fold(names[record_id]), record_id

    groups = [
        Group(
            tuple(Member(ids.full(r), names[r]) for r in sorted(members, key=member_key)),
            tuple(k for k in ("email", "phone", "name") if k in why),
        )
        for members, why in found
    ]
    groups.sort(key=lambda g: (fold(g.members[0].name), g.members[0].id))
    return groups


__all__ = ["Group", "Member", "find_duplicates"]
