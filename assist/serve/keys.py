"""API keys for ``assist serve``, stored only as salted SHA-256 hashes.

Why hashes and not the keys: the key file sits in the profile folder, which ends up in backups
and bug reports; a hash there lets the server check a key without being able to hand it out.
Why SHA-256 and not a slow KDF: the keys are 256-bit random strings made here, not passwords,
so there is nothing to brute-force and a fast hash keeps every request cheap. The per-key salt
only keeps two files' hashes of the same key from matching.

The file is ``<profile>/serve-keys.json``; it is re-read when it changes, so a key added with
``assist serve --add-key`` works on a running server without a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from assist.paths import profile_dir

KEYS_FILE = "serve-keys.json"
KEY_PREFIX = "ask-"  # recognisable in a config file or a leaked-secrets scan


class KeyFileError(RuntimeError):
    """The key file can't be read or written; ``str()`` names the file and the fix."""


def default_path() -> Path:
    return profile_dir() / KEYS_FILE


def _digest(salt: bytes, key: str) -> str:
    return hashlib.sha256(salt + key.encode("utf-8")).hexdigest()


class KeyStore:
    """The hashed keys in one file; thread-safe, cheap to query on every request."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self._lock = threading.Lock()
        self._records: list[dict[str, str]] = []
        self._stamp: tuple[int, int] | None = None  # (mtime_ns, size) of what was read

    def _refresh(self) -> None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._records, self._stamp = [], None
            return
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp == self._stamp:
            return
        self._records = self._read()
        self._stamp = stamp

    def _read(self) -> list[dict[str, str]]:
        try:
            data: Any = json.loads(self.path.read_text(encoding="utf-8"))
            records = data["keys"]
            for r in records:
                bytes.fromhex(r["salt"]), bytes.fromhex(r["sha256"])
        except FileNotFoundError:
            return []
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise KeyFileError(
                f"the API key file {self.path} is unreadable or damaged ({e!r}); "
                "delete it and add keys again with `assist serve --add-key`"
            ) from e
        return [dict(r) for r in records]

    def has_keys(self) -> bool:
        with self._lock:
            self._refresh()
            return bool(self._records)

    def count(self) -> int:
        with self._lock:
            self._refresh()
            return len(self._records)

    def verify(self, presented: str) -> bool:
        """Whether ``presented`` is one of the keys; compares every record in constant time."""
        with self._lock:
            self._refresh()
            records = list(self._records)
        ok = False
        for r in records:
            candidate = _digest(bytes.fromhex(r["salt"]), presented)
            ok |= hmac.compare_digest(candidate, r["sha256"])
        return ok

    def add_key(self) -> str:
        """Make a new random key, store its hash, and return the key (shown once, never kept)."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        salt = secrets.token_bytes(16)
        with self._lock:
            records = self._read()
            records.append(
                {
                    "id": secrets.token_hex(4),
                    "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "salt": salt.hex(),
                    "sha256": _digest(salt, key),
                }
            )
            self._write(records)
            self._stamp = None
        return key

    def _write(self, records: list[dict[str, str]]) -> None:
        """Atomically replace the file (a crash never leaves half a key list), owner-only."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"version": 1, "keys": records}, indent=2) + "\n"
        fd, tmp = tempfile.mkstemp(prefix=".serve-keys-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except OSError as e:
            Path(tmp).unlink(missing_ok=True)
            raise KeyFileError(f"cannot write the API key file {self.path}: {e}") from e
