"""The CLI as a real process: passphrase on stdin, damaged header (exit 3), damaged DB (exit 6)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import PASSPHRASE, run_kith_process

SECRET = (PASSPHRASE + "\n").encode()


def make_vault(tmp_path: Path) -> dict[str, str]:
    env = {"KITH_VAULT": str(tmp_path / "vault")}
    done = run_kith_process(
        "--passphrase-file",
        "-",
        "init",
        "--kdf-memory",
        "8",
        "--kdf-time",
        "1",
        env=env,
        input=SECRET,
    )
    assert done.returncode == 0, done.stderr
    done = run_kith_process("--passphrase-file", "-", "add", "--name", "Ana", env=env, input=SECRET)
    assert done.returncode == 0, done.stderr
    return env


def test_passphrase_from_env_file_and_json(tmp_path: Path) -> None:
    env = make_vault(tmp_path)
    secret_file = tmp_path / "pw"
    secret_file.write_bytes(SECRET)
    done = run_kith_process("list", "--json", env={**env, "KITH_PASSPHRASE_FILE": str(secret_file)})
    assert done.returncode == 0
    assert [c["name"] for c in json.loads(done.stdout)] == ["Ana"]


def test_flipped_header_byte_in_both_copies_exits_3_like_a_wrong_passphrase(tmp_path: Path) -> None:
    env = make_vault(tmp_path)
    wrong = run_kith_process("--passphrase-file", "-", "list", env=env, input=b"nope\n")
    vault = tmp_path / "vault"
    for name in ("vault.hdr", "vault.hdr.bak"):
        data = bytearray((vault / name).read_bytes())
        data[30] ^= 0x04  # inside the salt
        (vault / name).write_bytes(bytes(data))
    damaged = run_kith_process("--passphrase-file", "-", "list", env=env, input=SECRET)
    assert wrong.returncode == damaged.returncode == 3
    assert wrong.stderr == damaged.stderr
    assert damaged.stderr.decode().count("\n") == 1


def test_damaged_database_exits_6(tmp_path: Path) -> None:
    env = make_vault(tmp_path)
    db = tmp_path / "vault" / "vault.db"
    pristine = db.read_bytes()
    assert (
        run_kith_process("--passphrase-file", "-", "check", env=env, input=SECRET).returncode == 0
    )
    for page in range(len(pristine) // 4096):
        data = bytearray(pristine)
        data[page * 4096 + 2000] ^= 0x01  # one bit, in the middle of one page
        db.write_bytes(bytes(data))
        done = run_kith_process("--passphrase-file", "-", "check", env=env, input=SECRET)
        assert done.returncode == 6, (page, done.stderr)
        assert done.stderr.decode().startswith("kith: Integrity check failed")
    data = bytearray(pristine)
    for page in range(1, len(pristine) // 4096):
        data[page * 4096 + 100] ^= 0x01
    db.write_bytes(bytes(data))
    done = run_kith_process("--passphrase-file", "-", "list", env=env, input=SECRET)
    assert done.returncode == 6, done.stderr


def test_garbage_database_exits_6(tmp_path: Path) -> None:
    env = make_vault(tmp_path)
    (tmp_path / "vault" / "vault.db").write_bytes(b"\x00" * 8192)
    done = run_kith_process("--passphrase-file", "-", "list", env=env, input=SECRET)
    assert done.returncode == 6


def test_help_for_every_command() -> None:
    done = run_kith_process("--help")
    assert done.returncode == 0
    for command in (
        "init",
        "add",
        "show",
        "list",
        "search",
        "edit",
        "delete",
        "passwd",
        "info",
        "burn",
        "tui",
    ):
        assert command in done.stdout.decode()
        assert run_kith_process(command, "--help").returncode == 0
