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
from vault.domain.search_codec import MAX_CHUNK_BYTES, decode_chunk, encode_chunk
from vault.encoding import enc

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
    one = entry()
    with pytest.raises(ValueError):
        decode_chunk(encode_chunk([one]), BUCKET + 1)
    duplicated = encode_chunk([one])
    body = duplicated[4:]
    with pytest.raises(ValueError):
        decode_chunk((2).to_bytes(4, "big") + body + body, BUCKET)


def _chunk_of(*parts: bytes | str | int) -> bytes:
    raw = enc(*parts)
    return (1).to_bytes(4, "big") + len(raw).to_bytes(4, "big") + raw


def test_malformed_entries_are_refused() -> None:
    good_id = bytes.fromhex(entry().id)
    fields: list[bytes | str | int] = [good_id, "n", "o", "l", 1, "h", "1", "n", enc("t")]
    assert decode_chunk(_chunk_of(*fields), BUCKET)[0].tags == ("t",)
    bad_cases = [
        fields[:8],  # a part missing
        [*fields, "extra"],  # a part too many
        [good_id[:15], *fields[1:]],  # short id
        [*fields[:4], b"\x01" * 7, *fields[5:]],  # time not 8 bytes
        [*fields[:1], b"\xff\xfe", *fields[2:]],  # not UTF-8
        [*fields[:8], b"\x01\x00\x00\x00\x09t"],  # tags not an encoding
    ]
    for case in bad_cases:
        with pytest.raises(ValueError):
            decode_chunk(_chunk_of(*case), BUCKET)


def test_counts_and_sizes_are_bounded_before_anything_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValueError):
        decode_chunk((0xFFFFFFFF).to_bytes(4, "big"), BUCKET)
    with pytest.raises(ValueError):
        decode_chunk((1).to_bytes(4, "big") + (0xFFFFFFFF).to_bytes(4, "big") + b"x" * 64, BUCKET)
    assert MAX_CHUNK_BYTES >= 1 << 20
    monkeypatch.setattr(search_codec, "MAX_CHUNK_BYTES", 64)
    with pytest.raises(ValueError):
        decode_chunk((0).to_bytes(4, "big") + b"\x00" * 61, BUCKET)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_crash(data: bytes) -> None:
    with contextlib.suppress(ValueError):
        decode_chunk(data, BUCKET)
