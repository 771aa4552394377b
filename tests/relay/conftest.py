"""Relay fixtures: both storage engines, and the real relay process on loopback.

``backend`` is parametrized over ``sqlite`` and ``postgresql``; every test that takes it runs
against both. The PostgreSQL cluster is private to each test worker (``pg.py``) and each test
gets its own database. ``relay`` starts ``kith relay serve`` as a real process and waits for
its "listening on" line (never on time).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.relay.pg import Cluster, start_cluster


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    started = start_cluster()
    if isinstance(started, str):
        pytest.skip(started)
    yield started
    started.stop()


@dataclass
class Backend:
    """One storage engine for a test: how to point a relay at it, and how to read it raw."""

    name: str
    data_dir: Path
    database: str | None = None
    cluster: Cluster | None = None

    def serve_args(self) -> list[str]:
        args = ["--data", str(self.data_dir)]
        return args + (["--database", self.database] if self.database else [])

    def open(self):  # type: ignore[no-untyped-def]
        from relay.storage import open_storage

        return open_storage(self.data_dir, self.database)

    def raw_bytes(self, *, pg_files: bool = True) -> list[bytes]:
        """Everything the storage holds, as bytes: its files, and for PostgreSQL every row
        (and, unless ``pg_files`` is False, the cluster's files: pages and WAL)."""
        blobs = [p.read_bytes() for p in self.data_dir.rglob("*") if p.is_file()]
        if self.cluster is not None and self.database is not None:
            import psycopg

            self.cluster.checkpoint()
            with psycopg.connect(self.database) as conn:
                for table in ("mailboxes", "items", "forms"):
                    for row in conn.execute(f"SELECT * FROM {table}"):
                        blobs += [bytes(c) if isinstance(c, bytes | memoryview) else str(c)
                                  .encode() for c in row if c is not None]
            if pg_files:
                blobs += [p.read_bytes() for p in self.cluster.data.rglob("*") if p.is_file()]
        return blobs

    def holding(self, markers: list[str], *, pg_files: bool = True) -> list[str]:
        needles = [m.encode(e) for m in markers for e in ("utf-8", "utf-16-le")]
        return sorted({n.decode("latin-1") for b in self.raw_bytes(pg_files=pg_files)
                       for n in needles if n in b})


def _backend(request: pytest.FixtureRequest, folder: Path) -> Backend:
    data = folder / "relay-data"
    data.mkdir()
    if request.param == "sqlite":
        return Backend("sqlite", data)
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    return Backend("postgresql", data, cluster.new_database(), cluster)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """A fresh, empty storage of each engine, for one test."""
    return _backend(request, tmp_path)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_relay(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RelayProcess]:
    """One relay per engine for a whole module (tests use their own mailboxes): starting
    ``kith`` costs seconds on a loaded machine. Items at most 1 MiB, 5 writes a minute."""
    backend = _backend(request, tmp_path_factory.mktemp("relay"))
    proc = RelayProcess(backend, ["--max-item-mb", "1", "--rate", "5"]).start()
    yield proc
    proc.stop()


@dataclass
class RelayProcess:
    """``kith relay serve`` as a real process."""

    backend: Backend
    extra: list[str] = field(default_factory=list)
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def target(self) -> str:
        return "relay:" + self.url

    @property
    def log_path(self) -> Path:
        return self.backend.data_dir.parent / "relay-stderr.log"

    def logged(self) -> bytes:
        """What the relay wrote on stderr so far (every run, appended)."""
        return self.log_path.read_bytes() if self.log_path.exists() else b""

    def start(self) -> RelayProcess:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tui", "relay", "serve", *self.backend.serve_args(),
                 "--host", "127.0.0.1", "--port", str(self.port), *self.extra],
                stdout=subprocess.PIPE, stderr=log, cwd=ROOT, env=env,
            )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode()
        if not line.startswith("listening on "):
            self.proc.kill()
            raise AssertionError(f"relay did not start: {line!r} {self.logged()!r}")
        self.port = int(line.rsplit(":", 1)[1])
        return self

    def kill(self) -> None:
        """SIGKILL: no clean shutdown at all."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM (SIGKILL after 30 s)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.kill()
        self.start()


@pytest.fixture
def relay_factory(backend: Backend) -> Iterator[list[RelayProcess]]:
    started: list[RelayProcess] = []
    yield started
    for proc in started:
        proc.stop()


@pytest.fixture
def relay(backend: Backend, relay_factory: list[RelayProcess]) -> RelayProcess:
    proc = RelayProcess(backend).start()
    relay_factory.append(proc)
    return proc


@pytest.fixture
def sqlite_relay(tmp_path: Path) -> Iterator[RelayProcess]:
    """A relay over SQLite only (for tests whose subject is not the storage engine)."""
    data = tmp_path / "relay-data"
    data.mkdir()
    proc = RelayProcess(Backend("sqlite", data)).start()
    yield proc
    proc.stop()


def start_relay(backend: Backend, started: list[RelayProcess], *extra: str) -> RelayProcess:
    proc = RelayProcess(backend, list(extra)).start()
    started.append(proc)
    return proc
