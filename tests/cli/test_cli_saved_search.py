"""The command line for saved search, through click's runner.

The vault-level tests are in tests/vault/domain/test_saved_search.py.
"""

from __future__ import annotations

import json

from tests.cli_helpers import add
from tests.conftest import Kith


def test_cli_search_save_and_list_saved(kith: Kith) -> None:
    ana = add(kith, "--name", "Ana Lima", "--address", "; Lyon", "--tag", "volunteers")
    add(kith, "--name", "Bob Stone", "--address", "; Lyon")
    add(kith, "--name", "Cleo", "--address", "; Paris", "--tag", "volunteers")
    kith("log", ana, "--kind", "email-sent", "--date", "2099-01-01")
    found = kith("search", "city:Lyon -contacted:ever", "--save", "Lyon quiet", "--json")
    assert found.exit_code == 0, found.stderr
    assert [c["name"] for c in json.loads(found.stdout)] == ["Bob Stone"]
    assert "saved search 'Lyon quiet'" in found.stderr
    listed = kith("list", "--saved", "lyon QUIET", "--json")
    assert [c["name"] for c in json.loads(listed.stdout)] == ["Bob Stone"]
    assert set(json.loads(listed.stdout)[0]) >= {"id", "name", "emails", "tags"}
    leading = kith("search", "--json", "--", "-contacted:ever")
    assert [c["name"] for c in json.loads(leading.stdout)] == ["Bob Stone", "Cleo"]
    both = json.loads(kith("search", "tag:volunteers", "--tag", "volunteers", "--json").stdout)
    assert [c["name"] for c in both] == ["Ana Lima", "Cleo"]
    saved = json.loads(kith("saved", "list", "--json").stdout)
    assert saved[0]["name"] == "Lyon quiet" and saved[0]["query"] == "city:Lyon -contacted:ever"
    assert "Lyon quiet" in kith("saved", "list").stdout
    assert kith("saved", "delete", "lyon quiet").exit_code == 2  # needs --yes off a terminal
    assert kith("saved", "delete", "lyon quiet", "--yes").exit_code == 0
    assert kith("list", "--saved", "Lyon quiet").exit_code == 4


def test_cli_plain_search_unchanged(kith: Kith) -> None:
    add(kith, "--name", "Ana Lima", "--org", "Rádio Livre")
    add(kith, "--name", "Bob", "--phone", "+1 (555) 123-4567")
    assert [c["name"] for c in json.loads(kith("search", "radio", "--json").stdout)] == [
        "Ana Lima"]
    assert [c["name"] for c in json.loads(kith("search", "555 123 4567", "--json").stdout)] == [
        "Bob"]
    plain = kith("search", "ana", "--save", "just ana", "--json")
    assert [c["name"] for c in json.loads(plain.stdout)] == ["Ana Lima"]
    assert [c["name"] for c in json.loads(kith("list", "--saved", "just ana",
                                               "--json").stdout)] == ["Ana Lima"]


def test_cli_search_failures_change_nothing(kith: Kith) -> None:
    add(kith, "--name", "Ana")
    bad = kith("search", "colour:red", "--save", "x")
    assert bad.exit_code == 5 and bad.stderr.startswith("kith: Invalid search filter")
    assert bad.stderr.count("\n") == 1
    assert kith("search", "attended:since:2026-13-01", "--save", "x").exit_code == 5
    assert kith("search", "logged:pigeon").exit_code == 5
    assert kith("search", "allows:fax").exit_code == 5
    assert kith("search", "event:ffffffff").exit_code == 4
    assert kith("search", "city:x", "--save", "").exit_code == 5
    assert json.loads(kith("saved", "list", "--json").stdout) == []
    assert kith("list", "--saved", "nothing").exit_code == 4
