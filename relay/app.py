"""The relay's HTTP API (Starlette): mailboxes, intake forms, the SMS webhook.

    GET    /v1/info                                  limits a client needs (TTL, item size)
    POST   /v1/m/{mailbox}            token          append one item -> {"seq": N}
    GET    /v1/m/{mailbox}?after=N    token          -> {"items": [[seq, size, expires], ...]}
    GET    /v1/m/{mailbox}/{seq}      token          the item's bytes
    DELETE /v1/m/{mailbox}/{seq}      token          acknowledge (delete) one item
    PUT    /v1/forms/{form}           owner token    publish an intake form (JSON)
    GET    /f/{form}                                 the sign-up page (static HTML)
    GET    /f/{form}/definition                      the form's public definition (JSON)
    POST   /f/{form}/submit                          one sealed sign-up (bytes from the browser)
    POST   /sms/{form}/{secret}                      SMS Gateway for Android ``sms:received``

``token`` is ``Authorization: Bearer <64 hex>``; ids are 32 hex digits.

Rules and reasons:
- Nothing here reads the client's address, and the server runs with access logs off
  (``relay/server.py``): the relay logs no IP address.
- Every body is bounded before it is read (``_body``), every id and token is checked for shape,
  and every error is a status with a fixed reason that echoes nothing the client sent.
- The relay stores what it is given and never parses it, with one exception: an SMS webhook
  payload, which it seals to the form's public key at once (``_sms``) and then forgets.
- Pages carry a Content-Security-Policy that allows scripts and requests to this origin only:
  the browser encrypts with WebCrypto and loads nothing from a third party.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from relay.config import Limits
from relay.errors import BadRequest, Forbidden, NotFoundHere, RateLimited, RelayError, TooLarge
from relay.ratelimit import RateLimiter
from relay.storage import Storage

STATIC = Path(__file__).parent / "static"
_HEX32 = re.compile(r"[0-9a-f]{32}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
MAX_SMS_BYTES = 16 * 1024
MAX_SEQ = 10**18
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def _id(text: str) -> bytes:
    if not _HEX32.fullmatch(text):
        raise BadRequest
    return bytes.fromhex(text)


def _seq(request: Request) -> int:
    seq = int(request.path_params["seq"])
    if seq > MAX_SEQ:  # both engines store a signed 64-bit integer
        raise BadRequest
    return seq


def token_hash(token: bytes) -> bytes:
    """What the relay stores of a token: its SHA-256 (a seized relay yields no token)."""
    return hashlib.sha256(token).digest()


def _token(request: Request) -> bytes:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not _HEX64.fullmatch(value.strip()):
        raise Forbidden
    return token_hash(bytes.fromhex(value.strip()))


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise TooLarge
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _now() -> int:
    return int(time.time())


class _Api:
    """The handlers, over one store and one set of limits."""

    def __init__(self, store: Storage, limits: Limits) -> None:
        self.store = store
        self.limits = limits
        self.writes = RateLimiter(limits.writes_per_minute)
        self.submissions = RateLimiter(limits.submissions_per_minute)

    async def info(self, request: Request) -> Response:
        limits = self.limits
        return JSONResponse({
            "relay": "kith", "version": 1, "ttl": limits.ttl_seconds,
            "max_item": limits.max_item_bytes, "list_limit": limits.list_limit,
        })

    async def put_item(self, request: Request) -> Response:
        mailbox = _id(request.path_params["mailbox"])
        token = _token(request)
        if not self.writes.allow(mailbox + token):  # a wrong token spends only its own budget
            raise RateLimited
        data = await _body(request, self.limits.max_item_bytes)
        seq = await run_in_threadpool(self.store.put, mailbox, token, data, _now(), self.limits)
        return JSONResponse({"seq": seq}, status_code=201)

    async def list_items(self, request: Request) -> Response:
        mailbox = _id(request.path_params["mailbox"])
        token = _token(request)
        after = request.query_params.get("after", "0")
        if not after.isdigit() or len(after) > 18:
            raise BadRequest
        items = await run_in_threadpool(
            self.store.list, mailbox, token, int(after), self.limits.list_limit, _now()
        )
        return JSONResponse({"items": items})

    async def get_item(self, request: Request) -> Response:
        mailbox = _id(request.path_params["mailbox"])
        token = _token(request)
        seq = _seq(request)
        data = await run_in_threadpool(self.store.get, mailbox, token, seq, _now())
        if data is None:
            raise NotFoundHere
        return Response(data, media_type="application/octet-stream")

    async def delete_item(self, request: Request) -> Response:
        mailbox = _id(request.path_params["mailbox"])
        token = _token(request)
        seq = _seq(request)
        await run_in_threadpool(self.store.delete, mailbox, token, seq)
        return Response(status_code=204)

    async def put_form(self, request: Request) -> Response:
        form_id = _id(request.path_params["form"])
        owner = _token(request)
        try:
            body = json.loads(await _body(request, self.limits.max_form_bytes))
            mailbox = _id(body["mailbox"])
            sms = body.get("sms")
            sms_hash = None if sms is None else token_hash(bytes.fromhex(_checked64(sms)))
            if not isinstance(body["definition"], dict):
                raise BadRequest
            definition = json.dumps(body["definition"], sort_keys=True).encode()
        except (ValueError, KeyError, TypeError, RecursionError):
            raise BadRequest from None
        await run_in_threadpool(
            self.store.put_form, form_id, owner, mailbox, sms_hash, definition, _now()
        )
        return JSONResponse({"form": form_id.hex()}, status_code=201)

    async def _form(self, request: Request) -> tuple[bytes, bytes, bytes, bytes | None, bytes]:
        form_id = _id(request.path_params["form"])
        found = await run_in_threadpool(self.store.get_form, form_id)
        if found is None:
            raise NotFoundHere
        return (form_id, *found)

    async def form_page(self, request: Request) -> Response:
        await self._form(request)
        return FileResponse(STATIC / "form.html", headers=PAGE_HEADERS)

    async def form_definition(self, request: Request) -> Response:
        *_, definition = await self._form(request)
        return Response(definition, media_type="application/json", headers=PAGE_HEADERS)

    async def submit(self, request: Request) -> Response:
        form_id, owner, mailbox, _, _ = await self._form(request)
        if not self.submissions.allow(form_id):
            raise RateLimited
        data = await _body(request, self.limits.max_submission_bytes)
        if not data.startswith(b"KITHINT1"):  # only sealed submissions, never plaintext
            raise BadRequest
        await run_in_threadpool(self.store.put, mailbox, owner, data, _now(), self.limits)
        return JSONResponse({"ok": True}, status_code=201)

    async def sms(self, request: Request) -> Response:
        form_id, owner, mailbox, sms_hash, definition = await self._form(request)
        secret = request.path_params["secret"]
        if sms_hash is None or not _HEX64.fullmatch(secret) or not hmac.compare_digest(
            token_hash(bytes.fromhex(secret)), sms_hash
        ):
            raise Forbidden
        if not self.submissions.allow(form_id):
            raise RateLimited
        raw = await _body(request, MAX_SMS_BYTES)
        sealed = _seal_sms(form_id, definition, raw)
        if sealed is not None:
            await run_in_threadpool(self.store.put, mailbox, owner, sealed, _now(), self.limits)
        return JSONResponse({"ok": True})

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ("form.js", "form.css"):
            raise NotFoundHere
        return FileResponse(STATIC / name, headers=PAGE_HEADERS)


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RelayError)
    return JSONResponse({"error": exc.reason}, status_code=exc.status)


def build_app(store: Storage, limits: Limits, *, sweep_seconds: float = 60.0) -> Starlette:
    """The ASGI app over ``store``; expired items are swept every ``sweep_seconds``."""
    api = _Api(store, limits)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async def sweep() -> None:
            while True:
                await asyncio.sleep(sweep_seconds)
                await run_in_threadpool(store.expire, _now(), limits.ttl_seconds)

        task = asyncio.create_task(sweep())
        await run_in_threadpool(store.expire, _now(), limits.ttl_seconds)
        try:
            yield
        finally:
            task.cancel()

    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        RelayError: _refused,
    }
    return Starlette(
        routes=[
            Route("/v1/info", api.info),
            Route("/v1/m/{mailbox}", api.put_item, methods=["POST"]),
            Route("/v1/m/{mailbox}", api.list_items, methods=["GET"]),
            Route("/v1/m/{mailbox}/{seq:int}", api.get_item, methods=["GET"]),
            Route("/v1/m/{mailbox}/{seq:int}", api.delete_item, methods=["DELETE"]),
            Route("/v1/forms/{form}", api.put_form, methods=["PUT"]),
            Route("/f/{form}", api.form_page),
            Route("/f/{form}/definition", api.form_definition),
            Route("/f/{form}/submit", api.submit, methods=["POST"]),
            Route("/sms/{form}/{secret}", api.sms, methods=["POST"]),
            Route("/static/{name}", api.static),
        ],
        exception_handlers=handlers,
        lifespan=lifespan,
    )


def _checked64(value: object) -> str:
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise ValueError("not 64 hex digits")
    return value


def _seal_sms(form_id: bytes, definition: bytes, raw: bytes) -> bytes | None:
    """Seal an ``sms:received`` event to the form's key; None for other events.

    Only the sender's number, the text and the time are kept, as
    ``{"kind": "sms", "from": ..., "text": ..., "at": ...}``, sealed like a web sign-up.
    """
    from base64 import urlsafe_b64decode

    from vault.crypto.intake_seal import seal

    try:
        event = json.loads(raw)
        if not isinstance(event, dict) or event.get("event") != "sms:received":
            return None
        payload = event["payload"]
        message = {
            "kind": "sms", "from": str(payload["phoneNumber"])[:32],
            "text": str(payload["message"])[:2000], "at": str(payload.get("receivedAt", ""))[:40],
            "id": str(event.get("id", ""))[:64],
        }
        key = json.loads(definition)["public_key"]
        public = urlsafe_b64decode(key + "=" * (-len(key) % 4))
        return seal(public, form_id, json.dumps(message).encode())
    except (ValueError, KeyError, TypeError, RecursionError):  # RecursionError: a nesting bomb
        raise BadRequest from None
