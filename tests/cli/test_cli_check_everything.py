"""The command line for check everything, through click's runner.

The vault-level tests are in tests/vault/core/test_check_everything.py.
"""

from __future__ import annotations

from tests.cli_helpers import add, files
from tests.conftest import Kith


def test_check_writes_nothing_and_creates_no_identity(kith: Kith) -> None:
    add(kith, "--name", "Ana Lima")
    before = files(kith.vault_dir)
    result = kith("check")
    assert result.exit_code == 0, result.stderr
    assert "identity" not in result.stderr  # none existed, and check did not make one
    assert files(kith.vault_dir) == before
