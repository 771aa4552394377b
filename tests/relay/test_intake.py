"""Intake: a real browser fills the form, the relay stores only ciphertext, `kith intake pull`
imports the person with the consent chosen; the kiosk likewise; SMS keywords by webhook."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from intake.errors import BadSubmission
from intake.forms import Choice, create
from intake.submissions import WebSignup, open_item
from tests.conftest import PASSPHRASE, ROOT
from tests.relay.browser import chromium, fill_form
from tests.relay.conftest import Backend, RelayProcess
from tests.sync.pair import Org, make_org, ok
from vault.api import Vault
from vault.crypto import intake_seal
from vault.errors import IntegrityError

NAME = "Qmkintakename4f"
EMAIL = "qmkintake9c@markers.example"
PHONE = "+33612345678"


@pytest.fixture(autouse=True)
def _cheap_vaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KITH_ALLOW_WEAK_KDF", "1")
    monkeypatch.delenv("KITH_PASSPHRASE_FILE", raising=False)


def test_a_submission_opens_only_for_its_form_and_key(vault: Vault) -> None:
    form = create(vault, "Fair", title="", intro="", fields=("name", "email"), required=(),
                  consents=[Choice("c1", "Email me", ("email:events",))])
    other = create(vault, "Other", title="", intro="", fields=("name",), required=(),
                   consents=[])
    body = json.dumps({"kind": "web", "fields": {"name": "A"}, "consents": ["c1"],
                       "at": "2026-01-02T03:04:05Z"}).encode()
    public = intake_seal.public_of(bytes.fromhex(form.secret))
    sealed = intake_seal.seal(public, bytes.fromhex(form.form_id), body)
    assert open_item(form, sealed) == WebSignup({"name": "A"}, ("c1",), "2026-01-02T03:04:05Z")
    with pytest.raises(BadSubmission):
        open_item(other, sealed)  # another form's key and id
    moved = intake_seal.seal(public, bytes.fromhex(other.form_id), body)
    with pytest.raises(BadSubmission):
        open_item(form, moved)  # the right key, sealed for another form id
    for index in (20, 80, len(sealed) - 1):  # any flipped byte
        bad = bytearray(sealed)
        bad[index] ^= 1
        with pytest.raises(BadSubmission):
            open_item(form, bytes(bad))
    with pytest.raises(IntegrityError):
        intake_seal.open_sealed(bytes.fromhex(form.secret), bytes(16), b"\0" * 70_000)
    for hostile in (
        {"kind": "web", "fields": {"notes": "x"}, "consents": [], "at": ""},  # unknown field
        {"kind": "web", "fields": {"name": "A"}, "consents": ["c9"], "at": ""},  # unknown choice
        {"kind": "web", "fields": {"name": "A" * 201}, "consents": [], "at": ""},
        {"kind": "web", "fields": {"name": 5}, "consents": [], "at": ""},
        ["not", "an", "object"],
        "[" * 15_000,  # a nesting bomb sealed to the public key (anyone can seal one)
    ):
        text = hostile if isinstance(hostile, str) else json.dumps(hostile)
        data = intake_seal.seal(public, bytes.fromhex(form.form_id), text.encode())
        with pytest.raises(BadSubmission):
            open_item(form, data)


def _create_form(org: Org, relay: RelayProcess) -> dict[str, str]:
    made = ok(org.kith(
        "intake", "create", "Fair", "--title", "Harbour fair", "--relay", relay.target,
        "--field", "name", "--field", "email", "--field", "phone", "--required", "name",
        "--consent", "email:events=Email me about events",
        "--consent", "sms=Text me", "--max-frequency", "weekly", "--tag", "fair",
        "--sms", "--poll", "A", "--poll", "B", "--json",
    ))
    urls: dict[str, str] = json.loads(made.stdout)
    return urls


def _prefs(org: Org, name: str) -> dict[str, object]:
    found = [c for c in org.contacts() if c["name"] == name]
    assert len(found) == 1, org.contacts()
    shown: dict[str, object] = json.loads(
        ok(org.kith("prefs", str(found[0]["id"]), "--json")).stdout)
    return shown


def _items(backend: Backend) -> int:
    store = backend.open()
    try:
        with store._tx() as cur:
            cur.execute("SELECT COUNT(*) FROM items")
            return int(cur.fetchone()[0])
    finally:
        store.close()


@pytest.mark.slow
def test_a_browser_signs_up_through_the_relay_which_sees_only_ciphertext(
    tmp_path: Path, passphrase_file: Path, sqlite_relay: RelayProcess
) -> None:
    # one engine: the browser is the subject here; storage runs over both in the other tests
    relay, backend = sqlite_relay, sqlite_relay.backend
    alice = make_org(tmp_path, "alice", passphrase_file)
    urls = _create_form(alice, relay)
    page = httpx.get(urls["form"])
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp and "http" not in csp
    assert "<script src=\"/static/form.js\">" in page.text and "https://" not in page.text
    with chromium() as driver:
        shown = fill_form(driver, urls["form"], {"name": NAME, "email": EMAIL, "phone": PHONE},
                          ["c1"])
    assert "signed up" in shown
    assert _items(backend) == 1
    assert backend.holding([NAME, EMAIL, PHONE]) == []  # (consent labels are public)
    pulled = json.loads(ok(alice.kith("intake", "pull", "Fair", "--json")).stdout)
    assert pulled["added"] == 1 and pulled["refused"] == 0
    prefs = _prefs(alice, NAME)
    assert prefs["allow"] == ["email:events"] and prefs["max_frequency"] == "weekly"
    [consent] = prefs["consent"]  # type: ignore[misc]
    assert consent["source"].startswith("web form Fair, 20")
    assert consent["text"] == "Email me about events"
    contact = next(c for c in alice.contacts() if c["name"] == NAME)
    assert contact["emails"][0]["value"] == EMAIL and contact["tags"] == ["fair"]  # type: ignore[index]
    assert _items(backend) == 0  # acknowledged: the relay deleted it
    again = json.loads(ok(alice.kith("intake", "pull", "Fair", "--json")).stdout)
    assert again["added"] == 0 and len(alice.contacts()) == 1


def test_sms_keywords_by_webhook_join_stop_and_poll(
    tmp_path: Path, passphrase_file: Path, relay: RelayProcess, backend: Backend
) -> None:
    alice = make_org(tmp_path, "alice", passphrase_file)
    hook = _create_form(alice, relay)["sms_webhook"]

    def sms(text: str, sender: str = PHONE, event: str = "sms:received", n: int = 0) -> int:
        body = {"event": event, "id": f"evt-{n}-{text}",
                "payload": {"message": text, "phoneNumber": sender, "receivedAt": "2026-12-04"}}
        return httpx.post(hook, json=body).status_code

    assert sms("JOIN tenants") == 200
    assert sms("a") == 200 and sms("B please", sender="+33698765432") == 200
    assert sms("hello there") == 200
    assert sms("ignored", event="sms:sent") == 200  # not an incoming SMS: nothing stored
    assert httpx.post(hook[:-4] + "0000", json={}).status_code == 403  # wrong secret
    assert httpx.post(hook, content=b"{" * 20_000).status_code == 413  # bounded
    assert httpx.post(hook, content=b"[" * 15_000).status_code == 400  # a nesting bomb
    assert _items(backend) == 4
    assert backend.holding([PHONE, "tenants", "hello there"]) == []
    pulled = json.loads(ok(alice.kith("intake", "pull", "Fair", "--json")).stdout)
    assert pulled["joined"] == 1 and pulled["answers"] == {"A": 1, "B": 1}
    assert pulled["other"] == 1
    [contact] = alice.contacts()
    assert sorted(contact["tags"]) == ["fair", "tenants"]  # type: ignore[arg-type]
    prefs = _prefs(alice, str(contact["name"]))
    assert prefs["allow"] == ["sms"] and prefs["consent"][0]["source"] == "SMS keyword"  # type: ignore[index]
    assert sms("STOP", n=1) == 200
    assert sms("STOP", n=1) == 200  # the gateway retried: the same event id
    stopped = json.loads(ok(alice.kith("intake", "pull", "Fair", "--json")).stdout)
    assert stopped["stopped"] == 1
    assert _prefs(alice, str(contact["name"]))["deny"] == ["sms"]
    shown = json.loads(ok(alice.kith("intake", "show", "Fair", "--json")).stdout)
    assert shown["poll"] == {"A": 1, "B": 1}


@pytest.mark.slow
def test_the_kiosk_lands_a_browser_sign_up_in_the_vault(
    tmp_path: Path, passphrase_file: Path
) -> None:
    alice = make_org(tmp_path, "alice", passphrase_file)
    ok(alice.kith("intake", "create", "Door", "--field", "name", "--field", "email",
                  "--consent", "email=Email me"))
    env = {**os.environ, "KITH_VAULT": str(alice.vault_dir),
           "KITH_PASSPHRASE_FILE": str(passphrase_file), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "intake", "kiosk", "Door", "--listen", "127.0.0.1:0",
         "--max-submissions", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        assert line.startswith("kiosk at http://127.0.0.1:"), proc.stderr.read()  # type: ignore[union-attr]
        with chromium() as driver:
            assert "signed up" in fill_form(driver, line.split(" at ")[1].strip(),
                                            {"name": NAME, "email": EMAIL}, ["c1"])
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    prefs = _prefs(alice, NAME)
    assert prefs["allow"] == ["email"]
    assert not list(tmp_path.rglob("*.db-journal"))
    assert PASSPHRASE  # the kiosk read the passphrase from a file, never argv
