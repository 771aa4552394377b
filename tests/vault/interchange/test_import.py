"""`kith import` (issue 3): realistic files, malformed files, merge, dry run, all or nothing.

Every malformed file must exit 5 with one line on stderr and leave the vault's files
byte-for-byte unchanged (the vault holds a contact first, so there is something to damage).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import files
from tests.conftest import PASSPHRASE
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

# -- malformed files: exit 5, one line, nothing changed ----------------------------------------


# -- dedupe and merge ---------------------------------------------------------------------------


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
