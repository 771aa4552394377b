"""A real ``kith backup restore`` process that stops after its first decrypted block (harness).

    python tests/faults/paused_restore.py ARGS...   (the arguments of ``kith``)

Once the restore's scratch folder holds data, the process writes ``ready`` on stdout and waits
on stdin, so the test can kill -9 it at a known point. The rest is the real CLI and restore.
"""

from __future__ import annotations

import sys

from tui.cli import main
from vault.backup import manifest as backup_manifest

_write = backup_manifest.TarReader.write


def _paused(self: backup_manifest.TarReader, data: bytes) -> None:
    _write(self, data)
    if not getattr(self, "_paused", False):
        self._paused = True  # type: ignore[attr-defined]
        sys.__stdout__.write("ready\n")  # type: ignore[union-attr]
        sys.__stdout__.flush()  # type: ignore[union-attr]
        sys.stdin.read()


backup_manifest.TarReader.write = _paused  # type: ignore[method-assign]
if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
