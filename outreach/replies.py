"""Replies: read them (mbox, Maildir, SMS webhook payloads), match them, act on keywords.

Matching, in order: an email's ``In-Reply-To`` and ``References`` against the Message-IDs the
outbox recorded; else the sender's address (email) or number (SMS) against the latest sent
delivery to it. A matched reply becomes an interaction on the contact (``email-received``, or
an inbound ``sms``), campaign ``outreach <id>``, and is counted by ``kith outreach report``.

Keywords (the first word of the first non-quoted line, or of the subject; case-insensitive):
    STOP, UNSUBSCRIBE, STOPALL, END, CANCEL, QUIT   deny that channel (consent entry recorded)
    JOIN, START, SUBSCRIBE                          allow that channel again
    YES, NO (also Y, N)                             a poll answer, recorded on the delivery

Rules and reasons:
- STOP is always honoured, matched or not: an unmatched STOP is applied to every contact
  holding that exact address or number. Refusing an opt-out because a reply lost its headers
  would contact someone who said no.
- A reply is applied once: its id (the Message-ID, the webhook's id, else a digest of its
  content) is recorded on the delivery, so importing the same mailbox twice changes nothing.
- Reply bodies are not stored: the interaction keeps the subject line (sealed) and the
  keyword. The mailbox file itself is the user's own and is only read.
"""

from __future__ import annotations

import hashlib
import json
import mailbox
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message as MailMessage
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from outreach.outbox import Delivery, Outbox
from outreach.sender import campaign_of
from vault.domain.interactions import make_draft
from vault.domain.preferences import PreferenceChange
from vault.domain.values import SHORT_TEXT
from vault.errors import InvalidInput

if TYPE_CHECKING:
    from vault import Vault

STOP_WORDS = frozenset({"STOP", "UNSUBSCRIBE", "STOPALL", "END", "CANCEL", "QUIT"})
JOIN_WORDS = frozenset({"JOIN", "START", "SUBSCRIBE"})
ANSWERS = {"YES": "yes", "Y": "yes", "NO": "no", "N": "no"}
_MSGID = re.compile(r"<[^<>\s]{1,998}>")
_WORD = re.compile(r"[A-Za-z]+")
MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class Incoming:
    """One reply, whatever it came through."""

    channel: str
    reply_id: str
    sender: str
    text: str
    at: int
    subject: str = ""
    refs: tuple[str, ...] = ()


@dataclass
class ImportOutcome:
    """What an import did."""

    read: int = 0
    matched: int = 0
    unmatched: int = 0
    duplicates: int = 0
    opted_out: int = 0
    opted_in: int = 0
    answers: int = 0
    notes: list[str] = field(default_factory=list)


def keyword(text: str, subject: str = "") -> str:
    """The keyword of a reply (upper case), or ""."""
    for source in (text, subject):
        for raw in source.splitlines():
            line = raw.strip()
            if not line or line.startswith(">"):
                continue
            found = _WORD.match(line)
            word = found.group(0).upper() if found else ""
            if word in STOP_WORDS or word in JOIN_WORDS or word in ANSWERS:
                return word
            break
    return ""


def _plain_body(msg: MailMessage) -> str:
    part = msg
    if msg.is_multipart():
        part = next((p for p in msg.walk() if p.get_content_type() == "text/plain"), msg)
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload[:MAX_BODY].decode(charset, "replace")
    except LookupError:
        return payload[:MAX_BODY].decode("utf-8", "replace")


def _at(msg: MailMessage) -> int:
    try:
        return int(parsedate_to_datetime(str(msg["Date"])).timestamp())
    except (TypeError, ValueError, IndexError):
        return int(time.time())


def _decoded(raw: object) -> str:
    """A header as text (RFC 2047 encoded words decoded); undecodable parts are replaced."""
    try:
        return str(make_header(decode_header(str(raw))))
    except (HeaderParseError, LookupError, UnicodeDecodeError, ValueError):
        return str(raw)


def _digest(msg: MailMessage) -> str:
    """An id for a message without a Message-ID: a digest of its bytes."""
    try:
        return "sha256:" + hashlib.sha256(msg.as_bytes()).hexdigest()
    except (UnicodeEncodeError, LookupError, ValueError):
        return "sha256:" + hashlib.sha256(repr(msg.items()).encode()).hexdigest()


def read_mailbox(path: Path) -> Iterator[Incoming]:
    """Every message of an mbox file or a Maildir folder, as ``Incoming``."""
    if path.is_dir():
        box: mailbox.Mailbox[Any] = mailbox.Maildir(path, create=False)
    elif path.is_file():
        box = mailbox.mbox(path, create=False)
    else:
        raise InvalidInput("(no mailbox there: give an mbox file or a Maildir folder)")
    try:
        for msg in box:
            text = _plain_body(msg)
            heads = f"{msg.get('In-Reply-To', '')} {msg.get('References', '')}"
            refs = tuple(_MSGID.findall(heads))
            own = str(msg.get("Message-ID", "")).strip() or _digest(msg)
            subject = " ".join(_decoded(msg.get("Subject", "")).split())[:SHORT_TEXT]
            yield Incoming("email", own, parseaddr(_decoded(msg.get("From", "")))[1],
                           text, _at(msg), subject, refs)
    finally:
        box.close()


def read_sms_webhooks(path: Path) -> Iterator[Incoming]:
    """``sms:received`` webhook payloads from a JSON file (an array, one object, or JSON lines)."""
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise InvalidInput("(cannot read that file as UTF-8 text)") from None
    try:
        data = json.loads(raw)
        items = data if isinstance(data, list) else [data]
    except ValueError:
        try:
            items = [json.loads(line) for line in raw.splitlines() if line.strip()]
        except ValueError:
            raise InvalidInput("(the file is not JSON webhook payloads)") from None
    for item in items:
        if not isinstance(item, dict) or item.get("event") != "sms:received":
            continue
        yield from _sms_item(item)


def _sms_item(item: dict[str, Any]) -> Iterator[Incoming]:
    payload = item.get("payload")
    if not isinstance(payload, dict):
        return
    text, phone = str(payload.get("message", "")), str(payload.get("phoneNumber", ""))
    if not phone:
        return
    try:
        from datetime import datetime

        at = int(datetime.fromisoformat(str(payload["receivedAt"])).timestamp())
    except (KeyError, ValueError):
        at = int(time.time())
    ident = str(item.get("id") or payload.get("messageId") or "") or hashlib.sha256(
        f"{phone}\x00{text}\x00{payload.get('receivedAt', '')}".encode()).hexdigest()
    yield Incoming("sms", "sms:" + ident, phone, text[:MAX_BODY], at)


def _norm(address: str, channel: str) -> str:
    if channel == "sms":
        return "+" + re.sub(r"\D", "", address) if address else ""
    return address.strip().lower()


class ReplyImporter:
    """Applies replies to the outbox, interactions and preferences of one vault."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.outbox = Outbox.of(vault)
        self.messages = {bytes.fromhex(m.id): m for m in self.outbox.messages()}
        self.deliveries = [d for d in self.outbox.deliveries() if d.message_id]
        self.by_id = {d.message_id.strip().lower(): d for d in self.deliveries}
        self.by_address: dict[tuple[str, str], Delivery] = {}
        for d in sorted(self.deliveries, key=lambda d: d.sent_at or 0):
            channel = self.messages[d.message].channel if d.message in self.messages else ""
            if d.state == "sent":
                self.by_address[(channel, _norm(d.address, channel))] = d
        self.seen = {r for d in self.deliveries for r in d.replies}

    def _match(self, item: Incoming) -> Delivery | None:
        for ref in item.refs:
            found = self.by_id.get(ref.strip().lower())
            if found is not None:
                return found
        return self.by_address.get((item.channel, _norm(item.sender, item.channel)))

    def _threaded(self, item: Incoming) -> bool:
        """True when the reply names a recorded Message-ID (``In-Reply-To``/``References``):
        only the recipient's mailbox has it, whereas a sender address can be forged."""
        return any(ref.strip().lower() in self.by_id for ref in item.refs)

    def apply(self, items: Iterable[Incoming], *, now: int | None = None) -> ImportOutcome:
        """Match and apply every reply (module rules)."""
        outcome = ImportOutcome()
        moment = int(time.time()) if now is None else now
        for item in items:
            outcome.read += 1
            if item.reply_id in self.seen:
                outcome.duplicates += 1
                continue
            word = keyword(item.text, item.subject)
            found = self._match(item)
            if found is None:
                outcome.unmatched += 1
                if word in STOP_WORDS:
                    outcome.opted_out += self._stop_unmatched(item, moment)
                continue
            self.seen.add(item.reply_id)
            outcome.matched += 1
            self._apply_one(item, found, word, moment, outcome)
        return outcome

    def _apply_one(self, item: Incoming, found: Delivery, word: str, moment: int,
                   outcome: ImportOutcome) -> None:
        message = self.messages[found.message]
        changes: dict[str, Any] = {"replies": (*found.replies, item.reply_id)}
        kind = "email-received" if item.channel == "email" else "sms"
        draft = make_draft(kind, item.at, direction="in", summary=item.subject or "reply",
                           outcome=word.lower(), campaign=campaign_of(message))
        with self.vault.live_store.transaction():
            if word in STOP_WORDS:
                changes["opted_out"] = True
                self._change(found.contact, item, deny=True, moment=moment)
                outcome.opted_out += 1
            elif word in JOIN_WORDS:
                self._change(found.contact, item, deny=False, moment=moment)
                outcome.opted_in += 1
            elif word in ANSWERS:
                changes["answer"] = ANSWERS[word]
                changes["answer_via"] = "thread" if self._threaded(item) else "address"
                outcome.answers += 1
            self.outbox.update(found.id, **changes)
            self.vault.interactions.log(found.contact, draft)

    def _change(self, contact: bytes, item: Incoming, *, deny: bool, moment: int) -> None:
        rule = (item.channel,)
        change = PreferenceChange(
            deny=rule if deny else (), allow=() if deny else rule,
            consent_source=f"{item.channel} reply {'STOP' if deny else 'JOIN'}",
            consent_by="kith outreach", consent_at=item.at,
        )
        self.vault.preferences.change(contact, change, now=moment)

    def _stop_unmatched(self, item: Incoming, moment: int) -> int:
        wanted = _norm(item.sender, item.channel)
        if not wanted or wanted == "+":
            return 0
        count = 0
        for contact in self.vault.contacts.all():
            values = ([e.value for e in contact.emails] if item.channel == "email"
                      else [p.value for p in contact.phones])
            if any(_norm(v, item.channel) == wanted for v in values):
                self._change(bytes.fromhex(contact.id), item, deny=True, moment=moment)
                count += 1
        return count
