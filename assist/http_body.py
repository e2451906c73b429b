"""Reading a JSON request body with a size limit, for the app's two HTTP APIs.

Both the local ingestion API (``assist.ingest``) and ``assist serve`` take a JSON object from
callers they don't control, so both refuse a body as soon as it is known to be too big
(declared, or counted while it streams in, so a chunked upload can't get round the limit) and
name what is wrong with a malformed one. Each API turns ``BodyError`` into its own error shape.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import ClientDisconnect, Request


class BodyError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


async def read_json(request: Request, max_body: int, empty: str | None = None) -> Any:
    """The decoded body; ``BodyError`` (413 over ``max_body``, else 400) if it can't be had.
    ``empty``: the message for a blank body (None: it is reported as malformed JSON)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            length = int(declared)
        except ValueError:
            raise BodyError(400, f"Content-Length {declared[:20]!r} is not a number") from None
        if length > max_body:
            raise BodyError(413, f"body is {length} bytes, over the {max_body}-byte limit")
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > max_body:
                raise BodyError(413, f"body is over the {max_body}-byte limit")
    except ClientDisconnect:
        raise BodyError(400, "the client disconnected before sending the whole body") from None
    if empty is not None and not body.strip():
        raise BodyError(400, empty)
    try:
        text = bytes(body).decode("utf-8-sig")  # a leading BOM is tolerated, as RFC 8259 allows
    except UnicodeDecodeError as e:
        raise BodyError(400, f"body is not valid UTF-8 (byte {e.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        message = f"malformed JSON: {e.msg} at line {e.lineno} column {e.colno}"
        raise BodyError(400, message) from None
    except RecursionError:
        raise BodyError(400, "malformed JSON: nested too deeply") from None
