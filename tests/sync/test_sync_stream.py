"""vault/crypto/stream.py: libsodium secretstream, the primitive under sync bundles."""

from __future__ import annotations

import pytest

from vault.crypto import stream
from vault.errors import IntegrityError

KEY = bytes(range(32))


def _stream(chunks: list[bytes], ad: bytes = b"") -> tuple[bytes, list[bytes]]:
    pusher = stream.Pusher(KEY)
    out = [pusher.push(c, ad, final=i == len(chunks) - 1) for i, c in enumerate(chunks)]
    return pusher.header, out


def test_round_trip_and_final_flag() -> None:
    header, sealed = _stream([b"one", b"two", b""], b"ad")
    puller = stream.Puller(KEY, header)
    assert [puller.pull(c, b"ad") for c in sealed] == [
        (b"one", False),
        (b"two", False),
        (b"", True),
    ]
    plain = [b"one", b"two", b""]
    assert all(len(c) == len(p) + stream.ABYTES for c, p in zip(sealed, plain, strict=True))


def test_headers_are_random_per_stream() -> None:
    assert stream.Pusher(KEY).header != stream.Pusher(KEY).header


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h, s: (h, [s[1], s[0]]),  # reordered
        lambda h, s: (h, [s[0], s[0]]),  # duplicated
        lambda h, s: (bytes([h[0] ^ 1]) + h[1:], s),  # header changed
        lambda h, s: (h, [s[0][:-1] + bytes([s[0][-1] ^ 1]), s[1]]),  # tag changed
        lambda h, s: (h, [s[0][:5]]),  # too short to be a chunk
    ],
)
def test_tampering_is_one_integrity_error(tamper) -> None:  # type: ignore[no-untyped-def]
    header, sealed = _stream([b"first chunk", b"second"])
    header, sealed = tamper(header, sealed)
    with pytest.raises(IntegrityError):
        puller = stream.Puller(KEY, header)
        for chunk in sealed:
            puller.pull(chunk)


def test_wrong_key_wrong_ad_and_use_after_final() -> None:
    header, sealed = _stream([b"x"], b"ad")
    with pytest.raises(IntegrityError):
        stream.Puller(bytes(32), header).pull(sealed[0], b"ad")
    with pytest.raises(IntegrityError):
        stream.Puller(KEY, header).pull(sealed[0], b"other")
    puller = stream.Puller(KEY, header)
    assert puller.pull(sealed[0], b"ad") == (b"x", True)
    with pytest.raises(IntegrityError):
        puller.pull(sealed[0], b"ad")
    with pytest.raises(IntegrityError):
        stream.Puller(KEY[:31], header)
    pusher = stream.Pusher(KEY)
    pusher.push(b"", final=True)
    with pytest.raises(ValueError):
        pusher.push(b"more")
