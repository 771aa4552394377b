"""The relay client against a hostile relay: every answer is bounded and checked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from relay.server import Background
from sync.errors import RelayFull, RelayRefused, RelayUnreachable
from sync.transports.relay import MAX_LISTING, RelayClient

BOX, TOKEN = b"\x01" * 16, b"\x02" * 32
INFO = {"relay": "kith", "ttl": 60, "max_item": 1 << 20, "list_limit": 500}


async def info(request: Request) -> Response:
    return JSONResponse(INFO)


async def hostile(request: Request) -> Response:
    mode = request.path_params["mailbox"][:2]
    if mode == "aa":  # a listing far over the bound
        return Response(b"[" * (MAX_LISTING + 10), media_type="application/json")
    if mode == "bb":
        return JSONResponse({"items": [[5, 1, 1], [3, 1, 1]]})  # sequence going backwards
    if mode == "cc":
        return RedirectResponse("http://192.0.2.1/steal")  # never followed
    if mode == "dd":
        return Response(status_code=500)
    if mode == "ee":
        return Response(status_code=507)
    if mode == "ab":  # nesting deep enough to exhaust the parser's recursion
        return Response(b"[" * 200_000, media_type="application/json")
    return Response(b"not json")


@pytest.fixture(scope="module")
def hostile_relay() -> Iterator[str]:
    app = Starlette(routes=[Route("/v1/info", info),
                            Route("/v1/m/{mailbox}", hostile, methods=["GET", "POST"])])
    server = Background(app, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


@pytest.mark.parametrize(("mode", "error"), [
    ("aa", RelayRefused), ("bb", RelayRefused), ("cc", RelayRefused),
    ("dd", RelayUnreachable), ("ee", RelayFull), ("ff", RelayRefused), ("ab", RelayRefused),
])
def test_hostile_answers_are_refused(hostile_relay: str, mode: str, error: type) -> None:
    mailbox = bytes.fromhex(mode) * 16
    with RelayClient(hostile_relay) as client, pytest.raises(error):
        client.list(mailbox, TOKEN)


def test_a_relay_that_is_not_there(hostile_relay: str) -> None:
    with RelayClient("http://127.0.0.1:9") as client, pytest.raises(RelayUnreachable):
        client.put(BOX, TOKEN, b"x")
    with RelayClient(hostile_relay + "/nothing") as client, pytest.raises(RelayRefused):
        client.info()
