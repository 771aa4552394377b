"""Given and family names derived from a full name, when a source gives only the full name.

    split_full_name("Yes Person")            -> ("Yes", "Person")
    split_full_name("Dr. Daniel R. Kowalczyk") -> ("Daniel", "Kowalczyk")
    split_full_name("Kowalczyk, Daniel")     -> ("Daniel", "Kowalczyk")
    split_full_name("Madonna")               -> ("Madonna", "")

Why: merge fields such as ``Hello {given_name}`` rendered "Hello , join us." for a contact added
with ``--name "Yes Person"`` (issue 14, item 9). ``validate.py`` fills the parts on add,
edit and import, and only when both are empty: parts a person or a file gave are never touched.

The rule, kept simple and predictable rather than clever: a leading title (Mr, Ms, Mx, Dr,
Prof...) and a trailing suffix (Jr, Sr, II, III, PhD...) are set aside; ``Family, Given`` (one
comma) is read that way round; otherwise the first word is the given name and the rest, less
middle initials (``R.``), the family name. Names are not universal (family name first in
Chinese, Hungarian or Korean usage; several given names; particles), so a derived part can be
wrong: the user can always set ``--given-name``/``--family-name``; a template can give a default
(``{given_name|friend}``); and ``kith outreach preview`` lists recipients whose merge fields are
empty. A name equal to the organisation (an organisation's own card) is not split.
"""

from __future__ import annotations

import re

_TITLES = frozenset({"mr", "mrs", "ms", "mx", "miss", "dr", "prof", "sir", "rev", "fr"})
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "phd", "md", "esq"})
_INITIAL = re.compile(r"\w\.?", re.UNICODE)


def _bare(word: str) -> str:
    return word.strip(".,").casefold()


def split_full_name(name: str, org: str = "") -> tuple[str, str]:
    """``(given, family)`` guessed from ``name`` (see the module rules); ``("", "")`` if none."""
    clean = " ".join(name.split())
    if not clean or (org and clean.casefold() == " ".join(org.split()).casefold()):
        return "", ""
    if clean.count(",") == 1:
        family, given = (part.strip() for part in clean.split(","))
        if family and given and _bare(given) not in _SUFFIXES:
            return given, family
    words = clean.replace(",", " ").split()
    while len(words) > 1 and _bare(words[0]) in _TITLES:
        words = words[1:]
    while len(words) > 1 and _bare(words[-1]) in _SUFFIXES:
        words = words[:-1]
    if len(words) == 1:
        return words[0], ""
    rest = [w for w in words[1:-1] if not _INITIAL.fullmatch(w)] + [words[-1]]
    return words[0], " ".join(rest)


__all__ = ["split_full_name"]
