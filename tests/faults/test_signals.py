"""Item 3 of issue 14: SIGTERM and SIGHUP take the Ctrl-C cleanup path; no plaintext is left.

A real ``kith export`` process is paused once part of the plaintext is on disk
(``paused_export.py``), then signalled. It must exit 128 + the signal number with one line,
and leave no file at all in the export folder: the partial temporary file is overwritten and
unlinked, the reserved final name removed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, Kith

PAUSED = Path(__file__).with_name("paused_export.py")


def _fill(kith: Kith, tmp_path: Path, n: int) -> None:
    cards = "".join(
        f"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Person {i}\r\nEMAIL:p{i}@example.org\r\n"
        f"NOTE:{'note ' * 20}\r\nEND:VCARD\r\n"
        for i in range(n)
    )
    source = tmp_path / "people.vcf"
    source.write_text(cards)
    assert kith("import", str(source)).exit_code == 0


def _paused_export(kith: Kith, out: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    args = ["--vault", str(kith.vault_dir), "--passphrase-file", str(kith.passphrase_file),
            "export", "--format", "vcard", "--out", str(out), "--yes-plaintext"]  # fmt: skip
    return subprocess.Popen(
        [sys.executable, str(PAUSED), *args], cwd=ROOT, env=env,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_mid_export_leaves_no_plaintext(kith: Kith, tmp_path: Path, sig: int) -> None:
    _fill(kith, tmp_path, 1000)
    folder = tmp_path / "exports"
    folder.mkdir()
    out = folder / "contacts.vcf"
    env = {**os.environ, "KITH_ALLOW_WEAK_KDF": "1", "PYTHONPATH": str(ROOT)}
    proc = _paused_export(kith, out, env)
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    written = [p for p in folder.iterdir() if p.stat().st_size > 0]
    source = tmp_path / "people.vcf"
    source.unlink()
    assert written and b"BEGIN:VCARD" in written[0].read_bytes()  # plaintext is on disk now
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    if sig == signal.SIGINT:  # click's own Ctrl-C handling: "cancelled", exit 1
        assert (proc.returncode, stderr.strip()) == (1, b"kith: cancelled.")
    else:  # the same path, reported as the signal a shell would name
        assert (proc.returncode, stderr.strip()) == (128 + sig, b"kith: interrupted.")
    assert list(folder.iterdir()) == []
