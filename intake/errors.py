"""Intake errors, under ``vault.errors.KithError`` (the docstring is the line a user reads).

    KithError
    +-- NotFound (4)
    |   +-- NoSuchForm (4)         no intake form by that name
    +-- IntegrityError (6)
        +-- BadSubmission (6)      a sealed sign-up did not open or does not parse
"""

from __future__ import annotations

from vault.errors import IntegrityError, NotFound


class NoSuchForm(NotFound):
    """No intake form by that name: see `kith intake list`."""


class BadSubmission(IntegrityError):
    """A sign-up did not open with this form's key, or its content is malformed."""
