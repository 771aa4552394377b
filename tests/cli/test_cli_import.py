"""The command line for import, through click's runner.

The vault-level tests are in tests/vault/interchange/test_import.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.cli_helpers import files
from tests.conftest import PASSPHRASE, Kith
from tests.vault.interchange.test_import import DATA
from vault.api import Vault
from vault.domain.model import ContactDraft, Email, Phone
from vault.interchange.blind_index import BlindIndex

GOOD = {
    "civicrm_export.csv": 2,
    "google_contacts.csv": 4,
    "google_legacy.csv": 1,
    "outlook_contacts.csv": 2,
    "v21_phone_export.vcf": 3,
    "v30_apple.vcf": 2,
    "v40_groups.vcf": 2,
}


GROUPS = {"v30_apple.vcf": 1, "v40_groups.vcf": 1}


@contextmanager
def opened(vault_dir: Path) -> Iterator[Vault]:
    vault = Vault.open(vault_dir, PASSPHRASE)
    try:
        yield vault
    finally:
        vault.lock()


def run_import(kith: Kith, path: Path, *args: str) -> dict:  # type: ignore[type-arg]
    result = kith("import", str(path), "--json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def contacts_of(vault_dir: Path) -> list[ContactDraft]:
    with opened(vault_dir) as vault:
        return sorted((c.draft() for c in vault.contacts.all()), key=lambda d: d.display_name())


@pytest.mark.parametrize("name", sorted(GOOD))
def test_realistic_file_imports_then_reimport_is_unchanged(
    kith: Kith, vault_dir: Path, name: str
) -> None:
    first = run_import(kith, DATA / name)
    assert first["counts"]["added"] == GOOD[name]
    assert first["counts"]["skipped"] == GROUPS.get(name, 0)
    assert first["counts"]["errors"] == 0
    assert all(item["id"] and item["lines"] for item in first["added"])
    again = run_import(kith, DATA / name)
    assert again["counts"]["added"] == 0
    assert again["counts"]["merged"] == 0
    assert again["counts"]["unchanged"] == GOOD[name]
    assert len(contacts_of(vault_dir)) == GOOD[name]


def test_human_output_and_destroy_advice(kith: Kith) -> None:
    result = kith("import", str(DATA / "v30_apple.vcf"))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("added 2, merged 0, unchanged 0, skipped 1")
    assert "line 83: skipped: a contact group" in result.stdout
    assert "is plaintext" in result.stderr
    assert "shred -u" in result.stderr
    assert "full-disk encryption" in result.stderr
    assert "Downloads" in result.stderr


def test_phones_use_region_option_else_vault_default(kith: Kith, vault_dir: Path) -> None:
    run_import(kith, DATA / "v21_phone_export.vcf")  # vault region FR
    helene = next(c for c in contacts_of(vault_dir) if c.name == "Hélène Dubois")
    assert helene.phones == (Phone("+33123456789", "home"),)
    run_import(kith, DATA / "google_contacts.csv", "--region", "CN")
    li = next(c for c in contacts_of(vault_dir) if c.given_name == "娜")
    assert li.phones[0].value == "+8613800138000"
    assert li.phones[0].valid


def test_unparseable_phone_is_kept_as_typed(kith: Kith, vault_dir: Path) -> None:
    run_import(kith, DATA / "google_contacts.csv")  # a Chinese national number, region FR
    li = next(c for c in contacts_of(vault_dir) if c.given_name == "娜")
    assert li.phones == (Phone("138 0013 8000", "", valid=False),)


def test_civicrm_flags_become_consent_preferences(kith: Kith, vault_dir: Path) -> None:
    report = run_import(kith, DATA / "civicrm_export.csv")
    assert report["counts"]["preferences"] == 2
    with opened(vault_dir) as vault:
        by_name = {c.display_name(): c for c in vault.contacts.all()}
        wanjiru = vault.preferences.get(bytes.fromhex(by_name["Wanjiru Mwangi"].id))
        olena = vault.preferences.get(bytes.fromhex(by_name["Олена Іванова"].id))
    assert dict(wanjiru.rules) == {"phone": False}
    assert not wanjiru.allows("phone", "news")
    assert dict(olena.rules)["email"] is False
    assert dict(olena.rules)["email:news"] is False
    assert olena.consent[0].source == "import"
    assert not any(k.startswith("civicrm_do_not") for k, _ in by_name["Олена Іванова"].fields)
    again = run_import(kith, DATA / "civicrm_export.csv")
    assert again["counts"]["unchanged"] == 2
    assert again["counts"]["preferences"] == 0


def test_tags_and_column_map(kith: Kith, vault_dir: Path, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sheet.csv",
        "Who,Mobile #,Mail,Ward\nAna Lima,06 12 34 56 78,ana@example.org,North\n",
    )
    mapping = ["--map", "Who=name", "--map", "Mobile #=phone:cell", "--map", "Mail=email",
               "--map", "Ward=field:ward"]  # fmt: skip
    report = run_import(kith, path, *mapping, "--tag", "canvass", "--tag", "north")
    assert report["counts"]["added"] == 1
    (ana,) = contacts_of(vault_dir)
    assert ana.phones == (Phone("+33612345678", "cell"),)
    assert ana.emails == (Email("ana@example.org"),)
    assert ana.tags == ("canvass", "north")
    assert ana.fields == (("ward", "North"),)
    again = run_import(kith, path, *mapping, "--tag", "canvass", "--tag", "north")
    assert again["counts"]["unchanged"] == 1


def test_bad_map_is_a_usage_error(kith: Kith, tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "Who\nAna\n")
    result = kith("import", str(path), "--map", "Who")
    assert result.exit_code == 2
    result = kith("import", str(path), "--map", "Nope=name")
    assert result.exit_code == 5
    assert "not in the CSV header" in result.stderr


def malformed(tmp_path: Path) -> dict[str, Path]:
    big = "x" * (3 * 1024 * 1024)
    out = {name: DATA / name for name in (
        "bad_binary.bin", "bad_empty.csv", "bad_latin1.csv", "bad_no_version.vcf",
        "bad_nul.csv", "bad_ragged.csv", "bad_unterminated.vcf")}  # fmt: skip
    out["big_cell.csv"] = write(tmp_path, "big_cell.csv", f"name,notes\nAna,{big}\n")
    out["big_value.vcf"] = write(
        tmp_path, "big_value.vcf", f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana\r\nNOTE:{big}\r\n"
        "END:VCARD\r\n"
    )  # fmt: skip
    out["nul_inside.vcf"] = write(
        tmp_path, "nul_inside.vcf", b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\x00na\r\nEND:VCARD\r\n"
    )
    out["latin1.vcf"] = write(
        tmp_path, "latin1.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Hélène\r\nEND:VCARD\r\n"
        .encode("latin-1"),
    )  # fmt: skip
    out["bad.json"] = write(tmp_path, "bad.json", '[{"name": "Ana"},\n{"name": ]\n')
    out["whitespace.csv"] = write(tmp_path, "whitespace.csv", "\n \n\t\n")
    out["header_only_unknown.csv"] = write(tmp_path, "unknown.csv", "Foo,Bar\n1,2\n")
    out["late_error.csv"] = write(
        tmp_path, "late.csv",
        "name,emails\n" + "".join(f"P{i},p{i}@example.org\n" for i in range(50)) + 'X,"open\n',
    )  # fmt: skip
    return out


def test_malformed_files_exit_5_one_line_and_change_nothing(
    kith: Kith, vault_dir: Path, tmp_path: Path
) -> None:
    assert kith("add", "--name", "Already here").exit_code == 0
    for name, path in malformed(tmp_path).items():
        before = files(vault_dir)
        result = kith("import", str(path))
        assert result.exit_code == 5, (name, result.stderr)
        assert result.stdout == "", name
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (name, result.stderr)
        assert lines[0].startswith("kith: Nothing was imported: "), name
        assert files(vault_dir) == before, name


@pytest.mark.parametrize(
    ("name", "line"),
    [("bad_ragged.csv", 5), ("bad_unterminated.vcf", 1), ("bad_nul.csv", 3)],
)
def test_fatal_error_json_names_the_line(kith: Kith, name: str, line: int) -> None:
    result = kith("import", str(DATA / name), "--json")
    assert result.exit_code == 5
    report = json.loads(result.stdout)
    assert report["fatal"]["line"] == line
    assert report["fatal"]["message"].startswith("Nothing was imported")


def test_late_fatal_error_imports_nothing(kith: Kith, vault_dir: Path, tmp_path: Path) -> None:
    path = malformed(tmp_path)["late_error.csv"]
    result = kith("import", str(path))
    assert result.exit_code == 5
    assert "line 52" in result.stderr
    assert contacts_of(vault_dir) == []


def test_row_matching_one_contact_merges_into_it(
    kith: Kith, vault_dir: Path, tmp_path: Path
) -> None:
    added = kith("add", "--name", "Ana Lima", "--email", "Ana@Example.org", "--org", "Coop",
                 "--note", "Met in March", "--tag", "tenants", "--json")  # fmt: skip
    ana_id = json.loads(added.stdout)["id"]
    path = write(
        tmp_path,
        "a.csv",
        "name,emails,phones,org,notes,tags\n"
        "Ana L.,ana@example.org,'+33612345678,Other org,Speaks Portuguese,Press\n",
    )
    report = run_import(kith, path)
    assert report["counts"] == {**report["counts"], "added": 0, "merged": 1}
    assert report["merged"] == [{"id": ana_id, "lines": [2]}]
    (ana,) = contacts_of(vault_dir)
    assert ana.name == "Ana Lima"  # scalars are filled only where empty
    assert ana.org == "Coop"
    assert [p.value for p in ana.phones] == ["+33612345678"]
    assert ana.notes == "Met in March\n\nSpeaks Portuguese"
    assert ana.tags == ("tenants", "Press")
    again = run_import(kith, path)
    assert again["counts"]["unchanged"] == 1
    assert again["counts"]["merged"] == 0


def test_row_matching_two_contacts_is_skipped_as_ambiguous(
    kith: Kith, vault_dir: Path, tmp_path: Path
) -> None:
    one = json.loads(kith("add", "--name", "A", "--email", "a@example.org", "--json").stdout)
    two = json.loads(kith("add", "--name", "B", "--phone", "0612345678", "--json").stdout)
    path = write(tmp_path, "a.csv", "name,emails,phones\nAB,a@example.org,06 12 34 56 78\n"
                 "C,c@example.org,\n")  # fmt: skip
    report = run_import(kith, path)
    assert report["counts"]["added"] == 1
    (skip,) = report["skipped"]
    assert skip["line"] == 2
    assert skip["reason"] == "ambiguous"
    assert sorted(skip["matches"]) == sorted([one["id"], two["id"]])
    assert len(contacts_of(vault_dir)) == 3


def test_rows_of_one_file_that_match_each_other_merge(
    kith: Kith, vault_dir: Path, tmp_path: Path
) -> None:
    path = write(tmp_path, "a.csv", "name,emails,phones,tags\n"
                 "Ana,ana@example.org,,x\n"
                 "Bruno,,06 12 34 56 78,y\n"
                 "Ana Lima,ANA@example.org,'+33612345678,z\n"
                 "Ana,ana@example.org,,x\n"
                 "Name only,,,\nName only,,,\n")  # fmt: skip
    report = run_import(kith, path)
    assert report["counts"]["added"] == 2
    lines = sorted(item["lines"] for item in report["added"])
    assert lines == [[2, 3, 4, 5], [6, 7]]
    merged = next(c for c in contacts_of(vault_dir) if c.emails)
    assert merged.name == "Ana"
    assert merged.tags == ("x", "y", "z")
    assert [p.value for p in merged.phones] == ["+33612345678"]
    again = run_import(kith, path)
    assert again["counts"]["added"] == 0
    assert again["counts"]["unchanged"] == 2


def test_invalid_email_is_kept_in_a_field_with_a_warning(
    kith: Kith, vault_dir: Path, tmp_path: Path
) -> None:
    path = write(tmp_path, "a.csv", 'name,emails\nAna,"ana@example.org\nnot an email"\n')
    report = run_import(kith, path)
    assert report["counts"]["added"] == 1
    (warning,) = report["warnings"]
    assert warning["line"] == 2
    assert "email 2" in warning["message"]
    (ana,) = contacts_of(vault_dir)
    assert ana.emails == (Email("ana@example.org"),)
    assert ana.fields == (("invalid email", "not an email"),)


def test_rows_that_cannot_be_contacts_are_rejected_the_rest_imported(
    kith: Kith, vault_dir: Path, tmp_path: Path
) -> None:
    # an organization alone names a contact (issue 14); a note alone does not
    path = write(tmp_path, "a.csv", "name,org,emails,notes\n,,,only a note\nAna,,,\n")
    result = kith("import", str(path))
    assert result.exit_code == 0
    assert "line 2: rejected: a contact needs a name, an email or a phone" in result.stdout
    assert [c.name for c in contacts_of(vault_dir)] == ["Ana"]


def test_dry_run_reports_and_changes_nothing(kith: Kith, vault_dir: Path, tmp_path: Path) -> None:
    kith("add", "--name", "Ana", "--email", "ana@example.org")
    before = files(vault_dir)
    path = write(tmp_path, "a.csv", "name,emails\nAna,ana@example.org\nBruno,b@example.org\n"
                 ",\n")  # fmt: skip
    report = run_import(kith, path, "--dry-run")
    assert report["dry_run"] is True
    assert report["counts"]["added"] == 1
    assert report["added"] == [{"id": None, "lines": [3]}]
    assert report["counts"]["unchanged"] == 1
    assert files(vault_dir) == before
    human = kith("import", str(path), "--dry-run")
    assert human.stdout.startswith("would add 1, would merge 0")
    assert "dry run: nothing was changed" in human.stdout
    assert "plaintext" not in human.stderr
    assert files(vault_dir) == before


def test_a_late_fatal_error_rolls_back_what_was_written(
    kith: Kith, vault_dir: Path, tmp_path: Path, small_batches: None
) -> None:
    assert kith("add", "--name", "Already here").exit_code == 0
    before = files(vault_dir)
    result = kith("import", str(malformed(tmp_path)["late_error.csv"]))
    assert result.exit_code == 5
    assert "line 52" in result.stderr
    assert files(vault_dir) == before


def test_blind_index_follows_edits_and_deletes(kith: Kith, vault_dir: Path, tmp_path: Path) -> None:
    ana = kith("add", "--name", "Ana", "--email", "old@example.org").stdout.strip()
    path = write(tmp_path, "a.csv", "name,emails\nAna,old@example.org\n")
    assert run_import(kith, path)["counts"]["unchanged"] == 1
    kith("edit", ana, "--remove-email", "old@example.org", "--add-email", "new@example.org")
    assert run_import(kith, path)["counts"]["added"] == 1  # the old email is nobody's now
    newer = write(tmp_path, "b.csv", "name,emails\nAna,new@example.org\n")
    assert run_import(kith, newer)["counts"]["unchanged"] == 1
    kith("delete", ana, "--yes")
    assert run_import(kith, newer)["counts"]["added"] == 1
    with opened(vault_dir) as vault:
        rows = vault.live_store.execute("SELECT count(*) FROM blind_index")
        assert rows[0][0] == vault.contacts.count()
        assert BlindIndex(vault).stale() == []
