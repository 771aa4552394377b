"""The relay's limits: every request, mailbox and form is bounded, and each bound is here.

Rules and reasons:
- Sizes are checked on ``Content-Length`` before a body is read, and again while it streams
  (a client may lie or send chunked): a relay must not be made to buffer more than one item.
- Quotas are per mailbox (bytes and items): one group cannot fill a relay that serves many,
  and a write past the quota is refused (507) rather than evicting older items silently.
- Rate limits are per mailbox and per form, never per address: the relay keeps no IP
  addresses, so it cannot key anything on them.
- Items expire (``ttl_seconds``): a relay is a post office, not an archive, and what it no
  longer holds cannot be seized.
"""

from __future__ import annotations

from dataclasses import dataclass

MAILBOX_ID_BYTES = 16
TOKEN_BYTES = 32
FORM_ID_BYTES = 16


@dataclass(frozen=True)
class Limits:
    """Bounds for one relay (``kith relay serve`` options override the defaults)."""

    max_item_bytes: int = 8 << 20
    max_submission_bytes: int = 16 << 10
    max_form_bytes: int = 32 << 10
    mailbox_bytes: int = 256 << 20
    mailbox_items: int = 20_000
    max_mailboxes: int = 100_000
    ttl_seconds: int = 14 * 86_400
    writes_per_minute: int = 1_200
    submissions_per_minute: int = 120
    list_limit: int = 500
