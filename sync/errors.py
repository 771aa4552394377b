"""Every error the sync layer can raise or report, as one tree under ``vault.errors.KithError``.

The docstring of each class is the one line a user reads; ``exit_code`` is what the CLI exits
with (1: a session broke, try again; 4: no such peer; 5: the input is invalid; 6: integrity or
authorization failed, as in ``vault.errors``). Every code is in the CLI's 0-6 contract.
``retryable`` says whether the same bundle may succeed later without anyone changing it (an
earlier bundle or a key arrives, or the local clock catches up); the runner may keep such a
bundle and try again, and must drop the others.

    KithError
    +-- InvalidInput (5)
    |   +-- BundleTooLarge (5)       bigger than the bundle limit; nothing was read
    |   +-- OpTooLarge (5)
    |   +-- MalformedOp (5)          an op inside an authentic bundle does not parse
    |   +-- ClockSkew (5)            retryable: an op is dated too far in the future
    |   +-- BadInvitation (5)
    |   +-- UnverifiedPeer (5)
    |   +-- NotAllowedLocally (5)    this device's own role does not allow the change
    |   +-- NotShared (5)            the segment is not shared with that peer
    |   +-- BadRelayAddress (5)      not relay:https://..., or plain http to a non-local host
    +-- IntegrityError (6)
    |   +-- BadBundle (6)            damaged, tampered, truncated, or for no key we hold
    |   +-- NotAMember (6)           retryable: the author's membership may arrive later
    |   +-- RoleDenied (6)           the author never had the role the op needs
    |   +-- BadSignature (6)
    |   +-- ForkDetected (6)         one author signed two histories: quarantined
    |   +-- KeyUnavailable (6)       retryable: the epoch key is not (yet) ours
    |   +-- BadOpBody (6)            a sealed op body failed to open
    |   +-- PeerKeyChanged (6)       a known member's key changed: halted until re-verified
    |   +-- BadSyncState (6)         the stored sync state does not parse
    |   +-- RemovedMember (6)        no longer raised: such changes are logged without effect
    |   +-- RelayRefused (6)         the relay refused the token, or answered something malformed
    +-- NotFound (4)
    |   +-- UnknownPeer (4)          no peer by that name or key
    |   +-- NoRelayConfigured (4)    no relay is configured for that peer or segment
    +-- SessionFailed (1)            retryable: a TCP session broke, timed out or misbehaved
    +-- RelayUnreachable (1)         retryable: no answer, a timeout, or a 5xx
    +-- RelayFull (1)                retryable: the mailbox is at its quota on the relay
"""

from __future__ import annotations

from vault.errors import IntegrityError, InvalidInput, KithError, NotFound


class BundleTooLarge(InvalidInput):
    """The sync bundle is larger than Kith accepts (64 MiB); nothing was applied."""

    retryable = False


class OpTooLarge(InvalidInput):
    """A sync change is larger than Kith accepts (1 MiB); nothing was applied."""

    retryable = False


class MalformedOp(InvalidInput):
    """A sync change in the bundle is malformed; nothing was applied."""

    retryable = False


class ClockSkew(InvalidInput):
    """A sync change is dated more than 10 minutes in the future: check both clocks; nothing was applied."""  # noqa: E501

    retryable = True


class BadInvitation(InvalidInput):
    """That invitation code is mistyped or damaged: check it and try again."""

    retryable = False


class UnverifiedPeer(InvalidInput):
    """That peer is not verified: compare safety numbers in person or by voice, then run `kith peer verify NAME`."""  # noqa: E501

    retryable = False


class NotAllowedLocally(InvalidInput):
    """Your role in this segment does not allow that change."""

    retryable = False


class BadBundle(IntegrityError):
    """The sync bundle is damaged, was tampered with, or is not for a segment you share; nothing was applied."""  # noqa: E501

    retryable = False


class NotAMember(IntegrityError):
    """A sync change came from someone who is not a member of the segment; nothing was applied."""

    retryable = True


class RoleDenied(IntegrityError):
    """A sync change was signed by a member whose role does not allow it; nothing was applied."""

    retryable = False


class BadSignature(IntegrityError):
    """A sync change has an invalid signature; nothing was applied."""

    retryable = False


class ForkDetected(IntegrityError):
    """A member's device signed two different histories: their changes are on hold until resolved."""  # noqa: E501

    retryable = False


class KeyUnavailable(IntegrityError):
    """A sync change is sealed under a segment key you do not hold; nothing was applied."""

    retryable = True


class BadOpBody(IntegrityError):
    """A sync change failed to decrypt or is damaged; nothing was applied."""

    retryable = False


class PeerKeyChanged(IntegrityError):
    """A known member's key has changed: sync with them is halted until you verify their safety number again."""  # noqa: E501

    retryable = False


class BadSyncState(IntegrityError):
    """The stored sync state is damaged."""

    retryable = False


class RemovedMember(IntegrityError):
    """A sync change came from someone removed from the segment, made after the removal; nothing was applied."""  # noqa: E501

    retryable = False


class SessionFailed(KithError):
    """The sync session with the other device failed (it hung up, timed out or misbehaved); nothing from the unfinished part was applied."""  # noqa: E501

    exit_code = 1  # "other error" in the 0-6 contract, like vault's TransportFailed: retry
    retryable = True


class UnknownPeer(NotFound):
    """No peer by that name or key: add them first with `kith peer add NAME CODE`."""

    retryable = False


class NotShared(InvalidInput):
    """That segment is not shared with that peer."""

    retryable = False


SyncRejection = (
    BundleTooLarge | OpTooLarge | MalformedOp | ClockSkew | BadBundle | NotAMember | RoleDenied
    | BadSignature | ForkDetected | KeyUnavailable | BadOpBody
)
"""The errors a receive pipeline reports for a bundle or an op (never raised past it)."""


# -- the relay transport (issue 16) ------------------------------------------------------------


class NoRelayConfigured(NotFound):
    """No relay is configured for that peer or segment (see `kith sync relay list`)."""

    retryable = False


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
