"""Stopping a send (the TUI's Stop key): nothing more is attempted, nothing is left half-sent,
and the next run sends exactly the rest, each once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from outreach.config import OutreachConfig
from outreach.email_out import SmtpTransport
from outreach.outbox import Outbox
from outreach.sender import Sender
from tests.conftest import PASSPHRASE, Kith
from tests.outreach.conftest import config_email, new_message
from tests.outreach.outreach_servers import Collector
from vault.api import Vault

EXPECTED = ["ana@example.org", "dan@example.org", "gus@example.org"]


def _sender(vault: Vault, message: str, sleep: object = None) -> Sender:
    outbox = Outbox.of(vault)
    transport = SmtpTransport(OutreachConfig.of(vault).email())
    if sleep is None:
        return Sender(vault, outbox.resolve(message), transport, per_minute=6000)
    return Sender(vault, outbox.resolve(message), transport, per_minute=60,
                  clock=lambda: 0.0, sleep=sleep)  # type: ignore[arg-type]


def _states(vault: Vault, message: str) -> Counter[str]:
    outbox = Outbox.of(vault)
    return Counter(d.state for d in outbox.deliveries(outbox.resolve(message)))


def test_stop_between_recipients_then_resume_sends_the_rest_once(
    kith: Kith, people: dict[str, str], smtp: Collector, tmp_path: Path
) -> None:
    config_email(kith, smtp.port)
    message = new_message(kith, tmp_path, "--channel", "email", "--kind", "news",
                          "--audience", "segment:Volunteers", "--subject", "S")
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        outcome = _sender(vault, message).run(stop=lambda: smtp.count() >= 1)
        assert (outcome.sent, outcome.stopped) == (1, True)
        assert _states(vault, message) == Counter(sent=1, queued=2)
        again = _sender(vault, message).run(stop=lambda: False)
        assert (again.sent, again.stopped) == (2, False)
        assert _states(vault, message) == Counter(sent=3)
    assert sorted(smtp.to()) == EXPECTED


def test_stop_during_the_rate_limit_wait_leaves_that_recipient_queued(
    kith: Kith, people: dict[str, str], smtp: Collector, tmp_path: Path
) -> None:
    config_email(kith, smtp.port)
    message = new_message(kith, tmp_path, "--channel", "email", "--kind", "news",
                          "--audience", "segment:Volunteers", "--subject", "S")
    asked = []

    def sleep(seconds: float) -> None:  # the wait before the 2nd message: Stop pressed now
        asked.append(seconds)

    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        outcome = _sender(vault, message, sleep).run(stop=lambda: bool(asked))
        assert (outcome.sent, outcome.stopped) == (1, True)
        assert _states(vault, message) == Counter(sent=1, queued=2)  # nothing "sending"
    assert smtp.count() == 1
