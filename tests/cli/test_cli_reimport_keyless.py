"""Issue 14, item 10: re-importing a file adds nothing, even for rows without email or phone.

Such a row is matched by its name plus first address (``blind_index.content_value``), so the
contact it made is found again after someone edited it (a tag, a note); without an address the
whole content must match, so an edited name-only contact is not guessed at.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Kith

FILES = {
    "outlook.csv": "First Name,Last Name,Business Street,Business City\r\n"
    "Daniel R.,Kowalczyk,1 Main St,Springfield\r\n",
    "card.vcf": "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Only Address\r\n"
    "ADR;TYPE=home:;;1 Rue X;Paris;;75001;France\r\nEND:VCARD\r\n",
    "list.json": '[{"name": "Jay Son", "addresses": [{"street": "2 Road", "locality": "Lyon"}]}]',
}


def _import(kith: Kith, path: Path) -> dict[str, int]:
    done = kith("import", str(path), "--json")
    assert done.exit_code == 0, done.stderr
    counts: dict[str, int] = json.loads(done.stdout)["counts"]
    return counts


@pytest.mark.parametrize("name", sorted(FILES))
def test_reimport_after_an_edit_adds_nothing(kith: Kith, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(FILES[name])
    assert _import(kith, path)["added"] == 1
    [contact] = json.loads(kith("list", "--json").stdout)
    assert kith("edit", contact["id"], "--add-tag", "volunteer", "--note", "met").exit_code == 0
    again = _import(kith, path)
    assert (again["added"], again["unchanged"] + again["merged"]) == (0, 1)
    [after] = json.loads(kith("list", "--json").stdout)
    assert after["tags"] == ["volunteer"] and after["notes"] == "met"


def test_a_name_alone_matches_only_the_unedited_contact(kith: Kith, tmp_path: Path) -> None:
    """Two John Smiths without any address are not taken for one: a name is not an identity."""
    path = tmp_path / "names.csv"
    path.write_text("First Name,Last Name,Business Street,Business City\r\nJohn,Smith,,\r\n")
    assert _import(kith, path)["added"] == 1
    assert _import(kith, path)["added"] == 0  # unchanged: the whole content matches
    [contact] = json.loads(kith("list", "--json").stdout)
    assert kith("edit", contact["id"], "--add-tag", "other").exit_code == 0
    assert _import(kith, path)["added"] == 1  # documented limit (docs/import.md)
