"""Two (or three) organizers' vaults, paired through the in-process CLI, for sync tests.

``pair`` makes vaults ``alice`` and ``bob`` (and more names if asked), exchanges invitation
codes, and shares segment ``Tenants`` (holding one contact) from alice with the others.
Setup runs in-process (fast); the tests run the sync commands themselves as real processes
where the contract asks for it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import Kith, Result

CONTACT = "Qmksyncname7c1"
EMAIL = "qmksyncmail4b8@markers.example"
NOTE = "Qmksyncnote2d9"


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return result


@dataclass
class Org:
    """One organizer: a name, a vault and its CLI."""

    name: str
    kith: Kith

    @property
    def vault_dir(self) -> Path:
        return self.kith.vault_dir

    def code(self) -> str:
        return ok(self.kith("id", "invite")).stdout.strip().splitlines()[-1]

    def contacts(self) -> list[dict[str, object]]:
        found: list[dict[str, object]] = json.loads(ok(self.kith("list", "--json")).stdout)
        return found


def make_org(root: Path, name: str, passphrase_file: Path) -> Org:
    kith = Kith(root / name, passphrase_file)
    ok(kith("init", "--kdf-memory", "8", "--kdf-time", "1", "--region", "FR"))
    return Org(name, kith)


def pair(
    root: Path, passphrase_file: Path, *others: str, role: str = "writer", everyone: bool = False
) -> list[Org]:
    """alice shares ``Tenants`` (one contact) with ``bob`` and every name in ``others``.

    Every pair of (alice, other) adds and verifies the other (the people compared safety
    numbers); with ``everyone``, every pair of organizers is paired and verified.
    """
    orgs = [make_org(root, n, passphrase_file) for n in ("alice", "bob", *others)]
    alice = orgs[0]
    codes = {o.name: o.code() for o in orgs}
    for a in orgs:
        for b in orgs:
            if a is b or (not everyone and alice not in (a, b)):
                continue
            ok(a.kith("peer", "add", b.name, codes[b.name]))
            ok(a.kith("peer", "verify", b.name, "--yes"))
    ok(alice.kith("segment", "create", "Tenants"))
    cid = ok(
        alice.kith("add", "--name", CONTACT, "--email", EMAIL, "--note", NOTE)
    ).stdout.strip()
    ok(alice.kith("segment", "add", "Tenants", cid))
    for org in orgs[1:]:
        ok(alice.kith("segment", "share", "Tenants", org.name, "--role", role))
    return orgs
