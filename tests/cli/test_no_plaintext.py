"""The marker test: contact text never reaches disk, whatever the process writes.

Real ``kith`` processes add, edit, list, search, show and delete contacts whose every field holds
a unique marker. Afterwards no file under the vault, the process's TMPDIR or its HOME (where
caches and logs would go) contains any marker, in UTF-8, UTF-16-LE or UTF-16-BE.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE, isolated_env, run_kith_process

MARKERS = {
    "name": "Qmkname4f1",
    "given": "Qmkgiven9b2",
    "family": "Qmkfamily3c7",
    "email": "qmkemail8d5@markers.example",
    "street": "Qmkstreet2e8",
    "city": "Qmkcity6a4",
    "postcode": "Qmkpost5z9",
    "org": "Qmkorg1y3",
    "role": "Qmkrole7w2",
    "language": "Qmklang0v6",
    "note": "Qmknote4u1",
    "tag": "Qmktag8t3",
    "field_key": "Qmkkey2s5",
    "field_value": "Qmkvalue9r7",
    "edited": "Qmkedited3p2",
}
PHONE = "+33 6 71 82 93 04"
PHONE_DIGITS = "33671829304"


def marked_contact_args() -> list[str]:
    """``kith add`` arguments for a contact whose every field holds a marker."""
    m = MARKERS
    return [
        "add", "--name", m["name"], "--given-name", m["given"], "--family-name", m["family"],
        "--email", m["email"], "--phone", PHONE,
        "--address", f"{m['street']}; {m['city']};; {m['postcode']}; FR",
        "--org", m["org"], "--role", m["role"], "--language", m["language"],
        "--note", m["note"], "--tag", m["tag"], "--field", f"{m['field_key']}={m['field_value']}",
    ]  # fmt: skip


def needles() -> list[bytes]:
    texts = [*MARKERS.values(), PHONE_DIGITS, PHONE]
    out: list[bytes] = []
    for text in texts:
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            out.append(text.encode(encoding))
    return out


def scan(roots: list[Path]) -> list[str]:
    found = []
    wanted = needles()
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                found += [f"{path}: {n!r}" for n in wanted if n in data]
    return found


@pytest.mark.slow
def test_no_marker_anywhere_the_process_wrote(tmp_path: Path) -> None:
    env, vault_dir, tmp, home = isolated_env(tmp_path)
    secret = (PASSPHRASE + "\n").encode()

    def kith(*args: str) -> str:
        done = run_kith_process("--passphrase-file", "-", *args, env=env, input=secret)
        assert done.returncode == 0, done.stderr.decode()
        return done.stdout.decode()

    kith("init", "--kdf-memory", "8", "--kdf-time", "1", "--region", "FR")
    m = MARKERS
    short = kith(*marked_contact_args()).strip()
    other = kith("add", "--name", "Doomed " + m["name"], "--tag", m["tag"]).strip()
    kith("edit", short, "--add-tag", m["edited"])
    assert m["name"] in kith("show", short)
    assert m["org"] in kith("search", m["city"].lower())
    assert len(json.loads(kith("list", "--json"))) == 2
    kith("delete", other, "--yes")
    assert len(json.loads(kith("list", "--json"))) == 1

    leaks = scan([vault_dir, tmp, home])
    assert leaks == []
    assert {p.name for p in vault_dir.iterdir()} == {"vault.db", "vault.hdr", "vault.hdr.bak"}
