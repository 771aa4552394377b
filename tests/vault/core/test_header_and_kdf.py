"""The header on disk and the KDF rules: bounds before Argon2, copies, atomic writes, defaults."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE
from vault.api import Vault
from vault.core import header, header_v2
from vault.crypto import kdf
from vault.errors import CannotUnlock, UnsafeParameters


def test_production_defaults() -> None:
    assert kdf.START.memory_kib == 256 * 1024 and kdf.START.time_cost == 3
    assert kdf.START.parallelism == min(4, os.cpu_count() or 1)
    assert kdf.FLOOR.memory_kib == 64 * 1024 and kdf.FLOOR.time_cost == 3
    kdf.check_creatable(kdf.START, allow_weak=False)
    kdf.check_creatable(kdf.FLOOR, allow_weak=False)
    with pytest.raises(UnsafeParameters):
        kdf.check_creatable(kdf.TEST_PARAMS, allow_weak=False)
    with pytest.raises(UnsafeParameters):
        kdf.check_creatable(kdf.KdfParams(64 * 1024, 2, 1), allow_weak=False)


def test_calibration_walks_towards_the_target(monkeypatch: pytest.MonkeyPatch) -> None:
    seconds = {262144: 2.5, 131072: 1.2, 65536: 0.3}
    runs: list[kdf.KdfParams] = []

    def fake_argon(_pw: bytes, _salt: bytes, params: kdf.KdfParams) -> bytes:
        runs.append(params)
        return b""

    monkeypatch.setattr(kdf, "argon2id", fake_argon)
    clock_values: list[float] = []

    def clock() -> float:
        # Each run: start 0, end = the simulated cost of the parameters just requested.
        if len(clock_values) % 2 == 0:
            clock_values.append(0.0)
            return 0.0
        cost = seconds[runs[-1].memory_kib] * runs[-1].time_cost / 3
        clock_values.append(cost)
        return cost

    params, took = kdf.calibrate(clock=clock)
    assert [r.memory_kib for r in runs][:3] == [262144, 131072, 65536]
    assert params.memory_kib == 65536 and params.time_cost > 3
    assert 0.5 <= took <= 1.0


def test_out_of_range_parameters_are_refused_before_argon2(
    vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Vault.create(vault_dir, PASSPHRASE, params=kdf.TEST_PARAMS, allow_weak=True).lock()
    data = bytearray((vault_dir / header.HEADER_NAME).read_bytes())
    data[11:15] = (64 * 1024 * 1024).to_bytes(4, "big")  # 64 GiB
    for name in (header.HEADER_NAME, header.BACKUP_NAME):
        (vault_dir / name).write_bytes(bytes(data))

    real = kdf.hash_secret_raw
    memory: list[int] = []

    def only_in_range(**kw: int) -> bytes:
        memory.append(kw["memory_cost"])
        if kw["memory_cost"] > kdf.READ_MAX_MEMORY_KIB:
            raise AssertionError("Argon2 ran on out-of-range parameters")
        return bytes(real(**kw))

    monkeypatch.setattr(kdf, "hash_secret_raw", only_in_range)
    with pytest.raises(CannotUnlock):
        Vault.open(vault_dir, PASSPHRASE)
    # Issue 12: one decoy run (fixed parameters) instead, so the refusal takes the usual time.
    assert memory == [header.DECOY_PARAMS.memory_kib]


def test_files_are_private_and_atomic(vault_dir: Path) -> None:
    Vault.create(vault_dir, PASSPHRASE, params=kdf.TEST_PARAMS, allow_weak=True).lock()
    assert stat.S_IMODE(vault_dir.stat().st_mode) == 0o700
    for name in (header.HEADER_NAME, header.BACKUP_NAME, "vault.db"):
        assert stat.S_IMODE((vault_dir / name).stat().st_mode) == 0o600
    assert sorted(p.name for p in vault_dir.iterdir()) == ["vault.db", "vault.hdr", "vault.hdr.bak"]


def test_a_damaged_primary_falls_back_to_the_intact_copy_and_is_repaired(vault_dir: Path) -> None:
    Vault.create(vault_dir, PASSPHRASE, params=kdf.TEST_PARAMS, allow_weak=True).lock()
    primary = vault_dir / header.HEADER_NAME
    data = bytearray(primary.read_bytes())
    data[60] ^= 0xFF
    primary.write_bytes(bytes(data))
    with Vault.open(vault_dir, PASSPHRASE) as opened:
        assert any("differed" in notice for notice in opened.notices)
    assert primary.read_bytes() == (vault_dir / header.BACKUP_NAME).read_bytes()
    for name in (header.HEADER_NAME, header.BACKUP_NAME):
        (vault_dir / name).write_bytes(bytes(data))
    with pytest.raises(CannotUnlock):
        Vault.open(vault_dir, PASSPHRASE)


def test_truncated_or_extended_header_cannot_unlock(vault_dir: Path) -> None:
    Vault.create(vault_dir, PASSPHRASE, params=kdf.TEST_PARAMS, allow_weak=True).lock()
    good = (vault_dir / header.HEADER_NAME).read_bytes()
    for bad in (good[:-1], good + b"\x00", b"", good[:128]):
        for name in (header.HEADER_NAME, header.BACKUP_NAME):
            (vault_dir / name).write_bytes(bad)
        with pytest.raises(CannotUnlock):
            Vault.open(vault_dir, PASSPHRASE)


def test_change_passphrase_rotates_the_vault_key(vault_dir: Path) -> None:
    vault = Vault.create(vault_dir, PASSPHRASE, params=kdf.TEST_PARAMS, allow_weak=True)
    before = header_v2.parse((vault_dir / header.HEADER_NAME).read_bytes())
    vault.change_passphrase(PASSPHRASE, "new words here", allow_weak=True)
    vault.lock()
    after = header_v2.parse((vault_dir / header.HEADER_NAME).read_bytes())
    assert after.vault_id == before.vault_id and after.salt != before.salt
    assert after.wrapped_vmk != before.wrapped_vmk
    assert (vault_dir / header.BACKUP_NAME).read_bytes() == after.to_bytes()
    with pytest.raises(CannotUnlock):
        Vault.open(vault_dir, PASSPHRASE)
    Vault.open(vault_dir, "new words here").lock()
    assert sorted(p.name for p in vault_dir.iterdir()) == ["vault.db", "vault.hdr", "vault.hdr.bak"]


def test_unicode_passphrase_normalization(vault_dir: Path) -> None:
    Vault.create(vault_dir, "caf\u00e9", params=kdf.TEST_PARAMS, allow_weak=True).lock()
    Vault.open(vault_dir, "cafe\u0301").lock()  # decomposed form unlocks the same vault
