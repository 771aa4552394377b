"""Transport settings for outreach, sealed in the vault.

One sealed record of type ``outreach_config`` with a field per channel (``email``, ``sms``), each
a JSON object inside the sealed value. Passwords live there too.

Rules and reasons:
- Passwords come from a file (``--password-file``), never argv (other users see argv in
  ``ps``), and are stored sealed like any contact field, never in a config file: a stolen
  laptop must not hand over the organization's mail account.
- SMTP security defaults to STARTTLS with certificate checks; ``none`` exists for a relay on
  the same machine and says so in ``kith outreach config email --help``. A self-hosted server
  with its own certificate authority is trusted by giving that CA (``--ca-file``, stored as
  PEM text): certificate checks are never switched off.
- The rate limit (messages per minute, default 30) is part of the transport settings because
  it is a property of the account: providers and phone carriers block bursts.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from vault.core.records import RecordStore
from vault.errors import IntegrityError, InvalidInput, NotFound

if TYPE_CHECKING:
    from vault import Vault

RECORD_TYPE = "outreach_config"
SECURITY = ("starttls", "tls", "none")
DEFAULT_RATE = 30
MAX_RATE = 6000


@dataclass(frozen=True)
class EmailSettings:
    """How to reach the SMTP server."""

    host: str
    port: int
    sender: str
    security: str = "starttls"
    user: str = ""
    password: str = ""
    rate: int = DEFAULT_RATE
    unsubscribe: str = ""
    ca_pem: str = ""

    def public(self) -> dict[str, Any]:
        """Settings without the password (for ``--json`` and screens)."""
        data = asdict(self)
        data["password"] = "(set)" if self.password else ""
        data["ca_pem"] = "(set)" if self.ca_pem else ""
        return data


@dataclass(frozen=True)
class SmsSettings:
    """How to reach the SMS Gateway for Android local server on the user's phone."""

    url: str
    user: str = ""
    password: str = ""
    rate: int = DEFAULT_RATE
    sim: int | None = None

    def public(self) -> dict[str, Any]:
        """Settings without the password."""
        data = asdict(self)
        data["password"] = "(set)" if self.password else ""
        return data


def check_rate(rate: int) -> int:
    """Messages per minute, 1 to 6000."""
    if not 1 <= rate <= MAX_RATE:
        raise InvalidInput("(the rate is 1 to 6000 messages per minute)")
    return rate


def email_settings(host: str, port: int, sender: str, security: str = "starttls", *,
                   user: str = "", password: str = "", rate: int = DEFAULT_RATE,
                   unsubscribe: str = "", ca_pem: str = "") -> EmailSettings:
    """Checked email settings."""
    from email.errors import HeaderParseError
    from email.headerregistry import Address

    if not host.strip() or any(c.isspace() for c in host.strip()):
        raise InvalidInput("(the SMTP host is a host name or address)")
    if not 1 <= port <= 65535:
        raise InvalidInput("(the SMTP port is 1 to 65535)")
    if security not in SECURITY:
        raise InvalidInput("(security is starttls, tls or none)")
    try:
        Address(addr_spec=sender.strip())
    except (HeaderParseError, ValueError, IndexError):
        raise InvalidInput("(--from is not an email address)") from None
    if "@" not in sender:
        raise InvalidInput("(--from is not an email address)")
    if bool(user) != bool(password):
        raise InvalidInput("(give both --user and --password-file, or neither)")
    if unsubscribe and not unsubscribe.startswith(("mailto:", "https://", "http://")):
        raise InvalidInput("(--unsubscribe is a mailto: or https:// address)")
    if any(c.isspace() for c in unsubscribe):
        raise InvalidInput("(--unsubscribe is a mailto: or https:// address)")
    if ca_pem and "-----BEGIN CERTIFICATE-----" not in ca_pem:
        raise InvalidInput("(--ca-file holds no PEM certificate)")
    return EmailSettings(host.strip(), port, sender.strip(), security, user, password,
                         check_rate(rate), unsubscribe, ca_pem)


def sms_settings(url: str, *, user: str = "", password: str = "", rate: int = DEFAULT_RATE,
                 sim: int | None = None) -> SmsSettings:
    """Checked SMS gateway settings (``url`` is the phone's local server, e.g. http://IP:8080)."""
    parsed = urllib.parse.urlsplit(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InvalidInput("(the gateway URL is http://PHONE-ADDRESS:PORT)")
    if bool(user) != bool(password):
        raise InvalidInput("(give both --user and --password-file, or neither)")
    if sim is not None and not 1 <= sim <= 3:
        raise InvalidInput("(--sim is 1, 2 or 3)")
    return SmsSettings(url.strip().rstrip("/"), user, password, check_rate(rate), sim)


class OutreachConfig:
    """Read and write the sealed transport settings."""

    def __init__(self, records: RecordStore, home_segment: bytes) -> None:
        self.records = records
        self.home_segment = home_segment

    @classmethod
    def of(cls, vault: Vault) -> OutreachConfig:
        """The transport settings of an unlocked vault (kept in its private segment)."""
        return cls(vault.records, vault.private_segment)

    def _record(self) -> tuple[bytes | None, dict[str, bytes]]:
        for record in self.records.iter_type(RECORD_TYPE):
            return record.id, dict(record.fields)
        return None, {}

    def _set(self, channel: str, data: dict[str, Any]) -> None:
        record_id, _ = self._record()
        value = json.dumps(data, ensure_ascii=False).encode()
        if record_id is None:
            self.records.create(RECORD_TYPE, {channel: value}, self.home_segment)
        else:
            self.records.update(record_id, {channel: value})

    def _get(self, channel: str) -> dict[str, Any]:
        _, fields = self._record()
        if channel not in fields:
            raise NotFound(f"(no {channel} transport: run `kith outreach config {channel}`)")
        try:
            data = json.loads(fields[channel])
        except ValueError:
            raise IntegrityError("(the outreach settings are malformed)") from None
        if not isinstance(data, dict):
            raise IntegrityError("(the outreach settings are malformed)")
        return data

    def set_email(self, settings: EmailSettings) -> None:
        """Store the email settings (replacing any)."""
        self._set("email", asdict(settings))

    def set_sms(self, settings: SmsSettings) -> None:
        """Store the SMS settings (replacing any)."""
        self._set("sms", asdict(settings))

    def email(self) -> EmailSettings:
        """The email settings, or ``NotFound`` telling how to set them."""
        try:
            return EmailSettings(**self._get("email"))
        except TypeError:
            raise IntegrityError("(the outreach settings are malformed)") from None

    def sms(self) -> SmsSettings:
        """The SMS settings, or ``NotFound`` telling how to set them."""
        try:
            return SmsSettings(**self._get("sms"))
        except TypeError:
            raise IntegrityError("(the outreach settings are malformed)") from None
