r"""vCard 2.1, 3.0 and 4.0 in; vCard 4.0 (RFC 6350) out.

Parser choice: hand-written for the subset Kith maps, not ``vobject``. Measured on the same
100,000 generated 3.0 cards (34 MB): ``vobject`` needs about 28 s only to build its component
tree; this reader about 6 s to produce finished drafts. And an importer must be strict and
precise (say *which line* is broken), which ``vobject``'s lenient tree does not give.

Reading rules, with their reasons:
- Lines are unfolded (line break + one space or tab removed). In ``QUOTED-PRINTABLE`` a trailing
  ``=`` joins the next line (2.1 soft breaks) but never swallows ``END:VCARD``.
- No value may pass 64 KiB. Past that, ``PHOTO``/``LOGO``/``SOUND``/``KEY``, vendor noise and
  other ``X-`` values are dropped without being kept (a 3 MB photo costs time, never memory or an
  error); any other property is refused, naming its line.
- Text is decoded from ``QUOTED-PRINTABLE``/``BASE64`` and ``CHARSET=``; bytes that are not UTF-8
  and name no ``CHARSET`` are refused (never guess a code page: it corrupts every accent).
- Escapes ``\\ \, \; \n`` in 3.0 and 4.0; only ``\;`` and ``\\`` in 2.1, which has no others.
- ``FN`` -> name; ``N`` -> family and given names (middle names join the given name; prefixes and
  suffixes are dropped, ``FN`` has them); ``ORG``, ``TITLE``/``ROLE``, ``NOTE``, ``LANG``,
  ``CATEGORIES`` -> org, role, notes, languages, tags; ``ADR`` -> address (PO box and extended
  address become extra street lines).
- Labels: Apple's ``itemN.X-ABLabel`` wins over ``TYPE=``; TYPE words meaningless to a person
  (``pref``, ``internet``, ``voice``...) are dropped and the rest joined (``home fax``).
- ``BDAY``, ``URL``, ``NICKNAME``, ``IMPP``, ``RELATED``... and ``X-`` properties that are not
  vendor noise become custom fields (``url``, ``twitter``), the label in brackets if any.
- ``KIND:group`` and ``X-ADDRESSBOOKSERVER-KIND:group`` give ``is_group=True``.
- A card without ``VERSION`` or ``END:VCARD``, a stray line, or a line that is not
  ``name[;params]:value`` is refused with its line number; no value is ever quoted.

Writing rules: vCard 4.0, CRLF, lines folded at 75 octets never inside a UTF-8 sequence, text
escaped. A label that is a TYPE word is written ``TYPE=``, any other as ``itemN.X-ABLabel`` so it
comes back exactly. Custom fields are ``X-KITH-FIELD:key=value`` (keys never hold ``=``). With
no ``name``, ``FN`` (required) carries the display name and ``X-KITH-DERIVED=TRUE``, so reading
it back restores the empty name. CR becomes LF; other control characters are dropped.
"""

from __future__ import annotations

import base64
import binascii
import io
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from vault.domain.model import Address, ContactDraft, Email, Phone
from vault.errors import InvalidInput
from vault.interchange.import_record import (
    CONTROL_CHARS,
    MAX_VALUE_CHARS,
    FieldBag,
    ImportRecord,
    join_unique,
    normalize_label,
    split_escaped,
    without_controls,
)

_NAME = re.compile(r"(?:([A-Za-z0-9-]+)\.)?([A-Za-z0-9-]+)")
_SKIPPED = frozenset({"PHOTO", "LOGO", "SOUND", "KEY"})
_NOISE = ("X-AB", "X-ADDRESSBOOKSERVER-", "X-MS-", "X-EVOLUTION-", "X-MOZILLA-", "X-WAB-",
          "X-PHONETIC-", "X-APPLE-", "X-ANDROID-", "X-IMAGE", "X-SHOW-AS", "X-IRMC-")  # fmt: skip
_HANDLED_X = frozenset({"X-ABLABEL", "X-ABRELATEDNAMES", "X-ADDRESSBOOKSERVER-KIND"})
_NOISE_TYPES = frozenset({"pref", "internet", "x400", "voice", "dom", "intl", "postal", "parcel",
                          "msg", "bbs", "modem", "uri", "x-internet"})  # fmt: skip
_ENCODINGS = frozenset({"QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT"})
_FIELD_NAMES = {"BDAY": "birthday", "ANNIVERSARY": "anniversary", "URL": "url",
                "NICKNAME": "nickname", "IMPP": "impp", "GENDER": "gender", "RELATED": "related",
                "X-ABRELATEDNAMES": "related", "X-SOCIALPROFILE": "social"}  # fmt: skip
_APPLE_LABEL = re.compile(r"_\$!<(.*)>!\$_")
_SURROGATE = re.compile("[\udc80-\udcff]")
_ESCAPE = re.compile(r"\\(.)", re.S)
_UNESCAPE = {"n": "\n", "N": "\n", "\\": "\\", ",": ",", ";": ";", ":": ":"}
_UNESCAPE_21 = {"\\": "\\", ";": ";"}
_TYPES = {"EMAIL": frozenset({"home", "work"}), "ADR": frozenset({"home", "work"}),
          "TEL": frozenset({"home", "work", "cell", "fax", "pager", "text", "video",
                            "textphone"})}  # fmt: skip


_NO_PARAMS: dict[str, list[str]] = {}  # shared by every property without parameters; read-only


class _Prop(NamedTuple):
    line: int
    group: str
    name: str
    params: dict[str, list[str]]
    value: str


# --- reading: lines -------------------------------------------------------------------------


def _dropped(name: str) -> bool:
    return name in _SKIPPED or (name.startswith(_NOISE) and name not in _HANDLED_X)


def _oversized(first: str, line: int) -> bool:
    """True (stop keeping it) for a binary or optional ``X-`` value; otherwise refuse the file."""
    found = _NAME.match(first)
    name = found[2].upper()[:64] if found else ""
    if _dropped(name) or (name.startswith("X-") and name != "X-KITH-FIELD"):
        return True
    raise InvalidInput(f"(the {name or 'property'} value at line {line} is longer than 64 KiB)")


def _continuation(line: str, last: str, qp: bool, b64: bool) -> str | None:
    """What ``line`` adds to the property above it, or None when it starts a new one."""
    if qp and last.endswith("=") and line.strip().upper() != "END:VCARD":
        return "\n" + line  # a QP soft line break: binascii.a2b_qp removes "=\n"
    if line[:1] in (" ", "\t") and line:
        return line[1:]
    if b64 and line and ":" not in line and ";" not in line:
        return line  # unindented BASE64 (seen in 2.1 PHOTOs)
    return None


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Unfolded property lines with the number of their first line.

    Reason for the shape: this loop runs once per physical line (1.2 million for 100,000
    cards), so a property's name is only looked at when its value grows past 64 KiB.
    """
    parts: list[str] = []
    start = size = 0
    last = ""
    drop = qp = b64 = False
    for number, raw in enumerate(io.StringIO(text, newline=None), 1):
        line = raw[:-1] if raw[-1:] == "\n" else raw
        if parts:
            first = line[:1]
            if (first and first in " \t") or qp or b64:
                piece = _continuation(line, last, qp, b64)
                if piece is not None:
                    last = line
                    if not drop:
                        size += len(piece)
                        drop = size > MAX_VALUE_CHARS and _oversized(parts[0], start)
                        parts.append(piece)
                    continue
            if not drop:
                yield start, parts[0] if len(parts) == 1 else "".join(parts)
            parts = []
        if not line or line.isspace():
            continue
        start, parts, size, last = number, [line], len(line), line
        drop = size > MAX_VALUE_CHARS and _oversized(line, start)
        colon = line.find(":")
        qp = b64 = False
        if line.find(";", 0, colon) >= 0:
            head = line[:colon].upper()
            qp, b64 = "QUOTED-PRINTABLE" in head, "BASE64" in head or "ENCODING=B" in head
    if parts and not drop:
        yield start, parts[0] if len(parts) == 1 else "".join(parts)


def _cards(text: str) -> Iterator[tuple[int, list[tuple[int, str]]]]:
    """Each card's first line and its property lines; refuses anything outside BEGIN/END."""
    start = 0
    body: list[tuple[int, str]] = []
    for number, line in _logical_lines(text):
        key = line.strip().upper() if len(line) < 24 else ""
        if key == "BEGIN:VCARD":
            if start:
                raise InvalidInput(
                    f"(the vCard at line {start} has no END:VCARD before line {number})"
                )
            start, body = number, []
        elif key == "END:VCARD":
            if not start:
                raise InvalidInput(f"(END:VCARD at line {number} has no BEGIN:VCARD)")
            yield start, body
            start = 0
        elif not start:
            raise InvalidInput(f"(line {number} is outside any vCard; expected BEGIN:VCARD)")
        else:
            body.append((number, line))
    if start:
        raise InvalidInput(f"(the vCard at line {start} never ends: END:VCARD is missing)")


def _split_quoted(line: str, number: int) -> tuple[list[str], str]:
    pieces: list[str] = []
    begin, quoted = 0, False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in ";:":
            pieces.append(line[begin:i])
            begin = i + 1
            if ch == ":":
                return pieces, line[i + 1 :]
    raise InvalidInput(f"(line {number} is not a vCard property: no ':')")


def _param_value(value: str, v4: bool) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if v4 and "^" in value:  # RFC 6868
        value = re.sub(r"\^(.)", lambda m: {"n": "\n", "'": '"'}.get(m[1], m[1]), value)
    return value


def _parse(number: int, line: str, v4: bool) -> _Prop:
    """``group.NAME;param=value:value`` split into its parts (value still encoded)."""
    colon = line.find(":")
    if colon < 0:
        raise InvalidInput(f"(line {number} is not a vCard property: no ':')")
    if '"' in line[:colon]:
        pieces, value = _split_quoted(line, number)
    else:
        pieces, value = line[:colon].split(";"), line[colon + 1 :]
    found = _NAME.fullmatch(pieces[0].strip())
    if not found:
        raise InvalidInput(f"(line {number} is not a vCard property: bad property name)")
    if len(pieces) == 1:
        return _Prop(number, (found[1] or "").lower(), found[2].upper(), _NO_PARAMS, value)
    params: dict[str, list[str]] = {}
    for piece in pieces[1:]:
        key, eq, val = piece.partition("=")
        key = key.strip().upper()
        if not eq:  # vCard 2.1 bare parameter: TEL;HOME;VOICE or ;QUOTED-PRINTABLE
            key, val = ("ENCODING" if key in _ENCODINGS else "TYPE"), key
        val = _param_value(val, v4)
        params.setdefault(key, []).extend(val.split(",") if key == "TYPE" else [val])
    return _Prop(number, (found[1] or "").lower(), found[2].upper(), params, value)


# --- reading: values ------------------------------------------------------------------------


def _decode(raw: bytes, charset: str, p: _Prop) -> str:
    try:
        return raw.decode(charset or "utf-8")
    except LookupError:
        raise InvalidInput(f"(unknown CHARSET for {p.name} at line {p.line})") from None
    except UnicodeDecodeError:
        hint = "its CHARSET" if charset else "UTF-8; re-save the file as UTF-8"
        raise InvalidInput(f"(the {p.name} value at line {p.line} is not {hint})") from None


def _raw_text(p: _Prop, lenient: bool) -> str:
    """The value decoded from its transfer encoding and charset, still backslash-escaped."""
    if not lenient and "ENCODING" not in p.params:
        return p.value
    encoding = (p.params.get("ENCODING") or [""])[0].upper()
    charset = (p.params.get("CHARSET") or [""])[0]
    if encoding in ("QUOTED-PRINTABLE", "QP"):
        raw = binascii.a2b_qp(p.value.encode("utf-8", "surrogateescape"))
    elif encoding in ("B", "BASE64"):
        try:
            raw = base64.b64decode("".join(p.value.split()), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput(f"(bad BASE64 in {p.name} at line {p.line})") from None
    elif lenient and _SURROGATE.search(p.value):
        raw = p.value.encode("utf-8", "surrogateescape")
    else:
        return p.value
    return _decode(raw, charset, p).replace("\r\n", "\n").replace("\r", "\n")


def _unescape(text: str, v21: bool) -> str:
    if "\\" not in text:
        return text
    table = _UNESCAPE_21 if v21 else _UNESCAPE
    return _ESCAPE.sub(lambda m: table.get(m[1], m[0]), text)


class _Card:
    """Collects one card's properties into a draft."""

    def __init__(self, version: str, labels: dict[str, str], lenient: bool) -> None:
        self.v21, self.labels, self.lenient = version == "2.1", labels, lenient
        self.names: list[str] = []
        self.derived = self.group = False
        self.given = self.family = ""
        self.emails: list[Email] = []
        self.phones: list[Phone] = []
        self.addresses: list[Address] = []
        self.orgs: list[str] = []
        self.roles: list[str] = []
        self.notes: list[str] = []
        self.languages: list[str] = []
        self.tags: list[str] = []
        self.fields = FieldBag()

    def text(self, p: _Prop) -> str:
        return _unescape(_raw_text(p, self.lenient), self.v21)

    def parts(self, p: _Prop, size: int) -> list[str]:
        found = [_unescape(x, self.v21) for x in split_escaped(_raw_text(p, self.lenient), ";")]
        return (found + [""] * size)[:size]

    def label(self, p: _Prop) -> str:
        if p.group and p.group in self.labels:
            return self.labels[p.group]
        if "TYPE" not in p.params:
            return ""
        types = (t.strip().lower() for t in p.params.get("TYPE", ()))
        return " ".join(dict.fromkeys(t for t in types if t and t not in _NOISE_TYPES))

    def fn(self, p: _Prop) -> None:
        self.names.append(self.text(p))
        self.derived = self.derived or (len(self.names) == 1 and "X-KITH-DERIVED" in p.params)

    def n(self, p: _Prop) -> None:
        family, given, middle = self.parts(p, 3)
        self.family, self.given = family, " ".join(x for x in (given, middle) if x)

    def email(self, p: _Prop) -> None:
        self.emails.append(Email(self.text(p), self.label(p)))

    def tel(self, p: _Prop) -> None:
        value, kind = self.text(p), (p.params.get("VALUE") or [""])[0].lower()
        if kind != "text" and value[:4].lower() == "tel:":
            value = value[4:]
        self.phones.append(Phone(value, self.label(p)))

    def adr(self, p: _Prop) -> None:
        box, extended, street, locality, region, code, country = self.parts(p, 7)
        street = "\n".join(x for x in (street, extended, box) if x)
        self.addresses.append(Address(street, locality, region, code, country, self.label(p)))

    def org(self, p: _Prop) -> None:
        self.orgs.append(", ".join(x for x in self.parts(p, 99) if x))

    def kind(self, p: _Prop) -> None:
        self.group = self.group or self.text(p).strip().lower() == "group"

    def categories(self, p: _Prop) -> None:
        raw = _raw_text(p, self.lenient)
        seps = ",;" if self.v21 else ","
        found = (_unescape(t, self.v21).strip() for t in split_escaped(raw, seps))
        self.tags += [t for t in found if t]

    def kith_field(self, p: _Prop) -> None:
        key, eq, value = _raw_text(p, self.lenient).partition("=")
        if not eq:
            raise InvalidInput(f"(X-KITH-FIELD at line {p.line} has no '=')")
        self.fields.add(_unescape(key, self.v21), _unescape(value, self.v21))

    def other(self, p: _Prop) -> None:
        """Known extras and ``X-`` properties become custom fields; anything else is ignored."""
        base = _FIELD_NAMES.get(p.name) or (p.name[2:].lower() if p.name[:2] == "X-" else "")
        encoding = (p.params.get("ENCODING") or [""])[0].upper()
        if not base or encoding in ("B", "BASE64") or _dropped(p.name):
            return
        value, label = self.text(p).strip(), self.label(p)
        if value:
            self.fields.add(f"{base} ({label})" if label else base, value)

    def draft(self) -> ContactDraft:
        return ContactDraft(
            name="" if self.derived else (self.names[0] if self.names else ""),
            given_name=self.given,
            family_name=self.family,
            emails=tuple(self.emails),
            phones=tuple(self.phones),
            addresses=tuple(self.addresses),
            org=join_unique(self.orgs, "; "),
            role=join_unique(self.roles, ", "),
            languages=tuple(self.languages),
            notes="\n".join(x for x in self.notes if x),
            tags=tuple(self.tags),
            fields=self.fields.items(),
        )


def _append(attr: str) -> Callable[[_Card, _Prop], None]:
    def handler(card: _Card, p: _Prop) -> None:
        value = card.text(p)
        if value:
            getattr(card, attr).append(value)

    return handler


_HANDLERS: dict[str, Callable[[_Card, _Prop], None]] = {
    "FN": _Card.fn, "N": _Card.n, "EMAIL": _Card.email, "TEL": _Card.tel, "ADR": _Card.adr,
    "ORG": _Card.org, "TITLE": _append("roles"), "ROLE": _append("roles"),
    "NOTE": _append("notes"), "LANG": _append("languages"), "CATEGORIES": _Card.categories,
    "KIND": _Card.kind, "X-ADDRESSBOOKSERVER-KIND": _Card.kind, "X-KITH-FIELD": _Card.kith_field,
    "VERSION": lambda card, p: None, "X-ABLABEL": lambda card, p: None,
}  # fmt: skip


def _record(start: int, body: list[tuple[int, str]], lenient: bool) -> ImportRecord:
    version = next((v.split(":", 1)[1].strip() for _, v in body if v[:8].upper() == "VERSION:"), "")
    if not version:
        raise InvalidInput(f"(the vCard at line {start} has no VERSION)")
    if version not in ("2.1", "3.0", "4.0"):
        raise InvalidInput(f"(the vCard at line {start} has an unsupported VERSION; "
                           "Kith reads 2.1, 3.0 and 4.0)")  # fmt: skip
    props = [_parse(number, line, version == "4.0") for number, line in body]
    labels: dict[str, str] = {}
    card = _Card(version, labels, lenient)
    for p in props:
        if p.name == "X-ABLABEL" and p.group:
            text = card.text(p)
            apple = _APPLE_LABEL.fullmatch(text)
            labels[p.group] = normalize_label(apple[1]) if apple else text
    for p in props:
        _HANDLERS.get(p.name, _Card.other)(card, p)
    return ImportRecord(start, card.draft(), card.group)


def read_vcards(text: str, *, lenient: bool = False) -> Iterator[ImportRecord]:
    """Records from vCard text, one card at a time. ``lenient``: text holds raw bytes."""
    for start, body in _cards(text):
        yield _record(start, body, lenient)


# --- writing --------------------------------------------------------------------------------


def _esc(text: str) -> str:
    return (text.replace("\\", "\\\\").replace("\r\n", "\n").replace("\r", "\n")
            .replace("\n", "\\n").replace(",", "\\,").replace(";", "\\;"))  # fmt: skip


def _fold(line: str) -> str:
    """The line folded at 75 octets (RFC 6350 3.2), never inside a UTF-8 sequence, with CRLF."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return line + "\r\n"
    pieces, start, limit = [], 0, 75
    while start < len(raw):
        end = min(start + limit, len(raw))
        while end < len(raw) and raw[end] & 0xC0 == 0x80:
            end -= 1
        pieces.append(raw[start:end].decode("utf-8"))
        start, limit = end, 74
    return "\r\n ".join(pieces) + "\r\n"


def _card_lines(d: ContactDraft) -> list[str]:
    shown = d.name or d.display_name()
    lines = ["BEGIN:VCARD", "VERSION:4.0"]
    lines.append(("FN:" if d.name or not shown else "FN;X-KITH-DERIVED=TRUE:") + _esc(shown))
    if d.given_name or d.family_name:
        lines.append(f"N:{_esc(d.family_name)};{_esc(d.given_name)};;;")
    groups = itertools.count(1)

    def labelled(prop: str, params: str, value: str, label: str) -> None:
        if not label:
            lines.append(f"{prop}{params}:{value}")
        elif label in _TYPES[prop]:
            lines.append(f"{prop};TYPE={label}{params}:{value}")
        else:
            group = f"item{next(groups)}"
            lines.extend((f"{group}.{prop}{params}:{value}", f"{group}.X-ABLabel:{_esc(label)}"))

    for e in d.emails:
        labelled("EMAIL", "", _esc(e.value), e.label)
    for p in d.phones:
        labelled("TEL", ";VALUE=text" if p.value[:4].lower() == "tel:" else "", _esc(p.value),
                 p.label)  # fmt: skip
    for a in d.addresses:
        parts = (a.street, a.locality, a.region, a.postal_code, a.country)
        labelled("ADR", "", ";;" + ";".join(_esc(x) for x in parts), a.label)
    lines += [f"ORG:{_esc(d.org)}"] if d.org else []
    lines += [f"TITLE:{_esc(d.role)}"] if d.role else []
    lines += [f"LANG:{_esc(x)}" for x in d.languages]
    lines += [f"NOTE:{_esc(d.notes)}"] if d.notes else []
    lines += [f"CATEGORIES:{','.join(_esc(t) for t in d.tags)}"] if d.tags else []
    lines += [f"X-KITH-FIELD:{_esc(k)}={_esc(v)}" for k, v in d.fields]
    lines.append("END:VCARD")
    return lines


def write_vcard(contacts: Iterable[ContactDraft]) -> Iterator[str]:
    """vCard 4.0 text, one complete card (CRLF lines) per contact, lazily."""
    for draft in contacts:
        lines = _card_lines(draft)
        if CONTROL_CHARS.search("".join(lines)):
            lines = _card_lines(without_controls(draft))
        yield "".join(_fold(line) for line in lines)


__all__ = ["read_vcards", "write_vcard"]
