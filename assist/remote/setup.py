"""From settings to a ready remote reply model: the one place that decides whether drafts go
to a server, with which key, and what to say when they can't.

Why the keyring rule: the API key may only live in the OS keyring (or, for scripts and the
CLI, the ``ASSIST_API_KEY`` environment variable). Where there is no keyring, the key cannot be
kept, so remote drafting stays off with a message saying why; the local model goes on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from assist import secrets
from assist.logs import register_secret
from assist.remote.breaker import CircuitBreaker
from assist.remote.client import RemoteClient, RemoteConfig
from assist.remote.errors import RemoteError
from assist.remote.redact import RedactionPolicy
from assist.remote.reply_model import RemoteReplyModel
from assist.settings import Settings

API_KEY_SECRET = "remote.api_key"
API_KEY_ENV = "ASSIST_API_KEY"
MODES = ("fallback", "remote", "local")


@dataclass(frozen=True)
class RemoteSetup:
    """What ``open_remote`` decided. ``model`` is None when drafts stay local; ``problem`` says
    why, when a server was configured but can't be used."""

    model: RemoteReplyModel | None
    mode: str  # "local", "remote" (server only) or "fallback" (server, then local)
    problem: str | None = None


def api_key() -> str | None:
    """The key: ``ASSIST_API_KEY`` if set, else the keyring's (raises KeyringUnavailable)."""
    if key := os.environ.get(API_KEY_ENV):
        register_secret(key)
        return key
    return secrets.get_secret(API_KEY_SECRET)


def redaction_policy(settings: Settings) -> RedactionPolicy:
    return RedactionPolicy(
        cards=settings["remote.redact_cards"],
        emails=settings["remote.redact_emails"],
        phones=settings["remote.redact_phones"],
        ibans=settings["remote.redact_ibans"],
        addresses=settings["remote.redact_addresses"],
        order_ids=settings["remote.redact_order_ids"],
    )


def redacted_categories(settings: Settings) -> list[str]:
    """The categories redacted before sending, for the UI's "redaction on" notice."""
    policy = redaction_policy(settings)
    names = {
        "cards": "cards",
        "emails": "e-mails",
        "phones": "phones",
        "ibans": "IBANs",
        "addresses": "addresses",
        "order_ids": "order ids",
    }
    return [label for field, label in names.items() if getattr(policy, field)]


def remote_config(
    settings: Settings,
    key: str | None,
    url: str | None = None,
    model: str | None = None,
    fallback: bool = True,
) -> RemoteConfig:
    """The client's configuration; with a fallback it gives up early (first words, silence)."""
    return RemoteConfig(
        base_url=url or settings["remote.url"],
        model=model if model is not None else settings["remote.model"],
        api_key=key,
        connect_timeout=settings["remote.connect_timeout"],
        deadline=settings["remote.deadline"],
        ca_file=settings["remote.ca_file"] or None,
        # with the local model to fall back on, a retry only delays the answer
        connect_retries=0 if fallback else 1,
        first_token_timeout=settings["remote.first_token_timeout"] if fallback else None,
        stall_timeout=settings["remote.stall_timeout"] if fallback else None,
    )


def open_remote(
    settings: Settings,
    url: str | None = None,
    model: str | None = None,
    mode: str | None = None,
    public: tuple[str, ...] = (),
) -> RemoteSetup:
    """The remote reply model the settings (or ``url``/``model``/``mode``) ask for, if any.
    ``public``: the shop's own contact details, which are not redacted."""
    url = (url or settings["remote.url"]).strip()
    mode = mode or settings["remote.mode"]
    if mode not in MODES:
        raise ValueError(f"remote mode must be one of {', '.join(MODES)}, got {mode!r}")
    if not url or mode == "local":
        return RemoteSetup(None, "local")
    if not url.startswith(("http://", "https://")):
        return RemoteSetup(
            None, "local", f"remote drafts are off: {url!r} is not an http(s):// URL"
        )
    try:
        key = api_key()
    except secrets.KeyringUnavailable as e:
        return RemoteSetup(
            None,
            "local",
            f"remote drafts are off: the API key can't be kept without a keyring ({e}); "
            f"set {API_KEY_ENV} or install a keyring",
        )
    try:
        client = RemoteClient(
            remote_config(settings, key, url, model, fallback=mode == "fallback"),
            CircuitBreaker(threshold=3, cooldown=30.0),
        )
    except RemoteError as e:
        return RemoteSetup(None, "local", f"remote drafts are off: {e.message}")
    reply_model = RemoteReplyModel(
        client,
        replace(redaction_policy(settings), public=public),
        sampling_extras=settings["remote.sampling_extras"],
    )
    return RemoteSetup(reply_model, mode)


def check_connection(settings: Settings, key: str | None) -> tuple[list[str], float]:
    """The models a server offers and the round trip in ms (the settings' "Test connection");
    raises RemoteError saying what went wrong."""
    url = settings["remote.url"].strip()
    if not url:
        raise RemoteError("http", "no server URL is set")
    with RemoteClient(remote_config(settings, key, fallback=False)) as client:
        return client.models()
