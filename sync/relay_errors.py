"""Relay errors, one more branch of the sync error tree (``sync/errors.py``).

    KithError
    +-- RelayUnreachable (1)     retryable: no answer, a timeout, or a 5xx
    +-- RelayFull (1)            the mailbox is at its quota on the relay
    +-- InvalidInput (5)
    |   +-- BadRelayAddress (5)  not relay:https://..., or plain http to a non-local host
    +-- IntegrityError (6)
        +-- RelayRefused (6)     the relay refused the token, or answered something malformed
"""

from __future__ import annotations

from vault.errors import IntegrityError, InvalidInput, KithError


class RelayUnreachable(KithError):
    """The relay did not answer (down, unreachable or overloaded); nothing was lost: try again later."""  # noqa: E501

    retryable = True


class RelayFull(KithError):
    """The relay mailbox is full (its quota is reached): wait until older files expire, or ask the relay's operator."""  # noqa: E501

    retryable = True


class BadRelayAddress(InvalidInput):
    """Not a relay address: use relay:https://HOST[:PORT] (plain http only to this machine or an onion service)."""  # noqa: E501

    retryable = False


class RelayRefused(IntegrityError):
    """The relay refused the request (a wrong mailbox token) or answered something malformed."""

    retryable = False
