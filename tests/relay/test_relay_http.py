"""The relay process over HTTP on loopback: bounds, tokens, rate limits, no addresses logged.

One ``kith relay serve`` process per engine (SQLite, PostgreSQL) serves the module; each test
uses its own mailboxes, so none depends on another's writes or on their order.
"""

from __future__ import annotations

import socket

import httpx

from tests.relay.conftest import RelayProcess

BOX, BOX2, BOX3, BOX4 = "0f" * 16, "1f" * 16, "2f" * 16, "3f" * 16
TOKEN = "ab" * 32
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_items_round_trip_and_wrong_tokens_are_refused(shared_relay: RelayProcess) -> None:
    relay = shared_relay
    with httpx.Client(base_url=relay.url) as http:
        info = http.get("/v1/info").json()
        assert info["relay"] == "kith" and info["ttl"] == 14 * 86400
        put = http.post(f"/v1/m/{BOX}", content=b"sealed-1", headers=AUTH)
        assert put.status_code == 201
        seq = put.json()["seq"]
        assert http.get(f"/v1/m/{BOX}", headers=AUTH).json()["items"][0][:2] == [seq, 8]
        assert http.get(f"/v1/m/{BOX}/{seq}", headers=AUTH).content == b"sealed-1"
        other = {"Authorization": "Bearer " + "cd" * 32}
        assert http.post(f"/v1/m/{BOX}", content=b"x", headers=other).status_code == 403
        assert http.get(f"/v1/m/{BOX}", headers=other).status_code == 403
        assert http.get(f"/v1/m/{BOX}/{seq}", headers=other).status_code == 403
        assert http.delete(f"/v1/m/{BOX}/{seq}", headers=other).status_code == 403
        assert http.get(f"/v1/m/{BOX}").status_code == 403  # no token at all
        assert http.post(f"/v1/m/{BOX}", content=b"x",
                         headers={"Authorization": "Bearer short"}).status_code == 403
        for bad in ("XYZ", "0f" * 15, "0F" * 16, "0f" * 17):
            assert http.post(f"/v1/m/{bad}", content=b"x", headers=AUTH).status_code == 400
        assert http.get(f"/v1/m/{BOX}?after=-1", headers=AUTH).status_code == 400
        assert http.get(f"/v1/m/{BOX}/{10**19}", headers=AUTH).status_code == 400
        form = f"/v1/forms/{'5e' * 16}"
        assert http.put(form, content=b"[" * 30_000, headers=AUTH).status_code == 400
        assert http.put(form, content=b'{"mailbox": "zz"}', headers=AUTH).status_code == 400
        assert http.get(f"/f/{'5e' * 16}").status_code == 404
        assert http.delete(f"/v1/m/{BOX}/{seq}", headers=AUTH).status_code == 204
        assert http.get(f"/v1/m/{BOX}/{seq}", headers=AUTH).status_code == 404


def test_bodies_are_bounded_before_and_while_reading(shared_relay: RelayProcess) -> None:
    relay, BOX = shared_relay, BOX2
    with httpx.Client(base_url=relay.url) as http:
        big = b"\0" * ((1 << 20) + 1)
        assert http.post(f"/v1/m/{BOX}", content=big, headers=AUTH).status_code == 413

        def chunks():  # no Content-Length: the relay counts as it streams
            for _ in range(20):
                yield b"\0" * 65536

        assert http.post(f"/v1/m/{BOX}", content=chunks(), headers=AUTH).status_code == 413
        # a declared length far over the limit is refused before any body is sent
        with socket.create_connection(("127.0.0.1", relay.port), timeout=30) as sock:
            sock.sendall(f"POST /v1/m/{BOX} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                         f"{TOKEN}\r\nContent-Length: 99999999999\r\n\r\n".encode())
            assert sock.recv(64).startswith(b"HTTP/1.1 413")
        assert http.get(f"/v1/m/{BOX}", headers=AUTH).json()["items"] == []  # nothing stored
        assert http.post(f"/v1/m/{BOX}", content=b"\0" * (1 << 20), headers=AUTH
                         ).status_code == 201


def test_writes_are_rate_limited_per_mailbox(shared_relay: RelayProcess) -> None:
    relay, BOX = shared_relay, BOX3
    with httpx.Client(base_url=relay.url) as http:
        codes = [http.post(f"/v1/m/{BOX}", content=b"x", headers=AUTH).status_code
                 for _ in range(8)]
        assert codes[:5] == [201] * 5 and codes[5:] == [429] * 3
        # another mailbox has its own budget
        assert http.post(f"/v1/m/{'1e' * 16}", content=b"x", headers=AUTH).status_code == 201


def test_the_relay_logs_no_address_and_no_request(shared_relay: RelayProcess) -> None:
    relay, BOX = shared_relay, BOX4
    with httpx.Client(base_url=relay.url) as http:
        http.post(f"/v1/m/{BOX}", content=b"x", headers=AUTH)
        http.get(f"/v1/m/{BOX}", headers=AUTH)
        http.get("/no/such/path")
    with socket.create_connection(("127.0.0.1", relay.port), timeout=30) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")  # a malformed request: uvicorn warns
        sock.recv(1024)
    logged = relay.logged()
    assert b"127.0.0.1" not in logged
    assert BOX.encode() not in logged and TOKEN.encode() not in logged
