"""``kith sync status``: per shared segment and member, what they lack and when last heard.

Rules and reasons:
- "lacks" counts the ops this replica holds beyond the vector the member last showed (a
  direct session records it exactly); with folder sync only, it is an upper bound, since a
  folder reader never reports back.
- Members are named by their peer label when this device knows them, else by a short key,
  so a status never invents a name.
"""

from __future__ import annotations

from typing import Any

from sync.replica import Replica


def status(replica: Replica) -> list[dict[str, Any]]:
    """Per shared segment and member: role, peer state, ops they lack, when last heard."""
    names = {s.id: s.name for s in replica.vault.segments.all()}
    out: list[dict[str, Any]] = []
    for segment_id, state in sorted(replica.state.segments.items()):
        members = state.membership.members()
        rows = []
        for member, role in sorted(members.items()):
            if member == replica.me.signing_public:
                continue
            peer = replica.peer_by_key(member)
            heard = replica.status.heard.get(member.hex())
            theirs = replica.status.vector_of(segment_id, member)
            rows.append({
                "name": replica.label_of(member),
                "key": member.hex(),
                "role": role.value,
                "state": "unknown" if peer is None else "halted" if peer.halted
                else "verified" if peer.verified else "unverified",
                "pending": len(state.lacking(theirs)),
                "last_heard": None if heard is None else heard // 1000,
            })
        welcomes = [w["peer"] for w in replica.status.welcomes
                    if w["segment"] == segment_id.hex()]
        mine = members.get(replica.me.signing_public)
        out.append({
            "segment": names.get(segment_id, segment_id.hex()[:12]),
            "id": segment_id.hex(),
            "role": None if mine is None else mine.value,
            "epoch": state.membership.write_epoch(),
            "ops": len(state.log),
            "members": rows,
            "welcomes_pending": [replica.label_of(bytes.fromhex(p)) for p in welcomes],
        })
    return out
