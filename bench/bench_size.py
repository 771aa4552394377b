"""On-disk size and insert time of a vault against plain SQLCipher, same contacts, same run
(issue 12, speed: "on-disk size vs plain SQLCipher" and "import vs executemany").

    .venv/bin/python -m bench.bench_size [--contacts 100000]

Reports, for N invented contacts (``bench.common.synthetic_contacts``):
- baseline: the same contacts as one plain-text row each (the columns of
  ``bench.bench_vault``), rows built beforehand, one ``executemany`` in one transaction, into a
  SQLCipher file with Kith's settings: seconds (the executemany alone) and bytes per contact;
- the sealed record store alone (contacts already normalized, ``create_many`` in batches of
  5,000, one transaction): seconds and bytes per contact;
- the import of the same contacts as Kith CSV in a fresh process (``bench.bench_import``'s
  child: read, normalize, dedupe, seal, blind index): seconds and bytes per contact, i.e. the
  vault a user gets;
- where the vault's bytes go: the average stored size of a record's packed fields and of a
  wrapped record key (the rest is rows, indexes, the blind index and page overhead).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from bench.bench_import import run_child
from bench.common import synthetic_contacts, table, temp_vault
from vault.core.store import Store
from vault.domain.contacts import RECORD_TYPE, encode
from vault.errors import KithError
from vault.interchange import write_csv

COLUMNS = ("name", "given_name", "family_name", "emails", "phones", "addresses", "org", "tags")


def plain(drafts: list) -> tuple[float, int]:  # type: ignore[type-arg]
    """(seconds of the executemany alone, file bytes) for one plain row per contact."""
    rows = []
    for draft in drafts:
        values = encode(draft)
        rows.append((os.urandom(16), 0, *(values.get(k, b"").decode() for k in COLUMNS)))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plain.db"
        store = Store(path, os.urandom(32))
        store.execute(
            "CREATE TABLE contacts (id BLOB PRIMARY KEY, created INTEGER, name TEXT, "
            "given_name TEXT, family_name TEXT, emails TEXT, phones TEXT, addresses TEXT, "
            "org TEXT, tags TEXT)"
        )
        began = time.perf_counter()
        with store.transaction():
            store.executemany("INSERT INTO contacts VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        seconds = time.perf_counter() - began
        store.close()
        return seconds, path.stat().st_size


def sealed_store(drafts: list) -> tuple[float, int, list[tuple[str, str]]]:  # type: ignore[type-arg]
    """(seconds, file bytes, where the bytes go) through ``RecordStore.create_many``."""
    values = [encode(d) for d in drafts]
    with temp_vault() as vault:
        began = time.perf_counter()
        with vault.live_store.transaction():
            for start in range(0, len(values), 5000):
                vault.records.create_many(
                    RECORD_TYPE, values[start : start + 5000], vault.private_segment
                )
        seconds = time.perf_counter() - began
        store = vault.live_store
        parts = [
            ("packed fields per record", "SELECT avg(length(packed)) FROM records"),
            ("wrapped record key", "SELECT avg(length(wrapped_cdk)) FROM record_keys"),
        ]
        detail = []
        for label, sql in parts:
            try:
                detail.append((label, f"{float(store.one(sql)[0]):.0f} B"))  # type: ignore[index]
            except KithError:  # a layout without that column (the code before issue 12's)
                detail.append((label, "-"))
        plaintext = sum(len(v) for row in values for v in row.values()) / len(values)
        fields = sum(len(row) for row in values) / len(values)
        detail.append(("plaintext per contact (encoded values)", f"{plaintext:.0f} B"))
        detail.append(("fields per contact", f"{fields:.2f}"))
        vault.lock()
        return seconds, (vault.path / "vault.db").stat().st_size, detail


def imported(drafts: list) -> tuple[float, int]:  # type: ignore[type-arg]
    """(seconds, file bytes) of ``import_contacts`` of the CSV in a fresh process (this one
    holds N drafts, whose garbage-collector scans would slow the import down)."""
    with tempfile.TemporaryDirectory() as tmp:
        csv_path, vault_dir = Path(tmp) / "contacts.csv", Path(tmp) / "vault"
        csv_path.write_text("".join(write_csv(drafts)), encoding="utf-8", newline="")
        result = run_child("create", str(csv_path), str(vault_dir))
        assert result["counts"]["added"] == len(drafts), result["counts"]
        return float(result["seconds"]), (vault_dir / "vault.db").stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=100_000)
    args = parser.parse_args()
    n = args.contacts
    drafts = synthetic_contacts(n)
    load = os.getloadavg()[0]
    base_s, base_b = plain(drafts)
    store_s, store_b, detail = sealed_store(drafts)
    import_s, import_b = imported(drafts)
    base_again, _ = plain(drafts)
    base = (base_s + base_again) / 2
    rows = [
        ("plain executemany (rows prebuilt)", f"{base:.2f} s  (runs: {base_s:.2f}, "
                                              f"{base_again:.2f})"),
        ("plain SQLCipher size", f"{base_b / n:.0f} B per contact"),
        ("sealed store alone", f"{store_s:.2f} s = {store_s / base:.0f}x"),
        ("sealed store size", f"{store_b / n:.0f} B per contact = {store_b / base_b:.2f}x"),
        ("import CSV", f"{import_s:.2f} s = {import_s / base:.0f}x  (target <= 50x)"),
        ("imported vault size", f"{import_b / n:.0f} B per contact = {import_b / base_b:.2f}x"
                                "  (target <= 3x)"),
        *detail,
        ("load average at start / end", f"{load:.1f} / {os.getloadavg()[0]:.1f}"),
    ]  # fmt: skip
    print(f"# Size and insert time, {n:,} contacts (cheap KDF; same run)")
    print(table(rows))


if __name__ == "__main__":
    main()
