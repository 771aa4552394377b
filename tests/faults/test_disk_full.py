"""Item 2 of issue 14: a full disk is one clear line, exit 1, and nothing is changed or left.

Each case runs real ``kith`` processes on a small tmpfs (``small_disk.py``) filled to the brim,
with a little slack so the failure comes at different points of the write. After the failure
the filler is removed and ``kith check`` and ``kith list --json`` must show the vault intact
and unchanged; no stray file (journal, temp, ``.part``, partial export) may remain.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSPHRASE, ROOT
from tests.faults.conftest import run_full
from tests.sync.pair import Org, ok, pair

INIT = ["init", "--kdf-memory", "8", "--kdf-time", "1", "--region", "FR"]
LINE = "kith: Disk full: nothing was changed; free some space and try again.\n"


def _setup() -> list[list[str]]:
    return [INIT, ["add", "--name", "Ada Lovelace", "--email", "ada@example.org", "--tag", "t"]]


def _check_unchanged(report: dict[str, Any]) -> None:
    attack = report["attack"]
    assert all(s["code"] == 0 for s in report["setup"]), report["setup"]
    assert attack["stderr"].endswith(LINE), attack["stderr"]  # export warns first, then fails
    assert attack["stderr"].count("kith:") == 1 or attack["args"][0] == "export"
    assert attack["code"] == 1
    assert report["during"] == report["before"], "a partial or temporary file was left"
    check, listing = report["after"]
    assert check["code"] == 0, check["stderr"]
    assert listing["code"] == 0 and '"Ada Lovelace"' in listing["stdout"]


@pytest.mark.parametrize("slack", [0, 40960])
def test_add_on_a_full_disk(tmp_path: Path, slack: int) -> None:
    report = run_full(tmp_path, {
        "size_kb": 4096, "setup": _setup(), "slack": slack,
        "attack": ["add", "--name", "Grace Hopper", "--note", "x" * 20000],
        "after": [["check"], ["list", "--json"]],
    })  # fmt: skip
    _check_unchanged(report)
    assert "Grace" not in report["after"][1]["stdout"]


def _attack(tmp_path: Path, attack: list[str], slack: int = 0) -> dict[str, Any]:
    return run_full(tmp_path, {
        "size_kb": 4096, "setup": _setup(), "slack": slack, "attack": attack,
        "after": [["check"], ["list", "--json"]],
    })  # fmt: skip


def test_edit_on_a_full_disk(tmp_path: Path) -> None:
    report = _attack(tmp_path, ["edit", "{id}", "--org", "Analytical", "--note", "y" * 30000])
    _check_unchanged(report)
    assert "Analytical" not in report["after"][1]["stdout"]


def test_import_on_a_full_disk(tmp_path: Path) -> None:
    slack = 16384  # room for the journal to start: the failure comes mid-transaction
    source = tmp_path / "many.vcf"  # outside the small disk: only the vault is short of room
    source.write_text("".join(
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Imported {i}\r\nEMAIL:i{i}@example.org\r\n"
        f"NOTE:{'n' * 300}\r\nEND:VCARD\r\n" for i in range(300)
    ))  # fmt: skip
    report = _attack(tmp_path, ["import", str(source)], slack)
    _check_unchanged(report)
    assert "Imported" not in report["after"][1]["stdout"]


def test_export_on_a_full_disk_leaves_no_partial_file(tmp_path: Path) -> None:
    report = _attack(
        tmp_path, ["export", "--format", "json", "--out", "{mount}/out.json", "--yes-plaintext"]
    )
    _check_unchanged(report)


def test_passwd_on_a_full_disk(tmp_path: Path) -> None:
    new = tmp_path / "new-passphrase"
    new.write_text("another long passphrase here\n")
    report = _attack(tmp_path, ["passwd", "--new-passphrase-file", str(new)])
    _check_unchanged(report)  # the old passphrase still opens it (the checks use it)


def _paired(tmp_path: Path) -> tuple[Org, Org]:
    passphrase = tmp_path / "pp"
    passphrase.write_text(PASSPHRASE + "\n")
    alice, bob = pair(tmp_path / "orgs", passphrase)
    return alice, bob


def test_sync_push_to_a_full_folder_leaves_no_part_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KITH_ALLOW_WEAK_KDF", "1")
    alice, _ = _paired(tmp_path)
    report = run_full(tmp_path, {
        "size_kb": 64, "setup": [], "attack": ["sync", "push", "{mount}/usb"],
        "env": {"KITH_VAULT": str(alice.vault_dir)}, "after": [["check"]],
    })  # fmt: skip
    attack = report["attack"]
    assert (attack["code"], attack["stderr"]) == (1, LINE)
    assert [n for n in report["during"] if n != "usb"] == report["before"] == []
    assert report["after"][0]["code"] == 0


def test_sync_pull_into_a_full_vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KITH_ALLOW_WEAK_KDF", "1")
    alice, bob = _paired(tmp_path)
    usb = tmp_path / "usb"
    ok(alice.kith("sync", "push", str(usb)))
    report = run_full(tmp_path, {
        "size_kb": 4096, "copy": [[str(bob.vault_dir), "vault"]], "setup": [],
        "attack": ["sync", "pull", str(usb)], "after": [["check"], ["list", "--json"]],
    })  # fmt: skip
    attack = report["attack"]
    assert (attack["code"], attack["stderr"]) == (1, LINE), attack["stderr"]
    assert report["during"] == report["before"]
    assert report["vault_after"] == report["vault_before"]
    check, listing = report["after"]
    assert check["code"] == 0 and listing["stdout"].strip() == "[]"


def test_the_tui_form_stays_open_with_what_was_typed(tmp_path: Path) -> None:
    script = Path(__file__).with_name("tui_save_on_full_disk.py")
    report = run_full(tmp_path, {
        "size_kb": 4096, "setup": _setup(), "slack": 16384,
        "attack": ["--script", str(script), "{mount}/vault", PASSPHRASE],
        "env": {"PYTHONPATH": str(ROOT)}, "after": [["check"], ["list", "--json"]],
    })  # fmt: skip
    attack = report["attack"]
    assert attack["code"] == 0, attack["stderr"][-2000:]
    shown = json.loads(attack["stdout"].splitlines()[-1])
    assert shown == {"screen": "EditScreen", "message": LINE.removeprefix("kith: ").strip(),
                     "kept": True, "running": True}  # fmt: skip
    assert report["during"] == report["before"]
    check, listing = report["after"]
    assert check["code"] == 0 and "typed by hand" not in listing["stdout"]
