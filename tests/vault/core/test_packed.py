"""Issue 12 (speed): the packed fields of a record, byte by byte (docs/storage-format.md,
"Packed fields"): a golden vector, the strict parser, the nonce rule, and the size."""

from __future__ import annotations

import hashlib

import pytest

from tests import packed_helpers
from vault.api import Vault
from vault.core import packed
from vault.core.packed import LAYOUT_SEEDED, LAYOUT_VERBATIM, field_ad
from vault.crypto import aead
from vault.domain.model import ContactDraft
from vault.errors import IntegrityError, InvalidInput

CDK, HOME, RID, SEED = b"\x11" * 32, b"\x22" * 16, b"\x33" * 16, b"\x44" * 16
FIELDS = {"name": (3, b"Ana Lima"), "org": (1, b"Food Coop"), "\u00e9t\u00e9": (2, b"x" * 40)}
# SHA-256 of the golden packed value: any change to the layout, the AD or the nonce rule
# changes it.
GOLDEN_SHA256 = "b87701d01bd3ee29b5bfafaf07439987896656e829e9185469f33dad16d8697b"


def golden() -> bytes:
    return packed.seal_fields(CDK, HOME, RID, FIELDS, seed=SEED)


def test_layout_2_byte_by_byte() -> None:
    blob = golden()
    order = sorted(FIELDS, key=lambda n: n.encode())  # UTF-8 byte order: name, org, été
    entries = []
    for index, name in enumerate(order):
        version, value = FIELDS[name]
        ad = bytes([LAYOUT_SEEDED]) + field_ad(HOME, RID, name, version)
        nonce = SEED + index.to_bytes(8, "big")
        body = aead.raw_xchacha_encrypt(CDK, nonce, aead.pad(value), ad)
        entries.append((name.encode(), version, body))
    assert blob == packed_helpers.build(LAYOUT_SEEDED, SEED, entries)
    assert blob[0] == 2 and blob[1:17] == SEED and blob[17:19] == b"\x00\x03"
    assert blob[19] == 4 and blob[20:24] == b"name" and blob[24:28] == b"\x00\x00\x00\x03"
    assert blob[28:32] == (32 + 16).to_bytes(4, "big")
    assert hashlib.sha256(blob).hexdigest() == GOLDEN_SHA256
    parsed = packed.parse(blob)
    assert packed.open_fields(CDK, HOME, RID, parsed) == {k: v for k, (_, v) in FIELDS.items()}
    assert parsed.versions() == {k: v for k, (v, _) in FIELDS.items()}


def test_layout_1_keeps_each_sealed_value_as_it_was() -> None:
    sealed = {n: aead.seal(CDK, v, field_ad(HOME, RID, n, ver)) for n, (ver, v) in FIELDS.items()}
    blob = packed.pack_verbatim([(n, FIELDS[n][0], s) for n, s in sealed.items()])
    order = sorted(FIELDS, key=lambda n: n.encode())
    assert blob == packed_helpers.build(
        LAYOUT_VERBATIM, b"", [(n.encode(), FIELDS[n][0], sealed[n]) for n in order]
    )
    parsed = packed.parse(blob)
    assert packed.open_fields(CDK, HOME, RID, parsed) == {k: v for k, (_, v) in FIELDS.items()}
    assert packed.parse(packed.pack_verbatim([])).entries == ()


def test_every_truncation_and_every_extra_byte_is_refused() -> None:
    blob = golden()
    for end in range(len(blob)):
        with pytest.raises(IntegrityError):
            packed.parse(blob[:end])
    for extra in (b"\x00", b"\xff", blob[-40:]):
        with pytest.raises(IntegrityError):
            packed.parse(blob + extra)


def _entries() -> list[tuple[bytes, int, bytes]]:
    return [(e.name.encode(), e.version, e.body) for e in packed.parse(golden()).entries]


@pytest.mark.parametrize(
    "bad",
    [
        b"",
        b"\x02",
        b"\x03" + SEED + b"\x00\x00",  # unknown layout
        b"\x00\x00\x00",  # layout 0
        b"\x02" + SEED + b"\x04\x01",  # 1025 fields: more than MAX_FIELDS
        b"\x02" + SEED + b"\x00\x01" + b"\x00" + b"\x00\x00\x00\x01" + b"\x00\x00\x00\x30",
    ],
    ids=["empty", "layout-only", "unknown-layout", "layout-0", "too-many", "empty-name"],
)
def test_malformed_headers_are_refused(bad: bytes) -> None:
    with pytest.raises(IntegrityError):
        packed.parse(bad)


def test_duplicate_unsorted_and_malformed_entries_are_refused() -> None:
    rows = _entries()
    name, org, ete = rows
    cases = {
        "duplicate": [name, name],
        "unsorted": [org, name],
        "version 0": [(name[0], 0, name[2])],
        "not a bucket": [(name[0], 1, name[2] + b"\x00")],
        "too short": [(name[0], 1, name[2][:16])],
        "bad utf-8": [(b"\xff\xfe", 1, name[2])],
    }
    for label, case in cases.items():
        with pytest.raises(IntegrityError):
            packed.parse(packed_helpers.build(LAYOUT_SEEDED, SEED, case))
        assert label
    # A length claiming more than a 1 MiB field, with the bytes really there: refused before
    # any of them is used.
    huge = (name[0], 1, b"\x00" * ((1 << 20) + 32 + 32 + 16))
    with pytest.raises(IntegrityError):
        packed.parse(packed_helpers.build(LAYOUT_SEEDED, SEED, [huge]))
    # A length claiming more bytes than present.
    blob = bytearray(packed_helpers.build(LAYOUT_SEEDED, SEED, [ete]))
    blob[19 + 1 + len(ete[0]) + 4 + 3] += 32
    with pytest.raises(IntegrityError):
        packed.parse(bytes(blob))
    assert packed.parse(packed_helpers.build(LAYOUT_SEEDED, SEED, [name, org, ete]))


def test_writes_refuse_what_the_parser_would_refuse() -> None:
    with pytest.raises(InvalidInput):
        packed.seal_fields(CDK, HOME, RID, {"": (1, b"x")})
    with pytest.raises(InvalidInput):
        packed.seal_fields(CDK, HOME, RID, {"n" * 256: (1, b"x")})
    with pytest.raises(InvalidInput):
        packed.seal_fields(CDK, HOME, RID, {"name": (1 << 32, b"x")})
    with pytest.raises(InvalidInput):
        packed.seal_fields(CDK, HOME, RID, {"name": (1, b"x" * ((1 << 20) + 1))})


def test_a_moved_or_reordered_entry_does_not_open() -> None:
    """The nonce is the seed and the entry's index: an entry moved to another index, another
    record's seed or another record fails its tag."""
    rows = _entries()
    other = packed.parse(packed.seal_fields(CDK, HOME, RID, FIELDS, seed=b"\x55" * 16))
    swapped = [rows[0], (rows[1][0], rows[1][1], other.entries[1].body), rows[2]]
    parsed = packed.parse(packed_helpers.build(LAYOUT_SEEDED, SEED, swapped))
    assert packed.open_fields(CDK, HOME, RID, parsed, frozenset({"name"}))
    with pytest.raises(IntegrityError):
        packed.open_fields(CDK, HOME, RID, parsed, frozenset({"org"}))
    renamed = [(b"a", rows[0][1], rows[0][2]), *rows[1:]]
    parsed = packed.parse(packed_helpers.build(LAYOUT_SEEDED, SEED, renamed))
    with pytest.raises(IntegrityError):
        packed.open_fields(CDK, HOME, RID, parsed, frozenset({"a"}))
    with pytest.raises(IntegrityError):
        packed.open_fields(CDK, b"\x66" * 16, RID, packed.parse(golden()))


def test_nonces_never_repeat_under_one_record_key(vault: Vault) -> None:
    """Every write seals every field again under a fresh random seed, the i-th entry under
    ``seed | i``: distinct within a write by the index, across writes by the seed, also when a
    write is rolled back (no stored counter to fall behind)."""
    repo = vault.contacts
    rid = bytes.fromhex(repo.add(ContactDraft(name="Ana", org="Coop", notes="n")).id)
    store = vault.live_store
    seen: set[bytes] = set()

    def record_nonces() -> None:
        parsed = packed.parse(packed_helpers.blob_of(store, rid))
        nonces = {parsed.seed + i.to_bytes(8, "big") for i in range(len(parsed.entries))}
        assert len(nonces) == len(parsed.entries)
        assert not nonces & seen
        seen.update(nonces)

    record_nonces()
    for n in range(60):
        repo.update(rid, ContactDraft(name="Ana", org=f"Coop {n % 2}", notes="n"))
        record_nonces()
    with pytest.raises(RuntimeError), store.transaction():
        repo.update(rid, ContactDraft(name="Ana", org="rolled back", notes="n"))
        record_nonces()
        raise RuntimeError("roll back")
    repo.update(rid, ContactDraft(name="Ana", org="after", notes="n"))
    record_nonces()
    assert len(seen) == 3 * 63


def test_an_unchanged_field_keeps_its_version_and_only_changed_ones_move(vault: Vault) -> None:
    repo = vault.contacts
    rid = bytes.fromhex(repo.add(ContactDraft(name="Ana", org="Coop")).id)
    before = packed.parse(packed_helpers.blob_of(vault.live_store, rid))
    repo.update(rid, ContactDraft(name="Ana", org="Union"))
    after = packed.parse(packed_helpers.blob_of(vault.live_store, rid))
    assert before.versions() == {"name": 1, "org": 1}
    assert after.versions() == {"name": 1, "org": 2}
    assert after.seed != before.seed
    assert vault.records.field_versions(rid) == [("name", 1), ("org", 2)]


def test_size_per_field_is_name_plus_25_bytes_plus_the_padded_value(vault: Vault) -> None:
    """1 name length + name + 4 version + 4 length + 16 tag + pad(value) (32-byte buckets);
    the record adds 19 bytes (layout, seed, count). No nonce is stored per field."""
    rid = bytes.fromhex(vault.contacts.add(ContactDraft(name="Ana", org="x" * 31)).id)
    blob = packed_helpers.blob_of(vault.live_store, rid)
    assert len(blob) == 19 + (1 + 4 + 4 + 4 + 16 + 32) + (1 + 3 + 4 + 4 + 16 + 32)


def test_fields_found_by_name_without_opening_anything(vault: Vault) -> None:
    """``expiry`` (field retention) is listed in ``indexed_fields`` as writes add and remove it;
    other names are found from the packed names."""
    records = vault.records
    a = records.create("contact", {"name": b"A", "org": b"Coop"}, vault.private_segment)
    b = records.create("contact", {"name": b"B", "expiry": b"{}"}, vault.private_segment)
    assert records.ids_with_field("contact", "org") == [a]
    assert records.ids_with_field("contact", "expiry") == [b]
    records.update(a, {"expiry": b"{}"})
    assert records.ids_with_field("contact", "expiry") == sorted([a, b])
    records.update(b, {"expiry": None})
    records.reseal(a, fresh_key=True)
    assert records.ids_with_field("contact", "expiry") == [a]
    records.shred([a])
    assert records.ids_with_field("contact", "expiry") == []
    assert vault.live_store.execute("SELECT * FROM indexed_fields") == []
