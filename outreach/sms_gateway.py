"""SMS through the user's own phone: the SMS Gateway for Android local-server API.

The app (https://docs.sms-gate.app, "Local Server" mode) runs an HTTP server on the phone on the
local network, with HTTP basic auth:

    POST /message      {"id": ID, "textMessage": {"text": TEXT}, "phoneNumbers": [E164],
                        "simNumber": N?, "withDeliveryReport": true}
                       -> 202 {"id": ID, "state": "Pending", "recipients": [...]}
    GET  /message/ID   -> 200 {"id": ID, "state": "Pending|Processed|Sent|Delivered|Failed"}
                          404 when the phone never got that message
    webhooks           the phone POSTs {"event": "sms:received", "payload": {"message": TEXT,
                       "phoneNumber": E164, "receivedAt": ...}} to a URL you register

Rules and reasons:
- The phone, not a company, sends: no third party sees who was texted what. Messages still
  cross the carrier in the clear (docs/outreach.md says so).
- We choose the message id (``kith-`` + 128 random bits) and record it with the ``sending``
  state before the POST. After an interruption, ``GET /message/ID`` tells whether the phone
  has it (then it is ``sent``) or not (404: safe to send again), so SMS resumes exactly once
  where SMTP can only say "uncertain".
- urllib only (no extra dependency); every request has a timeout; a 4xx reply to one message
  is that recipient's failure, anything else (5xx, refused connection) stops the run.
- Phone numbers are sent only as E.164 text in the JSON body, never in URLs or logs.
"""

from __future__ import annotations

import base64
import json
import secrets
import socket
import urllib.error
import urllib.request
from typing import Any

from outreach.compose import Rendered
from outreach.config import SmsSettings
from outreach.email_out import Deferred, Refused, TransportDown, Unreachable

TIMEOUT = 20.0
MAX_REPLY = 1 << 20
SENT_STATES = frozenset({"pending", "processed", "sent", "delivered"})


class SmsGateway:
    """A client of one phone's local server."""

    channel = "sms"

    def __init__(self, settings: SmsSettings, timeout: float = TIMEOUT) -> None:
        self.settings = settings
        self.timeout = timeout

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None
                 ) -> tuple[int, dict[str, Any]]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - the URL scheme is checked in config
            self.settings.url + path, data=data, method=method,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        if self.settings.user:
            token = base64.b64encode(
                f"{self.settings.user}:{self.settings.password}".encode()
            ).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status, raw = int(response.status), response.read(MAX_REPLY)
        except urllib.error.HTTPError as error:
            status, raw = int(error.code), b""
        except urllib.error.URLError as error:
            if isinstance(error.reason, ConnectionRefusedError | socket.gaierror):
                raise Unreachable(type(error.reason).__name__) from None
            raise TransportDown(type(error).__name__) from None
        except OSError as error:
            raise TransportDown(type(error).__name__) from None
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {}
        return status, parsed if isinstance(parsed, dict) else {}

    def new_id(self) -> str:
        """The id of the next message (ours, so an interrupted send can be checked)."""
        return "kith-" + secrets.token_hex(16)

    def send(self, rendered: Rendered, address: str, message_id: str) -> str:
        """POST one message to one number; returns the gateway's id for it."""
        body: dict[str, Any] = {
            "id": message_id,
            "textMessage": {"text": rendered.text},
            "phoneNumbers": [address],
            "withDeliveryReport": True,
        }
        if self.settings.sim is not None:
            body["simNumber"] = self.settings.sim
        status, reply = self._request("POST", "/message", body)
        if status in (200, 201, 202):
            return str(reply.get("id") or message_id)
        if status in (401, 403):
            raise Unreachable(f"HTTP {status}")
        if status == 429:
            raise Deferred("429")
        if 400 <= status < 500:
            raise Refused(str(status))
        raise TransportDown(f"HTTP {status}")

    def state(self, message_id: str) -> str | None:
        """The gateway's state of a message (lowercase), or None if it does not know it."""
        status, reply = self._request("GET", f"/message/{message_id}")
        if status == 404:
            return None
        if status != 200:
            raise TransportDown(f"HTTP {status}")
        return str(reply.get("state", "")).lower()

    def reconcile(self, message_id: str) -> bool | None:
        """Whether an interrupted message reached the phone: True, False (404), None unknown."""
        state = self.state(message_id)
        if state is None:
            return False
        return True if state in SENT_STATES else None

    def close(self) -> None:
        """Nothing to close (one request per call)."""
