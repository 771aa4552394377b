"""Hybrid logical clocks (Kulkarni et al., 2014): wall milliseconds plus a counter.

An ``Hlc`` orders ops for last-writer-wins. It stays close to real time (so "the later edit
wins" means what people expect) and never goes backwards (so an edit made after seeing another
always sorts after it, whatever the two machines' clocks say).

The clock itself does no I/O: physical time is passed in (``now_ms``) by the caller, so every
rule here is tested with a fake clock.

Rules and reasons:
- ``tick`` (a local event, i.e. authoring an op): ``wall = max(wall, now)``; the counter goes up
  by one if ``wall`` did not move, else restarts at 0. Monotonic even if the OS clock steps back.
- ``observe`` (an op received): ``wall = max(wall, remote.wall, now)``, and the counter exceeds
  every counter at that ``wall``. An edit made after receiving another is ordered after it.
- The counter is 16 bits. If it would overflow, ``wall`` advances by one millisecond instead:
  order is kept, and the drift this adds is bounded by the skew rule below.
- ``MAX_SKEW_MS`` = 10 minutes. A receiver refuses any op whose ``wall`` is more than that ahead
  of its own physical clock (``check_skew``). Reason: LWW lets the largest clock win, so a clock
  set a year ahead (by mistake or on purpose) would win every conflict for a year and drag every
  honest clock forward with it. Ten minutes is far beyond NTP error and the drift of a laptop
  that was offline for weeks, yet caps what a wrong clock can win to ten minutes of edits.
  Clocks in the *past* are never refused: an edit made offline last week is legitimate.
- ``wall`` is below 2**48 ms (year 10889): the bound every parser checks.
"""

from __future__ import annotations

from dataclasses import dataclass

from sync.errors import ClockSkew

MAX_SKEW_MS = 10 * 60 * 1000
MAX_WALL_MS = (1 << 48) - 1
MAX_COUNTER = (1 << 16) - 1


@dataclass(frozen=True, order=True)
class Hlc:
    """One hybrid logical timestamp; compares as ``(wall_ms, counter)``."""

    wall_ms: int
    counter: int

    def __post_init__(self) -> None:
        if not (0 <= self.wall_ms <= MAX_WALL_MS and 0 <= self.counter <= MAX_COUNTER):
            raise ValueError("hybrid logical clock out of range")


ZERO = Hlc(0, 0)


def _bump(wall: int, counter: int) -> Hlc:
    """``(wall, counter + 1)``, spilling into the next millisecond at the counter's limit."""
    if counter >= MAX_COUNTER:
        return Hlc(min(wall + 1, MAX_WALL_MS), 0)
    return Hlc(wall, counter + 1)


class HybridClock:
    """One device's clock, shared by every segment it writes to."""

    def __init__(self, last: Hlc = ZERO) -> None:
        self.last = last

    def tick(self, now_ms: int) -> Hlc:
        """The timestamp for a new local op (send rule)."""
        now = min(max(now_ms, 0), MAX_WALL_MS)
        if now > self.last.wall_ms:
            self.last = Hlc(now, 0)
        else:
            self.last = _bump(self.last.wall_ms, self.last.counter)
        return self.last

    def observe(self, remote: Hlc, now_ms: int) -> Hlc:
        """Merge a received timestamp (receive rule); call only after ``check_skew`` passed."""
        now = min(max(now_ms, 0), MAX_WALL_MS)
        local = self.last
        wall = max(local.wall_ms, remote.wall_ms, now)
        if wall == local.wall_ms == remote.wall_ms:
            self.last = _bump(wall, max(local.counter, remote.counter))
        elif wall == local.wall_ms:
            self.last = _bump(wall, local.counter)
        elif wall == remote.wall_ms:
            self.last = _bump(wall, remote.counter)
        else:
            self.last = Hlc(wall, 0)
        return self.last


def check_skew(remote: Hlc, now_ms: int, max_skew_ms: int = MAX_SKEW_MS) -> None:
    """Raise ``ClockSkew`` if ``remote`` is more than ``max_skew_ms`` ahead of ``now_ms``."""
    if remote.wall_ms > now_ms + max_skew_ms:
        raise ClockSkew
