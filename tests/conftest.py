"""Shared fixtures: cheap vaults (test KDF parameters through the header) and a CLI runner.

Every vault here is created with ``TEST_PARAMS`` (8 MiB, 1 pass) and ``allow_weak=True``: the
header carries the parameters, so tests are fast while production defaults are asserted in
``test_kdf.py``. Nothing here touches the user's real vault: ``KITH_VAULT`` always points into
``tmp_path``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from tui.cli import cli
from vault.api import Vault
from vault.crypto.kdf import TEST_PARAMS

PASSPHRASE = "correct horse battery staple"
ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "tests" / "vectors"  # public vectors the project carries (see its README)


@pytest.fixture
def vault_dir(tmp_path: Path) -> Path:
    """Where a test vault lives (not yet created)."""
    return tmp_path / "vault"


@pytest.fixture
def vault(vault_dir: Path) -> Iterator[Vault]:
    """An unlocked, empty vault with cheap KDF parameters, region FR."""
    opened = Vault.create(vault_dir, PASSPHRASE, params=TEST_PARAMS, allow_weak=True, region="FR")
    yield opened
    opened.lock()


@dataclass
class Result:
    """What one CLI invocation did."""

    exit_code: int
    stdout: str
    stderr: str


class Kith:
    """Runs ``kith`` in-process through click's runner, against one vault."""

    def __init__(self, vault_dir: Path, passphrase_file: Path) -> None:
        self.vault_dir = vault_dir
        self.passphrase_file = passphrase_file

    def __call__(self, *args: str, input: str | None = None, passphrase: bool = True) -> Result:
        from tui.cli import main

        runner = CliRunner()
        argv = ["--vault", str(self.vault_dir)]
        if passphrase:
            argv += ["--passphrase-file", str(self.passphrase_file)]
        argv += list(args)
        holder: dict[str, int] = {}

        def invoke() -> None:
            holder["code"] = main(argv)

        with runner.isolation(input=input) as (out, err, *_):
            invoke()
            stdout = out.getvalue().decode()
            stderr = err.getvalue().decode() if err is not None else ""
        return Result(holder["code"], stdout, stderr)


@pytest.fixture
def passphrase_file(tmp_path: Path) -> Path:
    """A file holding ``PASSPHRASE``."""
    path = tmp_path / "passphrase"
    path.write_text(PASSPHRASE + "\n")
    return path


@pytest.fixture
def kith(vault_dir: Path, passphrase_file: Path, monkeypatch: pytest.MonkeyPatch) -> Kith:
    """A CLI runner with an initialized cheap vault."""
    monkeypatch.setenv("KITH_ALLOW_WEAK_KDF", "1")
    monkeypatch.delenv("KITH_PASSPHRASE_FILE", raising=False)
    runner = Kith(vault_dir, passphrase_file)
    result = runner("init", "--kdf-memory", "8", "--kdf-time", "1", "--region", "FR")
    assert result.exit_code == 0, result.stderr
    return runner


def isolated_env(tmp_path: Path) -> tuple[dict[str, str], Path, Path, Path]:
    """An environment whose vault, TMPDIR, HOME and XDG folders all live under ``tmp_path``.

    Marker tests run real processes in it, then scan those folders: anything the process wrote
    (a temp file, a cache, a log) is there to be found. Returns (env, vault, tmp, home).
    """
    vault_dir, tmp, home = tmp_path / "vault", tmp_path / "tmp", tmp_path / "home"
    tmp.mkdir(exist_ok=True)
    home.mkdir(exist_ok=True)
    env = {
        "KITH_VAULT": str(vault_dir),
        "TMPDIR": str(tmp),
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_STATE_HOME": str(home / ".local/state"),
    }
    return env, vault_dir, tmp, home


def run_kith_process(
    *args: str, env: dict[str, str] | None = None, input: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ``kith`` as a real process (``python -m tui``)."""
    full_env = {**os.environ, "KITH_ALLOW_WEAK_KDF": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        env=full_env,
        input=input,
        capture_output=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )


__all__ = ["PASSPHRASE", "ROOT", "VECTORS", "Kith", "cli", "isolated_env", "run_kith_process"]


# -- fixtures shared by vault-level and command-line tests --------------------------------------


@pytest.fixture(scope="module")
def keypair() -> tuple[str, str]:
    """An age X25519 identity and its recipient (backups to a recipient)."""
    from vault.crypto.age import generate_identity

    return generate_identity()


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows in batches of 10, contacts written every 10: a small file streams like a big one."""
    from vault.interchange import import_rows, importer

    monkeypatch.setattr(import_rows, "BATCH_ROWS", 10)
    monkeypatch.setattr(importer, "WRITE_BATCH", 10)
