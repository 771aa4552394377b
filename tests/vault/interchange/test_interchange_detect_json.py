"""Format detection, refusal of what is not a contact file, JSON, and the public API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import vault.interchange as interchange
from vault.domain.model import Address, Contact, ContactDraft, Email, Phone
from vault.errors import InvalidInput
from vault.interchange import read_contacts, write_csv, write_json, write_vcard

DATA = Path(__file__).parent / "data"


def refused(data: bytes, **kw: object) -> str:
    with pytest.raises(InvalidInput) as caught:
        list(read_contacts(data, **kw))  # type: ignore[arg-type]
    assert "\n" not in caught.value.message and caught.value.exit_code == 5
    return caught.value.message


def test_public_api() -> None:
    assert sorted(interchange.__all__) == [
        "FORMATS",
        "ImportRecord",
        "PRESETS",
        "read_contacts",
        "write_csv",
        "write_json",
        "write_vcard",
    ]
    assert set(interchange.PRESETS) == {"google", "outlook", "civicrm", "generic"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bad_empty.csv", "empty"),
        ("bad_binary.bin", "binary data: a control character at line 2"),
        ("bad_nul.csv", "NUL byte at line 3"),
    ],
)
def test_not_a_contact_file(name: str, expected: str) -> None:
    assert expected in refused((DATA / name).read_bytes())


def test_refusals_happen_at_call_time() -> None:
    for data in (b"", b" \r\n\t ", b"\x00\x01", "name\r\n".encode("utf-16")):
        with pytest.raises(InvalidInput):
            read_contacts(data)
    assert "UTF-16" in refused("name,emails\r\n".encode("utf-16"))
    assert "ZIP" in refused(b"PK\x03\x04\x14\x00\x06\x00")
    assert "unknown format" in refused(b"x", fmt="xlsx")
    assert "CSV preset" in refused(b"BEGIN:VCARD\r\n", preset="google")


def test_reading_is_lazy_and_stops_at_the_first_problem() -> None:
    good = "".join(write_vcard([ContactDraft(name="Ana"), ContactDraft(name="Bruno")]))
    records = read_contacts((good + "BEGIN:VCARD\r\nVERSION:4.0\r\n").encode())
    assert next(records).draft.name == "Ana"
    assert next(records).line == 5
    with pytest.raises(InvalidInput, match="line 9"):
        next(records)


def test_format_is_detected_from_content() -> None:
    vcard = "".join(write_vcard([ContactDraft(name="Ana")])).encode()
    assert [r.draft.name for r in read_contacts(b"\xef\xbb\xbf\r\n  " + vcard)] == ["Ana"]
    assert [r.draft.name for r in read_contacts(b' \n[{"name": "Ana"}]')] == ["Ana"]
    assert [r.draft.name for r in read_contacts(b"name,emails\r\nAna,\r\n")] == ["Ana"]
    assert [r.draft.name for r in read_contacts(vcard, fmt="vcard")] == ["Ana"]


# --- JSON ---------------------------------------------------------------------------------


def test_json_matches_contact_to_json() -> None:
    contact = Contact(
        name="Ana Lima",
        emails=(Email("ana@example.org", "home"),),
        phones=(Phone("+5511912345678", "mobile"),),
        addresses=(Address("Rua A, 1", "Recife", label="home"),),
        tags=("Tenants",),
        fields=(("pronouns", "ela/dela"),),
        id="0123abcd",
        segments=("private",),
        created=1,
        updated=2,
    )
    (exported,) = json.loads("".join(write_json([contact])))
    expected = contact.to_json()
    for key in ("id", "segments", "created", "updated"):
        del expected[key]
    assert exported == expected
    # kith list --json output (with the vault's own keys) imports too
    (record,) = read_contacts(json.dumps([contact.to_json()]).encode())
    assert record.draft == contact.draft()
    # a stored Contact is accepted by every writer as its draft
    assert "".join(write_vcard([contact])) == "".join(write_vcard([contact.draft()]))
    assert "".join(write_csv([contact])) == "".join(write_csv([contact.draft()]))


def test_json_lines_and_errors() -> None:
    text = '[\n  {"name": "Ana"},\n\n  {"name": "Bruno",\n   "tags": ["x"]}\n]\n'
    assert [(r.line, r.draft.name) for r in read_contacts(text.encode())] == [
        (2, "Ana"),
        (4, "Bruno"),
    ]
    assert "line 2" in refused(b'[\n{"name": 5}]')
    assert "line 2" in refused(b'[\n{"name": "Ana", "nickname": "A"}]')
    assert "line 3" in refused(b'[{"name": "Ana"},\n\n{"name": }]')
    assert "line 1" in refused(b'[{"emails": [{"value": "a", "x": 1}]}]')
    assert "line 1" in refused(b'[{"fields": ["a"]}]')
    assert "trailing" in refused(b'[{"name": "Ana"},]')
    assert "after the JSON list" in refused(b'[{"name": "Ana"}] x')
    assert "nested too deeply" in refused(b"[" + b"[" * 100_000 + b"]" * 100_001)
    assert "list of contact objects" in refused(b'{"name": "Ana"}', fmt="json")
    assert list(read_contacts(b"[]")) == []
