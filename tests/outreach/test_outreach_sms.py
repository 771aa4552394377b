"""SMS through a loopback SMS Gateway for Android local server; STOP flips the preference."""

from __future__ import annotations

import json
from pathlib import Path

from outreach.config import sms_settings
from outreach.outbox import Outbox
from outreach.sender import Sender, SendOutcome
from outreach.sms_gateway import SmsGateway
from tests.conftest import PASSPHRASE, Kith
from tests.outreach.conftest import new_message, write
from tests.outreach.outreach_servers import Gateway
from vault.api import Vault


def _config(kith: Kith, gateway: Gateway, tmp_path: Path) -> None:
    secret = write(tmp_path, "gw-pass", gateway.password + "\n")
    result = kith("outreach", "config", "sms", "--url", gateway.url, "--user", gateway.user,
                  "--password-file", secret, "--rate", "6000")
    assert result.exit_code == 0, result.stderr


def _webhook(phone: str, text: str, ident: str) -> dict[str, object]:
    return {"event": "sms:received", "id": ident, "webhookId": "w1", "deviceId": "d1",
            "payload": {"messageId": ident, "message": text, "phoneNumber": phone,
                        "receivedAt": "2030-01-01T10:00:00.000+00:00"}}


def test_sms_send_then_stop_and_poll_replies(
    kith: Kith, people: dict[str, str], gateway: Gateway, tmp_path: Path
) -> None:
    _config(kith, gateway, tmp_path)
    message = new_message(kith, tmp_path, "--channel", "sms", "--kind", "events",
                          "--audience", "segment:Volunteers",
                          body="{given_name}, meeting Tuesday. Coming? YES/NO")
    result = kith("outreach", "send", message, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["sent"] == 2
    posts = [body for method, _, body in gateway.requests if method == "POST"]
    by_phone = {b["phoneNumbers"][0]: b for b in posts}
    assert list(by_phone) == ["+33612345678", "+33698765432"]  # preview's order: Ana, Gus
    assert all(len(b["phoneNumbers"]) == 1 for b in posts)
    assert by_phone["+33612345678"]["textMessage"]["text"] == (
        "Ana, meeting Tuesday. Coming? YES/NO\nReply STOP to opt out.")
    assert all(str(b["id"]).startswith("kith-") for b in posts)

    inbox = tmp_path / "webhooks.json"
    inbox.write_text(json.dumps([
        _webhook("+33612345678", "Stop", "in-1"),
        _webhook("+33698765432", "yes", "in-2"),
        {"event": "sms:delivered", "payload": {}},
    ]))
    done = json.loads(kith("outreach", "sms-inbox", str(inbox), "--json").stdout)
    assert (done["matched"], done["opted_out"], done["answers"]) == (2, 1, 1)
    again = json.loads(kith("outreach", "sms-inbox", str(inbox), "--json").stdout)
    assert again["duplicates"] == 2

    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        ana = vault.preferences.get(bytes.fromhex(people["Ana"]))
        assert not ana.allows("sms", "events") and ana.allows("email", "news")
        history = vault.interactions.history(bytes.fromhex(people["Ana"]), kind="sms")
        assert [i.direction for i in history] == ["in", "out"]
    report = json.loads(kith("outreach", "report", message, "--json").stdout)
    assert (report["opted_out"], report["answered_yes"], report["replied"]) == (1, 1, 2)
    nxt = new_message(kith, tmp_path, "--channel", "sms", "--kind", "events",
                      "--audience", "segment:Volunteers", body="again")
    preview = json.loads(kith("outreach", "preview", nxt, "--json").stdout)
    assert [r["name"] for r in preview["recipients"]] == ["Gus Tester"]


def test_interrupted_sms_is_checked_with_the_gateway(
    kith: Kith, people: dict[str, str], gateway: Gateway, tmp_path: Path
) -> None:
    _config(kith, gateway, tmp_path)
    message = new_message(kith, tmp_path, "--channel", "sms", "--kind", "news",
                          "--audience", "segment:Volunteers", body="hello")
    settings = sms_settings(gateway.url, user=gateway.user, password=gateway.password)
    client = SmsGateway(settings)
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        outbox = Outbox.of(vault)
        raw = outbox.resolve(message)
        Sender(vault, raw, client, per_minute=60).freeze(SendOutcome())
        first, second = outbox.deliveries(raw)
        # first: the phone got it, then we died; second: we died before the POST.
        gateway.messages["kith-known"] = {"id": "kith-known", "state": "Sent", "recipients": []}
        outbox.update(first.id, state="sending", message_id="kith-known")
        outbox.update(second.id, state="sending", message_id="kith-never-posted")
    result = json.loads(kith("outreach", "send", message, "--json").stdout)
    assert (result["sent"], result["uncertain"]) == (1, 0)
    posted = [b["phoneNumbers"][0] for m, _, b in gateway.requests if m == "POST"]
    assert posted == [second.address]
    report = json.loads(kith("outreach", "report", message, "--json").stdout)
    assert report["sent"] == 2


def test_wrong_gateway_password_sends_nothing(
    kith: Kith, people: dict[str, str], gateway: Gateway, tmp_path: Path
) -> None:
    gateway.password = "other"
    secret = write(tmp_path, "gw-pass", "wrong\n")
    assert kith("outreach", "config", "sms", "--url", gateway.url, "--user", "sms",
                "--password-file", secret).exit_code == 0
    message = new_message(kith, tmp_path, "--channel", "sms", "--kind", "news",
                          "--audience", "segment:Volunteers", body="hello")
    result = kith("outreach", "send", message)
    assert result.exit_code == 1 and "run send again" in result.stderr
    assert gateway.messages == {}
    report = json.loads(kith("outreach", "report", message, "--json").stdout)
    assert report["queued"] == 2
