"""`kith import` (issue 3): realistic files, malformed files, merge, dry run, all or nothing.

Every malformed file must exit 5 with one line on stderr and leave the vault's files
byte-for-byte unchanged (the vault holds a contact first, so there is something to damage).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.cli_helpers import files
from tests.conftest import PASSPHRASE, Kith
from vault.api import Vault
from vault.core.records import RecordStore
from vault.crypto import blind
from vault.domain.model import ContactDraft, Email, Phone
from vault.encoding import enc
from vault.errors import ImportFailed
from vault.interchange import import_rows, importer
from vault.interchange.blind_index import BlindIndex, bits_for
from vault.interchange.import_rows import WORKER_BYTES
from vault.interchange.importer import ImportOptions, import_contacts

DATA = Path(__file__).parent / "data"
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


# -- realistic files, every vCard version and CSV preset ---------------------------------------


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


# -- malformed files: exit 5, one line, nothing changed ----------------------------------------


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


# -- dedupe and merge ---------------------------------------------------------------------------


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


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows in batches of 10, contacts written every 10: a small file streams like a big one."""
    monkeypatch.setattr(import_rows, "BATCH_ROWS", 10)
    monkeypatch.setattr(importer, "WRITE_BATCH", 10)


def test_failure_while_writing_rolls_everything_back(
    vault: Vault, vault_dir: Path, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault.contacts.add(ContactDraft(name="Kept", emails=(Email("k@example.org"),)))
    rows = "".join(f"P{i},p{i}@example.org\n" for i in range(30))
    data = ("name,emails\nKept more,k@example.org\n" + rows).encode()
    before = files(vault_dir)
    calls = {"n": 0}
    real = RecordStore.create_many

    def flaky(self: RecordStore, *args, **options):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real(self, *args, **options)

    monkeypatch.setattr(RecordStore, "create_many", flaky)
    with pytest.raises(RuntimeError):
        import_contacts(vault, data, ImportOptions())
    assert calls["n"] == 3  # two batches were written, then rolled back
    assert [c.name for c in vault.contacts.all()] == ["Kept"]
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


def test_rows_merging_into_contacts_written_earlier_in_the_file(
    vault: Vault, small_batches: None
) -> None:
    head = "".join(f"P{i},p{i}@example.org,,\n" for i in range(25))
    filler = "".join(f"F{i},f{i}@example.org,,\n" for i in range(20))
    data = (
        "name,emails,phones,tags\n" + head + "Q,q@example.org,'+33699999999,\n" + filler
        + "P3 again,p3@example.org,'+33612345678,late\n"  # merges into a written contact
        + "Bridge,p5@example.org,'+33699999999,\n"  # joins two written ones: one is shredded
    ).encode()  # fmt: skip
    outcome = import_contacts(vault, data, ImportOptions())
    assert len(outcome.added) == 45
    by_email = {e.value: c for c in vault.contacts.all() for e in c.emails}
    assert by_email["p3@example.org"].tags == ("late",)
    assert [p.value for p in by_email["p3@example.org"].phones] == ["+33612345678"]
    assert by_email["q@example.org"].id == by_email["p5@example.org"].id
    assert vault.contacts.count() == 45
    again = import_contacts(vault, data, ImportOptions())
    assert (len(again.added), len(again.merged), len(again.unchanged)) == (0, 0, 45)


def test_large_files_are_read_in_a_separate_process(
    vault: Vault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_rows, "WORKER_BYTES", 0)
    reader = import_rows.batches(b"name,emails\nAna,\n", ImportOptions(), "FR")
    assert type(reader).__name__ == "_WorkerRows"
    assert [r.draft.name for b in reader for r in b.rows] == ["Ana"]
    reader.close()
    data = (DATA / "google_contacts.csv").read_bytes()
    outcome = import_contacts(vault, data, ImportOptions())
    assert len(outcome.added) == 4
    with pytest.raises(ImportFailed, match="line 5"):
        import_contacts(vault, (DATA / "bad_ragged.csv").read_bytes(), ImportOptions())
    assert vault.contacts.count() == 4


def test_progress_reports_the_lines_read(vault: Vault) -> None:
    data = ("name,emails\n" + "".join(f"P{i},p{i}@example.org\n" for i in range(2500))).encode()
    seen: list[tuple[str, int, int]] = []
    outcome = import_contacts(vault, data, ImportOptions(), lambda *a: seen.append(a))
    assert len(outcome.added) == 2500
    assert {p for p, _, _ in seen} == {"importing"}
    assert [done for _, done, _ in seen] == sorted(done for _, done, _ in seen)
    assert seen[-1] == ("importing", 2502, 2502)


# -- the blind index ------------------------------------------------------------------------------


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


def test_blind_index_is_keyed_truncated_and_holds_no_plaintext(vault: Vault) -> None:
    ana = vault.contacts.add(ContactDraft(name="Ana", emails=(Email("ana@example.org"),),
                                          phones=(Phone("+33612345678"),)))  # fmt: skip
    import_contacts(vault, b"name,emails\nB,b@example.org\n", ImportOptions())
    index = BlindIndex(vault)
    assert index.counts() == {"email": 2, "phone": 1, "content": 0}
    assert all((key & (2**64 - 1)) < 2 ** index.bits["email"] for key in index.load())
    (packed,) = vault.live_store.one("SELECT digests FROM blind_index WHERE record_id = ?",
                                     (bytes.fromhex(ana.id),)) or ()  # fmt: skip
    assert len(packed) == 18  # one email, one phone: (kind code, 8-byte digest) each
    assert b"ana" not in packed and b"3361" not in packed
    assert bytes.fromhex(ana.id) in index.candidates("email", "ana@example.org")
    key_a, key_b = bytes(32), bytes([1]) * 32
    assert blind.digest(key_a, "email", "x", 64) != blind.digest(key_b, "email", "x", 64)
    assert blind.digest(key_a, "email", "x", 64) != blind.digest(key_a, "phone", "x", 64)
    assert blind.digest(key_a, "email", "x", 12) == blind.digest(key_a, "email", "x", 64) >> 52
    for kind, value in (("email", "ana@example.org"), ("content", b"\x00\xff" * 300)):
        assert blind._message(kind, value) == enc("kith/blind/1", kind, value)


def test_bits_follow_ciphersweet_planner() -> None:
    # CipherSweet's planner recommends 8 to 15 bits for 50,000 rows; Kith takes the largest
    # size that still leaves at least 2 coincidences per digest.
    assert bits_for(50_000) == 14
    assert bits_for(0) == bits_for(3) == 1
    for population in (10, 1000, 100_000, 10**6):
        assert population / 2 ** bits_for(population) >= 2


def test_index_is_resized_as_the_vault_grows(vault: Vault) -> None:
    small = "".join(f"P{i},p{i}@example.org\n" for i in range(10))
    import_contacts(vault, ("name,emails\n" + small).encode(), ImportOptions())
    # never more bits than CipherSweet allows, at most one fewer (rebuilding costs a decryption)
    assert bits_for(10) - 1 <= BlindIndex(vault).bits["email"] <= bits_for(10)
    more = "".join(f"Q{i},q{i}@example.org\n" for i in range(300))
    import_contacts(vault, ("name,emails\n" + more).encode(), ImportOptions())
    assert BlindIndex(vault).bits["email"] == bits_for(310)  # grew by 2+ bits: rebuilt
    again = import_contacts(vault, ("name,emails\n" + small + more).encode(), ImportOptions())
    assert len(again.unchanged) == 310
    assert not again.added


def test_import_failed_is_exit_5() -> None:
    assert ImportFailed.exit_code == 5


# -- the marker test: imported text never reaches disk in plaintext ------------------------------


@pytest.mark.slow
def test_imported_markers_reach_no_file_the_process_wrote(tmp_path: Path) -> None:
    from tests.cli.test_no_plaintext import scan
    from tests.conftest import run_kith_process

    vault_dir, tmp, home, src = (tmp_path / n for n in ("vault", "tmp", "home", "src"))
    for folder in (tmp, home, src):
        folder.mkdir()
    env = {"KITH_VAULT": str(vault_dir), "TMPDIR": str(tmp), "HOME": str(home),
           "XDG_CACHE_HOME": str(home / ".cache"), "XDG_DATA_HOME": str(home / ".local/share"),
           "XDG_STATE_HOME": str(home / ".local/state")}  # fmt: skip
    from tests.cli.test_no_plaintext import MARKERS as M
    from tests.cli.test_no_plaintext import PHONE

    card = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\n"
        f"FN:{M['name']}\r\nN:{M['family']};{M['given']};;;\r\nEMAIL;TYPE=HOME:{M['email']}\r\n"
        f"TEL;TYPE=CELL:{PHONE}\r\nADR;TYPE=HOME:;;{M['street']};{M['city']};;{M['postcode']};FR\r\n"
        f"ORG:{M['org']}\r\nTITLE:{M['role']}\r\nLANG:{M['language']}\r\nNOTE:{M['note']}\r\n"
        f"CATEGORIES:{M['tag']}\r\nX-KITH-FIELD:{M['field_key']}={M['field_value']}\r\n"
        "END:VCARD\r\n"
    )
    source = src / "contacts.vcf"
    # 1 MiB of filler cards: the file is read in a separate process (import_rows.WORKER_BYTES)
    filler = "".join(
        f"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Filler {i}\r\nNOTE:{'lorem ipsum ' * 5000}\r\n"
        "END:VCARD\r\n"
        for i in range(18)
    )
    source.write_text(card + card.replace(M["name"], M["edited"]) + filler, encoding="utf-8")
    assert source.stat().st_size >= WORKER_BYTES
    secret = (PASSPHRASE + "\n").encode()

    def kith(*args: str) -> str:
        done = run_kith_process("--passphrase-file", "-", *args, env=env, input=secret)
        assert done.returncode == 0, done.stderr.decode()
        return done.stdout.decode()

    kith("init", "--kdf-memory", "8", "--kdf-time", "1", "--region", "FR")
    assert json.loads(kith("import", str(source), "--dry-run", "--json"))["counts"]["added"] == 19
    report = json.loads(kith("import", str(source), "--json"))
    assert report["counts"]["added"] == 19
    assert json.loads(kith("import", str(source), "--json"))["counts"]["unchanged"] == 19
    other = kith("add", "--name", "Other " + M["name"], "--email", M["email"].upper()).strip()
    groups = json.loads(kith("duplicates", "--json"))
    assert len(groups) == 1
    kith("merge", report["added"][0]["id"], other)
    assert scan([vault_dir, tmp, home]) == []


def test_reimport_with_the_bulk_prefetch(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "PREFETCH_CONTACTS", 1)
    rows = "".join(f"P{i},p{i}@example.org,'+336123400{i:02d}\n" for i in range(60))
    data = ("name,emails,phones\n" + rows + "Only a name,,\n").encode()
    assert len(import_contacts(vault, data, ImportOptions()).added) == 61
    again = import_contacts(vault, data, ImportOptions())
    assert (len(again.added), len(again.merged), len(again.unchanged)) == (0, 0, 61)
    third = import_contacts(vault, data + b"P8b,p8@example.org,'+33999\n", ImportOptions())
    assert (len(third.added), len(third.merged)) == (0, 1)
