"""The supervisor passphrase: only a salted scrypt hash is ever stored, compared in constant time.

Format of the stored value: ``scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>``, so the cost can be
raised later without breaking passphrases already set.
"""

from __future__ import annotations

import hashlib
import hmac
import os

N, R, P = 2**14, 8, 1  # ~16 MiB, tens of ms: cheap for a person, dear for a guesser
SALT_BYTES, HASH_BYTES = 16, 32
MIN_LENGTH = 8


def hash_passphrase(passphrase: str) -> str:
    """A new salted hash of ``passphrase`` (refuses one shorter than ``MIN_LENGTH``)."""
    if not isinstance(passphrase, str) or len(passphrase) < MIN_LENGTH:
        raise ValueError(f"the supervisor passphrase needs at least {MIN_LENGTH} characters")
    salt = os.urandom(SALT_BYTES)
    digest = _scrypt(passphrase, salt, N, R, P)
    return f"scrypt${N}${R}${P}${salt.hex()}${digest.hex()}"


def verify_passphrase(passphrase: str, stored: str) -> bool:
    """Whether ``passphrase`` matches the ``stored`` hash (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = bytes.fromhex(digest)
        actual = _scrypt(passphrase, bytes.fromhex(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def _scrypt(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        passphrase.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=64 * 1024 * 1024,
        dklen=HASH_BYTES,
    )
