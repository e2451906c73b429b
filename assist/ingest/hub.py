"""The meeting point between the HTTP server thread and whoever consumes the messages.

The server runs uvicorn on its own thread; the consumer (the Qt app, later a headless server)
has its own. Neither should know about the other's threading, so everything they share goes
through this object, guarded by one lock:

* messages flow in through ``on_message``, called on the server thread; the consumer must hand
  each one to its own thread and return at once (a slow callback stalls every HTTP client);
* suggestion snapshots flow out through ``publish``/``latest``: the consumer posts the latest
  suggestions+analysis for a conversation, HTTP clients read it whenever they poll.

Snapshots are stored JSON-encoded: that checks they are JSON-ready on the *publisher's* thread
(where the bug is) instead of as a 500 on some client's GET, and it makes them immutable, so a
consumer mutating its dict after publishing can't race the server serialising it.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from assist.types import Message

# What a conversation id may look like, in the URL and in the body: helpdesk ids ("12345",
# "zendesk:987", "chat-1.2") fit; slashes, spaces and unbounded lengths don't.
CONVERSATION_ID_PATTERN = r"[A-Za-z0-9._:-]{1,128}"
_CONVERSATION_ID = re.compile(CONVERSATION_ID_PATTERN)

# A script can invent conversation ids forever; the hub remembers only the most recent ones.
DEFAULT_MAX_CONVERSATIONS = 10_000

MessageCallback = Callable[[Message, str | None], None]
"""``(message, customer display name or None) -> None``; runs on the server thread."""


def valid_conversation_id(value: str) -> bool:
    return _CONVERSATION_ID.fullmatch(value) is not None


class NoConsumer(RuntimeError):
    """A message arrived before anyone set ``on_message``: refusing beats silently dropping it."""


class IngestHub:
    """Thread-safe exchange: messages in (``on_message``), suggestion snapshots out (``latest``).

    A conversation becomes *known* once a message for it was accepted (or a snapshot was
    published for it); the API answers 404 for unknown ones so a client with a typo in the id
    finds out instead of polling forever.
    """

    def __init__(self, max_conversations: int = DEFAULT_MAX_CONVERSATIONS) -> None:
        if max_conversations < 1:
            raise ValueError("max_conversations must be at least 1")
        self.on_message: MessageCallback | None = None
        self._max = max_conversations
        self._lock = threading.Lock()
        # conversation id -> JSON of its latest snapshot (None: known, nothing published yet),
        # oldest first so the least recently active one is evicted first
        self._conversations: OrderedDict[str, str | None] = OrderedDict()

    def deliver(self, message: Message, customer: str | None = None) -> None:
        """Hand a validated message to the consumer (server thread); it is then *known*.

        Raises :class:`NoConsumer` if no ``on_message`` is set; whatever the callback raises
        propagates, and the conversation is then not marked known (the message was not taken).
        The callback runs outside the lock, so it may call ``publish`` itself.
        """
        callback = self.on_message
        if callback is None:
            raise NoConsumer("no consumer is attached to the ingestion hub yet")
        callback(message, customer)
        with self._lock:
            if message.conversation_id not in self._conversations:
                self._conversations[message.conversation_id] = None
            self._touch(message.conversation_id)

    def publish(self, conversation_id: str, payload: dict[str, Any]) -> None:
        """Store the latest suggestions+analysis snapshot for a conversation (any thread).

        ``payload`` must be JSON-ready (str keys; str, numbers, bools, None, lists, dicts; no
        NaN): anything else raises ``TypeError``/``ValueError`` here, not later on a client.
        """
        if not valid_conversation_id(conversation_id):
            raise ValueError(f"invalid conversation id {conversation_id[:40]!r}")
        if not isinstance(payload, dict):
            raise TypeError(f"payload must be a dict, got {type(payload).__name__}")
        encoded = json.dumps(payload, ensure_ascii=False, allow_nan=False)
        with self._lock:
            self._conversations[conversation_id] = encoded
            self._touch(conversation_id)

    def latest(self, conversation_id: str) -> dict[str, Any] | None:
        """The last published snapshot (a fresh dict the caller may keep), or None."""
        with self._lock:
            encoded = self._conversations.get(conversation_id)
        if encoded is None:
            return None
        snapshot: dict[str, Any] = json.loads(encoded)
        return snapshot

    def known(self, conversation_id: str) -> bool:
        with self._lock:
            return conversation_id in self._conversations

    def _touch(self, conversation_id: str) -> None:
        """Mark as most recently active and evict beyond the bound; caller holds the lock."""
        self._conversations.move_to_end(conversation_id)
        while len(self._conversations) > self._max:
            self._conversations.popitem(last=False)
