"""A YES on an introduction's intake form counts as a YES by email does (issues 16 and 17).

Four people are invited through a real SMTP server; each invitation carries that person's
own link to the form (served by the real relay process). Amaya says YES by email reply, Bruno
ticks YES on the form in headless Chromium, Celine says NO, Dario never answers; a YES typed
into the form in Dario's name without his link is left unconfirmed. Only Amaya and Bruno
receive each other's details, and nothing names Celine or Dario.
"""

from __future__ import annotations

import json
import mailbox
import re
import time
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE, Kith
from tests.outreach.conftest import config_email
from tests.outreach.outreach_servers import smtp_server
from tests.outreach.test_introduce import PEOPLE, _introductions, _people, _reply
from tests.relay.browser import chromium, fill_form
from tests.relay.conftest import RelayProcess
from tests.sync.pair import ok
from vault.api import Vault

pytestmark = pytest.mark.slow  # a relay process, an SMTP server and a browser

LINK = re.compile(r"Or answer on this page: (\S+)")


def test_a_yes_on_the_form_introduces_like_a_yes_by_email(
    kith: Kith, tmp_path: Path, sqlite_relay: RelayProcess
) -> None:
    people = _people(kith)
    outputs: list[str] = []

    def run(*args: str) -> str:
        result = ok(kith(*args))
        outputs.extend([result.stdout, result.stderr])
        return result.stdout

    with smtp_server() as smtp:
        config_email(kith, smtp.port)
        round_id = run("introduce", "new", "--audience", "saved:lyon-organize"
                       ).strip().splitlines()[-1]
        form = json.loads(run("intake", "create", "Lyon answers", "--relay",
                              sqlite_relay.target, "--field", "name", "--field", "email",
                              "--introduction", round_id, "--json"))
        assert form["consents"] == [
            "Yes: share my name and email address with the supporters near me who also say yes"]
        run("introduce", "send", round_id)
        invitations = {item.rcpt_tos[0]: item for item in smtp.received}
        links = {}
        for address, item in invitations.items():
            [link] = LINK.findall(item.message.get_content())
            assert link.startswith(form["form"] + "#i=")
            links[address] = link
        assert len(set(links.values())) == 4  # one link per person

        box = mailbox.mbox(tmp_path / "replies.mbox")
        for given, word in (("Amaya", "YES please"), ("Celine", "NO thanks")):
            address = f"{given.lower()}@example.org"
            box.add(_reply(address, word, str(invitations[address].message["Message-ID"])))
        box.flush()
        box.close()
        run("outreach", "replies", "import", str(tmp_path / "replies.mbox"))

        with chromium() as driver:
            shown = fill_form(driver, links["bruno@example.org"],
                              {"name": "Bruno Quillon", "email": "bruno@example.org"}, ["yes"])
            assert shown.strip()
            driver.get("about:blank")
            # Someone answers in Dario's name without his link, and with a made-up code
            fill_form(driver, form["form"], {"name": "Dario Quillon",
                                             "email": "dario@example.org"}, ["yes"])
            driver.get("about:blank")
            fill_form(driver, form["form"] + "#i=AAAAAAAAAAAAAAAA",
                      {"name": "Dario Quillon", "email": "dario@example.org"}, ["yes"])
        pulled = json.loads(run("intake", "pull", "Lyon answers", "--json"))
        assert (pulled["intro_accepted"], pulled["intro_unconfirmed"]) == (1, 2)
        status = json.loads(run("introduce", "status", round_id, "--json"))
        assert status == {"invited": 4, "yes": 2, "no": 1, "no_answer": 1,
                          "unconfirmed_yes": 0, "withdrawn": 0, "may_connect": 2,
                          "connected": 0}
        smtp.received.clear()
        done = json.loads(run("introduce", "connect", round_id, "--json"))
        assert (done["accepted"], done["sent"]) == (2, 2)
        sent = _introductions(smtp)
        assert sorted(sent) == ["amaya@example.org", "bruno@example.org"]
        assert "Bruno Quillon - bruno@example.org" in sent["amaya@example.org"]
        assert "Amaya Quillon - amaya@example.org" in sent["bruno@example.org"]
        for item in smtp.received:
            raw = item.content.decode("utf-8", "replace")
            assert "Celine" not in raw and "Dario" not in raw
    for text in outputs:
        assert not any(g in text or f"{g.lower()}@" in text for g in PEOPLE)
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        bruno = vault.preferences.get(bytes.fromhex(people["Bruno"])).consent[-1]
        assert bruno.source == "web form Lyon answers" and bruno.by == "kith intake"
        assert "YES to sharing name and email" in bruno.text
        assert bruno.at > time.time() - 3600
        dario = vault.preferences.get(bytes.fromhex(people["Dario"]))
        assert not any("introduction" in c.text for c in dario.consent)
