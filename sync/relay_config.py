"""Relays configured per peer or per segment, so that plain ``kith sync`` uses them.

    set_peer(replica, "bob", "https://relay.example.org")
    set_segment(replica, "Tenants", "https://relay.example.org")
    for base, scope in plan(replica).items(): push_relay(replica, client, scope) ...

Stored as one sync blob ``relays`` (sealed under the vault's local-wrap key like the rest of
the sync state, ``vault/domain/sync_state.py``)::

    {"peers": {signing key hex: base URL}, "segments": {segment id hex: base URL}}

Rules and reasons:
- A peer is named by its signing key and a segment by its id, never by label or name: a label
  can be re-pointed at another key and a segment renamed, and the configuration must keep
  meaning the same people and records.
- Addresses are checked (``parse_address``) when they are set, so ``kith sync`` never meets an
  unsafe one; the stored form is the base URL without ``relay:``.
- What goes to a relay (``Scope``): the segments configured to it, the shared segments any of
  whose members is a peer configured to it, and the pending welcomes for either. A pull reads
  every mailbox this device can derive: nothing else is in them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sync.errors import BadSyncState, NoRelayConfigured, UnknownPeer
from sync.replica import Replica
from sync.transports.relay import parse_address

BLOB = "relays"


@dataclass
class RelayConfig:
    """Which relay serves which peer and which segment."""

    peers: dict[str, str] = field(default_factory=dict)
    segments: dict[str, str] = field(default_factory=dict)


@dataclass
class Scope:
    """What one relay carries: segment ids and peer signing keys."""

    segments: set[bytes] = field(default_factory=set)
    peers: set[bytes] = field(default_factory=set)

    def welcome(self, item: dict[str, str]) -> bool:
        """Whether a pending welcome goes through this relay."""
        return (bytes.fromhex(item["peer"]) in self.peers
                or bytes.fromhex(item["segment"]) in self.segments)


def load(replica: Replica) -> RelayConfig:
    """The stored configuration (empty if none)."""
    raw = replica.store.get_blob(BLOB)
    if raw is None:
        return RelayConfig()
    try:
        data: Any = json.loads(raw)
        peers, segments = data["peers"], data["segments"]
        if not all(isinstance(d, dict) and all(isinstance(k, str) and isinstance(v, str)
                                               for k, v in d.items())
                   for d in (peers, segments)):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise BadSyncState from None
    return RelayConfig(dict(peers), dict(segments))


def save(replica: Replica, config: RelayConfig) -> None:
    """Store the configuration, sealed."""
    data = {"peers": config.peers, "segments": config.segments}
    with replica.vault.live_store.transaction():
        replica.store.put_blob(BLOB, json.dumps(data, sort_keys=True).encode())


def _peer_key(replica: Replica, label: str) -> str:
    peer = replica.peers.peers.get(label)
    if peer is None:
        raise UnknownPeer
    return peer.signing_public.hex()


def _segment_id(replica: Replica, name: str) -> str:
    return replica.vault.segments.find(name).id.hex()


def set_peer(replica: Replica, label: str, address: str) -> str:
    """Sync with peer ``label`` through the relay at ``address``; returns the base URL."""
    base = parse_address(address)
    config = load(replica)
    config.peers[_peer_key(replica, label)] = base
    save(replica, config)
    return base


def set_segment(replica: Replica, name: str, address: str) -> str:
    """Sync segment ``name`` through the relay at ``address``; returns the base URL."""
    base = parse_address(address)
    config = load(replica)
    config.segments[_segment_id(replica, name)] = base
    save(replica, config)
    return base


def unset_peer(replica: Replica, label: str) -> None:
    """Forget the relay of peer ``label`` (``NoRelayConfigured`` if it had none)."""
    config = load(replica)
    if config.peers.pop(_peer_key(replica, label), None) is None:
        raise NoRelayConfigured
    save(replica, config)


def unset_segment(replica: Replica, name: str) -> None:
    """Forget the relay of segment ``name`` (``NoRelayConfigured`` if it had none)."""
    config = load(replica)
    if config.segments.pop(_segment_id(replica, name), None) is None:
        raise NoRelayConfigured
    save(replica, config)


def entries(replica: Replica) -> list[dict[str, str]]:
    """Every configured relay as ``{"kind", "name", "relay"}`` (peer label, segment name)."""
    config = load(replica)
    labels = {p.signing_public.hex(): label for label, p in replica.peers.peers.items()}
    names = {s.id.hex(): s.name for s in replica.vault.segments.all()}
    rows = [{"kind": "peer", "name": labels.get(k, k[:12]), "relay": url}
            for k, url in config.peers.items()]
    rows += [{"kind": "segment", "name": names.get(k, k[:12]), "relay": url}
             for k, url in config.segments.items()]
    return sorted(rows, key=lambda r: (r["kind"], r["name"].casefold(), r["relay"]))


def plan(replica: Replica) -> dict[str, Scope]:
    """Base URL -> what goes through it (module rules), in URL order."""
    config = load(replica)
    scopes: dict[str, Scope] = {}
    for key, url in config.peers.items():
        scopes.setdefault(url, Scope()).peers.add(bytes.fromhex(key))
    for key, url in config.segments.items():
        scopes.setdefault(url, Scope()).segments.add(bytes.fromhex(key))
    for scope in scopes.values():
        for segment_id, state in replica.state.segments.items():
            if scope.peers & set(state.membership.members()):
                scope.segments.add(segment_id)
    return dict(sorted(scopes.items()))
