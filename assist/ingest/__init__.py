"""The local ingestion API: how live chats get into the app without a helpdesk integration.

A browser extension, a helpdesk webhook relay or a script POSTs messages to 127.0.0.1 and reads
the suggestions back. Only the hub is imported here: it is light and is what consumers (the Qt
app, a headless server) hold; ``assist.ingest.api`` and ``assist.ingest.server`` pull in
Starlette and uvicorn, so they are imported only by whoever actually listens.
"""

from assist.ingest.hub import IngestHub, MessageCallback, NoConsumer

__all__ = ["IngestHub", "MessageCallback", "NoConsumer"]
