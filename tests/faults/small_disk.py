"""Run kith commands on a real, nearly full file system: a small tmpfs in a private mount namespace.

    python tests/faults/small_disk.py SPEC.json   (run under ``unshare -rm`` by ``run_full``)

SPEC: ``{"mount": DIR, "size_kb": N, "copy": [[SRC, NAME], ...], "setup": [[args...], ...],
"slack": BYTES, "attack": [args...], "after": [[args...], ...], "env": {...}}``. The script
mounts a tmpfs of ``size_kb`` at ``mount``, copies the ``copy`` folders onto it, runs the
``setup`` commands while there is room, fills the file system with a filler file, frees
``slack`` bytes of it, runs ``attack`` (the command that meets the full disk;
``["--script", FILE, ...]`` runs a Python script instead of kith), removes the filler, runs the
``after`` commands (checks), and prints a JSON report: each command's exit code and output, the
names under ``mount`` before and after the attack, and the SHA-256 of every vault file before
and after. The mount disappears with the namespace, so nothing is ever left mounted, and
parallel tests never see each other's disks.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any


def _run(args: list[str], env: dict[str, str], cwd: str) -> dict[str, Any]:
    args = [a.replace("{mount}", env["SMALL_DISK"]).replace("{id}", env.get("FIRST_ID", ""))
            for a in args]  # fmt: skip
    command = [sys.executable, *args[1:]] if args[:1] == ["--script"] else [
        sys.executable, "-m", "tui", *args]  # fmt: skip
    done = subprocess.run(
        command, env=env, cwd=cwd, capture_output=True,
        timeout=120, check=False,
    )  # fmt: skip
    return {"args": args, "code": done.returncode, "stdout": done.stdout.decode(errors="replace"),
            "stderr": done.stderr.decode(errors="replace")}  # fmt: skip


def _names(root: Path, skip: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p != skip)


def _hashes(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _fill(path: Path, slack: int) -> None:
    """Fill the file system holding ``path``, then give back ``slack`` bytes."""
    block = b"\0" * 65536
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        size = 0
        while True:
            try:
                size += os.write(fd, block)
            except OSError:
                break
        for step in (4096, 512, 1):  # the last partial block too
            while True:
                try:
                    size += os.write(fd, b"\0" * step)
                except OSError:
                    break
        os.ftruncate(fd, max(0, size - slack))
    finally:
        os.close(fd)


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    mount = Path(spec["mount"])
    mount.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={spec['size_kb']}k,mode=0700",
                    "tmpfs", str(mount)], check=True)  # fmt: skip
    env = {**os.environ, **spec.get("env", {}), "SMALL_DISK": str(mount)}
    cwd = spec["cwd"]
    vault = Path(env["KITH_VAULT"])
    for source, name in spec.get("copy", []):  # a vault made elsewhere, onto the small disk
        shutil.copytree(source, mount / name)
    report: dict[str, Any] = {"setup": []}
    for args in spec["setup"]:
        report["setup"].append(_run(args, env, cwd))
        if args[0] == "add" and "FIRST_ID" not in env:
            env["FIRST_ID"] = report["setup"][-1]["stdout"].strip()
    filler = mount / "filler"
    report["before"] = _names(mount, filler)
    report["vault_before"] = _hashes(vault)
    _fill(filler, int(spec.get("slack", 0)))
    report["attack"] = _run(spec["attack"], env, cwd)
    report["during"] = _names(mount, filler)
    filler.unlink()
    report["vault_after"] = _hashes(vault)
    report["after"] = [_run(a, env, cwd) for a in spec.get("after", [])]
    print(json.dumps(report))


if __name__ == "__main__":
    main()
