"""The chunk parser is strict and bounded: every malformation is ``ValueError``, never a crash,
a partial result or an entry from another bucket."""

from __future__ import annotations

import contextlib
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vault.core.keytree import bucket_bounds, bucket_of
from vault.domain import search_codec
from vault.domain.search import Entry
from vault.domain.search_codec import MAX_CHUNK_BYTES, RS, US, decode_chunk, encode_chunk
from vault.encoding import decode, enc

BUCKET = 517


def entry(name: str = "Zoë", tags: tuple[str, ...] = ("press", "a,b")) -> Entry:
    lo = bucket_bounds(BUCKET)[0]
    raw_id = lo[:1] + bytes([lo[1] | 5]) + os.urandom(14)
    assert bucket_of(raw_id) == BUCKET
    return Entry(
        id=raw_id.hex(), name=name, org="Union", locality="Lyon", tags=tags, updated=1_700_000_000,
        haystack=f"{name.lower()}\x00union", phone_digits="33612345678", sort_key=name.lower(),
    )  # fmt: skip


def test_round_trip_in_id_order() -> None:
    entries = [entry(f"P{i}") for i in range(20)] + [entry(tags=())]
    decoded = decode_chunk(encode_chunk(entries), BUCKET)
    assert decoded == sorted(entries, key=lambda e: e.id)
    assert decode_chunk(encode_chunk([]), BUCKET) == []


def test_every_truncation_and_any_trailing_byte_is_refused() -> None:
    data = encode_chunk([entry(), entry("Ana")])
    for cut in range(len(data)):
        with pytest.raises(ValueError):
            decode_chunk(data[:cut], BUCKET)
    with pytest.raises(ValueError):
        decode_chunk(data + b"\x00", BUCKET)


def test_wrong_bucket_duplicates_order_and_other_ids_are_refused() -> None:
    one, two = sorted([entry(), entry("Ana")], key=lambda e: e.id)
    with pytest.raises(ValueError):
        decode_chunk(encode_chunk([one]), BUCKET + 1)
    with pytest.raises(ValueError):
        decode_chunk(encode_chunk([one]), BUCKET - 1)
    ids, updated, text = decode(encode_chunk([one, two]))
    for bad_ids in (ids[:16] + ids[:16], ids[16:] + ids[:16]):  # duplicate, out of order
        with pytest.raises(ValueError):
            decode_chunk(enc(bad_ids, updated, text), BUCKET)
    assert decode_chunk(enc(ids, updated, text), BUCKET, ids) == [one, two]
    with pytest.raises(ValueError):  # not the ids the records table lists
        decode_chunk(enc(ids, updated, text), BUCKET, ids[:16])


def test_malformed_columns_are_refused() -> None:
    ids, updated, text = decode(encode_chunk([entry(), entry("Ana")]))
    assert len(decode_chunk(enc(ids, updated, text), BUCKET)) == 2
    bad_cases = [
        (ids, updated),  # a part missing
        (ids, updated, text, b""),  # a part too many
        (ids[:-1], updated, text),  # an id cut short
        (ids, updated[:-1], text),  # a time cut short
        (ids[:16], updated[:8], text),  # text for two entries, one entry
        (ids, updated, text + RS.encode()),  # a piece too many
        (ids, updated, text.rsplit(RS.encode(), 1)[0]),  # a piece missing
        (ids, updated, b"\xff" + text[1:]),  # not UTF-8
        (b"", b"", text),  # text without entries
    ]
    for case in bad_cases:
        with pytest.raises(ValueError):
            decode_chunk(enc(*case), BUCKET)


@pytest.mark.parametrize(
    "bad",
    [
        {"tags": ("a" + US + "b",)},
        {"tags": ("",)},
        {"name": "x" + RS},
        {"haystack": RS},
        {"tags": ("t" + RS,)},
    ],
)
def test_values_holding_a_separator_are_not_encodable(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        encode_chunk([entry()._replace(**bad)])  # type: ignore[arg-type]


def test_counts_and_sizes_are_bounded_before_anything_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValueError):
        decode_chunk(b"\x05" + (0xFFFFFFFF).to_bytes(4, "big") + b"x" * 64, BUCKET)
    assert MAX_CHUNK_BYTES >= 1 << 20
    monkeypatch.setattr(search_codec, "MAX_CHUNK_BYTES", 64)
    with pytest.raises(ValueError):
        decode_chunk(encode_chunk([entry("x" * 60)]), BUCKET)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_crash(data: bytes) -> None:
    with contextlib.suppress(ValueError):
        decode_chunk(data, BUCKET)
