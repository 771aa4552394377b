"""The command line for retention, through click's runner.

The vault-level tests are in tests/vault/domain/test_retention.py.
"""

from __future__ import annotations

import pytest

from tests.cli_helpers import add, files, run_json
from tests.conftest import Kith


def test_contact_expiry(kith: Kith) -> None:
    ana, bob = add(kith, "--name", "Ana"), add(kith, "--name", "Bob")
    kith("relate", ana, "works-with", bob)
    rules = run_json(kith, "retain", ana, "--until", "2025-03-31")
    assert rules == {"id": rules["id"], "until": "2025-03-31", "fields": {}}  # type: ignore[index]
    assert kith("expire", "--now", "2025-03-31", "--yes").stderr == "nothing has expired\n"
    plan = run_json(kith, "expire", "--now", "2025-04-01", "--dry-run")
    assert isinstance(plan, dict) and plan["shredded"] is False
    assert [(c["name"], c["because"], c["linked_records"]) for c in plan["contacts"]] == [
        ("Ana", "contact", 1)
    ]
    assert kith("show", ana).exit_code == 0  # a dry run changes nothing
    done = run_json(kith, "expire", "--now", "2025-04-01", "--yes")
    assert isinstance(done, dict) and done["shredded"] is True and done["records_shredded"] == 2
    assert kith("show", ana).exit_code == 4
    assert run_json(kith, "relations", bob) == []


def test_clear_and_show(kith: Kith) -> None:
    ana = add(kith, "--name", "Ana")
    run_json(kith, "retain", ana, "--until", "2025-03-31")
    cleared = run_json(kith, "retain", ana, "--clear")
    assert isinstance(cleared, dict) and cleared["until"] is None
    assert run_json(kith, "expire", "--now", "2030-01-01", "--dry-run")["contacts"] == []  # type: ignore[index]
    assert "kept indefinitely" in kith("retain", ana).stdout


def test_expire_needs_confirmation_off_a_terminal(kith: Kith) -> None:
    ana = add(kith, "--name", "Ana")
    run_json(kith, "retain", ana, "--until", "2020-01-01")
    before = files(kith.vault_dir)
    refused = kith("expire")
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    assert files(kith.vault_dir) == before
    assert kith("expire", "--yes").exit_code == 0  # today is after 2020-01-01
    assert kith("show", ana).exit_code == 4


def test_invalid_input_changes_nothing(kith: Kith) -> None:
    ana = add(kith, "--name", "Ana", "--phone", "+33612345678")
    run_json(kith, "segment", "create", "Tenants")
    before = files(kith.vault_dir)
    assert kith("retain", ana, "--until", "2025-02-30").exit_code == 5
    assert kith("retain", ana, "--until", "tomorrow").exit_code == 5
    assert kith("retain", "ffffffffffff", "--until", "2025-01-01").exit_code == 4
    assert kith("retain", "segment:Nowhere", "--until", "2025-01-01").exit_code == 4
    assert (
        kith("retain", "segment:Tenants", "--field", "phones", "--until", "2025-01-01").exit_code
        == 5
    )
    assert kith("retain", ana, "--field", "shoe size", "--until", "2025-01-01").exit_code == 4
    assert kith("retain", ana, "--field", "name", "--until", "2025-01-01").exit_code == 5
    assert kith("retain", ana, "--until", "2025-01-01", "--clear").exit_code == 2
    assert kith("expire", "--now", "2025-13-01", "--yes").exit_code == 5
    assert files(kith.vault_dir) == before


def test_field_expiry(kith: Kith) -> None:
    ana = add(
        kith,
        "--name",
        "Ana",
        "--phone",
        "+33612345678",
        "--email",
        "ana@example.org",
        "--field",
        "shirt=M",
        "--field",
        "diet=vegan",
    )
    run_json(kith, "retain", ana, "--field", "phone", "--until", "2025-03-31")
    rules = run_json(kith, "retain", ana, "--field", "Shirt", "--until", "2025-04-30")
    assert isinstance(rules, dict) and rules["fields"] == {
        "phones": "2025-03-31",
        "shirt": "2025-04-30",
    }
    first = run_json(kith, "expire", "--now", "2025-04-01", "--yes")
    assert isinstance(first, dict) and first["fields_removed"] == 1
    assert [f["field"] for f in first["fields"]] == ["phones"]
    shown = run_json(kith, "show", ana)
    assert isinstance(shown, dict)
    assert shown["phones"] == [] and shown["fields"] == {"shirt": "M", "diet": "vegan"}
    assert shown["emails"] == [{"value": "ana@example.org", "label": ""}]
    second = run_json(kith, "expire", "--now", "2025-05-01", "--yes")
    assert isinstance(second, dict) and second["fields_removed"] == 1
    shown = run_json(kith, "show", ana)
    assert shown["fields"] == {"diet": "vegan"}  # type: ignore[index]
    assert run_json(kith, "retain", ana)["fields"] == {}  # type: ignore[index]
    assert kith("expire", "--now", "2026-01-01", "--yes").stderr == "nothing has expired\n"


def test_segment_expiry_shreds_contacts_no_other_campaign_keeps(kith: Kith) -> None:
    signup, both, outsider = (add(kith, "--name", n) for n in ("Signup", "Both", "Outsider"))
    run_json(kith, "segment", "create", "March action")
    run_json(kith, "segment", "create", "Tenants")
    run_json(kith, "segment", "add", "March action", signup, both)
    run_json(kith, "segment", "add", "Tenants", both)
    kept = run_json(kith, "retain", "segment:march action", "--until", "2025-03-31")
    assert kept == {"segment": "March action", "id": kept["id"], "until": "2025-03-31"}  # type: ignore[index]
    plan = run_json(kith, "expire", "--now", "2025-04-01", "--dry-run")
    assert isinstance(plan, dict)
    assert [s["name"] for s in plan["segments"]] == ["March action"]
    assert [(c["name"], c["because"]) for c in plan["contacts"]] == [
        ("Signup", "segment:March action")
    ]
    done = run_json(kith, "expire", "--now", "2025-04-01", "--yes")
    assert isinstance(done, dict) and done["segments_deleted"] == 1
    names = sorted(c["name"] for c in run_json(kith, "list"))  # type: ignore[union-attr]
    assert names == ["Both", "Outsider"]
    assert [s["name"] for s in run_json(kith, "segment", "list")] == ["Tenants"]  # type: ignore[union-attr]
    assert kith("show", outsider).exit_code == 0


def test_expire_asks_on_a_terminal(kith: Kith, monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    from tui.commands import organizing

    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(organizing, "sys", types.SimpleNamespace(stdin=Tty()))
    ana = add(kith, "--name", "Ana")
    run_json(kith, "retain", ana, "--until", "2020-01-01")
    before = files(kith.vault_dir)
    declined = kith("expire", input="n\n")
    assert declined.exit_code == 1 and "Ana" in declined.stderr
    assert files(kith.vault_dir) == before
    accepted = kith("expire", input="y\n")
    assert accepted.exit_code == 0 and "shredded 1 record(s)" in accepted.stderr
    assert kith("show", ana).exit_code == 4
