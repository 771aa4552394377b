"""The passphrase is one mutable buffer, handed to Argon2 as is and wiped after the key
derivation, in the CLI and in the TUI (issue 13: after lock, 13 copies were found in memory).

Pinned at the one place a copy would be made: what `kdf.argon2id` receives. It must be the
caller's `bytearray` (Argon2 reads it in place), and that buffer must be all zeros once the
vault is open.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.app_helpers import PASSPHRASE, app_for, drive, make_vault, unlock
from tui import cli
from tui.app import KithApp
from tui.errors import PassphraseUnreadable
from tui.passphrase import PassphraseSource, secret_buffer
from vault.crypto import kdf


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every passphrase object Argon2 is given."""
    given: list[Any] = []
    real = kdf.argon2id

    def spy(passphrase: Any, salt: bytes, params: kdf.KdfParams) -> bytes:
        given.append(passphrase)
        return real(passphrase, salt, params)

    monkeypatch.setattr(kdf, "argon2id", spy)
    return given


def test_in_place_derivation_matches_argon2_cffi() -> None:
    salt = b"s" * kdf.SALT_BYTES
    for secret in (b"correct horse", "é".encode(), b""):
        assert kdf.argon2id(bytearray(secret), salt, kdf.TEST_PARAMS) == kdf.argon2id(
            secret, salt, kdf.TEST_PARAMS
        )


def test_the_cli_wipes_its_one_buffer(tmp_path: Path, seen: list[Any]) -> None:
    folder = make_vault(tmp_path / "v")
    seen.clear()  # making the test vault derived a key too
    secret = tmp_path / "pass"
    secret.write_text(PASSPHRASE + "\n")
    assert cli.main(["--vault", str(folder), "--passphrase-file", str(secret), "list"]) == 0
    assert len(seen) == 1 and isinstance(seen[0], bytearray)
    assert seen[0] == bytearray(len(PASSPHRASE))  # wiped, and the newline was not in it


def test_the_tui_wipes_its_one_buffer(tmp_path: Path, seen: list[Any]) -> None:
    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app, typed=True)

    folder = make_vault(tmp_path / "v")
    seen.clear()
    drive(app_for(folder), script)
    assert len(seen) == 1 and isinstance(seen[0], bytearray)
    assert seen[0] == bytearray(len(PASSPHRASE))


def test_a_wrong_passphrase_is_wiped_too(tmp_path: Path, seen: list[Any]) -> None:
    folder = make_vault(tmp_path / "v")
    seen.clear()  # making the test vault derived a key too
    secret = tmp_path / "pass"
    secret.write_text("not it")
    assert cli.main(["--vault", str(folder), "--passphrase-file", str(secret), "list"]) == 3
    assert seen and all(s == bytearray(len("not it")) for s in seen)


def test_passphrase_files_read_into_the_buffer(tmp_path: Path) -> None:
    path = tmp_path / "pass"
    for content, expected in (
        (b"one two\n", "one two"), (b"crlf\r\n", "crlf"), (b" spaces kept \n\n", " spaces kept \n"),
        ("cafe\u0301".encode(), "caf\u00e9"),  # NFD in the file, NFC in the buffer
    ):  # fmt: skip
        path.write_bytes(content)
        assert PassphraseSource(str(path)).read_secret() == secret_buffer(expected)
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(PassphraseUnreadable):
        PassphraseSource(str(path)).read_secret()
    with pytest.raises(PassphraseUnreadable):
        PassphraseSource(str(tmp_path / "missing")).read_secret()
