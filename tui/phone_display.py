"""Phone numbers as people read them: `+33612345678` is shown `+33 6 12 34 56 78`.

The rule: the vault stores E.164 (`vault/domain/validate.py`), which is right for machines and for
copying into a dialler, and hard to read aloud. Screens show the international format grouped
the way the country writes it, with the E.164 form beside it for copying. A number the vault
kept as typed (it did not parse) is shown unchanged.
"""

from __future__ import annotations

import phonenumbers

__all__ = ["readable_phone"]


def readable_phone(e164: str, *, valid: bool = True) -> str:
    """The international, grouped form of an E.164 number; anything else unchanged."""
    if not valid or not e164.startswith("+"):
        return e164
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL))
