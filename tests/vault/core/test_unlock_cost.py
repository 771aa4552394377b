"""Issue 12: a damaged header and a wrong passphrase cost the same, one Argon2id run, before the
one ``CannotUnlock``; so the time an unlock takes does not tell them apart (no oracle).

Format 2 adds a sealed state after the VMK wrap (``header_v2.py``). It is opened only with
the VMK, so only the right passphrase ever reaches it: then its damage is damage
(``IntegrityError``, exit 6) after the same one run; with a wrong passphrase it is never looked
at, and the answer and the work are those of any wrong passphrase.

No clock here: a spy counts the Argon2id runs and records their parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSPHRASE
from vault.api import Vault
from vault.core import header
from vault.crypto import kdf
from vault.errors import CannotUnlock, IntegrityError

Runs = list[kdf.KdfParams]


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> Runs:
    """Every Argon2id run from here on, as the parameters it ran with."""
    seen: Runs = []
    real: Callable[..., bytes] = kdf.hash_secret_raw

    def spy(**kw: Any) -> bytes:
        seen.append(kdf.KdfParams(kw["memory_cost"], kw["time_cost"], kw["parallelism"]))
        return real(**kw)

    monkeypatch.setattr(kdf, "hash_secret_raw", spy)
    return seen


@pytest.fixture
def made(vault_dir: Path) -> bytes:
    """A cheap vault; returns its header bytes."""
    Vault.create(vault_dir, PASSPHRASE, params=kdf.TEST_PARAMS, allow_weak=True).lock()
    return (vault_dir / header.HEADER_NAME).read_bytes()


def _both(vault_dir: Path, data: bytes) -> None:
    for name in (header.HEADER_NAME, header.BACKUP_NAME):
        (vault_dir / name).write_bytes(data)


def _refused(vault_dir: Path, passphrase: str = PASSPHRASE) -> None:
    with pytest.raises(CannotUnlock):
        Vault.open(vault_dir, passphrase)


def test_the_right_passphrase_costs_one_run(vault_dir: Path, made: bytes, runs: Runs) -> None:
    Vault.open(vault_dir, PASSPHRASE).lock()
    assert runs == [kdf.TEST_PARAMS]


def test_a_wrong_passphrase_costs_one_run(vault_dir: Path, made: bytes, runs: Runs) -> None:
    _refused(vault_dir, "wrong horse")
    assert runs == [kdf.TEST_PARAMS]


# Offsets in the format-2 layout (vault/core/header_v2.py): magic, version, KDF id, salt, vault id,
# suite, VMK wrap nonce, wrapped VMK and its tag's last byte, and the zero tail (from 248).
WRAP_OFFSETS = [0, 8, 10, 30, 45, 55, 60, 100, 127, 248, 4095]
# The state nonce (128..151) and the sealed state with its tag (152..247).
STATE_OFFSETS = [128, 151, 152, 200, 247]


@pytest.mark.parametrize("offset", WRAP_OFFSETS)
def test_a_damaged_header_costs_one_run_with_its_own_parameters(
    vault_dir: Path, made: bytes, runs: Runs, offset: int
) -> None:
    damaged = bytearray(made)
    damaged[offset] ^= 0x01
    _both(vault_dir, bytes(damaged))
    _refused(vault_dir)
    assert runs == [kdf.TEST_PARAMS]


@pytest.mark.parametrize("offset", STATE_OFFSETS)
def test_a_damaged_state_with_the_right_passphrase_is_damage_after_one_run(
    vault_dir: Path, made: bytes, runs: Runs, offset: int
) -> None:
    """The VMK unwrapped, so the passphrase is right: a state that does not open is damage
    (exit 6), never reported as a wrong passphrase nor as a rollback."""
    damaged = bytearray(made)
    damaged[offset] ^= 0x01
    _both(vault_dir, bytes(damaged))
    with pytest.raises(IntegrityError) as raised:
        Vault.open(vault_dir, PASSPHRASE)
    assert type(raised.value) is IntegrityError  # not RolledBack
    assert "the vault header" in str(raised.value)
    assert runs == [kdf.TEST_PARAMS]


@pytest.mark.parametrize("offset", STATE_OFFSETS)
def test_a_damaged_state_with_a_wrong_passphrase_is_just_a_wrong_passphrase(
    vault_dir: Path, made: bytes, runs: Runs, offset: int
) -> None:
    """No oracle: without the passphrase the state is never reached, so its damage changes
    neither the answer nor the work (the same as a wrong passphrase on an intact header)."""
    damaged = bytearray(made)
    damaged[offset] ^= 0x01
    _both(vault_dir, bytes(damaged))
    _refused(vault_dir, "wrong horse")
    assert runs == [kdf.TEST_PARAMS]


def test_a_damaged_state_in_one_copy_opens_with_one_run_and_is_repaired(
    vault_dir: Path, made: bytes, runs: Runs
) -> None:
    damaged = bytearray(made)
    damaged[200] ^= 0x01
    (vault_dir / header.HEADER_NAME).write_bytes(bytes(damaged))
    with Vault.open(vault_dir, PASSPHRASE) as vault:
        assert any("differed" in notice for notice in vault.notices)
        vault.check_all()  # both copies verified on disk after the repair
    assert runs == [kdf.TEST_PARAMS]  # both copies share salt and parameters: one run


def test_out_of_range_parameters_cost_one_run_with_the_decoy_never_their_own(
    vault_dir: Path, made: bytes, runs: Runs
) -> None:
    damaged = bytearray(made)
    damaged[11:15] = (64 * 1024 * 1024).to_bytes(4, "big")  # 64 GiB: refused before Argon2
    _both(vault_dir, bytes(damaged))
    _refused(vault_dir)
    assert runs == [header.DECOY_PARAMS]


@pytest.mark.parametrize("cut", [0, 30])
def test_a_header_too_short_to_read_costs_one_decoy_run(
    vault_dir: Path, made: bytes, runs: Runs, cut: int
) -> None:
    _both(vault_dir, made[:cut])
    _refused(vault_dir)
    assert runs == [header.DECOY_PARAMS]


def test_a_damaged_primary_and_a_wrong_passphrase_cost_one_run(
    vault_dir: Path, made: bytes, runs: Runs
) -> None:
    (vault_dir / header.HEADER_NAME).write_bytes(b"\x00" * header.HEADER_SIZE)
    _refused(vault_dir, "wrong horse")
    assert runs == [kdf.TEST_PARAMS]  # the intact backup copy's run, nothing for the primary


def test_the_decoy_is_what_a_new_vault_starts_calibrating_from() -> None:
    """The decoy costs what an unlock of a default vault costs on a typical machine."""
    assert header.DECOY_PARAMS == kdf.START
    kdf.check_readable(header.DECOY_PARAMS)
