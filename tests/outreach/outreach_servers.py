"""Loopback servers for outreach tests: a real SMTP server (aiosmtpd) and an SMS Gateway for
Android local-server stand-in implementing the documented endpoints (POST /message,
GET /message/{id}, basic auth)."""

from __future__ import annotations

import base64
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Collector:
    """aiosmtpd handler keeping every DATA; ``refuse`` addresses get 550 at RCPT."""

    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    logins: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                          bytes(envelope.content)))
        return "250 Message accepted"

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def to(self) -> list[str]:
        with self.lock:
            return [r for item in self.received for r in item.rcpt_tos]


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it: (ca, cert, key)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kith test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                       False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = (folder / "ca.pem", folder / "cert.pem", folder / "key.pem")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


@contextmanager
def smtp_server(tls: str = "none", cert: Path | None = None, key: Path | None = None
                ) -> Iterator[Collector]:
    """A real SMTP server; ``tls`` is none, starttls (required) or tls (implicit)."""
    collector = Collector()
    collector.port = free_port()

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            collector.logins.append((auth_data.login.decode(), auth_data.password.decode()))
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    extra: dict[str, Any] = {}
    if tls != "none":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(cert), str(key))
        extra = ({"tls_context": context, "require_starttls": True} if tls == "starttls"
                 else {"ssl_context": context})
    controller = Controller(collector, hostname="127.0.0.1", port=collector.port,
                            authenticator=authenticator, auth_require_tls=False, **extra)
    controller.start()
    try:
        yield collector
    finally:
        controller.stop()


@dataclass
class Gateway:
    """State of the fake phone: messages by id, and the credentials it expects."""

    user: str = "sms"
    password: str = "phone-pass"
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, status: int, body: dict[str, Any] | None = None) -> None:
            raw = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _authorized(self) -> bool:
            token = base64.b64encode(f"{gateway.user}:{gateway.password}".encode()).decode()
            return self.headers.get("Authorization") == f"Basic {token}"

        def do_POST(self) -> None:
            if not self._authorized():
                self._reply(401, {"message": "unauthorized"})
                return
            if self.path != "/message":
                self._reply(404, {"message": "not found"})
                return
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with gateway.lock:
                gateway.requests.append(("POST", self.path, body))
                text = body.get("textMessage", {}).get("text") or body.get("message")
                if not text or not body.get("phoneNumbers"):
                    self._reply(400, {"message": "bad request"})
                    return
                ident = body.get("id") or f"gw{len(gateway.messages)}"
                record = {"id": ident, "state": "Pending", "text": text,
                          "recipients": [{"phoneNumber": p, "state": "Pending"}
                                         for p in body["phoneNumbers"]]}
                gateway.messages[ident] = record
            self._reply(202, {k: v for k, v in record.items() if k != "text"})

        def do_GET(self) -> None:
            if not self._authorized():
                self._reply(401, {"message": "unauthorized"})
                return
            ident = self.path.removeprefix("/message/")
            with gateway.lock:
                record = gateway.messages.get(ident)
            if not self.path.startswith("/message/") or record is None:
                self._reply(404, {"message": "not found"})
                return
            self._reply(200, {k: v for k, v in record.items() if k != "text"})

    return Handler


@contextmanager
def sms_gateway() -> Iterator[Gateway]:
    gateway = Gateway()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(gateway))
    gateway.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()
