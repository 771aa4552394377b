"""Opening one sealed sign-up, and reading it strictly.

    item = open_item(form, data)    # WebSignup | SmsMessage, or BadSubmission

Plaintext shapes (JSON, after ``vault.crypto.intake_seal.open_sealed``)::

    {"kind": "web", "fields": {"name": ..., "email": ..., ...}, "consents": ["c1", ...],
     "at": ISO-8601, "ref": CODE}   (ref: optional, from the page's ``#i=CODE``)
    {"kind": "sms", "from": E164, "text": ..., "at": ..., "id": ...}

Rules and reasons:
- Everything is checked before use: only the form's own fields and consent ids, strings only,
  each at most 200 characters (the page's limit), an SMS text at most 2,000.
- A submission that does not open, or does not parse, is one ``BadSubmission``; its content is
  never echoed (it may hold a person's data).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from intake.errors import BadSubmission
from intake.forms import Form
from vault.crypto import intake_seal
from vault.errors import IntegrityError

MAX_FIELD = 200
MAX_SMS = 2000
MAX_REF = 64


@dataclass(frozen=True)
class WebSignup:
    """A sign-up from the form page (or the kiosk)."""

    fields: dict[str, str]
    consents: tuple[str, ...]
    at: str
    ref: str = ""


@dataclass(frozen=True)
class SmsMessage:
    """An SMS the relay sealed as it arrived."""

    sender: str
    text: str
    at: str
    message_id: str


def _text(value: Any, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise BadSubmission
    return value.strip()


def open_item(form: Form, data: bytes) -> WebSignup | SmsMessage:
    """Open and check one submission for ``form``."""
    try:
        raw = intake_seal.open_sealed(
            bytes.fromhex(form.secret), bytes.fromhex(form.form_id), data
        )
        body = json.loads(raw)
    except (IntegrityError, ValueError, RecursionError):  # RecursionError: a nesting bomb
        raise BadSubmission from None
    if not isinstance(body, dict):
        raise BadSubmission
    if body.get("kind") == "sms":
        return SmsMessage(_text(body.get("from"), 32), _text(body.get("text"), MAX_SMS),
                          _text(body.get("at", ""), 40), _text(body.get("id", ""), 64))
    if body.get("kind") != "web":
        raise BadSubmission
    fields, consents = body.get("fields"), body.get("consents")
    if not isinstance(fields, dict) or not isinstance(consents, list):
        raise BadSubmission
    if set(fields) - set(form.fields) or len(consents) > len(form.consents):
        raise BadSubmission
    known = {c.id for c in form.consents}
    chosen = tuple(_text(c, 8) for c in consents)
    if set(chosen) - known:
        raise BadSubmission
    values = {k: _text(v, MAX_FIELD) for k, v in fields.items()}
    return WebSignup({k: v for k, v in values.items() if v}, chosen, _text(body.get("at"), 40),
                     _text(body.get("ref", ""), MAX_REF))
