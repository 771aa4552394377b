"""What to send a peer: the ops its version vector lacks, sealed into bundles.

    bundles = bundles_for(segment_state, their_vector)   # [] when they lack nothing

Rules and reasons:
- Only what the peer lacks is sent (``SegmentState.lacking``), in this replica's acceptance
  order, so the receiver can take the ops in one pass. A stale vector only costs duplicates.
- Each bundle is sealed under the newest epoch key the peer is known to hold
  (``SegmentState.key_for``): the peer can open it, and learns any newer key from the rotation
  op inside it. The bundle carries this replica's own vector, so the peer learns what to send
  back without another round trip.
- Large sends are split (``bundle.split``) so each bundle stays under the size limit.
"""

from __future__ import annotations

from sync import bundle, vv
from sync.state import SegmentState


def bundles_for(state: SegmentState, theirs: vv.Vector) -> list[bytes]:
    """Sealed bundles carrying every op ``theirs`` lacks (none if it lacks nothing)."""
    wires = [op.wire for op in state.lacking(theirs)]
    if not wires:
        return []
    key = state.key_for(theirs)
    mine = state.vector()
    return [bundle.seal(key, run, mine) for run in bundle.split(wires)]
