"""Relay mailbox ids and write tokens, derived from keys the relay never sees.

    mailbox, token = segment_mailbox(segment_key, period)        # bundles under one epoch key
    mailbox, token = welcome_mailbox(me, peer_sign, peer_box, sender_sign, recipient_sign)

    segment:  id    = HKDF(SK[s,e], "kith/relay-mailbox/1", s, e, period)[:16]
              token = HKDF(SK[s,e], "kith/relay-token/1", s, e, period)
    welcome:  k     = X25519(my box secret, their box public)    (both sides compute the same)
              id    = HKDF(k, "kith/relay-welcome/1", sender signing key, recipient signing key,
                           period)[:16]
              token = HKDF(k, "kith/relay-welcome-token/1", sender, recipient, period)

    period = unix time // PERIOD_SECONDS  (one week)

Rules and reasons:
- Only holders of the segment key (for one epoch) can find, read or write its mailbox; the
  relay sees 16 random-looking bytes and the SHA-256 of a token. A member removed from a
  segment never holds a later epoch key, so the mailboxes of later epochs are closed to them:
  the key rotation of ``member.remove`` rotates the mailboxes too.
- Mailboxes also rotate every week, so the relay cannot link one segment's activity across
  weeks by its mailbox id. A reader polls the periods an item can still be alive in
  (``periods(now, ttl)``).
- A welcome is for one (sender, recipient) pair: its mailbox comes from their X25519 shared
  secret, which no third party, relay or other peer, can compute.
- The write token is a second, independent derivation: the mailbox id alone (seen in a URL)
  does not let anyone write or read.
"""

from __future__ import annotations

from sync.bundle import SegmentKey
from vault.core.identity import DeviceIdentity
from vault.crypto.kdf import hkdf_sha256

PERIOD_SECONDS = 7 * 86_400
MAILBOX_BYTES = 16


def period_of(now_s: int) -> int:
    """The rotation period a time falls in."""
    return now_s // PERIOD_SECONDS


def periods(now_s: int, ttl_s: int) -> list[int]:
    """Every period an item written at most ``ttl_s`` ago may be in (oldest first)."""
    last = period_of(now_s)
    first = period_of(max(0, now_s - ttl_s))
    return list(range(first, last + 1))


def segment_mailbox(key: SegmentKey, period: int) -> tuple[bytes, bytes]:
    """(mailbox id, write token) for bundles sealed under ``key`` in ``period``."""
    mailbox = hkdf_sha256(key.key, "kith/relay-mailbox/1", key.segment, key.epoch, period)
    token = hkdf_sha256(key.key, "kith/relay-token/1", key.segment, key.epoch, period)
    return mailbox[:MAILBOX_BYTES], token


def welcome_mailbox(
    me: DeviceIdentity, their_box: bytes, sender: bytes, recipient: bytes, period: int
) -> tuple[bytes, bytes]:
    """(mailbox id, write token) for welcomes from ``sender`` to ``recipient`` in ``period``."""
    mailbox = me.pair_key(their_box, "kith/relay-welcome/1", sender, recipient, period)
    token = me.pair_key(their_box, "kith/relay-welcome-token/1", sender, recipient, period)
    return mailbox[:MAILBOX_BYTES], token
