"""Issue 12: a running `kith` writes no core dump, and its memory holds no SQLCipher key string.

Real processes only: each test starts `kith` (the installed entry point), waits on an event
(a prompt or the first screen), then looks at the process from outside through /proc.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest

from tests.conftest import PASSPHRASE, ROOT
from vault.api import Vault
from vault.core import store as store_module
from vault.crypto.kdf import TEST_PARAMS
from vault.domain.model import ContactDraft

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc (Linux)"
)
WAIT = 60.0  # an upper bound for a slow, shared machine; every wait ends on an event


def _kith() -> list[str]:
    script = Path(sys.executable).with_name("kith")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tui"]


# Start the child with core dumps allowed (as far as the hard limit lets us), so that only kith
# itself can turn them off; `exec` keeps the pid, so /proc/PID is kith's own.
ALLOW_CORES = ["/bin/sh", "-c", 'ulimit -c unlimited 2>/dev/null || ulimit -c "$(ulimit -Hc)"; '
               'exec "$@"', "sh"]  # fmt: skip


def _env() -> dict[str, str]:
    return {**os.environ, "KITH_ALLOW_WEAK_KDF": "1", "TERM": "xterm-256color"}


def _read_until(fd: int, needle: bytes) -> bytes:
    """Read ``fd`` until ``needle`` appears (or fail after WAIT seconds)."""
    seen = b""
    deadline = time.monotonic() + WAIT
    while needle not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"{needle!r} never came; got {seen[-300:]!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 65536)
            assert chunk, f"the process ended before {needle!r}; got {seen[-300:]!r}"
            seen += chunk
    return seen


def _core_limit(pid: int) -> tuple[str, str]:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max core file size"):
            soft, hard = line.split()[4:6]
            return soft, hard
    raise AssertionError("no core limit line")


@contextmanager
def _running(args: list[str], **kw: object) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen([*ALLOW_CORES, *args], env=_env(), cwd=ROOT, **kw)  # type: ignore[call-overload]
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=WAIT)


@pytest.fixture
def vault_with_contact(tmp_path: Path) -> tuple[Path, str, bytes]:
    """A cheap vault with one contact; (folder, contact id, the vault's SQLCipher raw key)."""
    keys: list[bytes] = []
    real_init = store_module.Store.__init__

    def spy(self: store_module.Store, path: Path, raw_key: bytes) -> None:
        keys.append(raw_key)
        real_init(self, path, raw_key)

    folder = tmp_path / "vault"
    store_module.Store.__init__ = spy  # type: ignore[method-assign]
    try:
        with Vault.create(folder, PASSPHRASE, params=TEST_PARAMS, allow_weak=True) as vault:
            contact = vault.contacts.add(ContactDraft(name="Ana Lima"))
    finally:
        store_module.Store.__init__ = real_init  # type: ignore[method-assign]
    return folder, contact.id, keys[0]


def test_cli_waiting_at_the_passphrase_prompt_has_core_dumps_off(tmp_path: Path) -> None:
    """Ctrl-\\ at this prompt used to dump core; the limit is now 0 before anything is read."""
    args = [*_kith(), "--vault", str(tmp_path / "v"), "list"]
    with _running(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                  stderr=subprocess.PIPE) as proc:  # fmt: skip
        assert proc.stderr is not None
        _read_until(proc.stderr.fileno(), b"Passphrase")
        assert _core_limit(proc.pid) == ("0", "0")


def test_tui_on_its_first_screen_has_core_dumps_off(tmp_path: Path) -> None:
    master, slave = pty.openpty()
    try:
        args = [*_kith(), "--vault", str(tmp_path / "v"), "tui"]
        with _running(args, stdin=slave, stdout=slave, stderr=slave) as proc:
            _read_until(master, b"\x1b[")  # the TUI has started drawing
            assert _core_limit(proc.pid) == ("0", "0")
    finally:
        os.close(master)
        os.close(slave)


def test_info_reports_a_non_dumpable_process(
    vault_with_contact: tuple[Path, str, bytes], tmp_path: Path
) -> None:
    folder, _, _ = vault_with_contact
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE + "\n")
    args = [*_kith(), "--vault", str(folder), "--passphrase-file", str(secret), "info", "--json"]
    done = subprocess.run(
        [*ALLOW_CORES, *args], env=_env(), cwd=ROOT, capture_output=True, timeout=WAIT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    process = json.loads(done.stdout)["process"]
    assert process == {"core_limit": [0, 0], "dumpable": False, "core_dumps": "off"}


def _readable_memory(pid: int) -> Iterator[bytes]:
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            span, perms = line.split()[:2]
            if not perms.startswith("r"):
                continue
            low, high = (int(x, 16) for x in span.split("-"))
            try:
                mem.seek(low)
                yield mem.read(high - low)
            except (OSError, OverflowError, ValueError):
                continue


def test_the_database_key_is_in_no_python_string_of_an_unlocked_process(
    vault_with_contact: tuple[Path, str, bytes], tmp_path: Path
) -> None:
    """The key was passed as `PRAGMA key = "x'<hex>'"`, a string the statement cache kept for
    the connection's life: a core dump showed the key in hex. Now no copy of its hex exists."""
    folder, contact_id, raw_key = vault_with_contact
    if os.geteuid() != 0:
        pytest.skip("reading a non-dumpable process's memory needs root (CAP_SYS_PTRACE)")
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE + "\n")
    master, slave = pty.openpty()
    args = [*_kith(), "--vault", str(folder), "--passphrase-file", str(secret),
            "delete", contact_id]  # fmt: skip
    try:
        with _running(args, stdin=slave, stdout=subprocess.PIPE,
                      stderr=subprocess.PIPE) as proc:  # fmt: skip
            stderr: IO[bytes] | None = proc.stderr
            assert stderr is not None
            _read_until(stderr.fileno(), b"for good?")  # unlocked, the contact opened
            hex_key = raw_key.hex().encode()
            hits = [chunk.count(hex_key) + chunk.count(hex_key.upper())
                    for chunk in _readable_memory(proc.pid)]  # fmt: skip
            os.write(master, b"n\n")
            assert proc.wait(timeout=WAIT) == 1  # cancelled: nothing deleted
        assert sum(hits) == 0
        assert len(hits) > 10  # the scan did read the process's memory
    finally:
        os.close(master)
        os.close(slave)
