"""Server-Sent Events, as OpenAI-compatible servers stream chat completions.

Why our own parser: the stream arrives in arbitrary pieces (mid-line, mid-UTF-8, ``\r`` and
``\n`` in different reads), and anything that is not an event stream -- a proxy's HTML error
page, say -- must fail as a protocol error rather than be read as text.
"""

from __future__ import annotations

import re

from assist.remote.errors import RemoteError

_MAX_LINE = 1 << 20  # a single SSE line above 1 MiB means we're not talking to a chat server
_LINE_END = re.compile(rb"\r\n|\r|\n")
_SSE_FIELDS = frozenset({"data", "event", "id", "retry"})


class SSEDecoder:
    """Incremental Server-Sent Events parser: feed it raw bytes as they arrive, in any split
    (mid-line, mid-UTF-8, a ``\\r`` and its ``\\n`` in different reads), get back whole events'
    ``data`` payloads. Lines are split on bytes before decoding, so UTF-8 is never cut."""

    def __init__(self) -> None:
        self._buf = b""
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[str]:
        self._buf += chunk
        events: list[str] = []
        while True:
            m = _LINE_END.search(self._buf)
            # a lone trailing \r may be the first half of \r\n: wait for the next read
            if m is None or (m.group() == b"\r" and m.end() == len(self._buf)):
                break
            line, self._buf = self._buf[: m.start()], self._buf[m.end() :]
            self._line(line, events)
        if len(self._buf) > _MAX_LINE:
            raise RemoteError("protocol", "server sent an over-long line; not an SSE stream?")
        return events

    def _line(self, raw: bytes, events: list[str]) -> None:
        if not raw:  # blank line: dispatch
            if self._data:
                events.append("\n".join(self._data))
                self._data = []
            return
        if raw.startswith(b":"):  # comment / keep-alive
            return
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise RemoteError("protocol", "server sent invalid UTF-8 in the event stream") from e
        name, _, value = line.partition(":")
        if name not in _SSE_FIELDS:
            raise RemoteError("protocol", f"unexpected line in event stream: {line[:60]!r}")
        if name == "data":
            self._data.append(value[1:] if value.startswith(" ") else value)
