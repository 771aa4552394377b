"""The command line for events, through click's runner.

The vault-level tests are in tests/vault/domain/test_events.py.
"""

from __future__ import annotations

import json

from tests.cli_helpers import add
from tests.conftest import Kith
from tests.vault.domain.test_events import START

EVENT_KEYS = {"id", "name", "starts", "ends", "place", "capacity", "description", "signups",
              "attended", "created"}


def new_event(kith: Kith, *args: str) -> str:
    made = kith("event", "create", "--name", "Assembly", "--date", "2026-06-20T18:30", *args)
    assert made.exit_code == 0, made.stderr
    return made.stdout.strip()


def test_cli_event_flow(kith: Kith) -> None:
    ana = add(kith, "--name", "Ana", "--email", "ana@example.org")
    bob = add(kith, "--name", "Bob")
    created = kith("event", "create", "--name", "Assembly", "--date", "2026-06-20T18:30",
                   "--end", "2026-06-20T21:00", "--place", "Hall", "--capacity", "10", "--json")
    data = json.loads(created.stdout)
    assert set(data) == EVENT_KEYS and data["starts"] == START and data["capacity"] == 10
    ev = data["id"][:12]
    signed = json.loads(kith("event", "signup", ev, ana, bob, "--json").stdout)
    assert sorted(c[:12] for c in signed["signed_up"]) == sorted([ana, bob])
    assert signed["already"] == []
    checked = json.loads(kith("event", "checkin", ev, ana, "--json").stdout)
    assert len(checked["checked_in"]) == 1
    again = json.loads(kith("event", "checkin", ev, ana, "--json").stdout)
    assert again["checked_in"] == [] and len(again["already"]) == 1
    quick = kith("event", "signup", ev, "--name", "Cleo", "--phone", "06 11 22 33 44",
                 "--checkin", "--json")
    assert quick.exit_code == 0, quick.stderr
    assert json.loads(quick.stdout)["created"] is True
    shown = json.loads(kith("event", "show", ev, "--json").stdout)
    assert len(shown["signups"]) == 3 and len(shown["attended"]) == 2
    assert "Hall" in kith("event", "show", ev).stdout
    assert json.loads(kith("event", "list", "--json").stdout)[0]["id"] == data["id"]
    history = json.loads(kith("history", ana, "--json").stdout)
    assert [h["kind"] for h in history] == ["event-attended"]
    assert history[0]["event"] == data["id"]
    logged = kith("log", bob, "--kind", "email-sent", "--event", ev, "--json")
    assert json.loads(logged.stdout)["event"] == data["id"]


def test_cli_event_failures_change_nothing(kith: Kith) -> None:
    ana = add(kith, "--name", "Ana")
    assert kith("event", "create", "--name", "X", "--date", "2026-06-31").exit_code == 5
    assert kith("event", "create", "--name", "X", "--date", "tomorrow").exit_code == 5
    assert kith("event", "create", "--name", "X", "--date", "2026-06-01",
                "--end", "2026-05-01").exit_code == 5
    assert kith("event", "create", "--name", "X", "--date", "2026-06-01",
                "--capacity", "0").exit_code == 5
    assert json.loads(kith("event", "list", "--json").stdout) == []
    ev = new_event(kith, "--capacity", "1")
    assert kith("event", "show", "ffffffffffff").exit_code == 4
    assert kith("event", "signup", "ffffffffffff", ana).exit_code == 4
    assert kith("event", "signup", ev, ana, "ffffffffffff").exit_code == 4
    bob = add(kith, "--name", "Bob")
    full = kith("event", "signup", ev, ana, bob)
    assert full.exit_code == 5 and full.stderr.startswith("kith: The event is full")
    assert kith("event", "signup", ev).exit_code == 5  # neither ids nor quick details
    assert kith("event", "signup", ev, ana, "--email", "a@example.org").exit_code == 5
    assert kith("event", "checkin", ev, "ffffffffffff").exit_code == 4
    assert kith("event", "checkin", ev).exit_code == 2
    assert json.loads(kith("event", "show", ev, "--json").stdout)["signups"] == []


def test_cli_door_mode(kith: Kith) -> None:
    add(kith, "--name", "Ana Lima", "--email", "ana@example.org")
    ev = new_event(kith)
    lines = "\n".join([
        "# door list",
        "ana; ANA@example.org",
        "Dan Roy; dan@example.org",
        "no separator here",
        "Eve; +33 6 99 88 77 66",
        "",
    ])
    result = kith("event", "quick", ev, "--checkin", "--json", input=lines)
    assert result.exit_code == 5
    assert result.stderr.splitlines()[0].startswith("kith: line 4: Invalid input")
    done = json.loads(result.stdout)
    assert [(d["name"], d["created"]) for d in done] == [
        ("Ana Lima", False), ("Dan Roy", True), ("Eve", True)]
    assert all(d["checked_in"] for d in done)
    shown = json.loads(kith("event", "show", ev, "--json").stdout)
    assert len(shown["attended"]) == 3
    clean = kith("event", "quick", ev, input="Fay; fay@example.org\n")
    assert clean.exit_code == 0 and "new contact" in clean.stdout
