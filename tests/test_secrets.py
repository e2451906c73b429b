from __future__ import annotations

import keyring
import keyring.errors
import pytest
from keyring.backends import fail, null

from assist.secrets import (
    INGEST_TOKEN,
    SERVICE,
    KeyringUnavailable,
    delete_secret,
    get_secret,
    ingest_token,
    keyring_available,
    rotate_ingest_token,
    set_secret,
)
from assist.settings import Settings
from tests.keyring_memory import MemoryKeyring


def test_secrets_round_trip_through_the_keyring(memory_keyring: MemoryKeyring) -> None:
    assert get_secret("remote.api_key") is None
    set_secret("remote.api_key", "s3cret")
    assert get_secret("remote.api_key") == "s3cret"
    assert memory_keyring.passwords == {(SERVICE, "remote.api_key"): "s3cret"}
    delete_secret("remote.api_key")
    assert get_secret("remote.api_key") is None
    delete_secret("remote.api_key")  # already gone: not an error


def test_token_is_generated_once_stored_and_stable(memory_keyring: MemoryKeyring) -> None:
    first = ingest_token()
    assert first.stored and first.warning is None
    assert len(first.value) >= 40  # token_urlsafe(32): 43 characters
    assert memory_keyring.passwords[(SERVICE, INGEST_TOKEN)] == first.value
    assert [ingest_token().value for _ in range(3)] == [first.value] * 3


def test_token_value_is_not_in_its_repr() -> None:
    info = ingest_token()
    assert info.value not in repr(info)


def test_rotate_replaces_the_stored_token(memory_keyring: MemoryKeyring) -> None:
    old = ingest_token().value
    new = rotate_ingest_token()
    assert new.stored and new.value != old
    assert ingest_token().value == new.value
    assert memory_keyring.passwords[(SERVICE, INGEST_TOKEN)] == new.value


def test_token_is_never_written_to_the_settings_file() -> None:
    token = ingest_token().value
    path = Settings().save()
    assert token not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("backend", [fail.Keyring, null.Keyring])
def test_no_keyring_is_a_clear_error(backend: type) -> None:
    keyring.set_keyring(backend())
    with pytest.raises(KeyringUnavailable, match="no OS keyring backend is available"):
        set_secret("remote.api_key", "s3cret")
    with pytest.raises(KeyringUnavailable):
        get_secret("remote.api_key")
    ok, reason = keyring_available()
    assert not ok and "Secret Service" in reason


def test_keyring_available_when_it_is() -> None:
    ok, reason = keyring_available()
    assert ok and "MemoryKeyring" in reason


def test_without_a_keyring_the_token_is_session_only_with_a_warning() -> None:
    keyring.set_keyring(fail.Keyring())
    info = ingest_token()
    assert not info.stored
    assert info.warning and "session only" in info.warning and "keyring" in info.warning
    assert len(info.value) >= 40
    assert ingest_token().value == info.value  # the same token for the whole session
    rotated = rotate_ingest_token()
    assert not rotated.stored and rotated.value != info.value
    assert ingest_token().value == rotated.value


def test_a_keyring_error_while_reading_becomes_keyring_unavailable(
    monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring
) -> None:
    def locked(service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("collection is locked")

    monkeypatch.setattr(memory_keyring, "get_password", locked)
    with pytest.raises(KeyringUnavailable, match="locked"):
        get_secret("remote.api_key")
    info = ingest_token()
    assert not info.stored and info.warning and "locked" in info.warning


def test_the_session_token_is_dropped_once_the_keyring_works(
    memory_keyring: MemoryKeyring,
) -> None:
    keyring.set_keyring(fail.Keyring())
    session = ingest_token()
    keyring.set_keyring(memory_keyring)
    stored = ingest_token()
    assert stored.stored and stored.value != session.value
    assert ingest_token().value == stored.value
