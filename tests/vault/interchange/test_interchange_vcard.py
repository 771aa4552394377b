"""vCard in (2.1, 3.0, 4.0) and out (4.0): realistic files from phones, Apple and RFC 6350.

Every person in ``data/`` is invented.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vault.domain.model import Address, ContactDraft, Email, Phone
from vault.errors import InvalidInput
from vault.interchange import ImportRecord, read_contacts, write_vcard

DATA = Path(__file__).parent / "data"


def read(name: str) -> list[ImportRecord]:
    return list(read_contacts((DATA / name).read_bytes()))


def refused(data: bytes, **kw: object) -> str:
    with pytest.raises(InvalidInput) as caught:
        list(read_contacts(data, **kw))  # type: ignore[arg-type]
    message = caught.value.message
    assert "\n" not in message
    assert caught.value.exit_code == 5
    return message


# --- vCard 2.1: QUOTED-PRINTABLE, CHARSET, bare parameters, 8-bit latin-1, BASE64 photo ---


def test_v21_quoted_printable_utf8_cyrillic() -> None:
    first = read("v21_phone_export.vcf")[0]
    d = first.draft
    assert first.line == 1 and not first.is_group
    assert d.name == "Дмитрий Соколов"
    assert (d.given_name, d.family_name) == ("Дмитрий Андреевич", "Соколов")
    assert d.phones == (Phone("+7 912 345-67-89", "cell"), Phone("+7 (343) 210-00-00", "work fax"))
    assert d.emails == (Email("dmitri.sokolov@example.ru", "home"),)
    assert d.addresses == (
        Address("ул. Ленина, 5\nкв. 12", "Екатеринбург", "", "620014", "Россия", "home"),
    )
    # soft line breaks joined, =0D=0A became one newline
    assert d.notes == (
        "Встреча на собрании жильцов.\nПозвонить после 18:00 — не раньше, пожалуйста, "  # noqa: RUF001
        "он работает в ночную смену."
    )


def test_v21_latin1_charset_and_photo_skipped() -> None:
    records = read("v21_phone_export.vcf")
    helene = records[1]
    assert helene.line == 25
    assert helene.draft.name == "Hélène Dubois"
    assert helene.draft.given_name == "Hélène"
    # raw 8-bit ISO-8859-1 bytes, decoded through the property's CHARSET
    assert helene.draft.org == "Société d'entraide, Comité de quartier"
    assert helene.draft.role == "Tr;esori\\re"  # 2.1 knows only \; and \\
    assert helene.draft.phones == (Phone("01 23 45 67 89", "home"),)
    # the unindented BASE64 photo and the 2.1 LABEL left nothing behind
    assert helene.draft.fields == () and helene.draft.notes == ""
    jose = records[2]
    assert jose.draft.name == "José Martínez" and jose.draft.fields == ()


# --- vCard 3.0: Apple Contacts ------------------------------------------------------------


def test_v30_apple_labels_groups_and_extras() -> None:
    layla, wang, group = read("v30_apple.vcf")
    d = layla.draft
    assert d.name == "ليلى حداد" and (d.given_name, d.family_name) == ("ليلى", "حداد")
    assert d.emails == (
        Email("layla.haddad@example.org", "other"),  # _$!<Other>!$_
        Email("layla@campaign.example", "Campaign"),  # a custom label, kept as typed
    )
    assert d.phones == (Phone("+961 3 123 456", "cell"), Phone("+961 1 234 567", "home"))
    assert d.addresses == (Address("12 شارع الحمرا", "بيروت", "", "1103", "لبنان", "home"),)
    assert d.org == "اتحاد المستأجرين" and d.role == "منسقة"
    assert d.notes == "Speaks Arabic and French\nPrefers Signal, never SMS"
    assert d.tags == ("Tenants", "Volunteers")
    assert d.fields == (
        ("url (homepage)", "https://example.org/layla"),
        ("social (mastodon)", "https://social.example/@layla"),
        ("birthday", "1990-04-12"),
    )  # PHOTO, X-ABUID and X-ABADR are not fields
    assert wang.draft.name == "王小明" and wang.draft.org == "北京社区互助会, 组织部"
    assert wang.draft.notes.startswith("在社区会议上认识。") and wang.draft.notes.endswith(
        "不接陌生电话。"
    )
    assert group.is_group and group.draft.name == "Volunteers 2024"
    assert [r.is_group for r in (layla, wang)] == [False, False]


# --- vCard 4.0 ----------------------------------------------------------------------------


def test_v40_kind_group_uri_and_escapes() -> None:
    eleni, committee, zoe = read("v40_groups.vcf")
    d = eleni.draft
    assert (d.given_name, d.family_name) == ("Ελένη Μαρία", "Παπαδοπούλου")
    assert d.phones == (Phone("+30-697-123-4567", "cell"),)  # tel: URI, TYPE="cell,voice"
    assert d.emails == (Email("eleni.p@example.gr", "work"),)
    assert d.addresses[0].street == "Οδός Αθηνάς 12" and d.addresses[0].country == "Ελλάδα"
    assert d.languages == ("el", "en")
    assert d.notes == (
        "Treasurer since 2021; keeps the strike fund ledger.\n"
        "Backslash test: C:\\strike\\fund, done."
    )
    assert d.tags == ("Housing, Athens", "Strike fund")
    assert d.fields == (("pronouns", "she/her"),)
    assert committee.is_group and committee.line == 19
    assert zoe.draft.emails == (Email("zoe@example.se", "Union"),)
    assert zoe.draft.role == "Shop steward, Negotiator"


def test_photo_of_3_megabytes_is_ignored() -> None:
    photo = "PHOTO:data:image/jpeg;base64," + "QUJD" * (3 * 1024 * 1024 // 4)
    folded = "\r\n ".join(photo[i : i + 74] for i in range(0, len(photo), 74))
    card = f"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ana Lima\r\n{folded}\r\nNOTE:ok\r\nEND:VCARD\r\n"
    (record,) = read_contacts(card.encode())
    assert record.draft == ContactDraft(name="Ana Lima", notes="ok")
    one_line = f"BEGIN:VCARD\nVERSION:3.0\nFN:Ana\n{photo}\nEND:VCARD\n"
    assert [r.draft.name for r in read_contacts(one_line.encode())] == ["Ana"]


def test_huge_note_is_refused_naming_the_line() -> None:
    card = "BEGIN:VCARD\nVERSION:3.0\nFN:Ana\nNOTE:" + "x" * (3 * 1024 * 1024) + "\nEND:VCARD\n"
    message = refused(card.encode())
    assert "NOTE" in message and "line 4" in message and "xxx" not in message


def test_huge_unknown_x_property_is_dropped() -> None:
    card = "BEGIN:VCARD\nVERSION:3.0\nFN:Ana\nX-BLOB:" + "x" * 200_000 + "\nEND:VCARD\n"
    (record,) = read_contacts(card.encode())
    assert record.draft == ContactDraft(name="Ana")


# --- malformed ----------------------------------------------------------------------------


def test_unterminated_vcard_names_its_line() -> None:
    message = refused((DATA / "bad_unterminated.vcf").read_bytes())
    assert "line 1" in message and "END:VCARD" in message and "Ana" not in message
    message = refused(b"BEGIN:VCARD\nVERSION:3.0\nFN:Ana Lima\n")
    assert "line 1" in message and "never ends" in message


def test_begin_without_version() -> None:
    message = refused((DATA / "bad_no_version.vcf").read_bytes())
    assert "line 1" in message and "VERSION" in message


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("BEGIN:VCARD\nVERSION:3.0\nFN:Ana\nthis is not a property\nEND:VCARD\n", 4),
        ("BEGIN:VCARD\nVERSION:3.0\nFN:Ana\nEND:VCARD\nstray text\n", 5),
        ("BEGIN:VCARD\nVERSION:3.0\nBAD NAME:x\nEND:VCARD\n", 3),
        ("BEGIN:VCARD\nVERSION:5.0\nFN:Ana\nEND:VCARD\n", 1),
        ("BEGIN:VCARD\nVERSION:3.0\nEND:VCARD\nEND:VCARD\n", 4),
        ("BEGIN:VCARD\nVERSION:2.1\nFN;ENCODING=QUOTED-PRINTABLE:H=E9l=E8ne\nEND:VCARD\n", 3),
        (
            "BEGIN:VCARD\nVERSION:2.1\nFN;CHARSET=NOPE-9;ENCODING=QUOTED-PRINTABLE:H=E9\nEND:VCARD\n",
            3,
        ),
        ("BEGIN:VCARD\nVERSION:3.0\nNOTE;ENCODING=b:###\nEND:VCARD\n", 3),
    ],
)
def test_malformed_cards_name_the_line(text: str, line: int) -> None:
    assert f"line {line}" in refused(text.encode())


def test_raw_latin1_without_charset_is_refused() -> None:
    data = "BEGIN:VCARD\nVERSION:3.0\nFN:Renée\nEND:VCARD\n".encode("latin-1")
    message = refused(data)
    assert "line 3" in message and "UTF-8" in message


# --- writing ------------------------------------------------------------------------------


def test_writer_folds_at_75_octets_with_crlf_and_never_splits_a_character() -> None:
    draft = ContactDraft(name="Ελένη", notes="Ωμέγα " * 40 + "中文" * 40)
    text = "".join(write_vcard([draft]))
    assert text.startswith("BEGIN:VCARD\r\nVERSION:4.0\r\n") and text.endswith("END:VCARD\r\n")
    lines = text.split("\r\n")[:-1]
    assert all(len(line.encode()) <= 75 for line in lines)
    assert sum(line.startswith(" ") for line in lines) > 3
    (back,) = read_contacts(text.encode())
    assert back.draft == draft


def test_writer_labels_and_derived_name() -> None:
    draft = ContactDraft(
        given_name="Amara",
        family_name="Okafor",
        emails=(Email("a@example.org", "home"), Email("b@example.org", "Campaign, Lagos")),
        phones=(Phone("+234 803 123 4567", "cell"),),
    )
    text = "".join(write_vcard([draft]))
    assert "FN;X-KITH-DERIVED=TRUE:Amara Okafor\r\n" in text
    assert "EMAIL;TYPE=home:a@example.org\r\n" in text
    assert "item1.EMAIL:b@example.org\r\nitem1.X-ABLabel:Campaign\\, Lagos\r\n" in text
    assert "TEL;TYPE=cell:+234 803 123 4567\r\n" in text
    (back,) = read_contacts(text.encode())
    assert back.draft == draft and back.draft.name == ""
