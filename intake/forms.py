"""Intake forms: what a sign-up form asks, its consent choices, and its keys, kept in the vault.

    form = create(vault, "Tenants fair", title=..., fields=("name", "email", "phone"),
                  consents=[Choice("c1", "Email me about events", ("email:events",))],
                  relay="https://relay.example.org", sms=True)
    form = find(vault, "Tenants fair"); save(vault, form)

A form holds:
- a P-256 key pair (``vault.crypto.intake_seal``): the public half goes in the form's public
  definition, the secret half never leaves the vault;
- the relay mailbox its sign-ups land in, and the owner token that reads and deletes them
  (random, unrelated to any other key), and optionally the secret of its SMS webhook URL;
- poll tallies (SMS answers to the form's poll words);
- automatic SMS replies: the text per keyword, the queue, the numbers that said STOP
  (``intake/replies.py``);
- for a form made for an introduction round (``introduction``): the choice ``yes``
  ("share my details with the others who say yes", no preference rule) and a random
  ``link_key`` from which each invitee's answer-page code is derived (``answer_code``).

Rules and reasons:
- The form is stored as one blob sealed under the vault's local-wrap key (``SyncStore``),
  named ``intake:<form id>``: the blob name shows no form name.
- The public definition carries only what the page shows (title, fields, consent labels, the
  public key): publishing it reveals the campaign's wording, nothing about anyone.
- Consent choices are rules as ``kith prefs`` records them (``CHANNEL`` or ``CHANNEL:KIND``)
  plus an optional frequency; ticking one applies exactly those rules.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from intake.errors import NoSuchForm
from vault.crypto import intake_seal
from vault.domain.preferences import check_frequency, parse_rule
from vault.domain.sync_state import SyncStore
from vault.errors import InvalidInput

if TYPE_CHECKING:
    from vault import Vault

PREFIX = "intake:"
FIELDS = ("name", "email", "phone", "city", "org")
LABELS = {"name": "Name", "email": "Email", "phone": "Phone", "city": "City",
          "org": "Organization"}
MAX_CHOICES = 16
YES_CHOICE = "yes"
MAX_TEXT = 500


@dataclass(frozen=True)
class Choice:
    """One consent checkbox: an id, the words shown, the rules it allows, a frequency."""

    id: str
    label: str
    rules: tuple[str, ...]
    frequency: str = ""


@dataclass
class Form:
    """One intake form, as the vault keeps it."""

    name: str
    form_id: str
    secret: str
    public: str
    owner_token: str
    mailbox: str
    title: str
    intro: str
    fields: list[str]
    required: list[str]
    consents: list[Choice]
    tag: str = ""
    relay: str = ""
    sms_secret: str = ""
    poll: list[str] = field(default_factory=list)
    tallies: dict[str, int] = field(default_factory=dict)
    taken: list[str] = field(default_factory=list)
    reply_texts: dict[str, str] = field(default_factory=dict)
    outgoing: list[dict[str, str]] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    introduction: str = ""
    link_key: str = ""

    def definition(self) -> dict[str, Any]:
        """The public definition the relay serves to the page (no secret in it)."""
        return {
            "v": 1, "title": self.title, "intro": self.intro,
            "fields": [{"name": f, "label": LABELS[f], "required": f in self.required}
                       for f in self.fields],
            "consents": [{"id": c.id, "label": c.label} for c in self.consents],
            "public_key": self.public,
        }

    def to_json(self) -> bytes:
        data = asdict(self)
        data["consents"] = [asdict(c) for c in self.consents]
        return json.dumps(data, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Form:
        data = json.loads(raw)
        data["consents"] = [Choice(c["id"], c["label"], tuple(c["rules"]), c["frequency"])
                            for c in data["consents"]]
        return cls(**data)


def parse_choice(index: int, text: str) -> Choice:
    """``RULES=LABEL`` (``email:events,sms=Email or text me about events``), checked."""
    rules_text, sep, label = text.partition("=")
    label = label.strip()
    if not sep or not label or len(label) > MAX_TEXT:
        raise InvalidInput("(a consent choice is RULES=LABEL, e.g. email:events=Email me)")
    rules = tuple(parse_rule(r.strip()) for r in rules_text.split(",") if r.strip())
    if not rules:
        raise InvalidInput("(a consent choice needs at least one rule)")
    return Choice(f"c{index + 1}", label, rules)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def create(
    vault: Vault, name: str, *, title: str, intro: str, fields: tuple[str, ...],
    required: tuple[str, ...], consents: list[Choice], frequency: str = "", tag: str = "",
    relay: str = "", sms: bool = False, poll: tuple[str, ...] = (),
    introduction: str = "", yes_label: str = "",
) -> Form:
    """A new form with fresh keys, saved in the vault (``InvalidInput`` if the name is taken)."""
    clean = name.strip()
    if not clean or len(clean) > 64 or any(not c.isprintable() for c in clean):
        raise InvalidInput("(a form name is 1 to 64 printable characters)")
    if any(f.name.casefold() == clean.casefold() for f in all_forms(vault)):
        raise InvalidInput("(there is already a form by that name)")
    unknown = [f for f in (*fields, *required) if f not in FIELDS]
    if unknown or not fields or len(consents) > MAX_CHOICES:
        raise InvalidInput(f"(fields are {', '.join(FIELDS)}; at most {MAX_CHOICES} choices)")
    if len(title) > MAX_TEXT or len(intro) > 4 * MAX_TEXT:
        raise InvalidInput("(the title or the introduction is too long)")
    freq = "" if not frequency else check_frequency(frequency)
    secret, public = intake_seal.new_key()
    form = Form(
        name=clean, form_id=secrets.token_hex(16), secret=secret.hex(), public=_b64(public),
        owner_token=secrets.token_hex(32), mailbox=secrets.token_hex(16), title=title or clean,
        intro=intro, fields=list(dict.fromkeys(fields)), required=list(dict.fromkeys(required)),
        consents=[Choice(c.id, c.label, c.rules, freq) for c in consents], tag=tag,
        relay=relay, sms_secret=secrets.token_hex(32) if sms else "",
        poll=[w.upper() for w in poll], tallies={w.upper(): 0 for w in poll},
    )
    if introduction:
        form.introduction = introduction
        form.link_key = secrets.token_hex(32)
        form.consents = [*form.consents, Choice(YES_CHOICE, yes_label, ())]
    save(vault, form)
    return form


def answer_code(form: Form, contact_id: bytes) -> str:
    """The code in one invitee's link to an introduction form (``#i=CODE``).

    HMAC-SHA256 under the form's ``link_key`` of the contact id, 96 bits, URL-safe: only
    the vault can make one, only that person's invitation carries it, and it names nobody
    (the relay never sees it: it travels inside the sealed submission).
    """
    mac = hmac.new(bytes.fromhex(form.link_key), b"kith/intro-link/1" + contact_id,
                   hashlib.sha256).digest()
    return _b64(mac[:12])


def save(vault: Vault, form: Form) -> None:
    """Store (or replace) a form, sealed."""
    store = SyncStore(vault.live_store, vault.keyring)
    with vault.live_store.transaction():
        store.put_blob(PREFIX + form.form_id, form.to_json())


def all_forms(vault: Vault) -> list[Form]:
    """Every form in the vault, by name."""
    store = SyncStore(vault.live_store, vault.keyring)
    found = []
    for blob in store.blob_names(PREFIX):
        raw = store.get_blob(blob)
        if raw is not None:
            found.append(Form.from_json(raw))
    return sorted(found, key=lambda f: f.name.casefold())


def find(vault: Vault, name: str) -> Form:
    """The form called ``name`` (case-insensitive), else ``NoSuchForm``."""
    for form in all_forms(vault):
        if form.name.casefold() == name.strip().casefold():
            return form
    raise NoSuchForm
