"""A private PostgreSQL cluster for the relay tests: initdb and pg_ctl in a temporary folder.

Debian's ``postgresql`` package (installed by ``.ci/run``) puts the server binaries in
``/usr/lib/postgresql/<version>/bin``. The cluster listens on a Unix socket in its own folder
only (no TCP port), trusts local connections, and runs with ``fsync=off`` (a test cluster).
PostgreSQL refuses to run as root, so under root it runs as the ``postgres`` (else ``nobody``)
user, in a folder that user owns.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path


def server_bin() -> Path | None:
    """The folder holding initdb and pg_ctl, if PostgreSQL's server is installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    ctl = shutil.which("pg_ctl")
    return Path(ctl).parent if ctl else None


@dataclass
class Cluster:
    """A running cluster: its data folder, socket folder and the OS user it runs as."""

    base: Path
    bindir: Path
    user: str | None

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base / "sock"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://kith@/{database}?host={self.socket_dir}"

    def _run(self, *args: str) -> None:
        subprocess.run(
            [str(self.bindir / args[0]), *args[1:]], check=True, capture_output=True,
            user=self.user, timeout=120,
        )

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        import psycopg

        name = "t" + uuid.uuid4().hex[:16]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def checkpoint(self) -> None:
        """Write every dirty page to the data files (before scanning them)."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute("CHECKPOINT")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.base, ignore_errors=True)


def start_cluster() -> Cluster | str:
    """A started cluster, or why none can run here (a reason for ``pytest.skip``)."""
    bindir = server_bin()
    if bindir is None:
        return "PostgreSQL server binaries are not installed (.ci/run installs Debian's postgresql)"
    user: str | None = None
    base = Path(tempfile.mkdtemp(prefix="kith-pg-", dir="/tmp"))
    if os.geteuid() == 0:
        for name in ("postgres", "nobody"):
            try:
                entry = pwd.getpwnam(name)
            except KeyError:
                continue
            user = name
            os.chown(base, entry.pw_uid, entry.pw_gid)
            break
        else:
            return "running as root and no unprivileged user to run PostgreSQL as"
    cluster = Cluster(base, bindir, user)
    try:
        cluster._run("initdb", "-D", str(cluster.data), "-U", "kith", "-A", "trust",
                     "-E", "UTF8", "--no-sync", "--locale=C")
        if user is not None:
            os.makedirs(cluster.socket_dir)
            entry = pwd.getpwnam(user)
            os.chown(cluster.socket_dir, entry.pw_uid, entry.pw_gid)
        else:
            cluster.socket_dir.mkdir()
        cluster._run(
            "pg_ctl", "-D", str(cluster.data), "-w", "-l", str(base / "log"), "-o",
            f"-k {cluster.socket_dir} -c listen_addresses='' -c fsync=off "
            "-c full_page_writes=off -c max_connections=200", "start",
        )
    except (subprocess.CalledProcessError, OSError) as error:
        shutil.rmtree(base, ignore_errors=True)
        return f"could not start a private PostgreSQL cluster: {type(error).__name__}"
    return cluster
