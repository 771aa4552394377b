"""Issue 14, item 9: a template's fallback, and preview flags recipients with empty merge fields."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Kith
from tests.outreach.conftest import new_message, write


def _audience(kith: Kith, tmp_path: Path) -> str:
    """A contact with only a full name, and an organization's own card; both opted in."""
    source = write(tmp_path, "org.csv", "First Name,Last Name,Company,E-mail Address\r\n"
                   ",,Harbour Mutual Aid,harbour@example.org\r\n")  # fmt: skip
    assert kith("import", source).exit_code == 0
    assert kith("add", "--name", "Yes Person", "--email", "yes@example.org").exit_code == 0
    ids = [c["id"] for c in json.loads(kith("list", "--json").stdout)]
    for cid in ids:
        assert kith("prefs", cid, "--allow", "email").exit_code == 0
    return ",".join(ids)


def test_preview_flags_empty_merge_fields_and_a_default_clears_them(
    kith: Kith, tmp_path: Path
) -> None:
    audience = _audience(kith, tmp_path)
    args = ("--channel", "email", "--kind", "news", "--audience", audience, "--subject", "Hi")
    plain = new_message(kith, tmp_path, *args, body="Hello {given_name}, join us.\n")
    data = json.loads(kith("outreach", "preview", plain, "--json").stdout)
    flags = {r["name"]: r["empty_fields"] for r in data["recipients"]}
    # "Yes" is derived from the full name; an organization has no given name
    assert flags == {"Yes Person": [], "Harbour Mutual Aid": ["given_name"]}
    human = kith("outreach", "preview", plain).stdout
    assert "empty merge fields (1):" in human and "given_name" in human
    kind = new_message(kith, tmp_path, *args, body="Hello {given_name|friend}, join us.\n")
    again = json.loads(kith("outreach", "preview", kind, "--json").stdout)
    assert [r["empty_fields"] for r in again["recipients"]] == [[], []]
    assert "empty merge fields" not in kith("outreach", "preview", kind).stdout
