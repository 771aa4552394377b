"""The sealed bundle: layout, padding buckets, hints, limits, strict opening."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync import bundle
from sync.bundle import SegmentKey
from sync.errors import BadBundle, BundleTooLarge

KEY = SegmentKey(b"\x05" * 16, 3, b"\x06" * 32)
OTHER_EPOCH = SegmentKey(b"\x05" * 16, 4, b"\x06" * 32)
VECTOR = {b"\x0a" * 32: 7}


def test_round_trip_carries_ops_and_the_sender_vector() -> None:
    data = bundle.seal(KEY, [b"op one", b"op two"], VECTOR)
    opened = bundle.open_bundle(data, [OTHER_EPOCH, KEY])
    assert opened.ops == [b"op one", b"op two"] and opened.sender_vector == VECTOR
    assert (opened.segment, opened.epoch) == (KEY.segment, KEY.epoch)
    assert opened.bundle_id == bundle.bundle_id_of(data) == data[9:25]


def test_header_layout_and_nothing_in_the_clear() -> None:
    data = bundle.seal(KEY, [b"Ada Lovelace, +15551234"], VECTOR)
    assert data[:8] == b"KITHSYN1" and data[8] == 1
    assert bundle.HEADER_BYTES == 65
    for secret in (b"Ada", KEY.segment, KEY.key, b"\x0a" * 32):
        assert secret not in data


def test_small_bundles_all_have_the_same_size() -> None:
    sizes = {len(bundle.seal(KEY, [b"x" * n], {})) for n in (0, 10, 1000, 3900)}
    assert sizes == {bundle.sealed_size(4096)} == {4096 + 65 + 17}


def test_two_bundles_of_one_segment_share_no_bytes_but_the_magic() -> None:
    one, two = bundle.seal(KEY, [b"same"], {}), bundle.seal(KEY, [b"same"], {})
    assert one[:9] == two[:9] and one[9:25] != two[9:25] and one[25:41] != two[25:41]


@settings(max_examples=200)
@given(st.integers(1, 1 << 26))
def test_padme_bounds_overhead_and_is_a_fixed_point(length: int) -> None:
    padded = bundle.padme(length)
    assert length <= padded <= length * 1.12 + 1
    assert bundle.padme(padded) == padded


def test_padme_known_values() -> None:
    assert [bundle.padme(n) for n in (4097, 5000, 65537, 1_000_000)] == [
        4352,
        5120,
        67584,
        1_015_808,
    ]


def test_large_bundles_chunk_and_open() -> None:
    ops = [bytes([i]) * 200_000 for i in range(3)]
    data = bundle.seal(KEY, ops, {})
    chunks = -(-(len(data) - 65) // (bundle.CHUNK_BYTES + 17))
    plaintext = len(data) - 65 - 17 * chunks
    assert bundle.padded_length(plaintext) == plaintext and chunks == 10
    assert len(data) == bundle.sealed_size(plaintext)
    assert bundle.open_bundle(data, [KEY]).ops == ops
    chunk = bundle.CHUNK_BYTES + 17
    dropped_chunk = data[:65] + data[65 + chunk :]
    swapped = (
        data[:65]
        + data[65 + chunk : 65 + 2 * chunk]
        + data[65 : 65 + chunk]
        + data[65 + 2 * chunk :]
    )
    truncated = data[: 65 + 2 * chunk]
    for bad in (dropped_chunk, swapped, truncated):
        with pytest.raises(BadBundle):
            bundle.open_bundle(bad, [KEY])


def test_wrong_key_or_no_key_is_bad_bundle() -> None:
    data = bundle.seal(KEY, [b"x"], {})
    for keys in ([], [OTHER_EPOCH], [SegmentKey(KEY.segment, 3, b"\x07" * 32)]):
        with pytest.raises(BadBundle):
            bundle.open_bundle(data, keys)


def test_limits() -> None:
    with pytest.raises(BundleTooLarge):
        bundle.open_bundle(b"\x00" * (bundle.MAX_BUNDLE_BYTES + 1), [KEY])
    with pytest.raises(BundleTooLarge):
        bundle.seal(KEY, [b"x" * ((1 << 20) + 1)], {})
    runs = bundle.split([b"x" * 1000] * 10, budget=3000)
    assert [len(r) for r in runs] == [2, 2, 2, 2, 2]
    assert bundle.split([]) == [[]]
    with pytest.raises(BadBundle):
        bundle.bundle_id_of(b"short")
