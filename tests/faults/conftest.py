"""Helpers for the fault suite: real processes meeting a full disk, signals and kills."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSPHRASE, ROOT

SMALL_DISK = Path(__file__).with_name("small_disk.py")
_probe: dict[str, str] = {}


def small_disk_problem() -> str:
    """Why a private tmpfs cannot be mounted here ('' when it can); probed once per worker."""
    if "why" not in _probe:
        if shutil.which("unshare") is None:
            _probe["why"] = "no unshare(1) on this machine"
        else:
            done = subprocess.run(
                ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
                capture_output=True, check=False, timeout=30,
            )  # fmt: skip
            _probe["why"] = (
                "" if done.returncode == 0
                else "cannot mount a private tmpfs here (user namespaces or mount not allowed)"
            )  # fmt: skip
    return _probe["why"]


def run_full(tmp_path: Path, spec: dict[str, Any]) -> dict[str, Any]:
    """Run one ``small_disk.py`` scenario and return its report; skip if tmpfs is not allowed."""
    why = small_disk_problem()
    if why:
        pytest.skip(why)
    passphrase = tmp_path / "passphrase"
    passphrase.write_text(PASSPHRASE + "\n")
    mount = tmp_path / "disk"
    env = {
        "KITH_ALLOW_WEAK_KDF": "1",
        "KITH_VAULT": str(mount / "vault"),
        "KITH_PASSPHRASE_FILE": str(passphrase),
        "TMPDIR": str(mount),
        "HOME": str(tmp_path),
    }
    full = {"mount": str(mount), "cwd": str(ROOT), "env": env, **spec}
    full["env"] = {**env, **spec.get("env", {})}
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(full))
    done = subprocess.run(
        ["unshare", "-rm", sys.executable, str(SMALL_DISK), str(spec_file)],
        capture_output=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    report: dict[str, Any] = json.loads(done.stdout)
    return report
