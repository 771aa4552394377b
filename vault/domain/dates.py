"""Calendar days as people type them (``YYYY-MM-DD``) and as the vault stores them.

Rules and reasons:
- Only the ISO form ``YYYY-MM-DD`` is accepted. ``date.fromisoformat`` alone would also take
  ``20250331`` and week dates; one spelling means a typo is refused, not guessed.
- Days are UTC days. A retention date means "keep through the end of that day": it is stored as
  the first second of the next UTC day, and something has expired when ``now`` has reached that
  second. An organizer who writes ``--until 2025-03-31`` still has the data all of 31 March.
- Times are whole epoch seconds (UTC), like every other time in the vault.
- Years run from 1900 to 2999, as for dates with a time (``vault/domain/values.py``): ``0001-01-01``
  is a typo, not a retention date, and would silently expire the data at the next ``kith
  expire`` (issue 14, item 7); years past 9999 would also overflow the day arithmetic.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from vault.domain.values import MAX_YEAR, MIN_YEAR
from vault.errors import BadDate

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_day(text: str) -> date:
    """The day written ``YYYY-MM-DD``; anything else is ``BadDate`` (exit 5)."""
    clean = text.strip()
    if not _ISO_DAY.fullmatch(clean):
        raise BadDate
    try:
        day = date.fromisoformat(clean)
    except ValueError:
        raise BadDate from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise BadDate(f"(years {MIN_YEAR} to {MAX_YEAR})")
    return day


def day_start(day: date) -> int:
    """The first second of ``day`` (UTC), as epoch seconds."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def end_of_day(day: date) -> int:
    """The first second after ``day`` (UTC): when something kept "until ``day``" expires."""
    return day_start(day + timedelta(days=1))


def day_of(epoch: int) -> date:
    """The UTC day an epoch second falls on."""
    return datetime.fromtimestamp(epoch, UTC).date()


def last_kept_day(expires: int) -> date:
    """Inverse of ``end_of_day``: the last day something expiring at ``expires`` is kept."""
    return day_of(expires - 1)


def iso(day: date) -> str:
    """``YYYY-MM-DD``."""
    return day.isoformat()
