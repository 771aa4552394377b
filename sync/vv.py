"""Version vectors: for each author, the highest seq held contiguously from 1.

Peers exchange vectors and send only what the other lacks: every op whose seq is above the
other's entry for its author. Because chains are contiguous, one integer per author says
exactly which ops a replica holds, so the cost of a sync grows with the change, not the vault.

Wire layout (inside a bundle manifest, so authenticated and encrypted)::

    vector = frame(enc(author (32), seq (u64)), ...)    authors strictly ascending, seq >= 1

Rules and reasons:
- Strict: authors exactly 32 bytes and strictly ascending (one spelling per vector), seq >= 1
  (an author at 0 is simply absent), at most ``MAX_AUTHORS`` entries.
- A vector only ever grows; a stale one asks for too much, never too little, so acting on an
  old vector costs duplicates (replays are no-ops), never lost ops.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sync.framing import frame, unframe
from vault.encoding import decode, enc

MAX_AUTHORS = 4096
AUTHOR_BYTES = 32
_MAX_SEQ = (1 << 63) - 1

Vector = Mapping[bytes, int]


def lacks(theirs: Vector, author: bytes, seq: int) -> bool:
    """Whether a replica with vector ``theirs`` lacks ``author``'s op ``seq``."""
    return seq > theirs.get(author, 0)


def merge(*vectors: Vector) -> dict[bytes, int]:
    """Pointwise maximum (what a replica holds after receiving everything in each)."""
    out: dict[bytes, int] = {}
    for vector in vectors:
        for author, seq in vector.items():
            out[author] = max(out.get(author, 0), seq)
    return out


def dominates(mine: Vector, theirs: Vector) -> bool:
    """Whether ``mine`` holds everything ``theirs`` does."""
    return all(mine.get(author, 0) >= seq for author, seq in theirs.items())


def missing(mine: Vector, theirs: Vector) -> dict[bytes, tuple[int, int]]:
    """For each author, the seq range ``(first, last)`` that ``theirs`` lacks and ``mine`` has."""
    return {
        author: (theirs.get(author, 0) + 1, seq)
        for author, seq in mine.items()
        if seq > theirs.get(author, 0)
    }


def encode(vector: Vector) -> bytes:
    """The vector's one encoding."""
    entries = sorted((a, s) for a, s in vector.items() if s > 0)
    if len(entries) > MAX_AUTHORS:
        raise ValueError("too many authors")
    return frame([enc(author, seq) for author, seq in entries])


def parse(data: bytes) -> dict[bytes, int]:
    """Strictly parse a vector; ``ValueError`` if malformed."""
    items, end = unframe(data, max_items=MAX_AUTHORS, max_item=64)
    if end != len(data):
        raise ValueError("trailing bytes")
    out: dict[bytes, int] = {}
    previous = b""
    for item in items:
        parts = decode(item, max_parts=2)
        if len(parts) != 2 or len(parts[0]) != AUTHOR_BYTES or len(parts[1]) != 8:
            raise ValueError("bad entry")
        author, seq = parts[0], int.from_bytes(parts[1], "big")
        if author <= previous or not 1 <= seq <= _MAX_SEQ:
            raise ValueError("bad entry")
        out[author] = seq
        previous = author
    return out


def of_heads(heads: Iterable[tuple[bytes, int]]) -> dict[bytes, int]:
    """A vector from ``(author, head)`` pairs, leaving out empty chains."""
    return {author: head for author, head in heads if head > 0}
