"""The command line for interactions, through click's runner.

The vault-level tests are in tests/vault/domain/test_interactions.py.
"""

from __future__ import annotations

import json

from tests.cli_helpers import add
from tests.conftest import Kith
from vault.domain.values import parse_moment

INTERACTION_KEYS = {"id", "contact", "kind", "label", "at", "direction", "summary", "outcome",
                    "campaign", "event", "amount", "currency", "created"}


def test_cli_log_and_history(kith: Kith) -> None:
    ana = add(kith, "--name", "Ana")
    short = kith("log", ana, "--kind", "call", "--date", "2026-05-02T10:15", "--summary", "hi")
    assert short.exit_code == 0, short.stderr
    assert len(short.stdout.strip()) == 12
    gift = kith("log", ana, "--kind", "donation", "--date", "2026-05-03", "--amount", "20",
                "--currency", "eur", "--campaign", "Rent strike", "--json")
    data = json.loads(gift.stdout)
    assert set(data) == INTERACTION_KEYS
    assert (data["amount"], data["currency"], data["campaign"]) == ("20", "EUR", "Rent strike")
    assert data["at"] == parse_moment("2026-05-03")
    listed = json.loads(kith("history", ana[:5], "--json").stdout)
    assert [i["kind"] for i in listed] == ["donation", "call"]
    text = kith("history", ana)
    assert "2026-05-02 10:15 UTC" in text.stdout and "20 EUR" in text.stdout


def test_cli_log_failures_change_nothing(kith: Kith) -> None:
    ana = add(kith, "--name", "Ana")
    assert kith("log", "ffffffffffff", "--kind", "note").exit_code == 4
    assert kith("log", ana, "--kind", "note", "--event", "ffffffff").exit_code == 4
    bad_date = kith("log", ana, "--kind", "note", "--date", "2026-13-01")
    assert bad_date.exit_code == 5
    assert bad_date.stderr.startswith("kith: Dates are written")
    assert bad_date.stderr.count("\n") == 1
    unknown = kith("log", ana, "--kind", "carrier-pigeon")
    assert unknown.exit_code == 5 and "Unknown interaction kind" in unknown.stderr
    assert kith("log", ana, "--kind", "donation", "--amount", "5").exit_code == 5
    assert kith("log", ana, "--kind", "note", "--amount", "5", "--currency", "EUR").exit_code == 5
    assert kith("log", ana).exit_code == 2
    assert json.loads(kith("history", ana, "--json").stdout) == []
    assert kith("history", "ffffffffffff").exit_code == 4
    assert kith("history", ana, "--kind", "nope").exit_code == 5
