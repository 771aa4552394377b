"""``kith introduce`` through a real SMTP server: two accept, one declines, one never answers.

Only the two who said YES receive each other's details; nothing any command prints, no
message the server received, and no interaction names the other two. A later YES is
introduced to those already connected; a withdrawal stops every later introduction.
"""

from __future__ import annotations

import json
import mailbox
import time
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE, Kith
from tests.outreach.conftest import config_email
from tests.outreach.outreach_servers import Collector, Gateway, free_port
from tests.sealed_markers import assert_sealed
from vault.api import Vault
from vault.domain.model import Address, ContactDraft, Email, Phone
from vault.domain.preferences import PreferenceChange

PEOPLE = ("Amaya", "Bruno", "Celine", "Dario")  # Amaya, Bruno say YES; Celine NO; Dario silent


def _people(kith: Kith) -> dict[str, str]:
    made = {}
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        for given in PEOPLE:
            contact = vault.contacts.add(ContactDraft(
                name=f"{given} Quillon", given_name=given, family_name="Quillon",
                emails=(Email(f"{given.lower()}@example.org"),),
                addresses=(Address(locality="Lyon", country="FR"),), tags=("organize",)))
            vault.preferences.change(bytes.fromhex(contact.id),
                                     PreferenceChange(allow=("email",)), now=0)
            made[given] = contact.id
        vault.saved_searches.save("lyon-organize", "city:Lyon tag:organize")
    return made


def _reply(sender: str, body: str, refs: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "team@org.example", "Re: invitation"
    msg["Date"] = formatdate(time.time() + 60, usegmt=True)
    msg["Message-ID"] = f"<{sender.split('@', maxsplit=1)[0]}-reply@mail.example>"
    if refs:
        msg["In-Reply-To"] = refs
    msg.set_content(body)
    return msg


def _run(kith: Kith, outputs: list[str], *args: str) -> str:
    result = kith(*args)
    assert result.exit_code == 0, result.stderr
    outputs += [result.stdout, result.stderr]
    return result.stdout


def _introductions(smtp: Collector) -> dict[str, str]:
    return {item.rcpt_tos[0]: item.message.get_content() for item in smtp.received
            if str(item.message["Subject"]) == "Supporters near you who said YES"}


@pytest.fixture
def people(kith: Kith) -> dict[str, str]:
    return _people(kith)


def test_only_the_people_who_said_yes_meet_and_nobody_else_is_named(
    kith: Kith, people: dict[str, str], smtp: Collector, tmp_path: Path
) -> None:
    outputs: list[str] = []
    config_email(kith, smtp.port)
    round_id = _run(kith, outputs, "introduce", "new", "--audience", "saved:lyon-organize"
                    ).strip().splitlines()[-1]
    _run(kith, outputs, "introduce", "send", round_id)
    invitations = {item.rcpt_tos[0]: item for item in smtp.received}
    assert sorted(invitations) == sorted(f"{g.lower()}@example.org" for g in PEOPLE)
    for address, item in invitations.items():
        text = item.message.get_content()
        assert "reply YES to share your name and email address" in text.replace("Reply", "reply")
        others = [g for g in PEOPLE if g.lower() not in address]
        assert not any(o in text or o.lower() in text for o in others)  # nobody else named
        assert item.rcpt_tos == [address]

    box = mailbox.mbox(tmp_path / "replies.mbox")
    for given, word in (("Amaya", "YES, happy to"), ("Bruno", "yes"), ("Celine", "NO thanks")):
        address = f"{given.lower()}@example.org"
        box.add(_reply(address, word, str(invitations[address].message["Message-ID"])))
    box.add(_reply("dario@example.org", "YES", ""))  # forged: From alone, no reference
    box.flush()
    box.close()
    _run(kith, outputs, "outreach", "replies", "import", str(tmp_path / "replies.mbox"))
    status = json.loads(_run(kith, outputs, "introduce", "status", round_id, "--json"))
    assert status == {"invited": 4, "yes": 2, "no": 1, "no_answer": 0, "unconfirmed_yes": 1,
                      "withdrawn": 0, "may_connect": 2, "connected": 0}

    done = json.loads(_run(kith, outputs, "introduce", "connect", round_id, "--json",
                           "--segment", "Lyon organizers"))
    assert done == {"accepted": 2, "sent": 2, "failed": 0, "deferred": 0, "up_to_date": 0,
                    "added_to_segment": 2}
    sent = _introductions(smtp)
    assert sorted(sent) == ["amaya@example.org", "bruno@example.org"]
    assert "Bruno Quillon - bruno@example.org" in sent["amaya@example.org"]
    assert "Amaya Quillon - amaya@example.org" in sent["bruno@example.org"]
    assert "Amaya" not in sent["amaya@example.org"].split("YES too:")[1]
    for item in smtp.received:
        raw = item.content.decode("utf-8", "replace")
        for quiet in ("Celine", "Dario"):
            if item.rcpt_tos != [f"{quiet.lower()}@example.org"]:
                assert quiet not in raw and quiet.lower() not in raw
    for text in outputs:
        assert not any(g in text or f"{g.lower()}@" in text for g in PEOPLE)

    again = json.loads(_run(kith, outputs, "introduce", "connect", round_id, "--json"))
    assert (again["sent"], again["up_to_date"]) == (0, 2)  # nobody is sent the list twice
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        amaya = vault.preferences.get(bytes.fromhex(people["Amaya"]))
        entry = amaya.consent[-1]
        assert entry.source == "email reply" and "YES to sharing name and email" in entry.text
        assert entry.at > time.time() - 3600
        celine = bytes.fromhex(people["Celine"])
        assert not any("introduction" in (i.summary or "")
                       for i in vault.interactions.history(celine))
        for given in ("Amaya", "Bruno"):
            history = vault.interactions.history(bytes.fromhex(people[given]))
            assert [i.summary for i in history if i.campaign.startswith("introduction")] == [
                "introduction"]
        segment = vault.segments.find("Lyon organizers")
        assert sorted(c.hex() for c in vault.segments.contact_ids(segment)) == sorted(
            [people["Amaya"], people["Bruno"]])


def test_a_later_yes_meets_the_rest_and_a_withdrawal_stops_introductions(
    kith: Kith, people: dict[str, str], smtp: Collector
) -> None:
    outputs: list[str] = []
    config_email(kith, smtp.port)
    round_id = _run(kith, outputs, "introduce", "new", "--audience", "saved:lyon-organize",
                    "--share", "name,email").strip().splitlines()[-1]
    for given in ("Amaya", "Bruno"):
        _run(kith, outputs, "introduce", "record", round_id, people[given][:12], "--answer",
             "yes", "--source", "meeting", "--by", "Organizer")
    assert json.loads(_run(kith, outputs, "introduce", "connect", round_id, "--json"))[
        "sent"] == 2
    _run(kith, outputs, "introduce", "withdraw", people["Bruno"][:12], "--source", "phone call")
    _run(kith, outputs, "introduce", "record", round_id, people["Dario"][:12], "--answer",
         "yes", "--source", "paper form", "--at", "2026-11-30")
    smtp.received.clear()
    done = json.loads(_run(kith, outputs, "introduce", "connect", round_id, "--json"))
    assert (done["accepted"], done["sent"]) == (2, 2)  # Amaya and Dario; Bruno withdrew
    sent = _introductions(smtp)
    assert sorted(sent) == ["amaya@example.org", "dario@example.org"]
    assert "Dario Quillon" in sent["amaya@example.org"]
    assert "Bruno" not in sent["amaya@example.org"] and "Bruno" not in sent["dario@example.org"]
    assert "Amaya Quillon - amaya@example.org" in sent["dario@example.org"]
    # A new round leaves out the person who withdrew.
    second = _run(kith, outputs, "introduce", "new", "--audience", "saved:lyon-organize",
                  "--json")
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        from outreach.outbox import Outbox

        message = Outbox.of(vault).get(bytes.fromhex(json.loads(second)["message"]))
        assert people["Bruno"] not in message.audience and people["Amaya"] in message.audience
        bruno = vault.preferences.get(bytes.fromhex(people["Bruno"])).consent[-1]
        assert bruno.source == "phone call" and "withdrew" in bruno.text
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:  # answers and sources are sealed
        assert_sealed(vault, ["Quillon", "amaya@example.org", "paper form", "phone call",
                              "Organizer", "introduction round", "withdrew", "name,email"])
    assert kith("introduce", "record", round_id, people["Celine"][:12], "--answer", "maybe",
                "--source", "x").exit_code == 2
    assert kith("introduce", "record", round_id, people["Celine"][:12], "--answer", "yes",
                "--source", "").exit_code == 5
    assert kith("introduce", "new", "--audience", "saved:lyon-organize", "--share",
                "email").exit_code == 5


def test_by_sms_a_stop_after_yes_is_never_introduced(
    kith: Kith, gateway: Gateway, tmp_path: Path
) -> None:
    outputs: list[str] = []
    phones = {g: f"+3361000000{i}" for i, g in enumerate(PEOPLE)}
    made = {}
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        for given, phone in phones.items():
            contact = vault.contacts.add(ContactDraft(
                name=f"{given} Quillon", given_name=given, phones=(Phone(phone),)))
            vault.preferences.change(bytes.fromhex(contact.id),
                                     PreferenceChange(allow=("sms",)), now=0)
            made[given] = contact.id
    secret = tmp_path / "gw-pass"
    secret.write_text(gateway.password + "\n")
    _run(kith, outputs, "outreach", "config", "sms", "--url", gateway.url, "--user",
         gateway.user, "--password-file", str(secret), "--rate", "6000")
    round_id = _run(kith, outputs, "introduce", "new", "--channel", "sms", "--share",
                    "name,phone", "--audience", ",".join(made.values())).strip().splitlines()[-1]
    _run(kith, outputs, "introduce", "send", round_id)
    texts = [body["textMessage"]["text"] for _, _, body in gateway.requests]
    assert len(texts) == 4 and all("share your name and phone number" in t for t in texts)

    def hook(phone: str, text: str, ident: str, at: str) -> dict[str, object]:
        return {"event": "sms:received", "id": ident, "payload": {
            "messageId": ident, "message": text, "phoneNumber": phone, "receivedAt": at}}

    inbox = tmp_path / "hooks.json"
    inbox.write_text(json.dumps([
        hook(phones["Amaya"], "YES", "h1", "2030-01-01T10:00:00+00:00"),
        hook(phones["Bruno"], "yes!", "h2", "2030-01-01T10:01:00+00:00"),
        hook(phones["Celine"], "no", "h3", "2030-01-01T10:02:00+00:00"),
        hook(phones["Bruno"], "STOP", "h4", "2030-01-01T11:00:00+00:00"),
    ]))
    _run(kith, outputs, "outreach", "sms-inbox", str(inbox))
    gateway.requests.clear()
    alone = json.loads(_run(kith, outputs, "introduce", "connect", round_id, "--json"))
    assert (alone["accepted"], alone["sent"], gateway.requests) == (1, 0, [])
    _run(kith, outputs, "introduce", "record", round_id, made["Dario"][:12], "--answer", "yes",
         "--source", "intake form")
    done = json.loads(_run(kith, outputs, "introduce", "connect", round_id, "--json"))
    assert (done["accepted"], done["sent"]) == (2, 2)
    sent = {body["phoneNumbers"][0]: body["textMessage"]["text"]
            for _, _, body in gateway.requests}
    assert sorted(sent) == sorted([phones["Amaya"], phones["Dario"]])
    assert f"Dario Quillon - {phones['Dario']}" in sent[phones["Amaya"]]
    assert f"Amaya Quillon - {phones['Amaya']}" in sent[phones["Dario"]]
    for text in [*sent.values(), *outputs]:
        assert "Bruno" not in text and "Celine" not in text
        assert phones["Bruno"] not in text and phones["Celine"] not in text


def test_a_refused_or_unreachable_introduction_is_taken_back_and_retried(
    kith: Kith, people: dict[str, str], smtp: Collector
) -> None:
    outputs: list[str] = []
    config_email(kith, free_port())  # nothing listens there
    round_id = _run(kith, outputs, "introduce", "new", "--audience", "saved:lyon-organize"
                    ).strip().splitlines()[-1]
    for given in ("Amaya", "Bruno"):
        _run(kith, outputs, "introduce", "record", round_id, people[given][:12], "--answer",
             "yes", "--source", "meeting")
    down = kith("introduce", "connect", round_id, "--json")
    assert down.exit_code == 1 and "Could not reach the mail server" in down.stderr
    status = json.loads(_run(kith, outputs, "introduce", "status", round_id, "--json"))
    assert status["connected"] == 0  # nothing left, so nothing is recorded as sent

    config_email(kith, smtp.port)
    smtp.refuse.add("bruno@example.org")
    first = json.loads(_run(kith, outputs, "introduce", "connect", round_id, "--json"))
    assert (first["sent"], first["failed"]) == (1, 1)
    smtp.refuse.clear()
    second = json.loads(_run(kith, outputs, "introduce", "connect", round_id, "--json"))
    assert (second["sent"], second["up_to_date"]) == (1, 1)
    assert sorted(_introductions(smtp)) == ["amaya@example.org", "bruno@example.org"]
