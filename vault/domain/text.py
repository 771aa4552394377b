"""The one text check at the vault's edge (issue 14, item 5).

A Python ``str`` can hold what no UTF-8 file or database can: lone surrogates. They arrive from
invalid UTF-8 in a command-line argument (Python decodes ``sys.argv`` with ``surrogateescape``),
from a JSON ``"\\ud800"`` escape, and from a vCard byte the lenient reader kept. Left alone they
pass every check and fail only when the value is sealed (``UnicodeEncodeError``: an internal
error), after a dry run has already promised success. So every text value is checked once,
where it enters: ``require_text`` raises ``NotText`` (exit 5), naming what was wrong but never
quoting the value.

    require_text(value, what)         -> value, or NotText
    require_text_in(obj, what)        the same for every string inside a dataclass/tuple/dict

Used by ``validate.py`` (every contact draft: add, edit, import, dry run alike) and by the
CLI for every text argument (``tui/text_guard.py``).
"""

from __future__ import annotations

import dataclasses
import re

from vault.errors import NotText

_SURROGATE = re.compile("[\ud800-\udfff]")


def require_text(value: str, what: str) -> str:
    """``value`` unchanged if it is valid Unicode text; ``NotText`` naming ``what`` otherwise."""
    if _SURROGATE.search(value):
        raise NotText(f"(the text in {what or 'a value'} is not UTF-8)")
    return value


def require_text_in(obj: object, what: str) -> None:
    """``require_text`` on every string inside ``obj`` (dataclasses, tuples, lists, dicts)."""
    if isinstance(obj, str):
        require_text(obj, what)
    elif isinstance(obj, (tuple, list)):
        for item in obj:
            require_text_in(item, what)
    elif isinstance(obj, dict):
        for key, item in obj.items():
            require_text_in(key, what)
            require_text_in(item, what)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for field in dataclasses.fields(obj):
            name = field.name.replace("_", " ")
            require_text_in(getattr(obj, field.name), f"{what} {name}".strip())


__all__ = ["require_text", "require_text_in"]
