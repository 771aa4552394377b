"""Issue 12: contact data off argv. `kith add --from FILE` (and `kith edit ID --from FILE`)
read the contact as the JSON object `kith show --json` prints, from a file or stdin (`-`), so
names and notes never sit in /proc/PID/cmdline or the shell history. argv stays supported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import add, run_json
from tests.conftest import PASSPHRASE, ROOT, Kith, run_kith_process

VOLATILE = ("id", "created", "updated")


def _json_in(kith: Kith, *args: str, input: str) -> Any:
    """``kith ARGS --json`` with ``input`` on stdin, which must succeed."""
    result = kith(*args, "--json", input=input)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return {k: v for k, v in a.items() if k not in VOLATILE} == {
        k: v for k, v in b.items() if k not in VOLATILE
    }


def test_show_json_round_trips_through_add_from_a_file(kith: Kith, tmp_path: Path) -> None:
    ana = add(kith, "--name", "Ana Lima", "--given-name", "Ana", "--email", "work:ana@example.org",
              "--phone", "06 12 34 56 78", "--address", "1 rue X; Lyon; ; 69001; FR",
              "--org", "Coop", "--role", "Chair", "--language", "fr", "--note", "line 1\nline 2",
              "--tag", "volunteers", "--field", "shirt=M")  # fmt: skip
    shown = run_json(kith, "show", ana)
    assert isinstance(shown, dict)
    source = tmp_path / "ana.json"
    source.write_text(json.dumps(shown))

    copy = run_json(kith, "add", "--from", str(source))

    assert isinstance(copy, dict) and copy["id"] != shown["id"]
    assert _same(copy, shown)


def test_add_from_stdin(kith: Kith) -> None:
    body = json.dumps({"name": "Bea Stdin", "emails": [{"value": "bea@example.org", "label": ""}],
                       "notes": "from a pipe"})  # fmt: skip
    made = _json_in(kith, "add", "--from", "-", input=body)
    assert isinstance(made, dict)
    assert made["name"] == "Bea Stdin" and made["notes"] == "from a pipe"
    assert made["emails"] == [{"value": "bea@example.org", "label": ""}]


def test_edit_from_changes_only_the_keys_given(kith: Kith) -> None:
    ana = add(kith, "--name", "Ana Lima", "--org", "Coop", "--note", "old note")
    changed = _json_in(kith, "edit", ana, "--from", "-",
                       input=json.dumps({"notes": "new note", "tags": ["a", "b"]}))  # fmt: skip
    assert isinstance(changed, dict)
    assert (changed["name"], changed["org"]) == ("Ana Lima", "Coop")
    assert (changed["notes"], changed["tags"]) == ("new note", ["a", "b"])


BAD = {
    "a list, not an object": "[]",
    "an unknown key": '{"name": "Xq", "nickname": "Yq"}',
    "a value of the wrong type": '{"name": 5}',
    "two objects": '{"name": "Xq"} {"name": "Yq"}',
    "truncated JSON": '{"name": "Xq"',
    "a value over 64 KiB": '{"name": "' + "x" * (70 * 1024) + '"}',
    "a file over 1 MiB": " " * (1024 * 1024 + 10) + "{}",
    "an invalid email": '{"emails": [{"value": "not an email"}], "name": "Xq"}',
    "not UTF-8": '{"name": "\udcff"}',
}


@pytest.mark.parametrize("what", list(BAD))
def test_bad_input_is_refused_with_exit_5_and_nothing_added(kith: Kith, what: str) -> None:
    body = BAD[what]
    data = body.encode("utf-8", "surrogateescape")
    result = kith("add", "--from", "-", input=data)  # type: ignore[arg-type]
    assert result.exit_code == 5, (what, result.stderr)
    assert result.stderr.count("\n") == 1
    assert "Xq" not in result.stderr and "Yq" not in result.stderr  # no contact data echoed
    assert run_json(kith, "list") == []


def test_from_excludes_field_options_and_a_shared_stdin(kith: Kith, tmp_path: Path) -> None:
    source = tmp_path / "c.json"
    source.write_text('{"name": "X"}')
    both = kith("add", "--from", str(source), "--name", "Y")
    assert both.exit_code == 2 and "--from" in both.stderr
    neither = kith("add")
    assert neither.exit_code == 2 and "--name" in neither.stderr
    shared = Kith(kith.vault_dir, Path("-"))("add", "--from", "-", input=PASSPHRASE + "\n{}")
    assert shared.exit_code == 2 and "stdin" in shared.stderr
    assert run_json(kith, "list") == []


def test_a_real_process_reads_the_contact_from_stdin(tmp_path: Path, kith: Kith) -> None:
    marker = "Zoe Quartz-Marker"
    done = run_kith_process(
        "--vault", str(kith.vault_dir), "--passphrase-file", str(kith.passphrase_file),
        "add", "--from", "-", "--json", input=json.dumps({"name": marker}).encode(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["name"] == marker


def _cmdline_while_waiting(args: list[str], stdin_data: bytes | None) -> bytes:
    """The /proc/PID/cmdline of `kith ARGS` while it waits at the passphrase prompt."""
    env = {**os.environ, "KITH_ALLOW_WEAK_KDF": "1"}
    env.pop("KITH_PASSPHRASE_FILE", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", *args], env=env, cwd=ROOT,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdin is not None and proc.stderr is not None
        if stdin_data is not None:
            proc.stdin.write(stdin_data)
            proc.stdin.flush()
        seen = b""
        deadline = time.monotonic() + 60
        while b"Passphrase" not in seen and time.monotonic() < deadline:
            seen += os.read(proc.stderr.fileno(), 4096)
        assert b"Passphrase" in seen, seen
        return Path(f"/proc/{proc.pid}/cmdline").read_bytes()
    finally:
        proc.kill()
        proc.wait(timeout=60)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")
def test_contact_data_is_visible_in_cmdline_from_argv_but_not_from_a_file(
    kith: Kith, tmp_path: Path
) -> None:
    marker = "Yara Cmdline-Marker"
    exposed = _cmdline_while_waiting(["--vault", str(kith.vault_dir), "add", "--name", marker],
                                     None)  # fmt: skip
    assert marker.encode() in exposed  # the attack: anyone on the machine can read this
    source = tmp_path / "contact.json"
    source.write_text(json.dumps({"name": marker}))
    hidden = _cmdline_while_waiting(
        ["--vault", str(kith.vault_dir), "add", "--from", str(source)], None
    )
    assert marker.encode() not in hidden
