"""What the relay answers when it refuses: one HTTP status per reason, no detail about data.

Each error carries the status and a short reason a client can show; none repeats anything a
client sent (a reason never echoes a mailbox id, token or body).
"""

from __future__ import annotations


class RelayError(Exception):
    """A refused request."""

    status = 400
    reason = "bad request"


class BadRequest(RelayError):
    """Malformed ids, tokens or parameters."""


class Forbidden(RelayError):
    """The token does not open this mailbox or form."""

    status = 403
    reason = "wrong token"


class NotFoundHere(RelayError):
    """No such form or item (or it expired)."""

    status = 404
    reason = "not found"


class TooLarge(RelayError):
    """The body is over the item limit."""

    status = 413
    reason = "too large"


class QuotaFull(RelayError):
    """The mailbox is at its quota of bytes or items."""

    status = 507
    reason = "mailbox quota reached"


class RateLimited(RelayError):
    """Too many writes to this mailbox or form in the last minute."""

    status = 429
    reason = "slow down"
