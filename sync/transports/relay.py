"""The relay transport: an HTTP client of ``kith relay serve`` (mailboxes of opaque items).

    client = RelayClient(parse_address("relay:https://relay.example.org"))
    seq = client.put(mailbox, token, data)
    for seq, size, expires in client.list(mailbox, token, after=0): data = client.get(...)

Rules and reasons:
- Plain ``http://`` only to a loopback address or an ``.onion`` host (Tor encrypts those):
  elsewhere the tokens and the traffic pattern would cross the network in clear, so the
  address is refused (``BadRelayAddress``). Deployments put TLS in front (docs/relay.md).
- Every request has a timeout; every answer is bounded before it is read (an item by the
  bundle limit, a listing by 4 MiB), and malformed answers are ``RelayRefused``.
- ``429`` (rate limited) is waited out, up to a bounded number of times, honouring
  ``Retry-After``; a refused connection, a timeout or a ``5xx`` is ``RelayUnreachable``, which
  the caller may retry: nothing is marked delivered until the relay confirmed it.
- Tokens travel only in the ``Authorization`` header, never in a URL.
"""

from __future__ import annotations

import ipaddress
import json
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from sync.bundle import MAX_BUNDLE_BYTES
from sync.errors import BadRelayAddress, RelayFull, RelayRefused, RelayUnreachable

PREFIX = "relay:"
TIMEOUT = 30.0
MAX_LISTING = 4 << 20
RATE_RETRIES = 8
NODELAY = (6, 1, 1)  # IPPROTO_TCP, TCP_NODELAY, on (sync core modules import no socket)


def is_relay(address: str) -> bool:
    """Whether a sync target names a relay rather than a folder."""
    return address.startswith(PREFIX)


def parse_address(address: str) -> str:
    """The base URL of ``relay:URL``; ``BadRelayAddress`` unless it is safe to use."""
    url = address[len(PREFIX):] if is_relay(address) else address
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host or parts.query or parts.fragment:
        raise BadRelayAddress
    if parts.scheme == "http" and not (_loopback(host) or host.endswith(".onion")):
        raise BadRelayAddress
    return url.rstrip("/")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class RelayClient:
    """One relay; a connection is kept open across requests."""

    def __init__(self, base: str, timeout: float = TIMEOUT) -> None:
        self.base = base
        # TCP_NODELAY: httpx writes headers and body separately, and Nagle's algorithm would
        # hold the body until the server's delayed ACK (about 40 ms per request).
        transport = httpx.HTTPTransport(socket_options=[NODELAY])
        self._http = httpx.Client(timeout=timeout, follow_redirects=False, transport=transport)
        self._info: dict[str, Any] | None = None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RelayClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, method: str, path: str, token: bytes | None = None,
              content: bytes | None = None, limit: int = MAX_LISTING) -> tuple[int, bytes]:
        headers = {"Accept": "application/json, application/octet-stream"}
        if token is not None:
            headers["Authorization"] = "Bearer " + token.hex()
        if content is not None:
            headers["Content-Type"] = "application/octet-stream"
        for _ in range(RATE_RETRIES):
            try:
                with self._http.stream(method, self.base + path, content=content,
                                       headers=headers) as reply:
                    body = bytearray()
                    for chunk in reply.iter_bytes():
                        body += chunk
                        if len(body) > limit:
                            raise RelayRefused("(an answer over its size limit)")
                    status = reply.status_code
                    wait = reply.headers.get("retry-after", "1")
            except httpx.HTTPError as error:
                raise RelayUnreachable(f"({type(error).__name__})") from None
            if status == 429:
                time.sleep(min(5.0, float(wait) if wait.isdigit() else 1.0))
                continue
            if status >= 500 and status != 507:
                raise RelayUnreachable(f"(HTTP {status})")
            if status == 507:
                raise RelayFull
            if status in (401, 403):
                raise RelayRefused("(wrong token)")
            return status, bytes(body)
        raise RelayUnreachable("(rate limited)")

    def _json(self, body: bytes) -> Any:
        try:
            return json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: a nesting bomb
            raise RelayRefused("(a malformed answer)") from None

    def info(self) -> dict[str, Any]:
        """The relay's TTL and item limit (asked once per client)."""
        if self._info is None:
            status, body = self._send("GET", "/v1/info")
            info = self._json(body)
            if status != 200 or not isinstance(info, dict) or info.get("relay") != "kith":
                raise RelayRefused("(not a Kith relay)")
            self._info = info
        return self._info

    def put(self, mailbox: bytes, token: bytes, data: bytes) -> int:
        """Store one item; its sequence number in the mailbox."""
        status, body = self._send("POST", f"/v1/m/{mailbox.hex()}", token, data)
        if status == 413:
            raise RelayRefused("(an item over the relay's size limit)")
        reply = self._json(body)
        if status != 201 or not isinstance(reply, dict) or not isinstance(reply.get("seq"), int):
            raise RelayRefused(f"(HTTP {status})")
        return int(reply["seq"])

    def list(self, mailbox: bytes, token: bytes, after: int = 0) -> list[tuple[int, int]]:
        """(seq, size) of every live item after ``after``, in order (all pages)."""
        out: list[tuple[int, int]] = []
        while True:
            status, body = self._send("GET", f"/v1/m/{mailbox.hex()}?after={after}", token)
            reply = self._json(body)
            if status != 200 or not isinstance(reply, dict):
                raise RelayRefused(f"(HTTP {status})")
            page = reply.get("items")
            if not isinstance(page, list):
                raise RelayRefused("(a malformed listing)")
            for row in page:
                if (not isinstance(row, list) or len(row) != 3
                        or not all(isinstance(v, int) for v in row) or row[0] <= after):
                    raise RelayRefused("(a malformed listing)")
                out.append((row[0], row[1]))
                after = row[0]
            if len(page) < int(self.info().get("list_limit", 500)) or not page:
                return out

    def get(self, mailbox: bytes, token: bytes, seq: int,
            limit: int = MAX_BUNDLE_BYTES) -> bytes | None:
        """One item's bytes, or None if it is gone (expired or deleted)."""
        status, body = self._send("GET", f"/v1/m/{mailbox.hex()}/{seq}", token, limit=limit)
        if status == 404:
            return None
        if status != 200:
            raise RelayRefused(f"(HTTP {status})")
        return body

    def delete(self, mailbox: bytes, token: bytes, seq: int) -> None:
        """Acknowledge one item: the relay deletes it."""
        status, _ = self._send("DELETE", f"/v1/m/{mailbox.hex()}/{seq}", token)
        if status not in (204, 404):
            raise RelayRefused(f"(HTTP {status})")

    def put_form(self, form_id: bytes, owner_token: bytes, body: dict[str, Any]) -> None:
        """Publish an intake form (its public definition)."""
        status, _ = self._send(
            "PUT", f"/v1/forms/{form_id.hex()}", owner_token, json.dumps(body).encode()
        )
        if status != 201:
            raise RelayRefused(f"(HTTP {status})")
