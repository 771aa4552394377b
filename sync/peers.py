"""The people this device syncs with: their keys, whether a person verified them, and halts.

State machine for one peer (``docs/state-machines/peer.md``)::

    (new) --invitation--> UNVERIFIED --safety number matches--> VERIFIED
    UNVERIFIED or VERIFIED --the same peer shows other keys--> HALTED
    HALTED --safety number of the new keys matches--> VERIFIED (with the new keys)

Rules and reasons:
- A peer is known by a local label (a name the user chose), not by a key: the point is to notice
  when the person behind the label starts using another key. A new key is either a new device
  (benign) or an impostor (the attack safety numbers exist for); software cannot tell which, so
  sync with that peer halts (``PeerKeyChanged``) until a person compares safety numbers again.
- Halting is sticky: seeing the old keys again does not lift it, since an attacker who can show
  a new key can also replay the old one.
- ``verified`` is what the caller checks before granting the admin role (``sync.author``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sync.errors import PeerKeyChanged
from sync.safety import safety_number


@dataclass(frozen=True)
class Peer:
    """One peer's public keys and what this device knows about them."""

    label: str
    signing_public: bytes
    box_public: bytes
    verified: bool = False
    halted: bool = False


class PeerBook:
    """Peers by label."""

    def __init__(self) -> None:
        self.peers: dict[str, Peer] = {}

    def observe(self, label: str, signing_public: bytes, box_public: bytes) -> Peer:
        """Record the keys ``label`` shows now; a change halts the peer (``PeerKeyChanged``)."""
        known = self.peers.get(label)
        if known is None:
            self.peers[label] = Peer(label, signing_public, box_public)
            return self.peers[label]
        if (known.signing_public, known.box_public) != (signing_public, box_public):
            self.peers[label] = replace(
                known, signing_public=signing_public, box_public=box_public, verified=False,
                halted=True,
            )
            raise PeerKeyChanged
        if known.halted:
            raise PeerKeyChanged
        return known

    def verify(
        self, label: str, mine: tuple[bytes, bytes], compared: str
    ) -> Peer:
        """Mark ``label`` verified if ``compared`` (what the two people read out) matches.

        ``mine`` is this device's (signing, box) public keys. A mismatch changes nothing and
        raises ``PeerKeyChanged``: the keys on this screen are not the ones the person holds.
        """
        peer = self.peers[label]
        expected = safety_number(mine, (peer.signing_public, peer.box_public))
        if _digits(compared) != _digits(expected):
            raise PeerKeyChanged
        self.peers[label] = replace(peer, verified=True, halted=False)
        return self.peers[label]

    def may_sync(self, label: str) -> bool:
        """Whether sync with ``label`` may run (known and not halted)."""
        peer = self.peers.get(label)
        return peer is not None and not peer.halted


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())
