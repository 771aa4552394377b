"""Item 6 of issue 14: reading N repeated properties is linear, and stops at the field limit.

Time is never measured here (bench/ does that): the work is counted. ``FieldBag`` must look a
key up a bounded number of times per field, whatever the repeats, and a card with 100,000
custom fields must come out of the reader with at most ``MAX_FIELDS + 1`` fields, then be
refused by validation, through a real ``kith import``.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import isolated_env, run_kith_process
from vault.domain.validate import MAX_FIELDS
from vault.interchange.import_record import FieldBag
from vault.interchange.vcard import read_vcards


class _CountingDict(dict[str, str]):
    lookups = 0

    def __contains__(self, key: object) -> bool:
        _CountingDict.lookups += 1
        return super().__contains__(key)


def test_repeated_keys_cost_a_bounded_number_of_lookups_each() -> None:
    bag = FieldBag()
    bag._items = _CountingDict()  # white box: count the work, not the time
    _CountingDict.lookups = 0
    for _ in range(MAX_FIELDS):
        bag.add("url", "x")
    assert _CountingDict.lookups <= 2 * MAX_FIELDS
    assert [k for k, _ in bag.items()][:3] == ["url", "url 2", "url 3"]
    bag = FieldBag()  # numbering still skips a key that was given explicitly
    for key in ("a 2", "a", "a", "a"):
        bag.add(key, "v")
    assert [k for k, _ in bag.items()] == ["a 2", "a", "a 3", "a 4"]


def test_the_reader_stops_collecting_past_the_limit() -> None:
    fields = "".join(f"X-CUSTOM-{i}:v\r\n" for i in range(100_000))
    text = f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Many\r\n{fields}END:VCARD\r\n"
    [record] = read_vcards(text)
    assert len(record.draft.fields) == MAX_FIELDS + 1
    urls = "URL:https://example.org\r\n" * 16_000
    [record] = read_vcards(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Urls\r\n{urls}END:VCARD\r\n")
    assert len(record.draft.fields) == MAX_FIELDS + 1


def test_a_huge_card_is_refused_by_a_real_import(tmp_path: Path) -> None:
    env, _, _, _ = isolated_env(tmp_path)
    passphrase = tmp_path / "pp"
    passphrase.write_text("a passphrase for this test\n")
    env["KITH_PASSPHRASE_FILE"] = str(passphrase)
    init = run_kith_process("init", "--kdf-memory", "8", "--kdf-time", "1", env=env)
    assert init.returncode == 0, init.stderr
    fields = "".join(f"X-CUSTOM-{i}:v\r\n" for i in range(100_000))
    few = "".join(f"X-CUSTOM-{i}:v\r\n" for i in range(MAX_FIELDS))
    source = tmp_path / "huge.vcf"
    source.write_text(
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Huge\r\n{fields}END:VCARD\r\n"
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Fits\r\n{few}END:VCARD\r\n"
    )
    done = run_kith_process("import", str(source), "--json", env=env)
    report = json.loads(done.stdout)
    assert report["counts"]["added"] == 1
    assert [e["message"] for e in report["errors"]] == [f"more than {MAX_FIELDS} custom fields"]
