"""End-to-end encrypted sync of shared segments (DESIGN §6; the protocol: docs/sync-protocol.md).

The core is pure: no sockets, files or clocks (time is passed in). One job per module:

- ``hlc``: hybrid logical clocks and the skew bound.
- ``ops``: the signed op envelope; ``bodies``: the body of each kind.
- ``chain``: per-author chain validation (replay, gap, fork); ``vv``: version vectors.
- ``membership``: roles and key epochs, folded from admin ops; ``peers``: verified peers.
- ``merge``: the CRDT of a segment's records; ``changes``: what the vault applies.
- ``bundle``: the sealed bundle; ``outbox``: what to send a peer.
- ``pipeline``: the receive pipeline; ``author``: this device's ops; ``state``: everything a
  replica holds, and its storage format; ``safety``: safety numbers and invitation codes.
- ``errors``: every sync error, as one tree.

Phase 2 (the vault side and I/O):

- ``welcome``: how a new member learns a segment and its keys; ``bridge``: vault fields <->
  merge model (pure); ``local``: local edits -> ops, merged state -> records.
- ``replica``: the state, peers and status as stored in the vault; ``report``: sync status.
- ``runner``: the one place that reads the clock and drives transports; ``transports``:
  ``folder`` and ``tcp``, the only modules that touch files and sockets.
"""
