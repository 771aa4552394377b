"""The saved-search filter language: a small, strict parser (evaluation is in activity_index).

A query is terms separated by spaces; every term must hold (AND). ``-`` before a term negates
it. Double quotes group characters that would otherwise split or be read as syntax
(``signed:"Save the park"``, ``"12:30"``); there is no escape for a quote inside quotes.

    word, "two words"          free text: every word, as in plain ``kith search``
    text:WORD                  free text, spelled explicitly (for words with a colon)
    city:NAME                  an address locality equals NAME
    tag:NAME   segment:NAME   lang:NAME      the contact has that tag / segment / language
    org:TEXT                   the organization contains TEXT
    field:KEY  field:KEY=VALUE the custom field exists / equals VALUE
    has:email|phone|address|dnc|prefs       presence (dnc: do-not-contact is set)
    contacted:WHEN             we reached them (outbound email, SMS, call, or a meeting)
    attended:WHEN              attended an event        donated:WHEN   made a donation
    logged:KIND  logged:KIND:WHEN           any interaction of that kind (ever / in WHEN)
    signed:NAME                signed the petition NAME (the campaign of a petition-signed)
    campaign:NAME              any interaction for campaign NAME
    event:ID   signup:ID       attended / signed up for that event (id prefix)
    allows:CHANNEL[:KIND]      preferences allow it (consent only, no frequency check)

    WHEN := Nd (the last N days, 1 to 36500) | since:YYYY-MM-DD[THH:MM] | ever

Example: ``city:Lyon tag:volunteers -contacted:since:2026-06-01 attended:90d``.

Rules and reasons:
- Strict: an unknown key, an empty value, a malformed WHEN or an unclosed quote is
  ``BadFilter`` (exit 5), naming the term's position but never its text (errors reach logs).
  A token whose part before the first colon is not a plain word (``12:30``, ``+33:``) is free
  text, so phone numbers and times still search as before.
- Bounded: at most 1024 characters and 32 terms, values at most 256 characters, so a saved
  search cannot make evaluation do unbounded work.
- Matching of names (city, tag, segment, lang, signed, campaign, field) is exact after
  accent- and case-folding (``vault.domain.search.fold``); only ``org`` and free text match parts.
- A saved search stores the query text, not this parse: the grammar can grow without
  migrating saved definitions, and relative windows (``90d``) stay relative to each run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vault import ids
from vault.domain.interactions import check_kind
from vault.domain.preferences import parse_rule
from vault.domain.search import fold
from vault.domain.values import DAY, parse_moment
from vault.errors import BadFilter, InvalidInput

MAX_QUERY = 1024
MAX_TERMS = 32
MAX_VALUE = 256
MAX_DAYS = 36_500

NAME_KEYS = ("city", "tag", "segment", "lang", "signed", "campaign")
WINDOW_KEYS = ("contacted", "attended", "donated")
EVENT_KEYS = ("event", "signup")
HAS_VALUES = ("email", "phone", "address", "dnc", "prefs")
KEYS = frozenset(
    {"text", "org", "field", "has", "logged", "allows", *NAME_KEYS, *WINDOW_KEYS, *EVENT_KEYS}
)
_KEY = re.compile(r"[a-z]+")
_DAYS = re.compile(r"(\d{1,5})d")


@dataclass(frozen=True)
class Window:
    """A time window: the last ``days`` days, or since ``since``, or (both None) ever."""

    days: int | None = None
    since: int | None = None

    def threshold(self, now: int) -> int | None:
        """The earliest moment inside the window, or None for ever."""
        if self.days is not None:
            return now - self.days * DAY
        return self.since


@dataclass(frozen=True)
class Term:
    """One parsed term. ``value`` is folded for name keys; ``extra`` is a field value or kind."""

    key: str
    value: str = ""
    negated: bool = False
    extra: str | None = None
    window: Window | None = None


@dataclass(frozen=True)
class Query:
    """A parsed query: its text, and its terms in order."""

    text: str
    terms: tuple[Term, ...]

    @property
    def words(self) -> tuple[str, ...]:
        """Positive free-text words."""
        texts = [t.value for t in self.terms if t.key == "text" and not t.negated]
        return tuple(word for text in texts for word in text.split())

    @property
    def is_plain_text(self) -> bool:
        """True when the query is only positive free text (plain ``kith search``)."""
        return all(t.key == "text" and not t.negated for t in self.terms)


def _fail(position: int, problem: str) -> BadFilter:
    return BadFilter(f"(term {position}: {problem})")


def _tokens(text: str) -> list[tuple[bool, list[tuple[str, bool]]]]:
    """Split into (negated, [(char, quoted)]) tokens."""
    out: list[tuple[bool, list[tuple[str, bool]]]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        negated = text[i] == "-" and i + 1 < n and not text[i + 1].isspace()
        if text[i] == "-" and not negated:
            raise _fail(len(out) + 1, "a '-' must be followed by a term")
        i += 1 if negated else 0
        chars: list[tuple[str, bool]] = []
        quoted = False
        while i < n and (quoted or not text[i].isspace()):
            if text[i] == '"':
                quoted = not quoted
            else:
                chars.append((text[i], quoted))
            i += 1
        if quoted:
            raise _fail(len(out) + 1, "a quote is not closed")
        out.append((negated, chars))
    return out


def _window(text: str, position: int) -> Window:
    if text == "ever":
        return Window()
    days = _DAYS.fullmatch(text)
    if days:
        count = int(days.group(1))
        if not 1 <= count <= MAX_DAYS:
            raise _fail(position, f"a day count is 1 to {MAX_DAYS}")
        return Window(days=count)
    if text.startswith("since:"):
        return Window(since=parse_moment(text[len("since:"):]))
    raise _fail(position, "a time is Nd, since:YYYY-MM-DD or ever")


def _term(key: str, value: str, negated: bool, position: int) -> Term:
    if not value:
        raise _fail(position, f"{key}: needs a value")
    if key == "text":
        return Term("text", fold(value), negated)
    if key in NAME_KEYS:
        return Term(key, fold(value), negated)
    if key == "org":
        return Term("org", fold(value), negated)
    if key == "field":
        name, sep, wanted = value.partition("=")
        if not name.strip():
            raise _fail(position, "field: needs a field name")
        return Term("field", fold(name.strip()), negated, fold(wanted.strip()) if sep else None)
    if key == "has":
        if value.lower() not in HAS_VALUES:
            raise _fail(position, "has: takes " + ", ".join(HAS_VALUES))
        return Term("has", value.lower(), negated)
    if key in WINDOW_KEYS:
        return Term(key, "", negated, window=_window(value.lower(), position))
    if key == "logged":
        kind, _, when = value.partition(":")
        return Term("logged", "", negated, check_kind(kind),
                    _window(when.lower(), position) if when else Window())
    if key in EVENT_KEYS:
        try:
            ids.parse_prefix(value)
        except InvalidInput:
            raise _fail(position, f"{key}: takes an event id (hex digits)") from None
        return Term(key, value.strip().lower(), negated)
    return Term("allows", parse_rule(value), negated)


def parse(text: str) -> Query:
    """Parse a query; every problem is ``BadFilter`` (or a more specific ``InvalidInput``)."""
    if len(text) > MAX_QUERY:
        raise BadFilter(f"(a query is at most {MAX_QUERY} characters)")
    terms: list[Term] = []
    for position, (negated, chars) in enumerate(_tokens(text), 1):
        if position > MAX_TERMS:
            raise BadFilter(f"(a query has at most {MAX_TERMS} terms)")
        colon = next((i for i, (c, q) in enumerate(chars) if c == ":" and not q), None)
        head = "".join(c for c, _ in chars[:colon]) if colon is not None else ""
        plain_head = colon is not None and not any(q for _, q in chars[:colon])
        if colon is None or not plain_head or not _KEY.fullmatch(head.lower()):
            value = "".join(c for c, _ in chars)
            if len(value) > MAX_VALUE:
                raise _fail(position, f"a value is at most {MAX_VALUE} characters")
            if value.strip():
                terms.append(Term("text", fold(" ".join(value.split())), negated))
            continue
        key = head.lower()
        if key not in KEYS:
            raise _fail(position, "unknown key; keys are " + ", ".join(sorted(KEYS)))
        value = "".join(c for c, _ in chars[colon + 1 :]).strip()
        if len(value) > MAX_VALUE:
            raise _fail(position, f"a value is at most {MAX_VALUE} characters")
        terms.append(_term(key, value, negated, position))
    return Query(text, tuple(terms))
