"""The command line for segments, through click's runner.

The vault-level tests are in tests/vault/domain/test_segments.py.
"""

from __future__ import annotations

from tests.cli_helpers import add, files, run_json
from tests.conftest import Kith


def test_create_list_show_rename(kith: Kith) -> None:
    made = run_json(kith, "segment", "create", "March action")
    assert isinstance(made, dict)
    assert made["name"] == "March action" and made["epoch"] == 0 and made["contacts"] == 0
    assert len(made["id"]) == 32 and made["until"] is None
    run_json(kith, "segment", "create", "Tenants")
    listed = run_json(kith, "segment", "list")
    assert [s["name"] for s in listed] == ["March action", "Tenants"]  # type: ignore[union-attr,index]
    renamed = run_json(kith, "segment", "rename", "march ACTION", "April action")
    assert isinstance(renamed, dict)
    assert renamed["name"] == "April action" and renamed["id"] == made["id"]
    shown = run_json(kith, "segment", "show", "april action")
    assert isinstance(shown, dict) and shown["members"] == []
    human = kith("segment", "list")
    assert "April action" in human.stdout and "private" not in human.stdout


def test_the_private_segment_is_never_listed_or_reachable(kith: Kith) -> None:
    assert run_json(kith, "segment", "list") == []
    assert kith("segment", "show", "private").exit_code == 4
    assert kith("segment", "create", "Private").exit_code == 5
    assert kith("segment", "delete", "private", "--yes").exit_code == 4


def test_add_and_remove_members_show_on_the_contact(kith: Kith) -> None:
    ana, bob = add(kith, "--name", "Ana"), add(kith, "--name", "Bob")
    run_json(kith, "segment", "create", "Tenants")
    run_json(kith, "segment", "create", "Union")
    added = run_json(kith, "segment", "add", "tenants", ana, bob[:8])
    assert isinstance(added, dict) and added["changed"] == 2 and added["contacts"] == 2
    again = run_json(kith, "segment", "add", "tenants", ana)
    assert isinstance(again, dict) and again["changed"] == 0
    run_json(kith, "segment", "add", "Union", ana)
    shown = run_json(kith, "show", ana)
    assert isinstance(shown, dict) and shown["segments"] == ["Tenants", "Union"]
    listed = run_json(kith, "list")
    assert isinstance(listed, list)
    assert {c["name"]: c["segments"] for c in listed} == {
        "Ana": ["Tenants", "Union"],
        "Bob": ["Tenants"],
    }
    members = run_json(kith, "segment", "show", "Tenants")
    assert isinstance(members, dict)
    assert [m["name"] for m in members["members"]] == ["Ana", "Bob"]
    removed = run_json(kith, "segment", "remove", "Tenants", bob)
    assert isinstance(removed, dict) and removed["changed"] == 1 and removed["contacts"] == 1
    assert run_json(kith, "show", bob)["segments"] == []  # type: ignore[index]
    assert kith("show", bob).exit_code == 0  # still in the private segment


def test_invalid_membership_changes_nothing(kith: Kith) -> None:
    ana = add(kith, "--name", "Ana")
    run_json(kith, "segment", "create", "Tenants")
    before = files(kith.vault_dir)
    unknown = kith("segment", "add", "Tenants", ana, "ffffffffffff")
    assert unknown.exit_code == 4 and unknown.stderr.startswith("kith: ")
    assert kith("segment", "add", "Tenants", ana, "not-hex").exit_code == 5
    assert kith("segment", "add", "Nowhere", ana).exit_code == 4
    assert kith("segment", "add", "Tenants").exit_code == 2
    assert files(kith.vault_dir) == before
    assert run_json(kith, "segment", "show", "Tenants")["members"] == []  # type: ignore[index]


def test_bad_names_are_refused(kith: Kith) -> None:
    run_json(kith, "segment", "create", "Tenants")
    before = files(kith.vault_dir)
    taken = kith("segment", "create", "TENANTS")
    assert taken.exit_code == 5 and "already exists" in taken.stderr
    assert kith("segment", "create", "  ").exit_code == 5
    assert kith("segment", "create", "x" * 65).exit_code == 5
    assert kith("segment", "create", "bad\x1bname").exit_code == 5
    assert files(kith.vault_dir) == before
    run_json(kith, "segment", "create", "Union")
    assert kith("segment", "rename", "Union", "tenants").exit_code == 5
    assert kith("segment", "rename", "Nope", "Other").exit_code == 4
    names = [s["name"] for s in run_json(kith, "segment", "list")]  # type: ignore[union-attr]
    assert names == ["Tenants", "Union"]


def test_delete_keeps_contacts_made_here(kith: Kith) -> None:
    ana = add(kith, "--name", "Ana")
    run_json(kith, "segment", "create", "Tenants")
    run_json(kith, "segment", "add", "Tenants", ana)
    refused = kith("segment", "delete", "Tenants")
    assert refused.exit_code == 2
    assert len(run_json(kith, "segment", "list")) == 1  # type: ignore[arg-type]
    done = run_json(kith, "segment", "delete", "tenants", "--yes")
    assert done == {"deleted": "Tenants", "kept": 1, "shredded": 0}
    assert run_json(kith, "segment", "list") == []
    assert run_json(kith, "show", ana)["segments"] == []  # type: ignore[index]
