"""Automatic SMS replies to keywords: queued sealed by ``kith intake pull``, sent at most once.

    set_text(form, "join", "Welcome! Reply STOP to stop.")     # "join", "stop" or "poll"
    on_keyword(form, "stop", "+33612345678")                   # from ``apply._sms``
    outcome = send_replies(vault, texter)                       # the next send, or on demand

Each form keeps (sealed, in its blob): the reply text per keyword, the queue of replies
``{id, to, kind, text, state}``, and the numbers that texted STOP since their last JOIN.

Rules and reasons:
- A reply is queued once per incoming SMS (the SMS itself is applied once, by its gateway id)
  and sent at most once: it is marked ``sending`` (committed) before the gateway is called and
  ``sent`` after. A run interrupted in between asks the gateway about that id on the next run
  (``Texter.check``): there, it is sent; unknown to the phone, it is sent again; no answer, it
  is ``uncertain`` and never resent (a duplicate text is worse than a missing one).
- STOP wins over everything: a STOP drops every reply still queued for that number, queues
  the STOP confirmation (once while the number stays stopped), and nothing else is sent to it
  until it texts JOIN again. At send time a reply other than the confirmation is also dropped
  if the number texted STOP to any other form (a JOIN reply only looks at its own form: the
  JOIN is the new opt-in), or if any contact holding that number denies SMS or is
  do-not-contact (a STOP that came another way, ``kith outreach replies``).
- The queue keeps the last ``MAX_KEPT`` entries; texts are the organizer's, numbers are the
  senders' (both stay sealed in the form's blob, never in a file or a log).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from intake.forms import Form, all_forms, save
from vault.errors import InvalidInput

if TYPE_CHECKING:
    from vault import Vault

KINDS = ("join", "stop", "poll")
MAX_TEXT = 320
MAX_KEPT = 2000


class Texter(Protocol):
    """The SMS gateway, as the CLI adapts it (``intake`` does no network I/O itself)."""

    def send(self, number: str, text: str, message_id: str) -> str:
        """``sent``, ``refused`` (this number, for good), ``down`` (certainly not sent: try
        later) or ``uncertain`` (may have left)."""
        ...

    def check(self, message_id: str) -> bool | None:
        """Whether the gateway has this message: True, False, or None (cannot tell)."""
        ...


@dataclass
class ReplyOutcome:
    """What one sending run did."""

    sent: int = 0
    failed: int = 0
    dropped: int = 0
    uncertain: int = 0
    waiting: int = 0


def set_text(form: Form, kind: str, text: str) -> None:
    """The automatic reply to ``kind`` ("" removes it)."""
    if kind not in KINDS:
        raise InvalidInput("(a reply is for join, stop or poll)")
    clean = " ".join(text.split())
    if len(clean) > MAX_TEXT or any(not c.isprintable() for c in clean):
        raise InvalidInput(f"(a reply is at most {MAX_TEXT} printable characters)")
    texts = dict(form.reply_texts)
    if clean:
        texts[kind] = clean
    else:
        texts.pop(kind, None)
    form.reply_texts = texts


def _queue(form: Form, kind: str, number: str) -> bool:
    text = form.reply_texts.get(kind, "")
    if not text:
        return False
    item = {"id": "kith-" + secrets.token_hex(16), "to": number, "kind": kind, "text": text,
            "state": "queued"}
    form.outgoing = [*form.outgoing, item][-MAX_KEPT:]
    return True


def on_keyword(form: Form, kind: str, number: str) -> bool:
    """Queue the reply to one keyword SMS (module rules); True if one was queued."""
    if kind == "stop":
        for item in form.outgoing:
            if item["to"] == number and item["state"] == "queued" and item["kind"] != "stop":
                item["state"] = "dropped"
        if number in form.stopped:
            return False  # already confirmed: nothing more is sent
        form.stopped = [*form.stopped, number][-MAX_KEPT:]
        return _queue(form, "stop", number)
    if kind == "join":
        form.stopped = [n for n in form.stopped if n != number]
    elif number in form.stopped:
        return False
    return _queue(form, kind, number)


def holding(vault: Vault, number: str) -> list[bytes]:
    """Contacts holding exactly ``number`` (E.164)."""
    found = []
    for entry in vault.search_index().search(number.lstrip("+")):
        contact = vault.contacts.get(entry.id)
        if any(p.value == number for p in contact.phones):
            found.append(vault.contacts.resolve(contact.id))
    return found


def _denies_sms(vault: Vault, number: str) -> bool:
    for contact in holding(vault, number):
        prefs = vault.preferences.get(contact)
        if prefs.do_not_contact or ("sms", False) in prefs.rules:
            return True
    return False


def _settle(vault: Vault, form: Form, item: dict[str, str], state: str) -> None:
    item["state"] = state
    save(vault, form)  # one committed write per change of state


def pending(vault: Vault) -> int:
    """Replies waiting to be sent, over every form."""
    return sum(1 for f in all_forms(vault) for i in f.outgoing
               if i["state"] in ("queued", "sending"))


def send_replies(vault: Vault, texter: Texter) -> ReplyOutcome:
    """Send every queued reply of every form, in order (module rules)."""
    out = ReplyOutcome()
    every = all_forms(vault)
    stopped = {n for f in every for n in f.stopped}  # a STOP to any form holds for all
    for form in every:
        for item in form.outgoing:
            if item["state"] == "sending":  # interrupted mid-send last time
                known = texter.check(item["id"])
                _settle(vault, form, item, "sent" if known else
                        "queued" if known is False else "uncertain")
                out.sent += known is True
                out.uncertain += known is None
            if item["state"] != "queued":
                continue
            blocked = item["to"] in (form.stopped if item["kind"] == "join" else stopped)
            if item["kind"] != "stop" and (blocked or _denies_sms(vault, item["to"])):
                _settle(vault, form, item, "dropped")
                out.dropped += 1
                continue
            _settle(vault, form, item, "sending")
            result = texter.send(item["to"], item["text"], item["id"])
            if result == "down":
                _settle(vault, form, item, "queued")
                out.waiting = pending(vault)
                return out
            state = {"sent": "sent", "refused": "failed"}.get(result, "uncertain")
            _settle(vault, form, item, state)
            out.sent += state == "sent"
            out.failed += state == "failed"
            out.uncertain += state == "uncertain"
    return out
