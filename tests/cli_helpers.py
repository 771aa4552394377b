"""Small helpers the CLI tests share: run a command that must succeed, read JSON, snapshot files."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Kith


def add(kith: Kith, *args: str) -> str:
    """``kith add ARGS``, which must succeed; returns the printed short id."""
    result = kith("add", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout.strip()


def run_json(kith: Kith, *args: str) -> object:
    """``kith ARGS --json``, which must succeed; returns the parsed output."""
    result = kith(*args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def files(vault_dir: Path) -> dict[str, bytes]:
    """The bytes of every file in a vault folder (to prove a refused command changed nothing)."""
    return {p.name: p.read_bytes() for p in vault_dir.iterdir()}
