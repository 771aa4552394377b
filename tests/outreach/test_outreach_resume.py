"""Resume after a kill: every recipient gets the message once, and nobody gets it twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from outreach.outbox import Outbox
from outreach.sender import Sender, SendOutcome
from tests.conftest import PASSPHRASE, ROOT, Kith
from tests.outreach.conftest import config_email, new_message
from tests.outreach.outreach_servers import Collector
from vault.api import Vault
from vault.domain.model import ContactDraft, Email
from vault.domain.preferences import PreferenceChange

EXTRA = 9


def _add_many(vault_dir: Path) -> list[str]:
    with Vault.open(vault_dir, PASSPHRASE) as vault:
        made = []
        for i in range(EXTRA):
            contact = vault.contacts.add(ContactDraft(
                name=f"Extra {i}", given_name=f"Extra{i}", emails=(Email(f"x{i}@example.org"),)))
            raw = bytes.fromhex(contact.id)
            vault.preferences.change(raw, PreferenceChange(allow=("email",)), now=int(time.time()))
            vault.segments.add(vault.segments.find("Volunteers"), [raw])
            made.append(f"x{i}@example.org")
        return made


@pytest.mark.slow
def test_killed_send_resumes_without_duplicates(
    kith: Kith, people: dict[str, str], smtp: Collector, tmp_path: Path
) -> None:
    expected = sorted([*_add_many(kith.vault_dir), "ana@example.org", "dan@example.org",
                       "gus@example.org"])
    assert kith("outreach", "config", "email", "--host", "127.0.0.1", "--port", str(smtp.port),
                "--from", "team@org.example", "--security", "none", "--rate", "240"
                ).exit_code == 0  # one message every 0.25 s
    message = new_message(kith, tmp_path, "--channel", "email", "--kind", "news",
                          "--audience", "segment:Volunteers", "--subject", "S")
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "--vault", str(kith.vault_dir), "--passphrase-file",
         str(kith.passphrase_file), "outreach", "send", message],
        cwd=ROOT, env={**os.environ, "KITH_ALLOW_WEAK_KDF": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while smtp.count() < 4 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    k = smtp.count()
    assert 4 <= k < len(expected), "the kill must land half-way"

    result = kith("outreach", "send", message, "--json")
    assert result.exit_code == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["sent"] in (len(expected) - k, len(expected) - k - 1)
    received = smtp.to()
    assert len(received) == len(set(received)), "someone got the message twice"
    assert sorted(received) == expected
    report = json.loads(kith("outreach", "report", message, "--json").stdout)
    assert report["sent"] + report["uncertain"] == len(expected)


def test_interrupted_email_is_uncertain_not_resent_unless_asked(
    kith: Kith, people: dict[str, str], smtp: Collector, tmp_path: Path
) -> None:
    config_email(kith, smtp.port)
    message = new_message(kith, tmp_path, "--channel", "email", "--kind", "news",
                          "--audience", "segment:Volunteers", "--subject", "S")
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        outbox = Outbox.of(vault)
        raw = outbox.resolve(message)
        sender = Sender(vault, raw, _Unused(), per_minute=60)
        sender.freeze(SendOutcome())
        first = outbox.deliveries(raw)[0]
        outbox.update(first.id, state="sending", message_id="<x@org.example>")
    result = json.loads(kith("outreach", "send", message, "--json").stdout)
    assert (result["sent"], result["uncertain"]) == (2, 1)
    assert first.address not in smtp.to()
    report = json.loads(kith("outreach", "report", message, "--json").stdout)
    assert report["uncertain"] == 1
    retried = json.loads(kith("outreach", "send", message, "--retry-uncertain", "--json").stdout)
    assert retried["sent"] == 1
    assert sorted(smtp.to()) == ["ana@example.org", "dan@example.org", "gus@example.org"]


def test_retry_uncertain_in_the_same_run_resends_an_interrupted_email(
    kith: Kith, people: dict[str, str], smtp: Collector, tmp_path: Path
) -> None:
    config_email(kith, smtp.port)
    message = new_message(kith, tmp_path, "--channel", "email", "--kind", "news",
                          "--audience", "segment:Volunteers", "--subject", "S")
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        outbox = Outbox.of(vault)
        raw = outbox.resolve(message)
        Sender(vault, raw, _Unused(), per_minute=60).freeze(SendOutcome())
        outbox.update(outbox.deliveries(raw)[0].id, state="sending", message_id="<x@y>")
    result = json.loads(kith("outreach", "send", message, "--retry-uncertain", "--json").stdout)
    assert (result["sent"], result["uncertain"]) == (3, 0)
    assert sorted(smtp.to()) == ["ana@example.org", "dan@example.org", "gus@example.org"]


class _Unused:
    channel = "email"

    def new_id(self) -> str:
        raise AssertionError

    def send(self, *args: object) -> str:
        raise AssertionError

    def reconcile(self, message_id: str) -> bool | None:
        return None

    def close(self) -> None:
        pass
