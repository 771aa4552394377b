"""Item 7 of issue 14: arguments that used to crash or slip through, through a real process."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Kith, run_kith_process
from tui.app import DEFAULT_IDLE_TIMEOUT, _idle_timeout_from_env


def test_an_over_long_out_name_is_one_line_and_writes_nothing(kith: Kith, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    long_name = str(folder / ("a" * 300))
    export = kith("export", "--format", "csv", "--out", long_name, "--yes-plaintext")
    line = "kith: That file or folder name is too long for the file system; nothing was written.\n"
    assert (export.exit_code, export.stderr.splitlines()[-1] + "\n") == (5, line)
    backup = kith("backup", "create", "--out", long_name + ".age", "--passphrase")
    assert (backup.exit_code, backup.stderr) == (5, line)
    assert list(folder.iterdir()) == []


def test_idle_timeout_must_be_a_finite_number(tmp_path: Path) -> None:
    for value in ("nan", "inf", "-inf", "NaN"):
        done = run_kith_process("tui", "--idle-timeout", value, env={"KITH_VAULT": str(tmp_path)})
        assert done.returncode == 2, (value, done.stderr)
        assert done.stderr.decode().count("\n") == 1


def test_idle_timeout_from_the_environment_ignores_nan_and_inf(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for value in ("nan", "inf", "-5", "x"):
        monkeypatch.setenv("KITH_IDLE_TIMEOUT", value)
        assert _idle_timeout_from_env() == DEFAULT_IDLE_TIMEOUT
    monkeypatch.setenv("KITH_IDLE_TIMEOUT", "60")
    assert _idle_timeout_from_env() == 60


def test_retention_dates_outside_the_calendar_are_refused(kith: Kith) -> None:
    ana = kith("add", "--name", "Ana").stdout.strip()
    for day in ("0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01"):
        done = kith("retain", ana, "--until", day)
        assert done.exit_code == 5, (day, done.stderr)
        assert done.stderr.startswith("kith: Dates are written YYYY-MM-DD")
    assert kith("retain", ana).stdout.strip().endswith("kept indefinitely")
    assert kith("retain", ana, "--until", "2999-12-31").exit_code == 0
