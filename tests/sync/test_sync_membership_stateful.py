"""Membership under random sequences, through three real vaults and the CLI (issue 11).

The model (hypothesis ``RuleBasedStateMachine``): alice (founder, admin), bob and carol, all
paired and verified, share segment Tenants through two folders. Rules edit, add and delete
shared contacts, remove a contact from the segment (keeping one's own copy), share, unshare
and change roles, delete the segment on one device, push and pull, and lose or duplicate files
in a folder (pull order is already random: file names are random). At the end everyone pushes
and pulls a fresh folder until nothing moves, and:

- every current member that still holds the segment holds identical contacts in it;
- nothing alice sealed after a member's removal opens with any key that member holds, unless
  they were added back;
- no contact outside the segment is ever lost (each organizer's private contacts, and the
  contacts an organizer removed from the segment);
- no pull by a current member is refused in the final exchange (nothing is refused forever).

Budget: a fixed number of examples and steps, derandomized (the same sequences on every run;
on failure Hypothesis prints the steps and a reproduction blob). Under a minute in CI.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from sync import bundle
from sync.replica import Replica
from sync.transports import folder as folder_transport
from tests.conftest import PASSPHRASE
from tests.sync.pair import Org, make_org, ok
from vault.api import Vault

NAMES = ("alice", "bob", "carol")
others = st.sampled_from(["bob", "carol"])
orgs = st.sampled_from(list(NAMES))
folders = st.integers(0, 1)
picks = st.integers(0, 50)


def tenants(org: Org) -> dict[str, str]:
    """name -> org field of the contacts in Tenants on ``org``'s vault ({} if deleted)."""
    with Vault.open(org.vault_dir, PASSPHRASE) as vault:
        found = {s.name: s for s in vault.segments.all()}
        if "Tenants" not in found:
            return {}
        out: dict[str, str] = {}
        for record_id in vault.segments.contact_ids(found["Tenants"]):
            fields = vault.records.get(record_id).fields
            out[fields["name"].decode()] = fields.get("org", b"").decode()
        return out


def names(org: Org) -> set[str]:
    return {str(c["name"]) for c in org.contacts()}


class Membership(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="kith-stateful-"))
        self._env = os.environ.get("KITH_ALLOW_WEAK_KDF")
        os.environ["KITH_ALLOW_WEAK_KDF"] = "1"
        passphrase = self.root / "passphrase"
        passphrase.write_text(PASSPHRASE + "\n")
        self.orgs = {n: make_org(self.root, n, passphrase) for n in NAMES}
        codes = {n: o.code() for n, o in self.orgs.items()}
        for a in NAMES:
            for b in NAMES:
                if a != b:
                    ok(self.orgs[a].kith("peer", "add", b, codes[b]))
                    ok(self.orgs[a].kith("peer", "verify", b, "--yes"))
        alice = self.orgs["alice"]
        ok(alice.kith("segment", "create", "Tenants"))
        self.counter = 0
        for _ in range(3):
            self._new_contact(alice)
        for name in ("bob", "carol"):
            ok(alice.kith("segment", "share", "Tenants", name, "--role", "writer"))
        self.members = {"alice": "admin", "bob": "writer", "carol": "writer"}
        self.deleted: set[str] = set()  # orgs that deleted Tenants on their device
        self.kept: dict[str, set[str]] = {n: set() for n in NAMES}  # must never be lost
        for name, org in self.orgs.items():
            private = f"Qmkpriv{name}"
            ok(org.kith("add", "--name", private))
            self.kept[name].add(private)
        self.folders = [self.root / "f0", self.root / "f1"]
        self.removed_after: dict[str, set[str]] = {}  # org -> alice's files since its removal
        self.alice_files: list[Path] = []

    def teardown(self) -> None:
        try:
            self._final_exchange_and_check()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            if self._env is None:
                os.environ.pop("KITH_ALLOW_WEAK_KDF", None)

    # -- helpers ------------------------------------------------------------------------------

    def _new_contact(self, org: Org) -> None:
        self.counter += 1
        cid = ok(org.kith("add", "--name", f"Qmkt{self.counter:03d}")).stdout.strip()
        ok(org.kith("segment", "add", "Tenants", cid))

    def _writer(self, name: str) -> bool:
        """A writer now, who holds the segment (its welcome was taken) and never deleted it."""
        if self.members.get(name) not in ("writer", "admin") or name in self.deleted:
            return False
        listed = ok(self.orgs[name].kith("segment", "list")).stdout
        return any(line.split()[:1] == ["Tenants"] for line in listed.splitlines())

    def _pick(self, name: str, index: int) -> str | None:
        """The id of a contact in Tenants on ``name``'s vault, if any."""
        held = [c for c in self.orgs[name].contacts() if str(c["name"]).startswith("Qmkt")]
        if not held:
            return None
        return str(held[index % len(held)]["id"])

    # -- editing ------------------------------------------------------------------------------

    @rule(name=orgs, index=picks, value=st.sampled_from(["Qmkorga", "Qmkorgb", ""]))
    def edit(self, name: str, index: int, value: str) -> None:
        cid = self._pick(name, index)
        if cid is not None:
            ok(self.orgs[name].kith("edit", cid[:12], "--org", value))

    @rule(name=orgs)
    def add(self, name: str) -> None:
        if self._writer(name):
            self._new_contact(self.orgs[name])

    @rule(name=orgs, index=picks)
    def delete(self, name: str, index: int) -> None:
        cid = self._pick(name, index)
        if cid is not None and self._writer(name):
            shown = [c for c in self.orgs[name].contacts() if str(c["id"]) == cid]
            ok(self.orgs[name].kith("delete", cid[:12], "--yes"))
            self.kept[name].discard(str(shown[0]["name"]))  # deleted on purpose

    @rule(name=orgs, index=picks)
    def remove_from_segment(self, name: str, index: int) -> None:
        """Take a contact out of Tenants: this organizer's own copy must stay (item 4)."""
        cid = self._pick(name, index)
        if cid is None or not self._writer(name):
            return
        org = self.orgs[name]
        done = org.kith("segment", "remove", "Tenants", cid[:12])
        if done.exit_code == 0:  # 5 (LastSegment) when Tenants holds its only copy
            shown = [c for c in org.contacts() if str(c["id"]) == cid]
            self.kept[name].add(str(shown[0]["name"]))

    # -- membership ---------------------------------------------------------------------------

    @rule(who=others)
    def unshare(self, who: str) -> None:
        if who in self.members:
            ok(self.orgs["alice"].kith("segment", "unshare", "Tenants", who))
            del self.members[who]
            self.removed_after[who] = set()

    @rule(who=others, role=st.sampled_from(["reader", "writer"]))
    def share(self, who: str, role: str) -> None:
        ok(self.orgs["alice"].kith("segment", "share", "Tenants", who, "--role", role))
        self.members[who] = role
        self.removed_after.pop(who, None)  # added back: they may read again

    @precondition(lambda self: not self.deleted)
    @rule(who=others)
    def delete_segment(self, who: str) -> None:
        if self.orgs[who].kith("segment", "delete", "Tenants", "--yes").exit_code == 0:
            self.deleted.add(who)  # 4: the welcome was never taken there

    # -- transport ----------------------------------------------------------------------------

    @rule(name=orgs, f=folders)
    def push(self, name: str, f: int) -> None:
        before = set(self.folders[f].iterdir()) if self.folders[f].exists() else set()
        ok(self.orgs[name].kith("sync", "push", str(self.folders[f])))
        if name == "alice":
            for path in set(self.folders[f].iterdir()) - before:
                for removed in self.removed_after.values():
                    removed.add(str(path))

    @rule(name=orgs, f=folders)
    def pull(self, name: str, f: int) -> None:
        done = self.orgs[name].kith("sync", "pull", str(self.folders[f]))
        assert done.exit_code in (0, 6), done  # 6: a removed member's old view, reported
        if name in self.members:
            assert done.exit_code == 0, done

    @rule(f=folders, index=picks, duplicate=st.booleans())
    def lose_or_duplicate(self, f: int, index: int, duplicate: bool) -> None:
        files = folder_transport.complete(self.folders[f])
        if not files:
            return
        path = self.folders[f] / files[index % len(files)]
        if duplicate:
            folder_transport.write(self.folders[f], path.read_bytes())
        else:
            path.unlink()

    # -- the end ------------------------------------------------------------------------------

    def _final_exchange_and_check(self) -> None:
        final = str(self.root / "final")
        for _ in range(4):
            for org in self.orgs.values():
                ok(org.kith("sync", "push", final))
            for name, org in self.orgs.items():
                done = org.kith("sync", "pull", final)
                if name in self.members:
                    assert done.exit_code == 0, (name, done)
        holding = [n for n in self.members if n not in self.deleted]
        views = {n: tenants(self.orgs[n]) for n in holding}
        first = views[holding[0]]
        for name, view in views.items():
            assert view == first, (name, view, holding[0], first)
        for name, org in self.orgs.items():
            missing = self.kept[name] - names(org)
            assert not missing, (name, missing)
        for name, files in self.removed_after.items():
            with Vault.open(self.orgs[name].vault_dir, PASSPHRASE) as vault:
                keys = Replica(vault).state.bundle_keys()
            for path in files:
                data = Path(path).read_bytes() if Path(path).exists() else b""
                if data[:8] == bundle.MAGIC:
                    try:
                        bundle.open_bundle(data, keys)
                    except bundle.BadBundle:
                        continue
                    raise AssertionError(f"{name} opened {path}, sealed after their removal")


Membership.TestCase.settings = settings(
    max_examples=6,
    stateful_step_count=20,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=list(HealthCheck),
)
test_membership_sequences_over_real_vaults = Membership.TestCase
