"""Wycheproof vectors (tests/vectors/wycheproof) through the project's own crypto module.

Every ``valid`` case must pass, every ``invalid`` one must be rejected with ``IntegrityError``,
and an ``acceptable`` one may go either way but must not crash (X25519 low-order points raise in
libsodium; Kith maps that to ``IntegrityError``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import VECTORS as ALL_VECTORS
from vault.crypto import aead, kdf, keys
from vault.errors import IntegrityError

VECTORS = ALL_VECTORS / "wycheproof"


def cases(name: str) -> Iterator[Any]:
    data = json.loads((VECTORS / name).read_text())
    for group in data["testGroups"]:
        for test in group["tests"]:
            yield pytest.param(group, test, id=f"{test['tcId']}-{test['result']}")


def h(text: str) -> bytes:
    return bytes.fromhex(text)


@pytest.mark.parametrize(("group", "test"), list(cases("xchacha20_poly1305_test.json")))
def test_xchacha20_poly1305(group: dict[str, Any], test: dict[str, Any]) -> None:
    key, nonce, ad = h(test["key"]), h(test["iv"]), h(test["aad"])
    sealed = h(test["ct"]) + h(test["tag"])
    if test["result"] == "valid":
        assert aead.raw_xchacha_decrypt(key, nonce, sealed, ad) == h(test["msg"])
        assert aead.raw_xchacha_encrypt(key, nonce, h(test["msg"]), ad) == sealed
    elif len(nonce) != aead.NONCE_BYTES or len(key) != aead.KEY_BYTES:
        with pytest.raises((IntegrityError, ValueError, TypeError)):
            aead.raw_xchacha_decrypt(key, nonce, sealed, ad)
    else:
        with pytest.raises(IntegrityError):
            aead.raw_xchacha_decrypt(key, nonce, sealed, ad)


@pytest.mark.parametrize(("group", "test"), list(cases("chacha20_poly1305_test.json")))
def test_chacha20_poly1305(group: dict[str, Any], test: dict[str, Any]) -> None:
    key, nonce, ad = h(test["key"]), h(test["iv"]), h(test["aad"])
    sealed = h(test["ct"]) + h(test["tag"])
    if test["result"] == "valid":
        assert aead.raw_chacha_decrypt(key, nonce, sealed, ad) == h(test["msg"])
    else:
        with pytest.raises((IntegrityError, ValueError, TypeError)):
            aead.raw_chacha_decrypt(key, nonce, sealed, ad)


@pytest.mark.parametrize(("group", "test"), list(cases("hkdf_sha256_test.json")))
def test_hkdf_sha256(group: dict[str, Any], test: dict[str, Any]) -> None:
    run = lambda: kdf.raw_hkdf_sha256(  # noqa: E731
        h(test["ikm"]), h(test["salt"]), h(test["info"]), test["size"]
    )
    if test["result"] == "valid":
        assert run() == h(test["okm"])
    else:
        with pytest.raises(ValueError):
            run()


@pytest.mark.parametrize(("group", "test"), list(cases("ed25519_test.json")))
def test_ed25519(group: dict[str, Any], test: dict[str, Any]) -> None:
    public = h(group["publicKey"]["pk"])
    if test["result"] == "valid":
        keys.ed25519_verify(public, h(test["msg"]), h(test["sig"]))
    else:
        with pytest.raises(IntegrityError):
            keys.ed25519_verify(public, h(test["msg"]), h(test["sig"]))


@pytest.mark.parametrize(("group", "test"), list(cases("x25519_test.json")))
def test_x25519(group: dict[str, Any], test: dict[str, Any]) -> None:
    private, public = h(test["private"]), h(test["public"])
    if test["result"] == "valid":
        assert keys.x25519_shared(private, public) == h(test["shared"])
    elif test["result"] == "acceptable":
        try:
            assert keys.x25519_shared(private, public) == h(test["shared"])
        except IntegrityError:
            assert h(test["shared"]) == b"\x00" * 32 or "LowOrderPublic" in test["flags"]
    else:
        with pytest.raises(IntegrityError):
            keys.x25519_shared(private, public)
