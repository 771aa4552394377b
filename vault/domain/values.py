"""Small values people type into organizing records: moments, short texts, money.

Rules and reasons:
- A moment is typed ``YYYY-MM-DD`` (midnight) or ``YYYY-MM-DDTHH:MM``, read as UTC, and stored
  as whole UTC epoch seconds like every other time in the vault. One spelling per precision
  means a typo is refused (``BadDateTime``, exit 5), never guessed; UTC means two organizers in
  different time zones who share a segment see the same instant. Years outside 1900-2999 are
  refused: they are always typos in a contact history.
- Texts are NFC-normalized and stripped, refused when longer than their limit or when they hold
  a NUL, so the same words typed on two keyboards compare equal and a field cannot grow without
  bound. Error details name the field, never its value (errors end up on screens and in logs).
- Amounts are decimals (``25``, ``12.50``), positive, at most 4 decimal places and 12 digits
  before the point; currencies are three capital letters (ISO 4217 form). Amounts are kept as
  normalized decimal text, never floats, so 0.1 + 0.2 never drifts.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from vault.errors import BadDateTime, InvalidInput

DAY = 86_400
MIN_YEAR = 1900
MAX_YEAR = 2999
SHORT_TEXT = 200
LONG_TEXT = 4096

_MOMENT = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?")
_AMOUNT = re.compile(r"\d{1,12}(?:\.\d{1,4})?")
_CURRENCY = re.compile(r"[A-Z]{3}")


def parse_moment(text: str) -> int:
    """UTC epoch seconds of ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM``; else ``BadDateTime``."""
    match = _MOMENT.fullmatch(text.strip())
    if match is None:
        raise BadDateTime
    year, month, day, hour, minute = (int(g) if g else 0 for g in match.groups())
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise BadDateTime
    try:
        moment = datetime(year, month, day, hour, minute, tzinfo=UTC)
    except ValueError:
        raise BadDateTime from None
    return int(moment.timestamp())


def iso(epoch: int) -> str:
    """``YYYY-MM-DD`` for a UTC midnight, else ``YYYY-MM-DDTHH:MM`` (the forms accepted above)."""
    moment = datetime.fromtimestamp(epoch, UTC)
    if moment.hour == moment.minute == moment.second == 0:
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%dT%H:%M")


def epoch_of(moment: datetime) -> int:
    """Epoch seconds of a ``datetime``; a naive one is taken as UTC (the vault's only zone)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def clean_text(value: str, what: str, limit: int = LONG_TEXT) -> str:
    """NFC, stripped, at most ``limit`` characters, no NUL; ``what`` names the field in errors."""
    if len(value) > limit:
        raise InvalidInput(f"({what} is longer than {limit} characters)")
    if "\x00" in value:
        raise InvalidInput(f"({what} contains a NUL character)")
    return unicodedata.normalize("NFC", value.strip())


def clean_name(value: str, what: str, limit: int = SHORT_TEXT) -> str:
    """A required short name: ``clean_text`` plus non-empty and free of control characters."""
    clean = clean_text(value, what, limit)
    if not clean:
        raise InvalidInput(f"({what} is empty)")
    if any(unicodedata.category(c) == "Cc" for c in clean):
        raise InvalidInput(f"({what} contains control characters)")
    return clean


def parse_amount(text: str) -> str:
    """A positive decimal amount as normalized text (``"12.50"`` stays ``"12.50"``)."""
    clean = text.strip()
    if not _AMOUNT.fullmatch(clean):
        raise InvalidInput("(an amount is a positive number such as 25 or 12.50)")
    try:
        value = Decimal(clean)
    except InvalidOperation:
        raise InvalidInput("(an amount is a positive number such as 25 or 12.50)") from None
    if value <= 0:
        raise InvalidInput("(an amount must be more than zero)")
    return clean


def parse_currency(text: str) -> str:
    """A three-letter currency code, upper-cased (``eur`` -> ``EUR``)."""
    clean = text.strip().upper()
    if not _CURRENCY.fullmatch(clean):
        raise InvalidInput("(a currency is a three-letter code such as EUR or USD)")
    return clean
