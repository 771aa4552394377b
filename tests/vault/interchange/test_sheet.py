"""What the import dialog reads before importing: the sheet's shape, first guesses at a column
map, and the first rows exactly as an import takes them (``sheet.py``, ``first_rows``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from vault.errors import ImportFailed, InvalidInput
from vault.interchange.import_report import ImportOptions
from vault.interchange.import_rows import first_rows, read_rows
from vault.interchange.sheet import (
    MAX_MAP_COLUMNS,
    Sheet,
    check_mappable,
    custom_field,
    guess_target,
    inspect,
)

SHEET = (
    "Full name;Mobile #;Courriel;Ward\n"
    "Zoe Quist;07 00 11 22 33;zoe@example.org;3\n"
    ";;;7\n"
    "Yann Roux;+33 6 55 44 33 22;not-an-email;5\n"
)
MAP = {"Full name": "name", "Mobile #": "phone:mobile", "Courriel": "email", "Ward": "field:Ward"}


def test_inspect_reads_the_header_samples_and_detected_preset() -> None:
    sheet = inspect(SHEET.encode())
    samples = ("Zoe Quist", "07 00 11 22 33", "zoe@example.org", "3")
    assert sheet == Sheet("csv", ("Full name", "Mobile #", "Courriel", "Ward"), samples, None, 3)
    google = inspect(b"Name,E-mail 1 - Value,Group Membership\nAda,ada@example.org,x\n")
    assert google.preset == "google" and google.rows == 1
    assert inspect(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nEND:VCARD\r\n") == Sheet("vcard")
    assert inspect(b"name,email\n\n\n").rows == 0  # a header alone: an empty sheet


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"   \n", "empty"),
        ("name\nJos\u00e9\n".encode("latin-1"), "not UTF-8 at line 2"),
        (b"\xff\xfen\x00a\x00", "UTF-16"),
        (b"PK\x03\x04rest", "ZIP archive"),
        (b"name\nA\x00B\n", "NUL byte at line 2"),
        (b'name,email\n"Ada,ada@example.org\n', "malformed CSV"),
        (b"name,email\nAda," + b"x" * 200_000 + b"\n", "larger than 64 KiB"),
    ],
)
def test_inspect_refuses_what_an_import_refuses(data: bytes, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        inspect(data)
    assert words in caught.value.message and "\n" not in caught.value.message


def test_a_sheet_too_wide_to_map_by_hand_is_refused_for_a_map_only() -> None:
    wide = ",".join(f"c{n}" for n in range(MAX_MAP_COLUMNS + 1)) + "\n" + "x," * MAX_MAP_COLUMNS
    sheet = inspect((wide + "x\n").encode())
    assert len(sheet.header) == MAX_MAP_COLUMNS + 1
    with pytest.raises(InvalidInput, match="kith import --map"):
        check_mappable(sheet)
    check_mappable(inspect(SHEET.encode()))


@pytest.mark.parametrize(
    ("column", "target"),
    [("Full name", "name"), ("E-mail", "email"), ("Work email", "email"),
     ("Mobile #", "phone:mobile"), ("Tel.", "phone"), ("First Name", "given_name"),
     ("Surname", "family_name"), ("Zip", "postal_code"), ("Town", "locality"),
     ("Skills", "tags"), ("Ward", "skip"), ("Mailing address", "skip"),
     ("Notes (private)", "skip"), ("", "skip")],
)  # fmt: skip
def test_guesses_only_what_is_clear_and_ignores_the_rest(column: str, target: str) -> None:
    assert guess_target(column) == target


def test_custom_field_is_named_after_the_column_without_equals() -> None:
    assert custom_field("Ward", 3) == "field:Ward"
    assert custom_field("a=b  c", 0) == "field:a b c"
    assert custom_field("  ", 4) == "field:column 5"


def test_first_rows_are_the_rows_an_import_takes_and_stop_early() -> None:
    options = ImportOptions(column_map=MAP, tags=("spring",))
    batch = first_rows(SHEET.encode(), options, "FR", 2)
    assert batch.records == 2  # reads no further than asked
    assert [(r.line, r.draft.name) for r in batch.rows] == [(2, "Zoe Quist")]
    zoe = batch.rows[0].draft
    assert zoe.phones[0].value == "+33700112233" and zoe.phones[0].label == "mobile"
    assert zoe.tags == ("spring",) and zoe.fields == (("Ward", "3"),)
    assert [(i.line, i.message) for i in batch.errors] == [
        (3, "a contact needs a name, an email or a phone")
    ]
    whole = next(iter(read_rows(SHEET.encode(), options, "FR")))
    everything = first_rows(SHEET.encode(), options, "FR", 99)
    assert everything.rows == whole.rows and everything.warnings == whole.warnings
    assert [w.line for w in everything.warnings] == [4]  # the invalid email, kept as a field


def test_first_rows_refuses_a_file_level_problem_in_one_line() -> None:
    huge = b"name,email\nAda," + b"x" * 70_000 + b"\n"
    with pytest.raises(ImportFailed, match="larger than 64 KiB"):
        first_rows(huge, ImportOptions(column_map={"name": "name"}), "FR", 5)
    with pytest.raises(ImportFailed, match="not in the CSV header"):
        first_rows(SHEET.encode(), ImportOptions(column_map={"Nope": "name"}), "FR", 5)


LARGE_IMPORT = """
import sys
from vault.interchange import import_rows
from vault.interchange.import_report import ImportOptions

class NoDescriptor:  # what Textual puts in sys.stderr while the TUI runs
    def write(self, text): return len(text)
    def flush(self): pass
    def fileno(self): return -1

if __name__ == "__main__":
    if sys.argv[1] == "unguarded":
        import_rows._start_tracker = lambda: None
    data = ("name,email\\n" + "".join(f"P{n},p{n}@example.org\\n" for n in range(60_000))).encode()
    assert len(data) >= import_rows.WORKER_BYTES
    sys.stderr = NoDescriptor()
    try:
        source = import_rows.batches(data, ImportOptions(preset="generic"), "FR")
        print(sum(len(b.rows) for b in source))
        source.close()
    except ValueError as error:
        print(f"ValueError: {error}")
"""


@pytest.mark.parametrize("mode", ["guarded", "unguarded"])
def test_a_large_file_is_read_in_a_process_even_without_a_stderr_descriptor(
    tmp_path: Path, mode: str
) -> None:
    script = tmp_path / "large_import.py"
    script.write_text(LARGE_IMPORT)
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, str(script), mode], capture_output=True, text=True,
                          cwd=root, env=env, timeout=300, check=False)  # fmt: skip
    if mode == "guarded":
        assert done.stdout.strip() == "60000", done.stderr
    else:  # without the fix, the start of the reader process fails this way
        assert done.stdout.strip() == "ValueError: bad value(s) in fds_to_keep"
