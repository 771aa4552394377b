"""The marker test for outreach: message bodies, subjects, renderings, addresses, replies and
transport passwords never reach disk in plaintext (real processes, real SMTP on loopback)."""

from __future__ import annotations

import json
import mailbox
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.cli.test_no_plaintext import scan
from tests.conftest import PASSPHRASE, run_kith_process
from tests.outreach.outreach_servers import Collector
from tests.sealed_markers import cells_holding, files_holding
from vault.api import Vault

MARKERS = {
    "given": "Qmogiven7h3",
    "email": "qmoemail4k8@markers.example",
    "subject": "Qmosubject2j6",
    "body": "Qmobody9g1",
    "html": "Qmohtml5f4",
    "password": "Qmopass3d2",
    "reply": "Qmoreply8s5",
}


@pytest.mark.slow
def test_outbox_and_renderings_are_sealed(smtp: Collector, tmp_path: Path) -> None:
    vault_dir, tmp, home, inputs = (tmp_path / n for n in ("vault", "tmp", "home", "in"))
    for folder in (tmp, home, inputs):
        folder.mkdir()
    env = {"KITH_VAULT": str(vault_dir), "TMPDIR": str(tmp), "HOME": str(home),
           "XDG_CACHE_HOME": str(home / ".cache"), "XDG_DATA_HOME": str(home / ".local/share"),
           "XDG_STATE_HOME": str(home / ".local/state")}
    secret = (PASSPHRASE + "\n").encode()

    def kith(*args: str) -> str:
        done = run_kith_process("--passphrase-file", "-", *args, env=env, input=secret)
        assert done.returncode == 0, done.stderr.decode()
        return done.stdout.decode()

    m = MARKERS
    (inputs / "body.txt").write_text(f"Dear {{given_name}}, {m['body']}\n")
    (inputs / "body.html").write_text(f"<p>{{given_name}} {m['html']}</p>")
    (inputs / "pw").write_text(m["password"] + "\n")
    kith("init", "--kdf-memory", "8", "--kdf-time", "1", "--region", "FR")
    contact = kith("add", "--name", m["given"], "--given-name", m["given"],
                   "--email", m["email"]).strip()
    kith("prefs", contact, "--allow", "email")
    kith("outreach", "config", "email", "--host", "127.0.0.1", "--port", str(smtp.port),
         "--from", "team@org.example", "--security", "none", "--user", "team",
         "--password-file", str(inputs / "pw"))
    message = kith("outreach", "new", "--channel", "email", "--kind", "news", "--audience",
                   contact, "--subject", f"{m['subject']} {{given_name}}", "--body-file",
                   str(inputs / "body.txt"), "--html-file", str(inputs / "body.html")
                   ).strip().splitlines()[-1]
    assert m["body"] in kith("outreach", "preview", message)
    assert json.loads(kith("outreach", "send", message, "--json"))["sent"] == 1
    assert smtp.count() == 1 and smtp.logins == [("team", m["password"])]
    plain = smtp.received[0].message.get_body(("plain",))
    assert plain is not None and m["body"] in plain.get_content()

    reply = EmailMessage()
    reply["From"] = m["email"]
    reply["Subject"] = f"Re: {m['reply']}"
    reply["In-Reply-To"] = str(smtp.received[0].message["Message-ID"])
    reply.set_content(f"YES {m['reply']}")
    box = mailbox.mbox(inputs / "replies.mbox")
    box.add(reply)
    box.close()
    kith("outreach", "replies", "import", str(inputs / "replies.mbox"))
    assert json.loads(kith("outreach", "report", message, "--json"))["replied"] == 1

    markers = list(MARKERS.values())
    with Vault.open(vault_dir, PASSPHRASE) as vault:
        assert cells_holding(vault, markers) == []
    assert files_holding(vault_dir, markers) == []
    assert files_holding(tmp, markers) == [] and files_holding(home, markers) == []
    assert scan([vault_dir, tmp, home]) == []
    assert {p.name for p in vault_dir.iterdir()} == {"vault.db", "vault.hdr", "vault.hdr.bak"}
