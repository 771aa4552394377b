"""Introductions by consent (issue 17): rounds, answers, withdrawals, and who may be connected.

    introduction        one round: channel, kind, share, invitation (an outreach message)
        round --invitation--> outreach_message     dependent: deleting the message ends it
    intro_answer        one person's word in one round: answer, source, at, by, introduced
        answer --round--> round                     dependent
        answer --person--> contact                  dependent (shredding a person shreds it)
    intro_withdrawal    one person's "no more introductions": at, source, by
        withdrawal --person--> contact              dependent

Rules and reasons:
- Opt-in, per round: only a YES to this round's invitation counts, whether it came as an email
  or SMS reply (the outbox's recorded answer, ``collect``) or was recorded by an organizer
  (``record``) with its source. Silence is no; NO is no. An email YES matched only by its From
  address (no reference to the invitation) is not taken: addresses can be forged.
- The newest word wins within a round; a withdrawal is newer than every answer before it and
  stops every later introduction in every round, and new invitations leave the person out,
  until they give a new YES (a fresh, dated decision).
- Every answer and withdrawal also appends a consent entry to the person's preferences (source,
  date, who recorded it, the text agreed to), so the one consent log shows where it came from.
- Connecting needs, at the moment of sending, a YES still standing, the channel's consent
  (``allows(channel, kind)``: a STOP after a YES wins), and an address on the channel.
- Nothing identifies a person who did not accept: answers of NO and silence are stored only as
  their own records, and no message, interaction summary or output names them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from outreach.audience import address_of, candidates, load_contacts
from outreach.compose import Draft, compose
from outreach.outbox import Outbox
from vault import ids
from vault.domain.preferences import PreferenceChange
from vault.domain.values import SHORT_TEXT, clean_text
from vault.errors import IntegrityError, InvalidInput, NotFound

if TYPE_CHECKING:
    from vault import Vault

ROUND_TYPE = "introduction"
ANSWER_TYPE = "intro_answer"
WITHDRAWAL_TYPE = "intro_withdrawal"
INVITATION_ROLE = "invitation"
ROUND_ROLE = "round"
PERSON_ROLE = "person"
SHAREABLE = ("name", "email", "phone")
ANSWERS = ("yes", "no")
_WORDS = {"name": "name", "email": "email address", "phone": "phone number"}


def check_share(text: str) -> tuple[str, ...]:
    """The details each accepting person shares: some of name, email, phone (name always)."""
    parts = tuple(dict.fromkeys(p.strip().lower() for p in text.split(",") if p.strip()))
    if not parts or any(p not in SHAREABLE for p in parts) or "name" not in parts:
        raise InvalidInput("(--share is name plus any of email, phone: name,email)")
    return parts


def describe_share(share: tuple[str, ...]) -> str:
    """``name and email address`` for the invitation text."""
    words = [_WORDS[p] for p in share]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def default_invitation(share: tuple[str, ...], channel: str) -> str:
    """The invitation body: what is asked, what YES shares, with whom, and what NO means."""
    what = describe_share(share)
    if channel == "sms":
        return (f"Supporters near you want to organize. Reply YES to share your {what} with "
                "the others who also reply YES. No reply, no sharing.")
    return (f"Hello {{given_name|friend}},\n\nSupporters near you want to organize. Reply YES "
            f"to share your {what} with them.\n\nOnly people who reply YES are put in touch: "
            f"each of them receives the others' {what}. Nobody who does not reply YES is "
            "named to anyone. Reply NO, or do nothing, and nothing about you is shared.\n")


@dataclass(frozen=True)
class Round:
    """One round of introductions."""

    id: str
    message: str
    channel: str
    kind: str
    share: tuple[str, ...]
    created: int

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` shape of a round."""
        return {"id": self.id, "message": self.message, "channel": self.channel,
                "kind": self.kind, "share": list(self.share), "created": self.created}


@dataclass(frozen=True)
class Answer:
    """One person's standing word in one round."""

    id: bytes
    contact: bytes
    answer: str
    source: str
    at: int
    by: str
    introduced: tuple[str, ...]


def _text(values: Mapping[str, bytes], name: str) -> str:
    try:
        return values[name].decode("utf-8") if name in values else ""
    except UnicodeDecodeError:
        raise IntegrityError("(an introduction field is malformed)") from None


class Introductions:
    """Rounds, answers and withdrawals of one vault (sealed records in its private segment)."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.records = vault.records
        self.home = vault.private_segment

    # -- rounds --------------------------------------------------------------------------------

    def create(self, audience: str, channel: str, kind: str, share: tuple[str, ...],
               subject: str = "", body: str = "", *, now: int | None = None) -> Round:
        """Compose the invitation for ``audience`` minus withdrawn people; store the round."""
        moment = int(time.time()) if now is None else now
        from outreach.audience import parse_audience

        spec = parse_audience(self.vault, audience)
        withdrawn = self.withdrawn()
        people = [c for c in candidates(self.vault, spec, moment) if c not in withdrawn]
        if not people:
            raise InvalidInput("(nobody to invite: the audience is empty or has withdrawn)")
        subject = subject or ("Supporters near you want to organize" if channel == "email"
                              else "")
        message = compose(self.vault, Draft(channel, kind, ",".join(people),
                                            body or default_invitation(share, channel),
                                            subject))
        with self.records.store.transaction():
            made = self.records.create(ROUND_TYPE, {"share": ",".join(share).encode()},
                                       self.home)
            self.records.link(made, bytes.fromhex(message.id), INVITATION_ROLE, dependent=True)
        return self.get(made)

    def get(self, record_id: bytes) -> Round:
        """One round by full id."""
        record = self.records.get(record_id)
        if record.type != ROUND_TYPE:
            raise NotFound("(no introduction round with that id)")
        linked = dict(self.records.links_of_type(ROUND_TYPE, INVITATION_ROLE))
        message = Outbox.of(self.vault).get(linked[record_id])
        return Round(ids.full(record_id), message.id, message.channel, message.kind,
                     check_share(_text(record.fields, "share")), record.created)

    def resolve(self, prefix: str) -> bytes:
        """The id of the one round whose id starts with ``prefix``."""
        return self.records.resolve(ROUND_TYPE, prefix, "introduction round")

    def rounds(self) -> list[Round]:
        """Every round, newest first."""
        found = [self.get(r.id) for r in self.records.iter_type(ROUND_TYPE)]
        return sorted(found, key=lambda r: (-r.created, r.id))

    # -- answers -------------------------------------------------------------------------------

    def answers(self, round_id: bytes) -> dict[bytes, Answer]:
        """Each person's standing answer in a round, by contact id."""
        to_round = dict(self.records.links_of_type(ANSWER_TYPE, ROUND_ROLE))
        to_person = dict(self.records.links_of_type(ANSWER_TYPE, PERSON_ROLE))
        found: dict[bytes, Answer] = {}
        for record in self.records.iter_type(ANSWER_TYPE):
            person = to_person.get(record.id)
            if to_round.get(record.id) != round_id or person is None:
                continue
            try:
                at = int(_text(record.fields, "at"))
                introduced = tuple(str(x) for x in json.loads(
                    _text(record.fields, "introduced") or "[]"))
            except ValueError:
                raise IntegrityError("(an introduction field is malformed)") from None
            found[person] = Answer(record.id, person, _text(record.fields, "answer"),
                                   _text(record.fields, "source"), at,
                                   _text(record.fields, "by"), introduced)
        return found

    def record(self, round_id: bytes, contact_id: bytes, answer: str, *, source: str,
               by: str = "", at: int | None = None, now: int | None = None) -> Answer:
        """Record a person's answer to a round (newest word wins), with its provenance."""
        moment = int(time.time()) if now is None else now
        when = moment if at is None else at
        word = answer.strip().lower()
        if word not in ANSWERS:
            raise InvalidInput("(an answer is yes or no)")
        source = clean_text(source, "the source", SHORT_TEXT)
        if not source:
            raise InvalidInput("(say where the answer came from: --source)")
        by = clean_text(by, "who recorded it", SHORT_TEXT)
        current = self.answers(round_id).get(contact_id)
        if current is not None and current.at > when:
            return current  # an older word never overrides a newer one
        short = ids.full(round_id)[: ids.SHORT_DIGITS]
        text = (f"introduction round {short}: {word.upper()} to sharing "
                f"{describe_share(self.get(round_id).share)} with supporters who also said YES")
        fields = {"answer": word.encode(), "source": source.encode(), "at": str(when).encode(),
                  "by": by.encode() or None}
        with self.records.store.transaction():
            if current is None:
                made = self.records.create(
                    ANSWER_TYPE, {k: v for k, v in fields.items() if v is not None}, self.home)
                self.records.link(made, round_id, ROUND_ROLE, dependent=True)
                self.records.link(made, contact_id, PERSON_ROLE, dependent=True)
            else:
                self.records.update(current.id, fields)
            self.vault.preferences.change(contact_id, PreferenceChange(
                consent_source=source, consent_by=by or "kith introduce", consent_text=text,
                consent_at=when), now=moment)
        return self.answers(round_id)[contact_id]

    def mark_introduced(self, answer_id: bytes, introduced: tuple[str, ...]) -> None:
        """Store whose details a person has been sent (one committed write)."""
        self.records.update(answer_id, {"introduced": json.dumps(list(introduced)).encode()})

    # -- withdrawals ---------------------------------------------------------------------------

    def withdraw(self, contact_id: bytes, *, source: str, by: str = "",
                 now: int | None = None) -> None:
        """No more introductions for this person, in any round, from now on."""
        moment = int(time.time()) if now is None else now
        source = clean_text(source, "the source", SHORT_TEXT)
        if not source:
            raise InvalidInput("(say where the withdrawal came from: --source)")
        by = clean_text(by, "who recorded it", SHORT_TEXT)
        if self.records.type_of(contact_id) != "contact":
            raise NotFound("(no contact with that id)")
        with self.records.store.transaction():
            fields = {"at": str(moment).encode(), "source": source.encode()}
            if by:
                fields["by"] = by.encode()
            made = self.records.create(WITHDRAWAL_TYPE, fields, self.home)
            self.records.link(made, contact_id, PERSON_ROLE, dependent=True)
            self.vault.preferences.change(contact_id, PreferenceChange(
                consent_source=source, consent_by=by or "kith introduce",
                consent_text="withdrew from introductions: no more sharing with other "
                             "supporters", consent_at=moment), now=moment)

    def withdrawn(self) -> dict[str, int]:
        """Full contact id -> the time of their latest withdrawal."""
        person = dict(self.records.links_of_type(WITHDRAWAL_TYPE, PERSON_ROLE))
        found: dict[str, int] = {}
        for record in self.records.iter_type(WITHDRAWAL_TYPE):
            contact = person.get(record.id)
            if contact is None:
                continue
            try:
                at = int(_text(record.fields, "at"))
            except ValueError:
                raise IntegrityError("(an introduction field is malformed)") from None
            key = ids.full(contact)
            found[key] = max(found.get(key, at), at)
        return found

    # -- who may be connected ------------------------------------------------------------------

    def collect(self, round_id: bytes) -> tuple[int, int]:
        """Turn YES/NO (and STOP) replies to the invitation into answers.

        An email YES counts only if the reply is to the invitation itself (it names the
        invitation's Message-ID): a From address alone can be forged, and a forged YES would
        hand someone's details to strangers. Such a YES is left unconfirmed (an organizer who
        checks with the person records it with ``record``); a NO or STOP counts however it
        came. Returns (answers recorded now, YES replies left unconfirmed).
        """
        found = self.get(round_id)
        outbox = Outbox.of(self.vault)
        known = self.answers(round_id)
        changed = unconfirmed = 0
        for delivery in outbox.deliveries(bytes.fromhex(found.message)):
            word = "no" if delivery.opted_out else delivery.answer
            if word not in ANSWERS:
                continue
            if word == "yes" and found.channel == "email" and delivery.answer_via != "thread":
                unconfirmed += delivery.contact not in known
                continue
            at = self._reply_time(delivery.contact, found) or int(time.time())
            current = known.get(delivery.contact)
            if current is not None and (current.answer == word or current.at >= at):
                continue
            self.record(round_id, delivery.contact, word, source=f"{found.channel} reply",
                        by="kith introduce", at=at)
            changed += 1
        return changed, unconfirmed

    def _reply_time(self, contact: bytes, found: Round) -> int | None:
        from outreach.sender import campaign_of

        campaign = campaign_of(Outbox.of(self.vault).get(bytes.fromhex(found.message)))
        times = [i.at for i in self.vault.interactions.history(contact)
                 if i.campaign == campaign and i.direction == "in"]
        return max(times) if times else None

    def accepted(self, round_id: bytes) -> list[tuple[Answer, str]]:
        """(answer, address) of everyone who may be connected now (module rules), in name
        order."""
        found = self.get(round_id)
        withdrawn = self.withdrawn()
        index = self.vault.activity_index()
        yes = [a for a in self.answers(round_id).values() if a.answer == "yes"
               and withdrawn.get(ids.full(a.contact), -1) < a.at]
        contacts = load_contacts(self.vault, [ids.full(a.contact) for a in yes])
        rank = index.rank()
        out: list[tuple[Answer, str]] = []
        for answer in sorted(yes, key=lambda a: (rank.get(ids.full(a.contact), len(rank)),
                                                 a.contact)):
            contact = contacts.get(ids.full(answer.contact))
            prefs = index.prefs.get(ids.full(answer.contact))
            if contact is None or prefs is None or not prefs.allows(found.channel, found.kind):
                continue
            address = address_of(contact, found.channel)
            if address:
                out.append((answer, address))
        return out
