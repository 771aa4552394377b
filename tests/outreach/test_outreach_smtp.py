"""Email through a real SMTP server on loopback (aiosmtpd): one message per recipient."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from outreach.outbox import Outbox
from outreach.sender import RateLimiter
from tests.conftest import PASSPHRASE, Kith
from tests.outreach.conftest import config_email, new_message, write
from tests.outreach.outreach_servers import Collector, make_certificates, smtp_server
from vault.api import Vault


def test_send_one_message_per_recipient_with_headers(
    kith: Kith, people: dict[str, str], smtp: Collector, tmp_path: Path
) -> None:
    config_email(kith, smtp.port, "--unsubscribe", "https://org.example/u")
    html = write(tmp_path, "b.html", "<p>Hi {given_name}</p>")
    message = new_message(
        kith, tmp_path, "--channel", "email", "--kind", "news", "--audience",
        "segment:Volunteers", "--subject", "News for {given_name}", "--html-file", html,
        body="Hello {given_name} in {city|your town}.\n")
    result = kith("outreach", "send", message, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["sent"] == 3

    assert sorted(smtp.to()) == ["ana@example.org", "dan@example.org", "gus@example.org"]
    assert all(len(item.rcpt_tos) == 1 for item in smtp.received)
    by_to = {item.rcpt_tos[0]: item.message for item in smtp.received}
    ana = by_to["ana@example.org"]
    assert ana["To"] == "ana@example.org" and ana["Cc"] is None and ana["Bcc"] is None
    assert ana["From"] == "team@org.example"
    assert ana["Subject"] == "News for Ana"
    assert ana["List-Unsubscribe"] == "<https://org.example/u>"
    assert ana["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    plain = ana.get_body(("plain",))
    assert plain is not None
    text = plain.get_content()
    assert text.startswith("Hello Ana in Lyon.")
    assert "https://org.example/u" in text and "reply STOP" in text
    rich = ana.get_body(("html",))
    assert rich is not None and "<p>Hi Ana</p>" in rich.get_content()
    dan = by_to["dan@example.org"].get_body(("plain",))
    assert dan is not None and dan.get_content().startswith("Hello Dan in your town.")
    ids = {m["Message-ID"] for m in by_to.values()}
    assert len(ids) == 3 and all(i.endswith("@org.example>") for i in ids)

    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        deliveries = Outbox.of(vault).deliveries()
        assert {d.message_id for d in deliveries} == ids
        assert {d.state for d in deliveries} == {"sent"}
        history = vault.interactions.history(bytes.fromhex(people["Ana"]))
        assert (history[0].kind, history[0].summary) == ("email-sent", "News for Ana")
        assert history[0].campaign == f"outreach {message}"

    again = kith("outreach", "send", message, "--json")
    assert json.loads(again.stdout)["sent"] == 0
    assert smtp.count() == 3


def test_non_ascii_subject_and_header_injection_are_safe(
    kith: Kith, people: dict[str, str], smtp: Collector, tmp_path: Path
) -> None:
    config_email(kith, smtp.port)
    assert kith("edit", people["Ana"][:12], "--given-name", "Ána\r\nBcc: evil@x.example"
                ).exit_code in (0, 5)
    message = new_message(kith, tmp_path, "--channel", "email", "--kind", "news",
                          "--audience", people["Ana"][:12], "--subject", "Réunion {given_name}")
    assert kith("outreach", "send", message).exit_code == 0
    (item,) = smtp.received
    assert item.rcpt_tos == ["ana@example.org"]
    assert item.message["Bcc"] is None
    assert str(item.message["Subject"]).startswith("Réunion")


def test_refused_recipient_fails_alone_and_report_counts(
    kith: Kith, people: dict[str, str], smtp: Collector, tmp_path: Path
) -> None:
    smtp.refuse.add("dan@example.org")
    config_email(kith, smtp.port)
    message = new_message(kith, tmp_path, "--channel", "email", "--kind", "news",
                          "--audience", "segment:Volunteers", "--subject", "S")
    result = kith("outreach", "send", message, "--json")
    assert json.loads(result.stdout) == {"sent": 2, "failed": 1, "skipped": 0, "uncertain": 0,
                                         "deferred": 0}
    report = json.loads(kith("outreach", "report", message, "--json").stdout)
    assert (report["recipients"], report["sent"], report["failed"]) == (3, 2, 1)
    assert report["rates"]["sent"] == 0.667


def test_consent_withdrawn_after_freeze_is_skipped(
    kith: Kith, people: dict[str, str], smtp: Collector, tmp_path: Path
) -> None:
    config_email(kith, smtp.port)
    message = new_message(kith, tmp_path, "--channel", "email", "--kind", "news",
                          "--audience", "segment:Volunteers", "--subject", "S")
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        from outreach.sender import Sender, SendOutcome

        raw = Outbox.of(vault).resolve(message)
        Sender(vault, raw, _NoTransport(), per_minute=60).freeze(SendOutcome())
    assert kith("prefs", people["Gus"][:12], "--do-not-contact").exit_code == 0
    result = json.loads(kith("outreach", "send", message, "--json").stdout)
    assert (result["sent"], result["skipped"]) == (2, 1)
    assert "gus@example.org" not in smtp.to()


def test_unreachable_server_keeps_everyone_queued(
    kith: Kith, people: dict[str, str], smtp: Collector, tmp_path: Path
) -> None:
    config_email(kith, 1)  # nothing listens on port 1
    message = new_message(kith, tmp_path, "--channel", "email", "--kind", "news",
                          "--audience", "segment:Volunteers", "--subject", "S")
    result = kith("outreach", "send", message)
    assert result.exit_code == 1
    assert "run send again" in result.stderr
    config_email(kith, smtp.port)
    assert json.loads(kith("outreach", "send", message, "--json").stdout)["sent"] == 3


def test_password_is_read_from_a_file_and_sealed(kith: Kith, tmp_path: Path) -> None:
    secret = write(tmp_path, "pw", "s3cret-Qmkpw\n")
    result = kith("outreach", "config", "email", "--host", "smtp.org.example", "--port", "587",
                  "--from", "team@org.example", "--user", "team", "--password-file", secret)
    assert result.exit_code == 0, result.stderr
    shown = json.loads(kith("outreach", "config", "show", "--json").stdout)
    assert shown["email"]["password"] == "(set)" and shown["sms"] is None
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        from outreach.config import OutreachConfig

        assert OutreachConfig.of(vault).email().password == (
            "s3cret-Qmkpw")


def test_rate_limiter_spaces_messages_with_an_injected_clock() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(120, clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        limiter.wait()
    assert slept == [0.5, 0.5, 0.5]
    now[0] += 10
    limiter.wait()
    assert slept == [0.5, 0.5, 0.5]


class _NoTransport:
    channel = "email"

    def new_id(self) -> str:
        raise AssertionError("nothing is sent while freezing")

    def send(self, *args: object) -> str:
        raise AssertionError("nothing is sent while freezing")

    def reconcile(self, message_id: str) -> bool | None:
        return None

    def close(self) -> None:
        pass


@pytest.mark.parametrize("args", [
    ("--host", "smtp.x", "--port", "587", "--from", "not-an-address"),
    ("--host", "smtp.x", "--port", "0", "--from", "a@b.example"),
    ("--host", "smtp.x", "--port", "587", "--from", "a@b.example", "--user", "u"),
    ("--host", "smtp.x", "--port", "587", "--from", "a@b.example", "--rate", "0"),
    ("--host", "smtp.x", "--port", "587", "--from", "a@b.example", "--unsubscribe", "ftp://x"),
])
def test_bad_email_settings_are_refused(kith: Kith, args: tuple[str, ...]) -> None:
    result = kith("outreach", "config", "email", *args)
    assert result.exit_code == 5, result.stderr
    assert json.loads(kith("outreach", "config", "show", "--json").stdout)["email"] is None


def test_unknown_message_id(kith: Kith) -> None:
    for command in ("preview", "send", "report"):
        assert kith("outreach", command, "abcdef").exit_code == 4


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_starttls_and_tls_verify_the_server(
    kith: Kith, people: dict[str, str], tmp_path: Path, security: str
) -> None:
    ca, cert, key = make_certificates(tmp_path)
    with smtp_server(security, cert, key) as server:
        base = ("outreach", "config", "email", "--host", "127.0.0.1", "--port",
                str(server.port), "--from", "team@org.example", "--security", security,
                "--rate", "6000")
        assert kith(*base).exit_code == 0  # system trust store: our test CA is unknown
        message = new_message(kith, tmp_path, "--channel", "email", "--kind", "news",
                              "--audience", people["Ana"][:12], "--subject", "S")
        refused = kith("outreach", "send", message)
        assert refused.exit_code == 1 and server.count() == 0
        assert kith(*base, "--ca-file", str(ca)).exit_code == 0
        sent = kith("outreach", "send", message, "--json")
        assert json.loads(sent.stdout)["sent"] == 1, sent.stderr
        assert server.to() == ["ana@example.org"]


def test_delete_shreds_message_and_deliveries_but_keeps_history(
    kith: Kith, people: dict[str, str], smtp: Collector, tmp_path: Path
) -> None:
    config_email(kith, smtp.port)
    message = new_message(kith, tmp_path, "--channel", "email", "--kind", "news",
                          "--audience", "segment:Volunteers", "--subject", "S")
    assert kith("outreach", "send", message).exit_code == 0
    assert kith("outreach", "delete", message).exit_code == 2  # not a terminal, no --yes
    result = kith("outreach", "delete", message, "--yes")
    assert result.exit_code == 0 and "3 delivery record(s)" in result.stderr
    assert kith("outreach", "report", message).exit_code == 4
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        assert Outbox.of(vault).deliveries() == []
        assert vault.interactions.history(bytes.fromhex(people["Ana"]), kind="email-sent")
