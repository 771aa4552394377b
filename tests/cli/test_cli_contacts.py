"""The issue-2 CLI contract, through click's runner: commands, --json shapes, exit codes."""

from __future__ import annotations

import json
import os

from tests.cli_helpers import add
from tests.conftest import Kith

CONTACT_KEYS = {
    "id",
    "name",
    "given_name",
    "family_name",
    "emails",
    "phones",
    "addresses",
    "org",
    "role",
    "languages",
    "notes",
    "tags",
    "segments",
    "fields",
    "created",
    "updated",
}


def test_add_show_json_shape(kith: Kith) -> None:
    short = add(
        kith,
        "--name",
        "Zoë Martin",
        "--email",
        "work:zoe@example.org",
        "--phone",
        "06 12 34 56 78",
        "--address",
        "1 rue de la Paix; Lyon;; 69001; FR",
        "--org",
        "Union locale",
        "--role",
        "Sec",
        "--note",
        "met at the picket",
        "--tag",
        "volunteers",
        "--field",
        "shirt=M",
    )
    assert len(short) == 12
    shown = kith("show", short[:6], "--json")
    assert shown.exit_code == 0
    data = json.loads(shown.stdout)
    assert set(data) == CONTACT_KEYS
    assert data["id"].startswith(short) and len(data["id"]) == 32
    assert data["emails"] == [{"value": "zoe@example.org", "label": "work"}]
    assert data["phones"] == [{"value": "+33612345678", "label": ""}]
    assert data["addresses"][0]["locality"] == "Lyon"
    assert data["addresses"][0]["postal_code"] == "69001"
    assert data["fields"] == {"shirt": "M"}
    assert data["tags"] == ["volunteers"]


def test_list_and_search_return_arrays(kith: Kith) -> None:
    add(kith, "--name", "Ana Lima", "--tag", "press", "--org", "Rádio Livre")
    add(kith, "--name", "Bob Stone", "--phone", "+1 (555) 123-4567")
    listed = json.loads(kith("list", "--json").stdout)
    assert [c["name"] for c in listed] == ["Ana Lima", "Bob Stone"]
    assert json.loads(kith("list", "--tag", "PRESS", "--json").stdout)[0]["name"] == "Ana Lima"
    assert [c["name"] for c in json.loads(kith("search", "radio", "--json").stdout)] == ["Ana Lima"]
    found = json.loads(kith("search", "555 123 4567", "--json").stdout)
    assert [c["name"] for c in found] == ["Bob Stone"]
    assert json.loads(kith("search", "nobody-matches", "--json").stdout) == []


def test_edit_changes_only_what_is_named(kith: Kith) -> None:
    short = add(kith, "--name", "Ana", "--email", "ana@example.org", "--tag", "a", "--tag", "b")
    result = kith(
        "edit",
        short,
        "--add-email",
        "ana@work.example",
        "--remove-email",
        "ANA@example.org",
        "--remove-tag",
        "a",
        "--add-tag",
        "c",
        "--org",
        "Coop",
        "--field",
        "k=v",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [e["value"] for e in data["emails"]] == ["ana@work.example"]
    assert data["tags"] == ["b", "c"]
    assert data["org"] == "Coop" and data["name"] == "Ana"
    assert kith("edit", short, "--field", "k=", "--json").stdout.count('"k"') == 0


def test_exit_codes(kith: Kith) -> None:
    short = add(kith, "--name", "Ana")
    assert kith("show", "ffffffffffff").exit_code == 4
    assert kith("show", "not-hex").exit_code == 5
    assert kith("add", "--name", "X", "--email", "not-an-email").exit_code == 5
    assert kith("add", "--name", "X", "--phone", "12").exit_code == 5
    assert kith("edit", short, "--remove-tag", "absent").exit_code == 4
    assert kith("add").exit_code == 2
    assert kith("no-such-command").exit_code == 2
    bad = kith("add", "--name", "X", "--email", "x")
    assert bad.stderr.count("\n") == 1 and bad.stderr.startswith("kith: ")


def test_invalid_input_changes_nothing(kith: Kith) -> None:
    add(kith, "--name", "Ana")
    assert kith("add", "--name", "B", "--email", "ok@example.org", "--email", "bad").exit_code == 5
    assert len(json.loads(kith("list", "--json").stdout)) == 1


def test_delete_needs_confirmation_off_a_terminal(kith: Kith) -> None:
    short = add(kith, "--name", "Ana")
    refused = kith("delete", short)
    assert refused.exit_code == 2
    assert kith("delete", short, "--yes").exit_code == 0
    assert kith("show", short).exit_code == 4


def test_ambiguous_prefix_is_refused(kith: Kith) -> None:
    shorts = [add(kith, "--name", f"P{i}") for i in range(40)]
    first_digits = [s[0] for s in shorts]
    digit = max(set(first_digits), key=first_digits.count)
    assert first_digits.count(digit) > 1
    assert kith("show", digit).exit_code == 4


def test_wrong_passphrase_exits_3_and_changes_nothing(kith: Kith, tmp_path) -> None:  # type: ignore[no-untyped-def]
    add(kith, "--name", "Ana")
    before = {p.name: p.read_bytes() for p in kith.vault_dir.iterdir()}
    wrong = tmp_path / "wrong"
    wrong.write_text("not it")
    result = Kith(kith.vault_dir, wrong)("list")
    assert result.exit_code == 3
    assert result.stderr == "kith: Cannot unlock the vault: wrong passphrase or damaged header.\n"
    assert {p.name: p.read_bytes() for p in kith.vault_dir.iterdir()} == before


def test_info_has_no_secrets(kith: Kith) -> None:
    add(kith, "--name", "Ana")
    data = json.loads(kith("info", "--json").stdout)
    assert data["counts"]["contacts"] == 1
    assert data["kdf"] == {
        "algorithm": "argon2id",
        "memory_kib": 8192,
        "time_cost": 1,
        "parallelism": data["kdf"]["parallelism"],
    }
    assert data["format_version"] == 2
    assert data["cipher_version"].startswith("4.")


def test_passwd_re_encrypts_the_database(kith: Kith, tmp_path) -> None:  # type: ignore[no-untyped-def]
    add(kith, "--name", "Ana")
    db_before = (kith.vault_dir / "vault.db").read_bytes()
    new = tmp_path / "new"
    new.write_text("a brand new passphrase\n")
    assert kith("passwd", "--new-passphrase-file", str(new)).exit_code == 0
    assert (kith.vault_dir / "vault.db").read_bytes() != db_before
    assert kith("list").exit_code == 3
    assert Kith(kith.vault_dir, new)("list", "--json").exit_code == 0


def test_burn_removes_everything_and_says_what_it_cannot_do(kith: Kith) -> None:
    add(kith, "--name", "Ana")
    result = kith("burn", "--yes", passphrase=False)
    assert result.exit_code == 0
    assert "wear levelling" in result.stderr
    assert not kith.vault_dir.exists()
    assert kith("list").exit_code == 4


def test_no_vault_exits_4(tmp_path, passphrase_file) -> None:  # type: ignore[no-untyped-def]
    result = Kith(tmp_path / "absent", passphrase_file)("list")
    assert result.exit_code == 4


def test_burn_overwrites_the_header_before_unlinking_it(kith: Kith, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A second name for the header's inode still sees it after burn: its bytes must be gone."""
    header = kith.vault_dir / "vault.hdr"
    before = header.read_bytes()
    alias = tmp_path / "alias-of-vault.hdr"
    os.link(header, alias)
    assert kith("burn", "--yes", passphrase=False).exit_code == 0
    after = alias.read_bytes()
    assert len(after) == len(before) and after != before
    assert before[:8] not in after  # not even the magic survives
