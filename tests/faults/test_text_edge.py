"""Item 5 of issue 14: one text check at the vault's edge; dry run rejects what the real run does.

Real processes get invalid UTF-8 in their arguments (Python hands it over as lone surrogates)
and files with a stray byte in a vCard parameter, a JSON ``"\\ud800"`` and a 5000-digit JSON
number. Every case must end in one line and exit 5 (or a per-row rejection in an import
report), never an internal error, and ``--dry-run`` must report exactly what the real run does.
A property test then throws random bytes at text arguments through the in-process CLI.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Kith, run_kith_process

BAD = os.fsdecode(b"caf\xc3 \xff")  # what Python makes of invalid UTF-8 in argv


@pytest.fixture
def env(kith: Kith) -> dict[str, str]:
    return {"KITH_VAULT": str(kith.vault_dir), "KITH_PASSPHRASE_FILE": str(kith.passphrase_file)}


def _contact(kith: Kith) -> str:
    done = kith("add", "--name", "Ada Lovelace")
    assert done.exit_code == 0
    return done.stdout.strip()


@pytest.mark.parametrize(
    "args",
    [
        ["add", "--name", BAD],
        ["add", "--name", "Ok", "--note", BAD],
        ["add", "--name", "Ok", "--field", f"key={BAD}"],
        ["add", "--name", "Ok", "--tag", BAD],
        ["edit", "{id}", "--org", BAD],
        ["log", "{id}", "--kind", "note", "--summary", BAD],
        ["segment", "create", BAD],
    ],
)
def test_invalid_utf8_in_an_argument_is_exit_5(
    kith: Kith, env: dict[str, str], args: list[str]
) -> None:
    contact = _contact(kith)
    before = kith("list", "--json").stdout
    done = run_kith_process(*[a.replace("{id}", contact) for a in args], env=env)
    stderr = done.stderr.decode()
    assert done.returncode == 5, stderr
    assert stderr.count("\n") == 1 and "is not UTF-8" in stderr
    assert kith("list", "--json").stdout == before


def _bad_files(tmp_path: Path) -> list[Path]:
    files = {
        "param.vcf": b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bad Param\r\n"
        b"EMAIL;TYPE=wo\xc3rk:bp@example.org\r\nEND:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Good One\r\nEND:VCARD\r\n",
        "surrogate.json": b'[{"name": "\\ud800"}, {"name": "Good Two"}]',
        "number.json": b'[{"name": "x", "org": ' + b"1" * 5000 + b"}]",
        "surrogate-key.json": b'[{"name": "k", "fields": {"\\udfff": "v"}}]',
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return [tmp_path / name for name in files]


def test_dry_run_rejects_exactly_what_the_real_run_rejects(
    kith: Kith, env: dict[str, str], tmp_path: Path
) -> None:
    for path in _bad_files(tmp_path):
        dry = run_kith_process("import", str(path), "--dry-run", "--json", env=env)
        real = run_kith_process("import", str(path), "--json", env=env)
        assert b"internal error" not in dry.stderr + real.stderr, path.name
        assert dry.returncode == real.returncode, (path.name, dry.stderr, real.stderr)
        if real.returncode:
            assert (
                real.returncode == 5
                and dry.stderr.splitlines()[-1:] == real.stderr.splitlines()[-1:]
            )
            continue
        dry_report, real_report = json.loads(dry.stdout), json.loads(real.stdout)
        assert dry_report["errors"] == real_report["errors"], path.name
        assert dry_report["counts"] == real_report["counts"], path.name
        assert all("not UTF-8" in e["message"] for e in real_report["errors"]), path.name


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    option=st.sampled_from(["--name", "--note", "--org", "--role", "--tag", "--field"]),
    raw=st.binary(min_size=1, max_size=12),
)
def test_random_bytes_in_text_arguments_never_crash(kith: Kith, option: str, raw: bytes) -> None:
    text = os.fsdecode(raw.replace(b"\0", b"")) or "x"
    value = f"k={text}" if option == "--field" else text
    done = kith("add", "--name", "Someone", option, value)
    assert "internal error" not in done.stderr
    assert done.exit_code in (0, 5), done.stderr
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        assert done.exit_code == 5
