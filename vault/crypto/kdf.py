"""Key derivation: Argon2id from a passphrase, HKDF-SHA256 (or keyed BLAKE2b) from a key, and
calibration.

Rules and reasons:
- Argon2id (RFC 9106) through ``argon2-cffi``'s ``hash_secret_raw``: memory-hard, so a seized
  header costs an attacker memory as well as time per guess.
- Parameters are checked against ``READ_BOUNDS`` *before* Argon2 runs, so a tampered header
  cannot make Kith allocate 1 TiB or loop for an hour; the AEAD over the header then proves they
  are the ones the user chose.
- New vaults must be at or above ``FLOOR`` (RFC 9106's second recommendation, 64 MiB and 3 passes)
  unless the caller passes ``allow_weak=True`` (only tests, through ``KITH_ALLOW_WEAK_KDF=1``).
- Every HKDF ``info`` is built with ``vault.encoding.enc`` so no two purposes can collide.
- A passphrase given as a ``bytearray`` is read in place (``ffi.from_buffer``), never copied
  into an immutable ``bytes`` or a C buffer that is freed unwiped, so the caller can wipe its one
  buffer after the derivation (issue 13: the TUI and CLI do).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from _argon2_cffi_bindings import lib  # type: ignore[import-untyped]  # argon2-cffi's C binding
from argon2.exceptions import HashingError
from argon2.low_level import ARGON2_VERSION, Type, ffi, hash_secret_raw
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from vault.encoding import enc
from vault.errors import CannotUnlock, UnsafeParameters

SALT_BYTES = 16
KEY_BYTES = 32


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost: memory in KiB, passes, lanes."""

    memory_kib: int
    time_cost: int
    parallelism: int

    def describe(self) -> str:
        """Human form, e.g. ``argon2id m=256 MiB t=3 p=2``."""
        return f"argon2id m={self.memory_kib // 1024} MiB t={self.time_cost} p={self.parallelism}"


# What a header may carry at all (checked before Argon2 runs).
READ_MIN_MEMORY_KIB = 8
READ_MAX_MEMORY_KIB = 4 * 1024 * 1024  # 4 GiB: the largest a user could reasonably choose
READ_MAX_TIME = 16
READ_MAX_PARALLELISM = 16
# What a new vault must have unless explicitly weakened (RFC 9106 §4, second recommendation).
FLOOR = KdfParams(memory_kib=64 * 1024, time_cost=3, parallelism=1)
# Where calibration starts (DESIGN §3).
START = KdfParams(memory_kib=256 * 1024, time_cost=3, parallelism=min(4, os.cpu_count() or 1))
# Cheap parameters for tests; only usable with allow_weak=True.
TEST_PARAMS = KdfParams(memory_kib=8 * 1024, time_cost=1, parallelism=1)


def check_readable(params: KdfParams) -> None:
    """Refuse parameters no Kith header could legitimately carry (no Argon2 run yet)."""
    if not (
        READ_MIN_MEMORY_KIB * params.parallelism <= params.memory_kib <= READ_MAX_MEMORY_KIB
        and 1 <= params.time_cost <= READ_MAX_TIME
        and 1 <= params.parallelism <= READ_MAX_PARALLELISM
    ):
        raise CannotUnlock


def check_creatable(params: KdfParams, *, allow_weak: bool) -> None:
    """Refuse parameters below the floor for a new vault or a new passphrase."""
    check_readable(params)
    if allow_weak:
        return
    if params.memory_kib < FLOOR.memory_kib or params.time_cost < FLOOR.time_cost:
        raise UnsafeParameters


def argon2id(passphrase: bytes | bytearray, salt: bytes, params: KdfParams) -> bytes:
    """The 32-byte key-encryption key for ``passphrase``; bounds are checked first."""
    check_readable(params)
    if len(salt) != SALT_BYTES:
        raise CannotUnlock
    if isinstance(passphrase, bytearray):
        return _argon2id_in_place(passphrase, salt, params)
    out: bytes = hash_secret_raw(
        secret=passphrase,
        salt=salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )
    return out


def _argon2id_in_place(passphrase: bytearray, salt: bytes, params: KdfParams) -> bytes:
    """``hash_secret_raw`` without its copy of the secret: Argon2 reads the caller's buffer."""
    out = ffi.new("uint8_t[]", KEY_BYTES)
    secret = ffi.from_buffer(passphrase) if passphrase else ffi.NULL
    result = lib.argon2_hash(
        params.time_cost, params.memory_kib, params.parallelism,
        secret, len(passphrase), ffi.new("uint8_t[]", salt), len(salt),
        out, KEY_BYTES, ffi.NULL, 0, Type.ID.value, ARGON2_VERSION,
    )  # fmt: skip
    if result != lib.ARGON2_OK:
        raise HashingError("argon2 failed")
    return bytes(ffi.buffer(out, KEY_BYTES))


def hkdf_sha256(key: bytes, purpose: str, *context: bytes | str | int, length: int = 32) -> bytes:
    """A subkey of ``key`` for one ``purpose`` (e.g. ``kith/sqlcipher``), bound to ``context``."""
    return HKDF(
        algorithm=hashes.SHA256(), length=length, salt=None, info=enc(purpose, *context)
    ).derive(key)


def raw_hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    """The bare primitive, for known-answer tests (Wycheproof) only."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt or None, info=info).derive(ikm)


def calibrate(
    *,
    target_seconds: tuple[float, float] = (0.5, 1.0),
    start: KdfParams = START,
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[KdfParams, float]:
    """Find Argon2id parameters that take about ``target_seconds`` here.

    Start at 256 MiB, t=3; halve memory (not below the floor) while too slow, add passes while
    too fast. Returns the parameters and the measured seconds of the last run.
    """
    params = start
    salt = os.urandom(SALT_BYTES)
    for _ in range(8):
        began = clock()
        argon2id(b"calibration", salt, params)
        took = clock() - began
        if took > target_seconds[1] and params.memory_kib > FLOOR.memory_kib:
            params = KdfParams(
                max(FLOOR.memory_kib, params.memory_kib // 2), params.time_cost, params.parallelism
            )
        elif took < target_seconds[0] and params.time_cost < 10:
            scale = max(1, int(target_seconds[0] / max(took, 1e-3) * params.time_cost))
            params = KdfParams(
                params.memory_kib, min(10, max(params.time_cost + 1, scale)), params.parallelism
            )
        else:
            return params, took
    return params, took


def blake2b_subkey(key: bytes, purpose: str, *context: bytes | str | int) -> bytes:
    """A 32-byte subkey of ``key`` for one ``purpose`` bound to ``context``: keyed BLAKE2b (a
    PRF) over ``enc(purpose, *context)``. About 40x cheaper than ``hkdf_sha256``, for keys
    derived by the thousand on a hot path (one per search chunk at every unlock)."""
    return hashlib.blake2b(enc(purpose, *context), key=key, digest_size=32).digest()
