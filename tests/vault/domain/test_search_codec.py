"""The chunk parser is strict and bounded: every malformation is ``ValueError``, never a crash,
a partial result or an entry from another bucket."""

from __future__ import annotations

import contextlib
import os
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vault.core.keytree import bucket_bounds, bucket_of
from vault.domain import search_codec
from vault.domain.search import Entry
from vault.domain.search_codec import MAX_CHUNK_BYTES, decode_chunk, encode_chunk
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


def test_wrong_bucket_duplicates_and_order_are_refused() -> None:
    one, two = sorted([entry(), entry("Ana")], key=lambda e: e.id)
    with pytest.raises(ValueError):
        decode_chunk(encode_chunk([one]), BUCKET + 1)
    with pytest.raises(ValueError):
        decode_chunk(encode_chunk([one]), BUCKET - 1)
    ids, updated, tags, lengths, text = decode(encode_chunk([one, two]))
    for bad_ids in (ids[:16] + ids[:16], ids[16:] + ids[:16]):  # duplicate, out of order
        with pytest.raises(ValueError):
            decode_chunk(enc(bad_ids, updated, tags, lengths, text), BUCKET)


def test_malformed_columns_are_refused() -> None:
    ids, updated, tags, lengths, text = decode(encode_chunk([entry(), entry("Ana")]))
    assert len(decode_chunk(enc(ids, updated, tags, lengths, text), BUCKET)) == 2
    longer = struct.pack(">I", struct.unpack(">I", lengths[:4])[0] + 1) + lengths[4:]
    bad_cases = [
        (ids, updated, tags, lengths),  # a part missing
        (ids, updated, tags, lengths, text, b""),  # a part too many
        (ids[:-1], updated, tags, lengths, text),  # an id cut short
        (ids, updated[:-1], tags, lengths, text),  # a time cut short
        (ids, updated, tags[:-2], lengths, text),  # a tag count missing
        (ids, updated, b"\x00\x05" + tags[2:], lengths, text),  # tag counts vs lengths
        (ids, updated, tags, lengths[:-4], text),  # a length missing
        (ids, updated, tags, longer, text),  # lengths vs text
        (ids, updated, tags, lengths, text[:-1]),  # text cut short
        (ids, updated, tags, lengths, b"\xff" + text[1:]),  # not UTF-8
    ]
    for case in bad_cases:
        with pytest.raises(ValueError):
            decode_chunk(enc(*case), BUCKET)


def test_too_many_tags_is_not_encodable() -> None:
    with pytest.raises(ValueError):
        encode_chunk([entry(tags=("t",) * 70_000)])


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
