"""The only package that imports ``nacl``, ``cryptography``, ``argon2`` and ``pyrage``.

Submodules: ``aead`` (sealed values), ``kdf`` (Argon2id, HKDF, calibration), ``keys``
(Ed25519, X25519, sealed boxes), ``age`` (age v1 files for backups).
"""
