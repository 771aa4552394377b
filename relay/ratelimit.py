"""Per-key token buckets: at most N writes a minute to one mailbox or form.

Keys are mailbox and form ids, never network addresses (the relay keeps none). The table is
bounded: past ``max_keys`` the oldest buckets are dropped, which only ever forgives.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict


class RateLimiter:
    """``allow(key)`` is False when ``key`` spent its ``per_minute`` budget."""

    def __init__(self, per_minute: int, max_keys: int = 100_000) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(per_minute)
        self.max_keys = max_keys
        self._buckets: OrderedDict[bytes, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: bytes, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            allowed = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return allowed
