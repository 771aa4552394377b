"""CSV in (Google, Outlook, CiviCRM, column maps) and Kith's own CSV out.

Every person in ``data/`` is invented.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vault.domain.model import Address, ContactDraft, Email, Phone
from vault.errors import InvalidInput
from vault.interchange import ImportRecord, read_contacts, write_csv

DATA = Path(__file__).parent / "data"


def read(name: str, **kw: object) -> list[ImportRecord]:
    return list(read_contacts((DATA / name).read_bytes(), **kw))  # type: ignore[arg-type]


def refused(data: bytes, **kw: object) -> str:
    with pytest.raises(InvalidInput) as caught:
        list(read_contacts(data, **kw))  # type: ignore[arg-type]
    assert "\n" not in caught.value.message
    return caught.value.message


def test_google_current_export() -> None:
    amara, lan, na, ahmed = read("google_contacts.csv")
    d = amara.draft
    assert (d.name, d.given_name, d.family_name) == ("", "Amara", "Okafor")
    assert d.emails == (
        Email("amara.okafor@example.ng", "home"),  # "* Home": * marks the primary
        Email("ama@example.org", "home"),  # " ::: " holds several values
        Email("a.okafor@forum.example", "work"),
    )
    assert d.phones == (Phone("+234 803 123 4567", "mobile"), Phone("+234 1 234 5678", "Signal"))
    assert d.addresses == (
        Address("14 Allen Avenue", "Ikeja", "Lagos", "100271", "Nigeria", "home"),
    )
    assert (d.org, d.role) == ("Lagos Tenants Forum", "Organizer")
    assert d.notes == "Met at the rent strike.\nBring flyers, in Yoruba and English."
    assert d.tags == ("Tenants", "starred")  # "* myContacts" dropped
    assert d.fields == (("nickname", "Ama"), ("Pronouns", "she/her"))
    # the quoted notes (2 lines) and formatted address (3 lines) make Amara's row span 2-5
    assert [r.line for r in (amara, lan, na, ahmed)] == [2, 6, 7, 8]
    assert lan.draft.given_name == "Lan Thị" and lan.draft.family_name == "Nguyễn"
    assert lan.draft.tags == ()
    assert lan.draft.fields == (("website (Blog)", "https://lan.example.vn"),)
    assert na.draft.addresses == (Address(street="上海市黄浦区南京东路100号", label="work"),)
    assert na.draft.tags == ("Volunteers", "Translators")
    assert ahmed.draft.notes == "يفضل التواصل عبر سيجنال"
    assert ahmed.draft.fields == (("birthday", "1985-11-02"),)


def test_google_legacy_export_with_bom() -> None:
    (sofia,) = read("google_legacy.csv")
    d = sofia.draft
    assert (d.name, d.given_name, d.family_name) == ("Σοφία Νικολάου", "Σοφία", "Νικολάου")
    assert d.emails == (Email("sofia@example.gr", "work"),)
    assert d.phones == (Phone("+30 694 000 0001", "mobile"),)
    assert (d.org, d.role, d.languages, d.tags) == (
        "Σωματείο",
        "Γραμματέας",
        ("el", "en"),
        ("Strike fund",),
    )


def test_outlook_export() -> None:
    gosia, kwame = read("outlook_contacts.csv")
    d = gosia.draft
    assert (d.given_name, d.family_name) == ("Małgorzata Anna", "Wiśniewska")
    assert d.emails == (Email("m.wisniewska@example.pl"), Email("gosia@example.org"))
    assert d.phones == (
        Phone("+48 22 123 45 67", "work"),
        Phone("+48 12 345 67 89", "home fax"),
        Phone("+48 601 234 567", "mobile"),
    )
    assert d.addresses == (
        Address("ul. Marszałkowska 10\nlok. 4", "Warszawa", "", "00-590", "Poland", "work"),
        Address("ul. Długa 3", "Kraków", "", "31-147", "", "home"),
    )
    assert (d.org, d.role) == ("Związek Lokatorów", "Campaign lead")
    assert d.tags == ("Tenants", "Press contacts")
    assert d.notes == "Runs the Thursday phone bank.\nAsk about the Mokotów building."
    assert dict(d.fields) == {
        "department": "Outreach",
        "birthday": "3/14/1979",
        "spouse": "Tomasz",
        "website": "https://lokatorzy.example.pl",
    }
    assert kwame.line == 4  # Gosia's notes span lines 2-3
    assert kwame.draft.fields == ()  # "0/0/00" birthdays mean "none"
    assert kwame.draft.phones == (Phone("+233 30 212 3456", "home"),)


def test_civicrm_export() -> None:
    wanjiru, olena = read("civicrm_export.csv")
    d = wanjiru.draft
    assert (d.name, d.given_name, d.family_name) == ("Wanjiru Mwangi", "Wanjiru", "Mwangi")
    assert d.emails == (Email("wanjiru@example.ke"), Email("secretary@union.example", "work"))
    assert d.phones == (Phone("+254 20 123 4567"), Phone("+254 712 345 678", "home mobile"))
    assert d.addresses == (
        Address("Moi Avenue 21\n3rd floor", "Nairobi", "Nairobi", "00100", "Kenya"),
    )
    assert (d.org, d.role, d.languages) == (
        "Nairobi Domestic Workers Union",
        "Branch secretary",
        ("sw_KE",),
    )
    assert d.tags == ("Newsletter", "Strike committee", "Volunteer", "Speaker")
    fields = dict(d.fields)
    assert fields["civicrm_id"] == "1042"
    assert (fields["civicrm_do_not_email"], fields["civicrm_do_not_phone"]) == ("0", "1")
    assert fields["civicrm_is_opt_out"] == "0"
    assert fields["civicrm_union_local"] == "Local 12"  # the organisation's own custom column
    assert "civicrm_email_greeting" not in fields
    other = dict(olena.draft.fields)
    assert olena.draft.name == "Олена Іванова"
    assert other["civicrm_do_not_email"] == "yes" and "civicrm_do_not_phone" not in other


def test_preset_is_detected_or_can_be_named() -> None:
    assert read("civicrm_export.csv") == read("civicrm_export.csv", preset="civicrm")
    message = refused(b"Foo,Bar\r\n1,2\r\n")
    assert "preset" in message
    assert "preset" in refused(b"Foo\r\n1\r\n", preset="myspace")


def test_column_map() -> None:
    data = b"Full name;Mobile #;Mail;Groups;Pronouns;Town;Ignored\r\n" + (
        b"Ana Lima;+55 11 91234 5678;ana@example.org;Tenants, Choir;ela/dela;Recife;x\r\n"
    )
    column_map = {
        "Full name": "name",
        "mobile #": "phone:mobile",
        "Mail": "email",
        "Groups": "tags",
        "Pronouns": "field:pronouns",
        "Town": "locality:home",
        "Ignored": "skip",
    }
    (record,) = read_contacts(data, column_map=column_map)
    assert record.draft == ContactDraft(
        name="Ana Lima",
        emails=(Email("ana@example.org"),),
        phones=(Phone("+55 11 91234 5678", "mobile"),),
        addresses=(Address(locality="Recife", label="home"),),
        tags=("Tenants", "Choir"),
        fields=(("pronouns", "ela/dela"),),
    )
    assert "not in the CSV header" in refused(data, column_map={"Nope": "name"})
    assert "unknown Kith field" in refused(data, column_map={"Mail": "mail"})


# --- malformed ----------------------------------------------------------------------------


def test_ragged_row_names_its_line() -> None:
    message = refused((DATA / "bad_ragged.csv").read_bytes())
    # row 1 is line 2; the quoted cell spans lines 3-4; the short row starts at line 5
    assert "line 5" in message and "3 cells" in message and "Carla" not in message


def test_latin1_csv_is_refused_with_line_and_fix() -> None:
    message = refused((DATA / "bad_latin1.csv").read_bytes())
    assert "not UTF-8 at line 12" in message and "re-save the file as UTF-8" in message


def test_3mb_single_field_is_refused() -> None:
    data = (
        b'name,emails\r\nAna,a@example.org\r\n"' + b"x" * (3 * 1024 * 1024) + b'",b@example.org\r\n'
    )
    message = refused(data)
    assert "line 3" in message and "64 KiB" in message and "xxx" not in message
    data = b"name,emails\r\nAna," + b"y" * 100_000 + b"\r\n"
    message = refused(data)
    assert "line 2" in message and "'emails'" in message and "64 KiB" in message


def test_unbalanced_quote_is_refused() -> None:
    assert "line 3" in refused(b'name,emails\r\nAna,a@example.org\r\n"Bruno,b@example.org\r\n')


# --- writing ------------------------------------------------------------------------------


def test_generic_csv_layout_and_formula_guard() -> None:
    draft = ContactDraft(
        name='=HYPERLINK("http://evil.example")',
        emails=(Email("a@example.org", "home"), Email("b;c@example.org")),
        phones=(Phone("+33 6 12 34 56 78", "mobile"),),
        addresses=(Address("1 rue de la Paix", "Paris", label="work"),),
        tags=("Tenants", "Choir"),
        fields=(("pronouns", "she/her"),),
    )
    text = "".join(write_csv([draft]))
    header, row = text.split("\r\n", 1)
    assert header.split(",") == [
        "name", "given_name", "family_name", "emails", "phones", "addresses", "org", "role",
        "languages", "notes", "tags", "fields",
    ]  # fmt: skip
    assert row.startswith('"\'=HYPERLINK(""http://evil.example"")",')
    assert '"a@example.org;home\nb\\;c@example.org"' in row
    assert "'+33 6 12 34 56 78;mobile" in row
    assert '"Tenants\nChoir"' in row
    (back,) = read_contacts(text.encode())
    assert back.draft == draft and back.line == 2
