"""A real ``kith export`` process that pauses after writing its first contacts (fault harness).

    python tests/faults/paused_export.py ARGS...   (the arguments of ``kith``)

The exporter's text is wrapped so that, once some plaintext is on disk, the process writes
``ready`` on stdout and waits on stdin: the test then sends a real signal at a known point, with
no timing guesswork. Everything else is the real CLI (``tui.cli.main``) and the real exporter.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator

from tui.cli import main
from vault.interchange import exporter

_render = exporter.render


def _paused(fmt: str, contacts: Iterable[object]) -> Iterator[str]:
    size, paused = 0, False
    for chunk in _render(fmt, contacts):  # type: ignore[arg-type]
        yield chunk
        size += len(chunk)
        if size > 64 * 1024 and not paused:  # past the file object's buffer: on disk
            paused = True
            sys.__stdout__.write("ready\n")  # type: ignore[union-attr]
            sys.__stdout__.flush()  # type: ignore[union-attr]
            sys.stdin.read()  # until the test closes stdin (never, when it signals)


exporter.render = _paused  # type: ignore[assignment]
if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
