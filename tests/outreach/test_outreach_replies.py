"""Replies from a real mbox (and a Maildir): matching, STOP, poll answers, the report."""

from __future__ import annotations

import json
import mailbox
import time
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from outreach.replies import keyword
from tests.conftest import PASSPHRASE, Kith
from tests.outreach.conftest import config_email, new_message
from tests.outreach.outreach_servers import Collector
from vault.api import Vault
from vault.domain.interactions import make_draft


def _reply(sender: str, body: str, *, in_reply_to: str = "", subject: str = "Re: S",
           own: str = "") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "team@org.example"
    msg["Subject"] = subject
    msg["Date"] = formatdate(time.time() + 60, usegmt=True)
    msg["Message-ID"] = own or f"<{abs(hash((sender, body)))}@mail.example>"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = f"<older@x.example> {in_reply_to}"
    msg.set_content(body)
    return msg


def _sent(kith: Kith, smtp: Collector, tmp_path: Path) -> tuple[str, dict[str, str]]:
    config_email(kith, smtp.port)
    message = new_message(kith, tmp_path, "--channel", "email", "--kind", "news",
                          "--audience", "segment:Volunteers", "--subject", "S")
    assert kith("outreach", "send", message).exit_code == 0
    return message, {item.rcpt_tos[0]: str(item.message["Message-ID"]) for item in smtp.received}


def test_mbox_replies_match_stop_and_report(
    kith: Kith, people: dict[str, str], smtp: Collector, tmp_path: Path
) -> None:
    message, ids = _sent(kith, smtp, tmp_path)
    path = tmp_path / "replies.mbox"
    box = mailbox.mbox(path)
    box.add(_reply("Ana <ANA@example.org>", "Yes! Count me in.\n\n> quoted",
                   in_reply_to=ids["ana@example.org"]))
    box.add(_reply("dan@example.org", "STOP\n"))  # no headers: matched by address
    box.add(_reply("stranger@else.example", "who is this?"))
    box.add(_reply("gus@other.example", "Thanks", in_reply_to=ids["gus@example.org"]))
    box.flush()
    box.close()

    result = kith("outreach", "replies", "import", str(path), "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"read": 4, "matched": 3, "unmatched": 1,
                                         "duplicates": 0, "opted_out": 1, "opted_in": 0,
                                         "answers": 1}
    again = json.loads(kith("outreach", "replies", "import", str(path), "--json").stdout)
    assert (again["duplicates"], again["matched"]) == (3, 0)

    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        dan = bytes.fromhex(people["Dan"])
        assert not vault.preferences.get(dan).allows("email", "news")
        assert "email reply STOP" in vault.preferences.get(dan).consent[-1].source
        ana = vault.interactions.history(bytes.fromhex(people["Ana"]))
        assert ana[0].kind == "email-received" and ana[0].outcome == "yes"
        vault.interactions.log(bytes.fromhex(people["Gus"]),
                               make_draft("petition-signed", int(time.time()) + 120,
                                          campaign="Save the park"))
    report = json.loads(kith("outreach", "report", message, "--json").stdout)
    assert (report["sent"], report["replied"], report["opted_out"], report["acted"]) == (
        3, 3, 1, 1)
    assert report["answered_yes"] == 1
    assert report["rates"] == {"sent": 1.0, "replied": 1.0, "opted_out": 0.333, "acted": 0.333}
    human = kith("outreach", "report", message)
    assert "opted out" in human.stdout and "33.3%" in human.stdout
    # Dan opted out: the next news email leaves him out, with the reason.
    nxt = new_message(kith, tmp_path, "--channel", "email", "--kind", "news",
                      "--audience", "segment:Volunteers", "--subject", "S2")
    excluded = json.loads(kith("outreach", "preview", nxt, "--json").stdout)["excluded"]
    assert {"Dan Tester": "no consent for email:news"}.items() <= {
        e["name"]: e["reason"] for e in excluded}.items()


def test_maildir_and_unmatched_stop_is_still_honoured(
    kith: Kith, people: dict[str, str], smtp: Collector, tmp_path: Path
) -> None:
    _sent(kith, smtp, tmp_path)
    folder = tmp_path / "Maildir"
    box = mailbox.Maildir(folder)
    box.add(_reply("eve@example.org", "unsubscribe"))  # Eve was never sent this message
    box.close()
    result = json.loads(kith("outreach", "replies", "import", str(folder), "--json").stdout)
    assert (result["unmatched"], result["opted_out"]) == (1, 1)
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        assert not vault.preferences.get(bytes.fromhex(people["Eve"])).allows("email", "news")


def test_encoded_subject_and_missing_message_id(
    kith: Kith, people: dict[str, str], smtp: Collector, tmp_path: Path
) -> None:
    _sent(kith, smtp, tmp_path)
    msg = EmailMessage()
    msg["From"] = "=?utf-8?q?Gus_T=C3=A9ster?= <gus@example.org>"
    msg["Subject"] = "Re: Réunion"
    msg.set_content("no")
    path = tmp_path / "one.mbox"
    box = mailbox.mbox(path)
    box.add(msg)
    box.close()
    for expected in ((1, 0), (0, 1)):  # the second import recognizes it by its digest
        done = json.loads(kith("outreach", "replies", "import", str(path), "--json").stdout)
        assert (done["matched"], done["duplicates"]) == expected
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        (reply,) = vault.interactions.history(bytes.fromhex(people["Gus"]),
                                              kind="email-received")
        assert (reply.summary, reply.outcome) == ("Re: Réunion", "no")


def test_keywords() -> None:
    assert keyword("  stop please") == "STOP"
    assert keyword("> STOP\nno thanks") == "NO"
    assert keyword("", "Unsubscribe") == "UNSUBSCRIBE"
    assert keyword("Stopping by later") == ""
    assert keyword("y") == "Y"
