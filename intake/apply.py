"""Taking opened sign-ups into the vault: contacts with consent provenance, SMS keywords.

    outcome = apply_items(vault, form, items, today)

Web sign-ups become contacts through the importer (``vault.interchange.importer``), so they
are matched and merged exactly as ``kith import`` would (same email or phone: one person),
tagged with the form's tag, and each ticked choice allows its rules with a consent entry
``web form NAME, DATE`` whose text is the words the person ticked.

SMS keywords (the first word, case-insensitive):
    JOIN [LIST]   sign the number up: allow ``sms``, consent "SMS keyword", tag LIST if given
    STOP (and the usual opt-out words)   deny ``sms`` for every contact with that number
    a poll word   counted in the form's tallies (``kith intake show``), and handed on as a
                  ``PollAnswer`` (number, word, time) for ``kith outreach report`` to count
                  against the SMS it answers (``outreach/polls.py``; the CLI joins the two)
Anything else is counted as "other" and dropped (the text is not stored).
A keyword with an automatic reply set (``kith intake reply``) queues it (``intake/replies.py``).

A form made for an introduction round has a ``yes`` choice: ticking it hands on an
``IntroYes`` (the invitee's code from their link, and the time) for the CLI to record on the
round (``tui/commands/intake_glue.py``); it sets no preference of its own.

Rules and reasons:
- STOP is applied to every contact holding that exact number, matched or not, as replies are
  (``outreach/replies.py``): refusing an opt-out would contact someone who said no.
- An SMS is applied once: its gateway id is remembered on the form (the last 2,000).
- Nothing from a submission is stored outside sealed records: the message text of an SMS is
  read for its keyword and dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from intake.forms import YES_CHOICE, Form
from intake.replies import holding, on_keyword
from intake.submissions import SmsMessage, WebSignup
from vault.domain.preferences import PreferenceChange
from vault.interchange.import_report import ImportOptions
from vault.interchange.importer import import_contacts

if TYPE_CHECKING:
    from vault import Vault

STOP_WORDS = frozenset({"STOP", "UNSUBSCRIBE", "STOPALL", "END", "CANCEL", "QUIT"})
JOIN_WORDS = frozenset({"JOIN", "START", "SUBSCRIBE"})
MAX_REMEMBERED = 2000


@dataclass(frozen=True)
class PollAnswer:
    """One SMS poll answer: who (E.164), which word, when (epoch seconds)."""

    sender: str
    word: str
    at: int


@dataclass(frozen=True)
class IntroYes:
    """A YES ticked on an introduction's form: the invitee's code (may be ""), and when."""

    ref: str
    at: int


@dataclass
class Outcome:
    """What one pull did."""

    added: int = 0
    merged: int = 0
    refused: int = 0
    joined: int = 0
    stopped: int = 0
    answers: dict[str, int] = field(default_factory=dict)
    other: int = 0
    contacts: list[str] = field(default_factory=list)
    replies_queued: int = 0
    poll_answers: list[PollAnswer] = field(default_factory=list)
    intro_yes: list[IntroYes] = field(default_factory=list)
    intro_accepted: int = 0
    intro_unconfirmed: int = 0


def _record(signup: WebSignup) -> dict[str, object]:
    values = signup.fields
    record: dict[str, object] = {
        "name": values.get("name") or values.get("email") or values.get("phone", ""),
    }
    if "email" in values:
        record["emails"] = [{"value": values["email"]}]
    if "phone" in values:
        record["phones"] = [{"value": values["phone"]}]
    if "city" in values:
        record["addresses"] = [{"locality": values["city"]}]
    if "org" in values:
        record["org"] = values["org"]
    return record


def _import(vault: Vault, form: Form, records: list[dict[str, object]],
            out: Outcome) -> dict[int, str]:
    """Import one record per line; the contact id each line landed on (by index)."""
    text = "[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n"
    report = import_contacts(
        vault, text.encode(),
        ImportOptions(fmt="json", tags=(form.tag,) if form.tag else ()),
    )
    ids: dict[int, str] = {}
    for kind in ("added", "merged", "unchanged"):
        for item in getattr(report, kind):
            for line in item.lines:
                ids[line - 2] = item.id  # record i is on line i + 2
    out.added += len(report.added)
    out.merged += len(report.merged)
    out.refused += len(records) - len(ids)
    return ids


def _web(vault: Vault, form: Form, signups: list[WebSignup], out: Outcome) -> None:
    if not signups:
        return
    ids = _import(vault, form, [_record(s) for s in signups], out)
    for index, signup in enumerate(signups):
        contact = ids.get(index)
        if contact is None:
            continue
        out.contacts.append(contact)
        if YES_CHOICE in signup.consents and form.introduction:
            out.intro_yes.append(IntroYes(signup.ref, _epoch(signup.at)))
        chosen = [c for c in form.consents if c.id in signup.consents and c.rules]
        if not chosen:
            continue  # signed up, consented to nothing: nothing is allowed (opt-in)
        frequency = next((c.frequency for c in chosen if c.frequency), None)
        vault.preferences.change(
            vault.contacts.resolve(contact),
            PreferenceChange(
                allow=tuple(sorted({r for c in chosen for r in c.rules})),
                max_frequency=frequency,
                consent_source=f"web form {form.name}, {signup.at[:10]}",
                consent_text="; ".join(c.label for c in chosen),
            ),
            now=_now(),
        )


def _now() -> int:
    import time

    return int(time.time())


def _epoch(text: str) -> int:
    """An ISO-8601 time as epoch seconds (naive means UTC); now if it does not parse."""
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return _now()
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())


def _sms(vault: Vault, form: Form, message: SmsMessage, out: Outcome) -> None:
    if message.message_id and message.message_id in form.taken:
        return
    words = message.text.split()
    word = words[0].upper().strip(".!,") if words else ""
    if word in STOP_WORDS:
        for contact in holding(vault, message.sender):
            vault.preferences.change(contact, PreferenceChange(
                deny=("sms",), consent_source="SMS keyword STOP",
                consent_text=f"STOP to intake {form.name}"), now=_now())
            out.stopped += 1
        out.replies_queued += on_keyword(form, "stop", message.sender)
    elif word in JOIN_WORDS:
        tags = [words[1][:40]] if len(words) > 1 else []
        record: dict[str, object] = {"name": message.sender,
                                     "phones": [{"value": message.sender}], "tags": tags}
        ids = _import(vault, form, [record], out)
        if 0 in ids:
            vault.preferences.change(vault.contacts.resolve(ids[0]), PreferenceChange(
                allow=("sms",), consent_source="SMS keyword",
                consent_text=f"JOIN to intake {form.name}"), now=_now())
            out.joined += 1
        out.replies_queued += on_keyword(form, "join", message.sender)
    elif word in form.tallies:
        form.tallies[word] += 1
        out.answers[word] = out.answers.get(word, 0) + 1
        out.poll_answers.append(PollAnswer(message.sender, word, _epoch(message.at)))
        out.replies_queued += on_keyword(form, "poll", message.sender)
    else:
        out.other += 1
    if message.message_id:
        form.taken = [*form.taken, message.message_id][-MAX_REMEMBERED:]


def apply_items(vault: Vault, form: Form, items: list[WebSignup | SmsMessage]) -> Outcome:
    """Apply opened submissions (web sign-ups in one import, then SMS in order)."""
    out = Outcome()
    _web(vault, form, [i for i in items if isinstance(i, WebSignup)], out)
    for item in items:
        if isinstance(item, SmsMessage):
            _sms(vault, form, item, out)
    return out
