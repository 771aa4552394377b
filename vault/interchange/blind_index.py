"""Keyed blind indexes of contacts, for exact-match dedupe on import (DESIGN §5).

What is indexed, per contact (``entries_of``):
- ``email``: each email address, casefolded (``Ana@Example.org`` and ``ana@example.org`` are one
  person's mailbox in practice, whatever RFC 5321 allows for the local part);
- ``phone``: each phone number that parsed to E.164 (a number kept as typed is not a reliable
  key: ``call after 6`` is not a number);
- ``content``: for a contact with neither, one digest of its name and first address (or, with
  no address, of the whole normalized contact), so that importing the same row twice adds
  nothing, even after the contact was edited in between (``content_value``).

Rules and reasons:
- Key: ``BIK = HKDF-SHA256(LWK, "kith/blind-index", vault id)``. Derived from the local-wrap key
  because the keyring never keeps the VMK (only the header holds it); HKDF with its own purpose
  gives an independent key. Digests: ``vault/crypto/blind.py`` (keyed BLAKE2b, truncated).
- Truncation follows CipherSweet's planner: with ``R`` values of one kind, ``bits = floor(log2
  R) - 1`` (at least 1), so each digest is shared by about 2 to 8 values ("coincidences"). Someone
  who can read the table (which needs the SQLCipher key) cannot tell which contacts share an
  email or a phone; every match is confirmed against the decrypted contact, so false positives
  cost a decryption, never a wrong merge. ``bits`` is stored per kind in ``settings``; the index
  is rebuilt when the population makes the stored size unsafe (too many bits) or wasteful (two
  or more bits too few: more than about 8 candidates per lookup).
- Layout: one row per contact, ``(record_id, fingerprint, digests)``, ``digests`` being 9 bytes
  per entry (kind code, 8-byte big-endian digest). One B-tree insert per contact: at 100,000
  contacts this costs a third of a table of one row per entry with an index on the digest
  (measured: ``bench/bench_import.py``). Lookups read the whole table once per import into
  memory (about 0.2 s at 100,000 contacts; nothing is decrypted), which every import of more
  than a handful of rows needed anyway.
- The index is a cache of what the sealed fields say. Each row carries its contact's
  fingerprint when indexed (updated time, field count, sum of field versions: every write
  through ``RecordStore`` bumps the version of each field it writes and the updated time).
  ``refresh`` re-indexes every contact whose fingerprint changed or that has no row, whoever
  changed it (CLI, TUI, sync), so the rest of Kith needs no hook. A change the fingerprint
  cannot see (one update, in the same second, that removes and adds fields whose versions
  cancel out) could only make the index miss a match, never cause a wrong merge: every
  candidate is checked against the decrypted contact. Shredded contacts leave the index at once
  by ``ON DELETE CASCADE`` (a digest left behind would let a key holder test whether an address
  was ever in the vault).
- It is local only: never synced, and a backup may drop the table (it is rebuilt on the next
  import). Nothing here is ever written outside the encrypted database.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from vault.core.packed import versions_of
from vault.core.store import Store
from vault.crypto import blind, kdf
from vault.domain.contacts import RECORD_TYPE, decode, encode
from vault.domain.model import ContactDraft, Email, Phone
from vault.encoding import enc

if TYPE_CHECKING:
    from vault.api import Vault
    from vault.domain.contacts import ContactRepository

KINDS = ("email", "phone", "content")
_CODES = {"email": 1, "phone": 2, "content": 3}
_KINDS_BY_CODE = {code: kind for kind, code in _CODES.items()}
BITS_SETTING = "blind_index_bits"
# Part of every fingerprint: rows written by an older rule of ``content_value`` look stale
# and are re-indexed once by the next ``refresh`` (2: name plus address, issue 14).
_INDEX_VERSION = 2
TABLES = ("blind_index",)
_BATCH = 500
Progress = Callable[[int, int], None]

# An upsert, not INSERT OR REPLACE: REPLACE deletes the old row through the foreign-key
# machinery and costs 2.4x as much at 100,000 contacts (measured).
_UPSERT = (
    "INSERT INTO blind_index (record_id, fingerprint, digests) VALUES (?,?,?) "
    "ON CONFLICT (record_id) DO UPDATE SET fingerprint = excluded.fingerprint, "
    "digests = excluded.digests"
)
# The field count and version sum come from the packed fields' plaintext names and versions.
_FINGERPRINTS = "SELECT r.id, r.updated, r.packed FROM records r WHERE "


def keys_of(emails: Iterable[Email], phones: Iterable[Phone]) -> set[tuple[str, str]]:
    """The exact-match keys of a contact: casefolded emails and E.164 phones."""
    keys = {("email", e.value.casefold()) for e in emails if e.value}
    keys |= {("phone", p.value) for p in phones if p.valid and p.value}
    return keys


def content_value(draft: ContactDraft) -> bytes:
    """What identifies a contact without keys: its name and first address, else its content.

    Name plus address (casefolded, accents kept) when the contact has both: an import row
    without email or phone still finds its contact after someone added a tag or a note to it,
    so re-importing a file adds nothing (issue 14, item 10). Two different people with the
    same name at the same first address are taken for one (their rows merge, empty fields
    filled, nothing overwritten); a name alone is not enough, so without an address the whole
    normalized contact is compared, as before.
    """
    name = draft.display_name()
    address = next((a for a in draft.addresses if not a.is_empty()), None)
    if name and address is not None:
        parts = (address.street, address.locality, address.region, address.postal_code,
                 address.country)  # fmt: skip
        return enc("kith/contact-name-address/1", " ".join(name.split()).casefold(),
                   *(" ".join(p.split()).casefold() for p in parts))  # fmt: skip
    values = encode(draft)
    return enc("kith/contact-content/1", *(x for k in sorted(values) for x in (k, values[k])))


def entries_of(draft: ContactDraft) -> list[tuple[str, str | bytes]]:
    """What the index holds for ``draft``: its keys, else its content."""
    keys: list[tuple[str, str | bytes]] = sorted(keys_of(draft.emails, draft.phones))
    return keys or [("content", content_value(draft))]


def bits_for(population: int) -> int:
    """CipherSweet's largest safe size: ``floor(log2 R) - 1`` bits, at least 1."""
    return max(1, population.bit_length() - 2)


def _chunks(items: list[bytes], size: int = _BATCH) -> Iterator[list[bytes]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _marks(n: int) -> str:
    return ",".join("?" * n)


class BlindIndex:
    """The blind index of one unlocked vault."""

    def __init__(self, vault: Vault) -> None:
        self.store: Store = vault.live_store
        self.contacts: ContactRepository = vault.contacts
        self._key = kdf.hkdf_sha256(vault.keyring.lwk, "kith/blind-index", vault.vault_id)
        self._vault = vault
        saved = vault.setting(BITS_SETTING)
        loaded = json.loads(saved) if saved else {}
        self.bits: dict[str, int] = {k: int(loaded.get(k, 1)) for k in KINDS}
        self._table: dict[int, list[bytes]] | None = None

    # -- digests and lookups ---------------------------------------------------------------

    def digest(self, kind: str, value: str | bytes) -> int:
        """The stored digest of one entry."""
        return blind.digest(self._key, kind, value, self.bits[kind])

    def full_digests(self, draft: ContactDraft) -> list[tuple[int, int]]:
        """(kind code, 64-bit digest) of each entry of ``draft``, to truncate later (``put_full``):
        an import computes them while it reads, and learns the final population only at the end.
        Truncating to fewer bits is a shift, because a digest is the first bits of the hash."""
        return [
            (_CODES[k], blind.digest(self._key, k, v, blind.MAX_BITS)) for k, v in entries_of(draft)
        ]

    def _truncate(self, full: list[tuple[int, int]]) -> bytes:
        return b"".join(
            bytes([code])
            + (d >> (blind.MAX_BITS - self.bits[_KINDS_BY_CODE[code]])).to_bytes(8, "big")
            for code, d in full
        )

    def _pack(self, draft: ContactDraft) -> bytes:
        return self._truncate(self.full_digests(draft))

    def load(self) -> dict[int, list[bytes]]:
        """Every entry in memory: ``code << 64 | digest`` -> record ids (read once per import)."""
        if self._table is None:
            table: dict[int, list[bytes]] = {}
            rows = self.store.iterate("SELECT record_id, digests FROM blind_index")
            for record_id, packed in rows:
                rid = bytes(record_id)
                for key in _unpack(bytes(packed)):
                    table.setdefault(key, []).append(rid)
            self._table = table
        return self._table

    def candidates(self, kind: str, value: str | bytes) -> list[bytes]:
        """Ids of contacts that *may* hold ``value`` (confirm against the decrypted contact)."""
        table = self.load()
        if not table:
            return []
        return table.get(_CODES[kind] << 64 | self.digest(kind, value), [])

    def counts(self) -> dict[str, int]:
        """How many entries of each kind the index holds."""
        found = dict.fromkeys(KINDS, 0)
        for key, ids in self.load().items():
            found[_KINDS_BY_CODE[key >> 64]] += len(ids)
        return found

    # -- writing ---------------------------------------------------------------------------

    def put_many(self, items: Iterable[tuple[bytes, ContactDraft, str]]) -> None:
        """Index (record id, draft, fingerprint) triples, replacing their rows."""
        rows = sorted((rid, fingerprint, self._pack(draft)) for rid, draft, fingerprint in items)
        self.store.executemany(
            _UPSERT,
            rows,
        )
        self._table = None

    def put_full(self, items: Iterable[tuple[bytes, str, list[tuple[int, int]]]]) -> None:
        """Index (record id, fingerprint, ``full_digests``) triples at the current sizes.

        Rows are inserted in record-id order, so the B-tree is filled page by page."""
        rows = sorted((rid, fp, self._truncate(full)) for rid, fp, full in items)
        self.store.executemany(
            _UPSERT,
            rows,
        )
        self._table = None

    def fingerprints(self, record_ids: list[bytes]) -> dict[bytes, str]:
        """The current fingerprint of each of ``record_ids`` (read from the database)."""
        out: dict[bytes, str] = {}
        for batch in _chunks(record_ids):
            for row in self.store.execute(
                f"{_FINGERPRINTS} r.id IN ({_marks(len(batch))})", batch
            ):
                out[bytes(row[0])] = _fingerprint(row)
        return out

    def reindex(self, items: list[tuple[bytes, ContactDraft]]) -> None:
        """Index contacts as they are stored now (after an update or for a stale row)."""
        current = self.fingerprints([rid for rid, _ in items])
        self.put_many((rid, draft, current[rid]) for rid, draft in items if rid in current)

    # -- keeping the cache true ------------------------------------------------------------

    def stale(self) -> list[bytes]:
        """Contacts whose row may not match their sealed fields (changed or never indexed)."""
        known: dict[bytes, str] = {
            bytes(r[0]): str(r[1])
            for r in self.store.iterate("SELECT record_id, fingerprint FROM blind_index")
        }
        out: list[bytes] = []
        for row in self.store.iterate(f"{_FINGERPRINTS} r.type = ?", (RECORD_TYPE,)):
            rid = bytes(row[0])
            if known.get(rid) != _fingerprint(row):
                out.append(rid)
        return out

    def refresh(self, progress: Progress | None = None) -> int:
        """Re-index every stale contact; returns how many were re-indexed."""
        stale = self.stale()
        if not stale:
            return 0
        total = self.contacts.count()
        with self.store.transaction():
            if len(stale) * 4 > total:
                self._reindex_bulk(set(stale), progress)
            else:
                for n, batch in enumerate(_chunks(stale, 100)):
                    self.reindex([(rid, self.contacts.get_by_id(rid).draft()) for rid in batch])
                    if progress:
                        progress(min((n + 1) * 100, len(stale)), len(stale))
        return len(stale)

    def _reindex_bulk(self, wanted: set[bytes], progress: Progress | None) -> None:
        """Open only emails and phones of every contact; whole contacts only for keyless ones."""
        keyed: list[tuple[bytes, ContactDraft]] = []
        seen: set[bytes] = set()
        for record_id, values in self.contacts.records.iter_fields(
            RECORD_TYPE, ("emails", "phones")
        ):
            if record_id not in wanted:
                continue
            attrs = decode(values)
            if keys_of(attrs["emails"], attrs["phones"]):
                seen.add(record_id)
                keyed.append((record_id, ContactDraft(emails=attrs["emails"],
                                                      phones=attrs["phones"])))  # fmt: skip
            if len(keyed) >= 2000:
                self.reindex(keyed)
                keyed = []
                if progress:
                    progress(len(seen), len(wanted))
        self.reindex(keyed)
        keyless = sorted(wanted - seen)
        for batch in _chunks(keyless, 100):
            self.reindex([(rid, self.contacts.get_by_id(rid).draft()) for rid in batch])

    def resize_for(self, added: dict[str, int]) -> bool:
        """Choose the sizes for the population after ``added`` more entries; rebuild if needed.

        Returns True if the index was rebuilt: every contact that had a row is re-indexed at the
        new sizes (contacts an import is still writing have no row yet and are not touched).
        """
        now = self.counts()
        wanted = {k: bits_for(now[k] + added.get(k, 0)) for k in KINDS}
        if all(0 <= wanted[k] - self.bits[k] < 2 for k in KINDS):
            return False
        indexed = [bytes(r[0]) for r in self.store.execute("SELECT record_id FROM blind_index")]
        with self.store.transaction():
            self.bits = wanted
            self._vault.set_setting(BITS_SETTING, json.dumps(wanted, sort_keys=True))
            self.store.execute("DELETE FROM blind_index")
            self._table = None
            if indexed:
                self._reindex_bulk(set(indexed), None)
        return True


def _unpack(packed: bytes) -> Iterator[int]:
    for start in range(0, len(packed) - 8, 9):
        yield packed[start] << 64 | int.from_bytes(packed[start + 1 : start + 9], "big")


def _fingerprint(row: tuple[object, ...]) -> str:
    _, updated, blob = row
    versions = [version for _, version in versions_of(bytes(blob))]  # type: ignore[call-overload]
    return fresh_fingerprint(int(updated), len(versions), sum(versions))  # type: ignore[call-overload]


def fresh_fingerprint(updated: int, fields: int, versions: int | None = None) -> str:
    """The fingerprint of a contact: its updated time, field count and sum of field versions.

    A contact just created has every field at version 1, so its fingerprint is known without a
    query: ``fresh_fingerprint(created, len(fields))``.
    """
    return f"{_INDEX_VERSION}:{updated}:{fields}:{fields if versions is None else versions}"


__all__ = [
    "BITS_SETTING",
    "KINDS",
    "TABLES",
    "BlindIndex",
    "bits_for",
    "content_value",
    "entries_of",
    "fresh_fingerprint",
    "keys_of",
]
