"""The command line for preferences, through click's runner.

The vault-level tests are in tests/vault/domain/test_preferences.py.
"""

from __future__ import annotations

import json

from tests.conftest import Kith
from vault.domain.values import parse_moment


def add(kith: Kith, name: str) -> str:
    result = kith("add", "--name", name)
    assert result.exit_code == 0, result.stderr
    return result.stdout.strip()


def test_cli_prefs_show_and_change(kith: Kith) -> None:
    ana = add(kith, "Ana")
    shown = json.loads(kith("prefs", ana, "--json").stdout)
    assert shown["recorded"] is False and shown["allow"] == []
    assert "opt-in" in kith("prefs", ana).stdout
    changed = kith("prefs", ana, "--allow", "sms:events", "--allow", "email", "--deny",
                   "email:fundraising", "--max-frequency", "weekly", "--consent-source",
                   "paper form", "--consent-by", "Zoe", "--consent-date", "2026-05-01", "--json")
    assert changed.exit_code == 0, changed.stderr
    data = json.loads(changed.stdout)
    assert set(data) == {"contact", "recorded", "allow", "deny", "max_frequency",
                         "do_not_contact", "consent"}
    assert data["allow"] == ["email", "sms:events"] and data["deny"] == ["email:fundraising"]
    assert data["consent"][0]["at"] == parse_moment("2026-05-01")
    assert json.loads(kith("prefs", ana, "--do-not-contact", "--json").stdout)["do_not_contact"]
    cleared = json.loads(kith("prefs", ana, "--clear-do-not-contact", "--json").stdout)
    assert cleared["do_not_contact"] is False and len(cleared["consent"]) == 3


def test_cli_may_contact(kith: Kith) -> None:
    ana, bob = add(kith, "Ana"), add(kith, "Bob")
    kith("prefs", ana, "--allow", "sms")
    kith("prefs", bob, "--allow", "sms", "--max-frequency", "weekly")
    kith("log", bob, "--kind", "sms", "--date", "2026-06-08")
    early = json.loads(kith("may-contact", "sms", "events", "--at", "2026-06-10", "--json").stdout)
    assert [c["name"] for c in early] == ["Ana"]
    late = json.loads(kith("may-contact", "sms", "events", "--at", "2026-06-20", "--json").stdout)
    assert [c["name"] for c in late] == ["Ana", "Bob"]
    assert kith("may-contact", "fax", "events").exit_code == 5
    assert kith("may-contact", "sms", "events", "--at", "soon").exit_code == 5


def test_cli_prefs_failures_change_nothing(kith: Kith) -> None:
    ana = add(kith, "Ana")
    assert kith("prefs", "ffffffffffff").exit_code == 4
    assert kith("prefs", "ffffffffffff", "--allow", "sms").exit_code == 4
    unknown = kith("prefs", ana, "--allow", "sms", "--allow", "fax")
    assert unknown.exit_code == 5 and unknown.stderr.startswith("kith: Unknown channel")
    assert kith("prefs", ana, "--allow", "sms:gossip").exit_code == 5
    assert kith("prefs", ana, "--max-frequency", "hourly").exit_code == 5
    assert kith("prefs", ana, "--allow", "sms", "--consent-date", "yesterday").exit_code == 5
    assert kith("prefs", ana, "--allow", "sms", "--deny", "sms").exit_code == 5
    assert json.loads(kith("prefs", ana, "--json").stdout)["recorded"] is False
