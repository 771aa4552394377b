"""Run the relay on uvicorn, with no access log and bounded connections.

    serve(data_dir, database, host, port, limits, on_listening)   # until SIGINT or SIGTERM

Rules and reasons:
- ``access_log=False`` and no proxy headers: no request line, and so no client address, is
  ever written. Warnings and errors go to stderr without addresses.
- The socket is bound here (port 0 picks a free port) and the bound port is reported before
  serving, so a caller (or a test) waits on that line rather than on time.
- Connections are bounded (``limit_concurrency``), idle keep-alive is short, and uvicorn's
  HTTP parser (h11) bounds header sizes: no home-made HTTP.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from relay.app import build_app
from relay.config import Limits
from relay.storage import open_storage

if TYPE_CHECKING:
    from starlette.applications import Starlette


def _listening_socket(host: str) -> socket.socket:
    """A TCP socket whose accepted connections get TCP_NODELAY.

    asyncio sets TCP_NODELAY only on sockets whose ``proto`` is ``IPPROTO_TCP``; a socket made
    with proto 0 misses it, and each response (headers, then body) then waits about 40 ms for
    the client's delayed ACK. The option is also set here, and Linux copies it on accept.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def serve(
    data_dir: Path | None, database: str | None, host: str, port: int, limits: Limits,
    on_listening: Callable[[int], None], *, sweep_seconds: float = 60.0,
    max_connections: int = 256,
) -> None:
    """Serve until interrupted; storage is opened first so a bad database fails early."""
    import uvicorn

    store = open_storage(data_dir, database)
    try:
        sock = _listening_socket(host)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
        config = uvicorn.Config(
            build_app(store, limits, sweep_seconds=sweep_seconds),
            access_log=False, proxy_headers=False, server_header=False, date_header=False,
            log_level="warning", limit_concurrency=max_connections, timeout_keep_alive=5,
            h11_max_incomplete_event_size=16 * 1024,
        )
        server = uvicorn.Server(config)
        on_listening(int(sock.getsockname()[1]))
        server.run(sockets=[sock])
    finally:
        store.close()


class Background:
    """A relay app served from a thread of this process (the kiosk): ``stop()`` ends it."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        import threading

        import uvicorn

        self._sock = _listening_socket(host)
        self._sock.bind((host, port))
        self._sock.listen(64)
        self.port = int(self._sock.getsockname()[1])
        config = uvicorn.Config(
            app, access_log=False, proxy_headers=False, server_header=False, date_header=False,
            log_level="warning", limit_concurrency=64, timeout_keep_alive=5,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._sock.close()
