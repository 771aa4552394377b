"""Compose and preview: consent decides the audience, and every exclusion says why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from outreach.outbox import Outbox
from tests.conftest import PASSPHRASE, Kith
from tests.outreach.conftest import new_message, write
from vault.api import Vault


def _preview(kith: Kith, message: str) -> dict[str, Any]:
    result = kith("outreach", "preview", message, "--json")
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_preview_lists_recipients_exclusions_and_a_sample(
    kith: Kith, people: dict[str, str], tmp_path: Path
) -> None:
    message = new_message(kith, tmp_path, "--channel", "email", "--kind", "news",
                          "--audience", "segment:Volunteers", "--subject", "News for {given_name}",
                          body="Hello {given_name|friend} from {city|your town}, ward "
                               "{field:Ward|?}.\n")
    data = _preview(kith, message)
    recipients = {r["name"]: r["address"] for r in data["recipients"]}
    assert recipients == {"Ana Tester": "ana@example.org", "Dan Tester": "dan@example.org",
                          "Gus Tester": "gus@example.org"}
    reasons = {e["name"]: e["reason"] for e in data["excluded"]}
    assert reasons == {
        "Ben Tester": "no consent recorded (opt-in)",
        "Cleo Tester": "do-not-contact",
        "Eve Tester": "frequency limit (weekly)",
        "Finn Tester": "no email address",
    }
    sample = data["sample"]
    assert isinstance(sample, dict)
    assert sample["subject"] == "News for Ana"
    assert sample["text"].startswith("Hello Ana from Lyon, ward 3.\n")
    assert "reply STOP" in sample["text"]
    human = kith("outreach", "preview", message)
    assert human.exit_code == 0
    assert "do-not-contact" in human.stdout and "Subject: News for Ana" in human.stdout


def test_kind_rules_and_sms_addresses(kith: Kith, people: dict[str, str], tmp_path: Path) -> None:
    money = new_message(kith, tmp_path, "--channel", "email", "--kind", "fundraising",
                        "--audience", "segment:Volunteers", "--subject", "Give")
    reasons = {e["name"]: e["reason"] for e in _preview(kith, money)["excluded"]}
    assert reasons["Dan Tester"] == "no consent for email:fundraising"
    sms = new_message(kith, tmp_path, "--channel", "sms", "--kind", "campaign",
                      "--audience", "segment:Volunteers")
    data = _preview(kith, sms)
    assert [r["address"] for r in data["recipients"]] == ["+33612345678", "+33698765432"]
    assert data["message"]["kind"] == "campaign-alerts"


def test_saved_search_and_explicit_audiences(
    kith: Kith, people: dict[str, str], tmp_path: Path
) -> None:
    saved = new_message(kith, tmp_path, "--channel", "email", "--kind", "events",
                        "--audience", "saved:lyon", "--subject", "S")
    assert [r["name"] for r in _preview(kith, saved)["recipients"]] == ["Ana Tester"]
    ids = ",".join(people[n][:12] for n in ("Gus", "Ben"))
    explicit = new_message(kith, tmp_path, "--channel", "email", "--kind", "news",
                           "--audience", ids, "--subject", "S")
    data = _preview(kith, explicit)
    assert [r["name"] for r in data["recipients"]] == ["Gus Tester"]
    assert [e["name"] for e in data["excluded"]] == ["Ben Tester"]


def test_bad_templates_and_audiences_store_nothing(
    kith: Kith, people: dict[str, str], tmp_path: Path
) -> None:
    body = write(tmp_path, "b.txt", "Hi {0.__class__}")
    cases = [
        ("--audience", "segment:Volunteers", "--subject", "S", "--body-file", body),
        ("--audience", "segment:Nope", "--subject", "S", "--body-file",
         write(tmp_path, "c.txt", "ok")),
        ("--audience", "segment:Volunteers", "--subject", "{givn_name}", "--body-file",
         write(tmp_path, "d.txt", "ok")),
        ("--audience", "segment:Volunteers", "--body-file", write(tmp_path, "e.txt", "ok")),
    ]
    for args in cases:
        result = kith("outreach", "new", "--channel", "email", "--kind", "news", *args)
        assert result.exit_code in (4, 5), result.stderr
        assert result.stderr.startswith("kith: ")
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        assert Outbox.of(vault).messages() == []


def test_compose_works_offline_and_lists(
    kith: Kith, people: dict[str, str], tmp_path: Path
) -> None:
    message = new_message(kith, tmp_path, "--channel", "email", "--kind", "news",
                          "--audience", "segment:Volunteers", "--subject", "S")
    listed = json.loads(kith("outreach", "list", "--json").stdout)
    assert [m["id"][:12] for m in listed] == [message]
    assert listed[0]["frozen"] is False
    result = kith("outreach", "send", message)  # no transport configured
    assert result.exit_code == 4
    assert "kith outreach config email" in result.stderr
