"""Every error the vault can raise, as one tree.

The docstring of each class is the one line a user reads; ``exit_code`` is what the CLI exits
with. Third-party errors are mapped to these where they enter the package, so nothing above
``vault`` ever sees a library exception.

    KithError (1)
    +-- CannotUnlock (3)       wrong passphrase OR damaged header: one class, no oracle
    +-- NotFound (4)
    |   +-- NoVault (4)
    |   +-- AmbiguousId (4)
    +-- InvalidInput (5)
    |   +-- UnsafeParameters (5)
    +-- IntegrityError (6)     every AEAD or signature failure, and a damaged database
    |   +-- NoMatchingKey (6)  a backup no given key or passphrase opens
    +-- VaultExists (1)
    +-- VaultLocked (1)
"""

from __future__ import annotations


class KithError(Exception):
    """Kith failed."""

    exit_code = 1

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or "")
        self.detail = detail

    @property
    def message(self) -> str:
        """The one line a user reads: the class docstring, then the detail if any.

        Details are written by Kith itself and never carry contact data or key material.
        """
        head = (type(self).__doc__ or "Kith failed.").strip().splitlines()[0]
        if not self.detail:
            return head
        return f"{head.rstrip('.')}: {self.detail.strip('()').rstrip('.')}."


class CannotUnlock(KithError):
    """Cannot unlock the vault: wrong passphrase or damaged header."""

    exit_code = 3


class NotFound(KithError):
    """Not found."""

    exit_code = 4


class NoVault(NotFound):
    """No vault here: run `kith init` to create one, or pass --vault DIR."""


class AmbiguousId(NotFound):
    """That id prefix matches more than one record: type more of it."""


class InvalidInput(KithError):
    """Invalid input."""

    exit_code = 5


class UnsafeParameters(InvalidInput):
    """Those key-derivation parameters are below the safe floor (64 MiB, 3 passes)."""


class IntegrityError(KithError):
    """Integrity check failed: damaged or tampered data."""

    exit_code = 6


class VaultExists(KithError):
    """A vault already exists there."""


class VaultLocked(KithError):
    """The vault is locked."""


class NoMatchingKey(IntegrityError):
    """No key or passphrase you gave can open this backup."""
