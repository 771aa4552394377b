"""SMS through an intake form's webhook, meeting outreach: poll answers counted in
``kith outreach report``, and automatic replies sent through the SMS gateway (issue 16).

The relay is a real process on loopback; the phone is a real local HTTP server speaking the
SMS Gateway for Android API (``tests/outreach/outreach_servers.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.conftest import Kith
from tests.outreach.conftest import new_message, populate
from tests.outreach.outreach_servers import Gateway, sms_gateway
from tests.relay.conftest import RelayProcess
from tests.sync.pair import ok

pytestmark = pytest.mark.slow  # a real relay process

ANA, GUS, STRANGER = "+33612345678", "+33698765432", "+33700000001"


def _config_sms(kith: Kith, gateway: Gateway, tmp_path: Path) -> None:
    secret = tmp_path / "gw-pass"
    secret.write_text(gateway.password + "\n")
    ok(kith("outreach", "config", "sms", "--url", gateway.url, "--user", gateway.user,
            "--password-file", str(secret), "--rate", "6000"))


def _form(kith: Kith, relay: RelayProcess, *extra: str) -> str:
    made = json.loads(ok(kith(
        "intake", "create", "Vote", "--relay", relay.target, "--field", "phone", "--sms",
        "--poll", "A", "--poll", "B", "--poll", "PIZZA", "--json", *extra)).stdout)
    return str(made["sms_webhook"])


class Phone:
    """Texts to the relay's webhook as the SMS Gateway for Android app posts them."""

    def __init__(self, hook: str) -> None:
        self.hook = hook
        self.sent = 0

    def __call__(self, sender: str, text: str, at: str = "2099-01-01T10:00:00+00:00") -> None:
        self.sent += 1
        body = {"event": "sms:received", "id": f"evt-{self.sent}",
                "payload": {"message": text, "phoneNumber": sender, "receivedAt": at}}
        assert httpx.post(self.hook, json=body).status_code == 200


def test_poll_answers_by_sms_are_counted_in_the_outreach_report(
    kith: Kith, tmp_path: Path, sqlite_relay: RelayProcess
) -> None:
    populate(kith.vault_dir)  # Ana and Gus allow SMS
    with sms_gateway() as gateway:
        _config_sms(kith, gateway, tmp_path)
        message = new_message(kith, tmp_path, "--channel", "sms", "--kind", "events",
                              "--audience", "segment:Volunteers",
                              body="Which day? Reply A for Saturday, B for Sunday")
        ok(kith("outreach", "send", message))
    before = json.loads(ok(kith("outreach", "report", message, "--json")).stdout)
    assert before["poll"] == {} and before["sent"] == 2
    phone = Phone(_form(kith, sqlite_relay))
    phone(ANA, "a")
    phone(GUS, "A")
    phone(GUS, "b please")  # changed their mind: counted once, for B
    phone(STRANGER, "A")  # answered without having been sent the message
    phone(ANA, "B", at="2001-01-01T10:00:00")  # dated before the message: answers another
    pulled = json.loads(ok(kith("intake", "pull", "Vote", "--json")).stdout)
    assert pulled["answers"] == {"A": 3, "B": 2}
    after = json.loads(ok(kith("outreach", "report", message, "--json")).stdout)
    assert after["poll"] == {"A": 1, "B": 1}
    before.pop("poll")
    assert {k: v for k, v in after.items() if k != "poll"} == before  # existing keys unchanged
    shown = ok(kith("outreach", "report", message)).stdout
    assert "  poll          A 1, B 1" in shown.splitlines()
    assert json.loads(ok(kith("intake", "show", "Vote", "--json")).stdout)["poll"] == {
        "A": 3, "B": 2, "PIZZA": 0}
    # a pull with nothing new changes nothing
    ok(kith("intake", "pull", "Vote"))
    assert json.loads(ok(kith("outreach", "report", message, "--json")).stdout) == after


def _texts(gateway: Gateway) -> list[tuple[str, str]]:
    """(number, text) of every message the phone was asked to send, in order."""
    return [(body["phoneNumbers"][0], body["textMessage"]["text"])
            for method, _, body in gateway.requests if method == "POST"]


def test_automatic_replies_go_out_once_on_the_next_send_and_never_after_stop(
    kith: Kith, tmp_path: Path, sqlite_relay: RelayProcess
) -> None:
    populate(kith.vault_dir)
    phone = Phone(_form(kith, sqlite_relay))
    ok(kith("intake", "reply", "Vote", "join", "Welcome aboard! Reply STOP to stop."))
    ok(kith("intake", "reply", "Vote", "stop", "You are unsubscribed: no more texts."))
    ok(kith("intake", "reply", "Vote", "poll", "Thanks, your vote is counted."))
    assert kith("intake", "reply", "Vote", "maybe", "x").exit_code == 2
    assert kith("intake", "reply", "Vote", "poll", "x" * 400).exit_code == 5
    phone(STRANGER, "JOIN")
    phone(ANA, "A")
    phone(GUS, "B")  # queued, then dropped: Gus says STOP before it is sent
    phone(GUS, "STOP")
    pulled = json.loads(ok(kith("intake", "pull", "Vote", "--json")).stdout)
    assert pulled["replies_queued"] == 4
    shown = json.loads(ok(kith("intake", "show", "Vote", "--json")).stdout)
    assert shown["replies_waiting"] == 3 and set(shown["replies"]) == {"join", "stop", "poll"}
    with sms_gateway() as gateway:
        _config_sms(kith, gateway, tmp_path)
        assert _texts(gateway) == []  # queued, not sent, until the next send
        message = new_message(kith, tmp_path, "--channel", "sms", "--kind", "events",
                              "--audience", "segment:Volunteers", body="Meeting Tuesday")
        sent = ok(kith("outreach", "send", message))
        assert "automatic SMS replies: sent 3" in sent.stderr
        replies = [t for t in _texts(gateway) if t[1] != "Meeting Tuesday" and
                   not t[1].startswith("Meeting Tuesday")]
        assert replies == [(STRANGER, "Welcome aboard! Reply STOP to stop."),
                           (ANA, "Thanks, your vote is counted."),
                           (GUS, "You are unsubscribed: no more texts.")]
        assert all(number != GUS for number, text in _texts(gateway)
                   if text.startswith("Meeting"))  # the STOP held for outreach too
        again = json.loads(ok(kith("intake", "send-replies", "--json")).stdout)
        assert again == {"sent": 0, "failed": 0, "dropped": 0, "uncertain": 0, "waiting": 0}
        # after STOP, nothing: another poll answer, another STOP
        phone(GUS, "A")
        phone(GUS, "STOP")
        assert json.loads(ok(kith("intake", "pull", "Vote", "--json")).stdout)[
            "replies_queued"] == 0
        before = len(_texts(gateway))
        ok(kith("intake", "send-replies"))
        assert len(_texts(gateway)) == before
        # JOIN is a new opt-in: it is answered, and so are later answers
        phone(GUS, "JOIN")
        phone(GUS, "A")
        ok(kith("intake", "pull", "Vote"))
        done = json.loads(ok(kith("intake", "send-replies", "--json")).stdout)
        assert done["sent"] == 2
        assert _texts(gateway)[before:] == [(GUS, "Welcome aboard! Reply STOP to stop."),
                                            (GUS, "Thanks, your vote is counted.")]
    # the phone is gone: replies wait (certainly not sent), and go once it is back
    phone(ANA, "B")
    ok(kith("intake", "pull", "Vote"))
    down = json.loads(ok(kith("intake", "send-replies", "--json")).stdout)
    assert down["sent"] == 0 and down["waiting"] == 1
    with sms_gateway() as gateway:
        _config_sms(kith, gateway, tmp_path)
        assert json.loads(ok(kith("intake", "send-replies", "--json")).stdout)["sent"] == 1
        assert _texts(gateway) == [(ANA, "Thanks, your vote is counted.")]
