"""Creating folders only their owner can enter, whatever the umask.

Rule: every folder Kith creates on the way to a vault (or a backup folder) is mode 0700, the
missing parents included. ``Path.mkdir(parents=True)`` creates parents with the umask's default
(0777 under ``umask 000``), which lets anyone on the machine list, and replace, what is inside;
so the missing parents are created one by one, top down, and each is set to 0700 with ``chmod``
(which the umask does not touch). Folders that already existed are never changed.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE = stat.S_IRWXU  # 0700


def make_private_dir(directory: Path) -> list[Path]:
    """Create ``directory`` and its missing parents, each 0700; return those created."""
    missing: list[Path] = []
    here = Path(os.path.abspath(directory))
    while not here.exists() and here != here.parent:
        missing.append(here)
        here = here.parent
    created: list[Path] = []
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE)
        except FileExistsError:  # created meanwhile by someone else: not ours to change
            continue
        os.chmod(folder, PRIVATE)
        created.append(folder)
    if not directory.is_dir():
        raise NotADirectoryError(str(directory))
    return created
