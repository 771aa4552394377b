"""Sync benchmark (issue 7): two replicas of one shared segment, in real vaults.

    .venv/bin/python -m bench.bench_sync [--contacts 20000] [--edits 20]

Two vaults (cheap KDF) hold the same identity setup as two organizers; alice's segment of N
invented contacts is shared with bob. Reports:
- share: capturing N records as N signed, sealed ``record.put`` ops (per-op cost);
- first full sync: sealing every op for bob, then bob's receive pipeline, applying N records
  to his vault and storing the state (bytes on the wire, time, per-op apply cost);
- one changed field: alice edits one field, then capture (fingerprint scan), seal, bob's
  receive, apply and state save; bytes of the bundle and the time of each part (median of
  ``--edits`` runs). The op log is stored one sealed row per op, so a save appends only
  the new op;
- loading the replica (what every sync command pays first: every op row opened, chains
  re-checked, membership and merge re-folded).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import synthetic_contacts, table
from sync import runner
from sync import sending as outbox
from sync.bodies import Role
from sync.replica import Replica
from sync.safety import safety_number
from vault import Vault
from vault.crypto.kdf import TEST_PARAMS
from vault.domain import contacts as contact_codec


def _vault(root: Path, name: str) -> Vault:
    return Vault.create(root / name, "bench passphrase", params=TEST_PARAMS, allow_weak=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()
    n = args.contacts
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        va, vb = _vault(root, "alice"), _vault(root, "bob")
        a, b = Replica(va), Replica(vb)
        runner.add_peer(a, "bob", b.me.signing_public, b.me.box_public)
        runner.add_peer(b, "alice", a.me.signing_public, a.me.box_public)
        mine_a, mine_b = (a.me.signing_public, a.me.box_public), (b.me.signing_public,
                                                                   b.me.box_public)
        runner.verify_peer(a, "bob", safety_number(mine_a, mine_b))  # as if compared in person
        runner.verify_peer(b, "alice", safety_number(mine_b, mine_a))
        segment = va.segments.create("Bench")
        drafts = synthetic_contacts(n)
        va.records.create_many(
            "contact", (contact_codec.encode(d) for d in drafts), segment.id
        )
        start = time.perf_counter()
        state = runner.share(a, "Bench", "bob", Role.WRITER, runner.now_ms())
        share_s = time.perf_counter() - start

        start = time.perf_counter()
        welcome = bytes.fromhex(a.status.welcomes[0]["data"])
        bundles = [welcome, *outbox.bundles_for(state, {})]
        seal_s = time.perf_counter() - start
        start = time.perf_counter()
        for data in bundles:
            got = runner.receive(b, data, runner.now_ms())
            assert got.applied, got.error
        receive_s = time.perf_counter() - start
        assert vb.contacts.count() == n
        full_bytes = sum(len(x) for x in bundles)

        bob_state = b.state.segments[segment.id]
        record_ids = va.records.in_segment(segment.id, "contact")
        sizes: list[int] = []
        parts: dict[str, list[float]] = {k: [] for k in ("capture", "seal", "receive", "total")}
        for i in range(args.edits):
            rid = record_ids[i * 7919 % len(record_ids)]
            va.records.update(rid, {"org": f"Edited org {i}".encode()})
            t0 = time.perf_counter()
            runner.capture_all(a, runner.now_ms())
            a.save()
            t1 = time.perf_counter()
            edit = outbox.bundles_for(state, bob_state.vector())
            t2 = time.perf_counter()
            for data in edit:
                assert runner.receive(b, data, runner.now_ms()).applied
            t3 = time.perf_counter()
            sizes.append(sum(len(x) for x in edit))
            for key, value in (("capture", t1 - t0), ("seal", t2 - t1), ("receive", t3 - t2),
                               ("total", t3 - t0)):
                parts[key].append(value)
        med = {k: statistics.median(v) * 1000 for k, v in parts.items()}
        start = time.perf_counter()
        Replica(vb)  # what every sync command pays first: read, open and re-fold the log
        load_s = time.perf_counter() - start
        va.lock()
        vb.lock()
    ops = len(state.log)
    print(table([
        ("contacts in the shared segment", f"{n:,}"),
        ("share: capture N records as signed ops", f"{share_s:.1f} s "
         f"({share_s / n * 1e6:.0f} us/op)"),
        ("first full sync: bytes", f"{full_bytes / 2**20:.1f} MiB in {len(bundles)} file(s)"),
        ("first full sync: seal (alice)", f"{seal_s:.2f} s"),
        ("first full sync: receive + apply + save (bob)",
         f"{receive_s:.1f} s ({receive_s / ops * 1e6:.0f} us/op)"),
        ("first full sync: total", f"{seal_s + receive_s:.1f} s"),
        ("one changed field: bytes", f"{statistics.median(sizes):,.0f} B"),
        ("one changed field: capture + save (alice)", f"{med['capture']:.0f} ms"),
        ("one changed field: seal", f"{med['seal']:.1f} ms"),
        ("one changed field: receive + apply + save (bob)", f"{med['receive']:.0f} ms"),
        ("one changed field: total", f"{med['total']:.0f} ms"),
        ("load the replica (start of every sync command)", f"{load_s:.1f} s"),
    ]))


if __name__ == "__main__":
    main()
