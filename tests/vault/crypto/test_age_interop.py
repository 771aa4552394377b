"""Kith's age layer against the stock ``age`` tool, both ways, and against damaged files.

Interop: whatever Kith writes, ``age -d`` opens byte for byte, and whatever ``age`` writes, Kith
opens, for X25519 recipients and for passphrases (``age -p`` reads the passphrase from a terminal,
so it is driven through a pseudo-terminal). Damage: every flipped byte and every truncation of a
Kith backup raises ``IntegrityError`` (``NoMatchingKey``, its subclass, when the damage is in the
stanza a key would open). Also here: the generated passphrases (``vault.backup.diceware``).
"""

from __future__ import annotations

import base64
import io
import math
import os
import select
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from vault.backup import diceware
from vault.crypto.age import (
    CHUNK_BYTES,
    SCRYPT_LOG_N,
    decrypt_stream_with_identities,
    decrypt_with_identities,
    decrypt_with_passphrase,
    encrypt_stream_with_passphrase,
    encrypt_to_recipients,
    encrypt_with_passphrase,
    generate_identity,
    recipient_of,
)
from vault.crypto.agefile import parse_header
from vault.errors import IntegrityError, InvalidInput, KithError, NoMatchingKey

pytestmark = pytest.mark.interop

AGE = shutil.which("age") or ""
AGE_KEYGEN = shutil.which("age-keygen") or ""
needs_age = pytest.mark.skipif(
    not AGE, reason="the stock `age` binary is not installed (apt-get install age)"
)

PLAINTEXT = os.urandom(70_000)  # two STREAM chunks: 64 KiB and a short final one


@pytest.fixture(scope="module")
def keypair() -> tuple[str, str]:
    return generate_identity()


@pytest.fixture(scope="module")
def passphrase_backup() -> tuple[str, bytes]:
    """One Kith passphrase backup for the module.

    Kith writes passphrase files at log2 N = 18 (about a second and 256 MiB per scrypt run, and
    the writer runs it twice: once to write, once to read back), which is why the passphrase
    tests share this one file and are marked slow.
    """
    passphrase = diceware.generate()
    return passphrase, encrypt_with_passphrase(PLAINTEXT, passphrase)


def forged_scrypt_file(log_n: int) -> bytes:
    """A well-formed passphrase file whose stanza and MAC are zeros: it opens with nothing."""

    def b64(raw: bytes) -> bytes:
        return base64.b64encode(raw).rstrip(b"=")

    stanza = b"-> scrypt " + b64(bytes(16)) + b" %d\n" % log_n + b64(bytes(32)) + b"\n"
    return b"age-encryption.org/v1\n" + stanza + b"--- " + b64(bytes(32)) + b"\n" + bytes(32)


def write_key(tmp_path: Path, identity: str) -> Path:
    key = tmp_path / "key.txt"
    key.write_text(f"# test key\n{identity}\n")
    key.chmod(0o600)
    return key


def run_with_tty(
    args: Sequence[str], answers: Sequence[tuple[bytes, bytes]], timeout: float = 60.0
) -> tuple[int, bytes]:
    """Run ``args`` with a pseudo-terminal as stdin, typing each reply after its prompt.

    The child gets a new session (no controlling terminal), so age cannot open the developer's
    own /dev/tty and falls back to its stdin, which is the pty. Returns (exit code, stderr).
    """
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen(
            list(args),
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    finally:
        os.close(slave)
    transcript, seen, pending = b"", 0, list(answers)
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None:
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"{args[0]} did not finish; terminal said {transcript!r}")
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    transcript += os.read(master, 4096)
                except OSError:  # EIO: the child closed the terminal
                    time.sleep(0.01)
            if pending and (at := transcript.find(pending[0][0], seen)) >= 0:
                prompt, reply = pending.pop(0)
                seen = at + len(prompt)
                os.write(master, reply + b"\n")
        _, stderr = proc.communicate(timeout=10)
    finally:
        os.close(master)
    assert not pending, f"prompts never shown: {pending!r}; terminal said {transcript!r}"
    return proc.returncode, stderr


# --- X25519 recipients, both ways ---


@needs_age
def test_kith_encrypts_age_decrypts(tmp_path: Path, keypair: tuple[str, str]) -> None:
    identity, recipient = keypair
    backup = tmp_path / "backup.age"
    backup.write_bytes(encrypt_to_recipients(PLAINTEXT, [recipient]))
    result = subprocess.run(
        [AGE, "-d", "-i", write_key(tmp_path, identity), backup],
        capture_output=True,
        check=True,
        timeout=30,
    )
    assert result.stdout == PLAINTEXT


@needs_age
def test_age_encrypts_kith_decrypts(keypair: tuple[str, str]) -> None:
    identity, recipient = keypair
    _, other = generate_identity()
    result = subprocess.run(
        [AGE, "-r", other, "-r", recipient],
        input=PLAINTEXT,
        capture_output=True,
        check=True,
        timeout=30,
    )
    assert len(parse_header(result.stdout).stanzas) == 2
    assert decrypt_with_identities(result.stdout, [identity]) == PLAINTEXT


@pytest.mark.skipif(not AGE_KEYGEN, reason="the stock `age-keygen` binary is not installed")
def test_age_keygen_keys_match_kith(tmp_path: Path, keypair: tuple[str, str]) -> None:
    identity, recipient = keypair
    derived = subprocess.run(
        [AGE_KEYGEN, "-y", write_key(tmp_path, identity)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert derived.stdout.strip() == recipient
    made = subprocess.run([AGE_KEYGEN], capture_output=True, text=True, check=True, timeout=30)
    lines = made.stdout.splitlines()
    public = next(line.split(": ")[1] for line in lines if line.startswith("# public key: "))
    secret = next(line for line in lines if line.startswith("AGE-SECRET-KEY-1"))
    assert recipient_of(secret) == public


# --- Passphrases, both ways, through a pseudo-terminal ---


@pytest.mark.slow
@needs_age
def test_kith_passphrase_backup_opens_in_age(
    tmp_path: Path, passphrase_backup: tuple[str, bytes]
) -> None:
    passphrase, data = passphrase_backup
    backup, restored = tmp_path / "backup.age", tmp_path / "restored"
    backup.write_bytes(data)
    code, stderr = run_with_tty(
        [AGE, "-d", "-o", str(restored), str(backup)],
        [(b"Enter passphrase", passphrase.encode())],
    )
    assert code == 0, stderr
    assert restored.read_bytes() == PLAINTEXT


@pytest.mark.slow
@needs_age
def test_age_passphrase_file_opens_in_kith(tmp_path: Path) -> None:
    passphrase = diceware.generate()
    source, backup = tmp_path / "plain", tmp_path / "backup.age"
    source.write_bytes(PLAINTEXT)
    code, stderr = run_with_tty(
        [AGE, "-p", "-o", str(backup), str(source)],
        [(b"Enter passphrase", passphrase.encode()), (b"Confirm passphrase", passphrase.encode())],
    )
    assert code == 0, stderr
    data = backup.read_bytes()
    assert parse_header(data).is_passphrase
    assert decrypt_with_passphrase(data, passphrase) == PLAINTEXT
    with pytest.raises(NoMatchingKey):
        decrypt_with_passphrase(data, passphrase + " extra")


@pytest.mark.slow
def test_kith_passphrase_round_trip(passphrase_backup: tuple[str, bytes]) -> None:
    passphrase, data = passphrase_backup
    header = parse_header(data)
    assert header.is_passphrase
    assert header.scrypt_log_n is not None and header.scrypt_log_n <= 20
    assert decrypt_with_passphrase(data, passphrase) == PLAINTEXT


def test_modes_do_not_cross(keypair: tuple[str, str]) -> None:
    identity, recipient = keypair
    with pytest.raises(NoMatchingKey, match="passphrase, not a key"):
        decrypt_with_identities(forged_scrypt_file(18), [identity])
    with pytest.raises(NoMatchingKey, match="keys, not to a passphrase"):
        decrypt_with_passphrase(encrypt_to_recipients(b"x", [recipient]), "any passphrase")


@pytest.mark.slow
def test_passphrase_files_use_the_fixed_work_factor(passphrase_backup: tuple[str, bytes]) -> None:
    header = parse_header(passphrase_backup[1])
    assert header.scrypt_log_n == SCRYPT_LOG_N == 18
    assert len(header.stanzas) == 1
    with pytest.raises(ValueError):
        encrypt_stream_with_passphrase(io.BytesIO(b"x"), io.BytesIO(), "pw", log_n=21)


@pytest.mark.parametrize(
    "size", [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES]
)
def test_passphrase_writer_chunk_boundaries(size: int) -> None:
    """The STREAM edge cases (empty, exactly full final chunk) read back through pyrage.

    A low work factor keeps this cheap; the production factor is pinned by the test above.
    """
    plaintext = os.urandom(size)
    out = io.BytesIO()
    encrypt_stream_with_passphrase(io.BytesIO(plaintext), out, "pw", log_n=4)
    data = out.getvalue()
    chunks = max(1, math.ceil(size / CHUNK_BYTES))
    assert len(data) == parse_header(data).header_end + 16 + size + 16 * chunks
    assert decrypt_with_passphrase(data, "pw") == plaintext


def test_stream_reader_passes_sink_errors_through(
    small_backup: bytes, keypair: tuple[str, str]
) -> None:
    class Full:
        def write(self, data: bytes) -> int:
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError) as caught:
        decrypt_stream_with_identities(io.BytesIO(small_backup), Full(), [keypair[0]])
    assert not isinstance(caught.value, KithError)
    assert caught.value.errno == 28


@pytest.mark.parametrize(
    ("message", "expected", "not_expected"),
    [
        ("No matching keys found", NoMatchingKey, None),
        ("Decryption failed", NoMatchingKey, None),
        ("Header MAC is invalid", IntegrityError, NoMatchingKey),
        ("decryption error", IntegrityError, NoMatchingKey),
        ("Excessive work parameter for passphrase.", KithError, IntegrityError),
    ],
)
def test_pyrage_errors_are_mapped(
    monkeypatch: pytest.MonkeyPatch,
    message: str,
    expected: type[KithError],
    not_expected: type[KithError] | None,
) -> None:
    import pyrage

    def fake_decrypt(data: bytes, passphrase: str) -> bytes:
        raise pyrage.DecryptError(message)

    monkeypatch.setattr("pyrage.passphrase.decrypt", fake_decrypt)
    with pytest.raises(expected) as caught:
        decrypt_with_passphrase(forged_scrypt_file(18), "seven words")
    if not_expected is not None:
        assert not isinstance(caught.value, not_expected)
    assert message not in caught.value.message


# --- Damage: flips, truncations, wrong keys ---


@pytest.fixture(scope="module")
def small_backup(keypair: tuple[str, str]) -> bytes:
    return encrypt_to_recipients(b"kith backup manifest\n" * 4, [keypair[1]])


def test_every_flipped_byte_is_refused(small_backup: bytes, keypair: tuple[str, str]) -> None:
    identity = keypair[0]
    header_end = parse_header(small_backup).header_end
    payload_sample = range(header_end, len(small_backup), 3)  # nonce, ciphertext and tag
    escaped = []
    for position in [*range(header_end), *payload_sample]:
        for mask in (0x01, 0x80):
            damaged = bytearray(small_backup)
            damaged[position] ^= mask
            try:
                decrypt_with_identities(bytes(damaged), [identity])
            except IntegrityError:
                continue
            escaped.append((position, mask))
    assert escaped == []


def test_truncated_or_extended_backup_is_refused(
    small_backup: bytes, keypair: tuple[str, str]
) -> None:
    identity = keypair[0]
    end = parse_header(small_backup).header_end
    for length in (0, 1, 21, 22, end - 2, end - 1, end, end + 1, end + 16, len(small_backup) - 1):
        with pytest.raises(IntegrityError):
            decrypt_with_identities(small_backup[:length], [identity])
    with pytest.raises(IntegrityError):
        decrypt_with_identities(small_backup + b"\x00", [identity])


def test_backup_for_another_recipient_has_no_matching_key(small_backup: bytes) -> None:
    stranger, _ = generate_identity()
    with pytest.raises(NoMatchingKey):
        decrypt_with_identities(small_backup, [stranger])


def test_any_of_several_identities_opens(small_backup: bytes, keypair: tuple[str, str]) -> None:
    stranger, _ = generate_identity()
    assert decrypt_with_identities(small_backup, [stranger, keypair[0]]).startswith(b"kith")


# --- Malformed keys are InvalidInput, and the message never repeats them ---


@pytest.mark.parametrize(
    "bad", ["age1notarecipient", "", "AGE-SECRET-KEY-1QQQ", "ssh-ed25519 AAAA", "age1pq1qqq"]
)
def test_invalid_recipient(bad: str, keypair: tuple[str, str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        encrypt_to_recipients(b"x", [keypair[1], bad])
    assert "Recipient 2" in caught.value.message
    if bad:
        assert bad not in caught.value.message


def test_invalid_identity_and_empty_lists(small_backup: bytes, keypair: tuple[str, str]) -> None:
    secret_like = keypair[0][:-3] + "QQQ"  # a real-looking key with a broken checksum
    for call in (
        lambda: decrypt_with_identities(small_backup, [secret_like]),
        lambda: recipient_of(secret_like),
    ):
        with pytest.raises(InvalidInput) as caught:
            call()
        assert secret_like not in caught.value.message
        assert "\n" not in caught.value.message
    with pytest.raises(InvalidInput):
        decrypt_with_identities(small_backup, [])
    with pytest.raises(InvalidInput):
        encrypt_to_recipients(b"x", [])
    with pytest.raises(InvalidInput):
        encrypt_with_passphrase(b"x", "")


def test_generated_identity_round_trip(keypair: tuple[str, str]) -> None:
    identity, recipient = keypair
    assert identity.startswith("AGE-SECRET-KEY-1")
    assert recipient.startswith("age1")
    assert recipient_of(identity) == recipient


# --- Generated passphrases ---


def test_wordlist_is_the_eff_large_list() -> None:
    words = diceware.wordlist()
    assert len(words) == 7776
    assert len(set(words)) == 7776
    assert (words[0], words[-1]) == ("abacus", "zoom")


def test_seven_words_carry_at_least_90_bits() -> None:
    assert diceware.entropy_bits(7) >= 90
    assert diceware.entropy_bits(7) == pytest.approx(7 * math.log2(7776))


def test_generate() -> None:
    words = set(diceware.wordlist())
    phrase = diceware.generate()
    assert len(phrase.split(" ")) == 7
    assert set(phrase.split(" ")) <= words
    assert len(diceware.generate(9).split(" ")) == 9
    assert diceware.generate() != phrase  # 2^-90
    with pytest.raises(InvalidInput):
        diceware.generate(6)
