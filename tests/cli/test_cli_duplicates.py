"""The command line for duplicates, through click's runner.

The vault-level tests are in tests/vault/interchange/test_duplicates.py.
"""

from __future__ import annotations

import json

from tests.conftest import Kith


def test_duplicates_cli(kith: Kith) -> None:
    kith("add", "--name", "Ana", "--email", "a@example.org")
    kith("add", "--name", "Bruno", "--email", "A@example.org")
    result = kith("duplicates", "--json")
    (group,) = json.loads(result.stdout)
    assert group["reasons"] == ["email"]
    assert [c["name"] for c in group["contacts"]] == ["Ana", "Bruno"]
    human = kith("duplicates")
    assert "2 contacts: same email" in human.stdout
    assert "merge: kith merge " in human.stdout
    assert "1 group(s)" in human.stderr


def test_merge_cli(kith: Kith) -> None:
    one = kith("add", "--name", "Ana", "--email", "a@example.org").stdout.strip()
    two = kith("add", "--name", "Ana Lima", "--phone", "0612345678").stdout.strip()
    result = kith("merge", one, two, "--into", two, "--json")
    assert result.exit_code == 0, result.stderr
    merged = json.loads(result.stdout)
    assert merged["id"].startswith(two)
    assert merged["name"] == "Ana Lima"
    assert [e["value"] for e in merged["emails"]] == ["a@example.org"]
    assert merged["merged"][0].startswith(one)
    assert "merged 1 contact(s)" in result.stderr
    assert kith("show", one).exit_code == 4
    assert kith("merge", two, two).exit_code == 5
    assert kith("duplicates", "--json").stdout.strip() == "[]"
