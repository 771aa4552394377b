"""Kith's encrypted vault. Its one public face is ``Vault``; everything else is a layer below it
or an operation on it.

    vault/           errors, ids, encoding      the ground every layer stands on
      crypto/        aead, kdf, keys, blind, stream, age, agefile: the only users of nacl,
                     cryptography, argon2 and pyrage
      core/          header, keyring, store (the only user of sqlcipher3), schema, records,
                     record links and queries, device identity
      domain/        model, validation, contacts, segments, relationships, targets,
                     interactions, events, preferences, saved searches, filters, search,
                     activity index, retention, stats, sync state
      api.py         Vault: unlock, the repositories, lock, burn
      interchange/   import, export, merge, duplicates, blind index, vCard/CSV/JSON
      backup/        create, manifest, restore, diceware

Each layer imports only the layers listed above it here (import-linter enforces it). Upper
packages (``sync``, ``outreach``, ``tui``) use the names in ``__all__``: ``from vault import
Vault``. They are loaded on first use, so ``import vault.errors`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vault.api import (
        APP_VERSION,
        BURN_LIMITS,
        DEFAULT_REGION,
        Vault,
        burn,
        is_vault,
        passphrase_bytes,
    )
    from vault.core.diskfull import is_disk_full
    from vault.crypto.kdf import START as KDF_START
    from vault.crypto.kdf import KdfParams
    from vault.crypto.kdf import calibrate as calibrate_kdf
    from vault.crypto.kdf import check_creatable as check_kdf_params
    from vault.errors import KithError

_NAMES = {  # public name -> (module, name there)
    "APP_VERSION": ("vault.api", "APP_VERSION"),
    "BURN_LIMITS": ("vault.api", "BURN_LIMITS"),
    "DEFAULT_REGION": ("vault.api", "DEFAULT_REGION"),
    "KDF_START": ("vault.crypto.kdf", "START"),
    "KdfParams": ("vault.crypto.kdf", "KdfParams"),
    "KithError": ("vault.errors", "KithError"),
    "Vault": ("vault.api", "Vault"),
    "burn": ("vault.api", "burn"),
    "calibrate_kdf": ("vault.crypto.kdf", "calibrate"),
    "check_kdf_params": ("vault.crypto.kdf", "check_creatable"),
    "is_disk_full": ("vault.core.diskfull", "is_disk_full"),
    "is_vault": ("vault.api", "is_vault"),
    "passphrase_bytes": ("vault.api", "passphrase_bytes"),
}
_SUBPACKAGES = (
    "api", "backup", "core", "crypto", "domain", "encoding", "errors", "ids", "interchange",
)

__all__ = [
    "APP_VERSION",
    "BURN_LIMITS",
    "DEFAULT_REGION",
    "KDF_START",
    "KdfParams",
    "KithError",
    "Vault",
    "api",
    "backup",
    "burn",
    "calibrate_kdf",
    "check_kdf_params",
    "core",
    "crypto",
    "domain",
    "encoding",
    "errors",
    "ids",
    "interchange",
    "is_disk_full",
    "is_vault",
    "passphrase_bytes",
]


def __getattr__(name: str) -> Any:
    """Load a public name (or layer) on first use (PEP 562)."""
    if name in _NAMES:
        module, attribute = _NAMES[name]
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value
        return value
    if name in _SUBPACKAGES:
        return importlib.import_module(f"vault.{name}")
    raise AttributeError(f"module 'vault' has no attribute {name!r}")
