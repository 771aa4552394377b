"""Sanitize user-supplied strings before they reach the terminal.

The rule: every string that came from a contact (a name, an organization, a tag, a note, anything
imported from a vCard or a peer) reaches the screen through `safe()` or `plain()`, never through
Textual or Rich markup.

The reasons:

- Markup. A contact named ``[bold red]x`` or ``[@click=app.quit]x`` must display literally, not
  restyle the screen or bind an action. `plain()` builds a `rich.text.Text` directly, which never
  parses markup; `safe()` output is meant for `Segment`s and `Text`, which never parse it either.
- Terminal control. A name containing ``\\x1b]0;owned\\x07`` would retitle the user's terminal if
  written raw; CSI sequences can move the cursor, clear the screen or, on some terminals, answer
  back into the input stream. We drop every C0 and C1 control character (which includes ESC, BEL,
  DEL and the 8-bit CSI U+009B). What is left of a sequence after its ESC is gone (``]0;owned``)
  is inert text, and showing it makes the attempt visible to the user.
- Spoofing. Bidi overrides and isolates (U+202A-202E, U+2066-2069) and the other invisible format
  characters (category Cf) can make one name look like another or reorder neighbouring columns.
  We drop all of them except ZERO WIDTH NON-JOINER and ZERO WIDTH JOINER, which scripts such as
  Persian and emoji sequences need and which cannot reorder text.
- Crashes. A lone surrogate (category Cs) cannot be encoded to UTF-8 and would take down the
  writer thread, so it is dropped too.
- Layout. The list draws one line per contact, so line breaks (LF, CR, VT, FF, NEL, U+2028,
  U+2029) and tabs become a single space each.

The mapping is one character at a time (each input character becomes itself, one space, or
nothing), so sanitizing a prefix and then the rest gives the same result as sanitizing the whole.
"""

from __future__ import annotations

import unicodedata

from rich.style import Style
from rich.text import Text

__all__ = ["ELLIPSIS", "is_safe_char", "plain", "safe"]

ELLIPSIS = "\u2026"
"""The character that marks a string cut short."""

_TO_SPACE = frozenset("\t\n\v\f\r\x1c\x1d\x1e\x85\u2028\u2029")
"""Characters that separate words or lines: each becomes one space, so words stay apart."""

_KEEP_FORMAT = frozenset("\u200c\u200d")
"""Format (Cf) characters we keep: ZWNJ and ZWJ shape scripts and emoji and reorder nothing."""

_DROP_CATEGORIES = frozenset({"Cc", "Cs"})
"""Control characters (C0, DEL, C1) and lone surrogates."""


def is_safe_char(ch: str) -> bool:
    """Tell whether one character may reach the screen unchanged.

    Args:
        ch: A single character.

    Returns:
        False for control characters, surrogates, line and paragraph separators and format
        characters other than ZWNJ and ZWJ; True otherwise.
    """
    if ch.isprintable():
        # isprintable() is False for every category we reject (Cc, Cf, Cs, Zl, Zp).
        return True
    category = unicodedata.category(ch)
    if category in _DROP_CATEGORIES or category in ("Zl", "Zp"):
        return False
    if category == "Cf":
        return ch in _KEEP_FORMAT
    # Non-ASCII spaces (Zs), private use (Co) and unassigned (Cn) code points are inert.
    return True


def _sanitize(text: str) -> str:
    """Map each character of `text` to itself, a space, or nothing (see the module docstring)."""
    if text.isprintable():
        # Fast path: the common case (an ordinary name) has nothing to remove.
        return text
    out: list[str] = []
    append = out.append
    for ch in text:
        if ch in _TO_SPACE:
            append(" ")
        elif is_safe_char(ch):
            append(ch)
    return "".join(out)


def safe(text: str, *, max_len: int | None = None) -> str:
    """Return `text` fit to show on one line of a terminal, as plain text.

    Control characters, escape sequence introducers, DEL, surrogates, bidi overrides and
    isolates and other invisible format characters are removed; line breaks and tabs become
    spaces. Markup characters such as ``[`` are kept: the result must only ever be shown through
    something that does not parse markup (a `Segment`, or the `Text` that `plain()` returns).

    Args:
        text: A user-supplied string, possibly hostile.
        max_len: If given, the result has at most this many characters; a longer result is cut
            and ends with an ellipsis. Only about `max_len` characters of a huge input are
            examined, so a megabyte-long name costs no more to show than a short one.

    Returns:
        The sanitized string.
    """
    if max_len is None:
        return _sanitize(text)
    if max_len <= 0:
        return ""
    # Sanitize chunk by chunk until we know whether the result exceeds max_len: safe because the
    # mapping is per character. The +1 lets us tell "exactly max_len" from "longer".
    want = max_len + 1
    pieces: list[str] = []
    have = 0
    pos = 0
    chunk = max(want, 64)
    while have < want and pos < len(text):
        piece = _sanitize(text[pos : pos + chunk])
        pieces.append(piece)
        have += len(piece)
        pos += chunk
    result = "".join(pieces)
    if len(result) <= max_len:
        return result
    return result[: max_len - 1] + ELLIPSIS


def plain(text: str, *, max_len: int | None = None, style: str | Style = "") -> Text:
    """Return a `rich.text.Text` holding the sanitized `text`, with markup never parsed.

    Use this wherever a widget takes a renderable (a `Static`, a `Label`, a cell): passing the raw
    string instead would let Textual read ``[...]`` in it as markup.

    Args:
        text: A user-supplied string, possibly hostile.
        max_len: As for `safe()`.
        style: A style for the whole text, chosen by the program (never by the user).

    Returns:
        A single-line `Text`.
    """
    return Text(safe(text, max_len=max_len), style=style, end="", no_wrap=True)
