"""Generated passphrases for backups: words drawn from the EFF large diceware list.

Rule: a backup passphrase is at least 7 words, each drawn with ``secrets.choice`` from the 7,776
words of the EFF large wordlist, joined by single spaces. Reason: 7 x log2(7776) = 90.5 bits, out
of reach of an offline guesser even against age's scrypt at its lowest work factor, and words are
easy to read aloud, write on paper and type on a phone. The list is published and fixed, so the
entropy claim does not depend on Kith: anyone can check it.

The list ships inside the package (``vault/backup/data/eff_large_wordlist.txt``, the file exactly as
the EFF publishes it, one ``dice-roll<TAB>word`` a line), pinned by its SHA-256 and checked on
first use, so generating a passphrase needs no network. Four words contain a hyphen
(``drop-down``, ``felt-tip``, ``t-shirt``, ``yo-yo``), which is why the separator is a space.
"""

# The word list is "EFF's Long Wordlist" by the Electronic Frontier Foundation,
# https://www.eff.org/dice, licensed under CC BY 3.0 US
# (https://creativecommons.org/licenses/by/3.0/us/). Kith ships it unmodified.

from __future__ import annotations

import functools
import hashlib
import math
import secrets
from importlib import resources

from vault.errors import IntegrityError, InvalidInput

WORDLIST_RESOURCE = "data/eff_large_wordlist.txt"
WORDLIST_SHA256 = "addd35536511597a02fa0a9ff1e5284677b8883b83e986e43f15a3db996b903e"
WORDLIST_SIZE = 7776  # 6**5: five dice per word
MIN_WORDS = 7
SEPARATOR = " "


@functools.cache
def wordlist() -> tuple[str, ...]:
    """The 7,776 EFF words in dice order; raises ``IntegrityError`` if the bundled file changed."""
    raw = resources.files("vault.backup").joinpath(WORDLIST_RESOURCE).read_bytes()
    if hashlib.sha256(raw).hexdigest() != WORDLIST_SHA256:
        raise IntegrityError("The bundled EFF word list is not the published one.")
    words = tuple(line.split("\t")[1] for line in raw.decode("ascii").splitlines())
    if len(words) != WORDLIST_SIZE or len(set(words)) != WORDLIST_SIZE:  # pragma: no cover
        raise IntegrityError("The bundled EFF word list is not the published one.")
    return words


def entropy_bits(words: int) -> float:
    """Bits of entropy of a passphrase of ``words`` words drawn uniformly from the list."""
    return words * math.log2(len(wordlist()))


def generate(words: int = MIN_WORDS) -> str:
    """A new passphrase of ``words`` (at least 7) random EFF words, separated by spaces."""
    if words < MIN_WORDS:
        raise InvalidInput(f"A backup passphrase needs at least {MIN_WORDS} words.")
    pool = wordlist()
    return SEPARATOR.join(secrets.choice(pool) for _ in range(words))
