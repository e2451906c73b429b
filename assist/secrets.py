"""Secrets live in the OS keyring (macOS Keychain, Windows Credential Locker, Secret Service).

Never in the settings file: that is plain TOML in the profile folder, gets copied into bug
reports and backups, and is readable by anything running as the user. This module is the only
place that talks to ``keyring``, so every caller gets the same clear error when there is no
usable keyring, typically a headless Linux box without a Secret Service.

The ingestion API token is the one secret the app itself creates: generated on first run and
kept, so a configured relay or browser extension keeps working across restarts. Without a
keyring the app still works: it uses a token valid for this session only and says so.
"""

from __future__ import annotations

import secrets as _random  # the stdlib module; this module is assist.secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import fail, null

from assist.logs import register_secret

SERVICE = "assist"
INGEST_TOKEN = "ingest.token"

_NO_BACKEND = (
    "no OS keyring backend is available (headless Linux?): install/unlock one "
    "(Secret Service, KWallet) — secrets can't be saved until then"
)

_lock = threading.Lock()
_session_only: dict[str, str] = {}  # tokens made while the keyring was unavailable


class KeyringUnavailable(RuntimeError):
    """The OS keyring can't be used; ``str()`` says why and what to do about it."""


@dataclass(frozen=True)
class TokenInfo:
    """A token and whether it survives a restart; ``warning`` is for the user, if any."""

    value: str = field(repr=False)  # never in logs or tracebacks
    stored: bool
    warning: str | None = None


def _backend_name(backend: keyring.backend.KeyringBackend) -> str:
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


def _backend() -> keyring.backend.KeyringBackend:
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring | null.Keyring):
        raise KeyringUnavailable(f"{_NO_BACKEND} (keyring backend: {_backend_name(backend)})")
    return backend


@contextmanager
def _translated(action: str) -> Iterator[None]:
    """Turn keyring's errors into :class:`KeyringUnavailable` naming what we were doing."""
    try:
        yield
    except keyring.errors.KeyringLocked as e:
        raise KeyringUnavailable(
            f"the OS keyring is locked: unlock it and try again ({action}: {e})"
        ) from e
    except keyring.errors.KeyringError as e:
        raise KeyringUnavailable(f"{_NO_BACKEND} ({action}: {e})") from e


def get_secret(name: str) -> str | None:
    """The secret stored under ``name``, or None if there is none."""
    backend = _backend()
    with _translated(f"reading {name!r}"):
        value = backend.get_password(SERVICE, name)
    register_secret(value)
    return value


def set_secret(name: str, value: str) -> None:
    if not value:
        raise ValueError(f"refusing to store an empty secret for {name!r}")
    register_secret(value)
    backend = _backend()
    with _translated(f"saving {name!r}"):
        backend.set_password(SERVICE, name, value)


def delete_secret(name: str) -> None:
    """Forget ``name``; deleting a secret that isn't there is not an error."""
    backend = _backend()
    try:
        with _translated(f"deleting {name!r}"):
            backend.delete_password(SERVICE, name)
    except KeyringUnavailable as e:
        # backends report "not found" as PasswordDeleteError; only a real failure leaves it set
        if not isinstance(e.__cause__, keyring.errors.PasswordDeleteError):
            raise
        if get_secret(name) is not None:
            raise


def keyring_available() -> tuple[bool, str]:
    """Whether secrets can be stored, with the reason (for the settings dialog and ``doctor``)."""
    try:
        backend = _backend()
        with _translated("checking the keyring"):
            backend.get_password(SERVICE, INGEST_TOKEN)
    except KeyringUnavailable as e:
        return False, str(e)
    return True, f"using {_backend_name(backend)}"


def _new_token() -> str:
    token = _random.token_urlsafe(32)
    register_secret(token)
    return token


def _session_token(problem: KeyringUnavailable, fresh: bool = False) -> TokenInfo:
    if fresh or INGEST_TOKEN not in _session_only:
        _session_only[INGEST_TOKEN] = _new_token()
    warning = (
        f"{problem}. The ingestion API token is valid for this session only: clients will "
        "need the new token after every restart."
    )
    return TokenInfo(_session_only[INGEST_TOKEN], stored=False, warning=warning)


def ingest_token() -> TokenInfo:
    """The ingestion API token: the stored one, else a new one, stored now.

    Without a keyring: a token for this session (the same one on every call) and a warning.
    """
    with _lock:
        try:
            value = get_secret(INGEST_TOKEN)
            if value:
                return TokenInfo(value, stored=True)
            value = _new_token()
            set_secret(INGEST_TOKEN, value)
            _session_only.pop(INGEST_TOKEN, None)
            return TokenInfo(value, stored=True)
        except KeyringUnavailable as e:
            return _session_token(e)


def rotate_ingest_token() -> TokenInfo:
    """Replace the token (e.g. after it leaked); clients need the new one."""
    with _lock:
        value = _new_token()
        try:
            set_secret(INGEST_TOKEN, value)
        except KeyringUnavailable as e:
            return _session_token(e, fresh=True)
        _session_only.pop(INGEST_TOKEN, None)
        return TokenInfo(value, stored=True)
