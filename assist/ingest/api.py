"""The HTTP face of the hub: a small Starlette app, authenticated with one bearer token.

Why it is this strict: the app listens on loopback, but anything on the machine (including a
web page in a browser, via DNS rebinding or a form post) can reach loopback, so every
conversation endpoint needs the token, bodies are bounded before and while they are read, and
every rejection is a 4xx whose JSON ``{"error": ...}`` says what to fix, since the people
wiring up a relay or a script only ever see these messages.

Checks run cheapest-first and before the body is read: token (401), path id (422), media type
(415), declared length (413); then the body is streamed with a running count (413), decoded
(400) and validated with the same rules as the CLI's JSONL input (422).
"""

from __future__ import annotations

import dataclasses
import hmac
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from assist.http_body import BodyError, read_json
from assist.ingest.hub import IngestHub, NoConsumer, valid_conversation_id
from assist.ingest.openapi import openapi_schema
from assist.messages_io import InputError, parse_message

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY = 256 * 1024
MAX_CUSTOMER_NAME = 200

MESSAGES_PATH = "/v1/conversations/{conversation_id}/messages"
SUGGESTIONS_PATH = "/v1/conversations/{conversation_id}/suggestions"
OPENAPI_PATH = "/v1/openapi.json"
HEALTH_PATH = "/health"


EMPTY_BODY = "empty body: send one message as a JSON object"


def _fail(status: int, message: str, headers: dict[str, str] | None = None) -> HTTPException:
    return HTTPException(status, detail=message, headers=headers)


def create_app(hub: IngestHub, token: str, max_body: int = DEFAULT_MAX_BODY) -> Starlette:
    """The ingestion API over ``hub``; requests to /v1/conversations need ``token``."""
    if not token:
        raise ValueError("the ingestion API needs a non-empty token")
    if max_body < 1:
        raise ValueError("max_body must be positive")
    expected = token.encode("utf-8")
    schema = openapi_schema(max_body)

    def require_token(request: Request) -> None:
        header = request.headers.get("authorization")
        challenge = {"WWW-Authenticate": 'Bearer realm="assist"'}
        if not header:
            raise _fail(
                401,
                "missing bearer token: send 'Authorization: Bearer <token>' "
                "(copy it from the Assist app)",
                challenge,
            )
        scheme, _, presented = header.partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise _fail(401, "the Authorization header must be 'Bearer <token>'", challenge)
        if not hmac.compare_digest(presented.strip().encode("utf-8"), expected):
            challenge = {"WWW-Authenticate": 'Bearer realm="assist", error="invalid_token"'}
            raise _fail(
                401, "invalid bearer token (rotated? copy it again from the app)", challenge
            )

    def conversation_id(request: Request) -> str:
        value: str = request.path_params["conversation_id"]
        if not valid_conversation_id(value):
            raise _fail(
                422,
                f"invalid conversation id {value[:40]!r}: use 1-128 characters of "
                "letters, digits and . _ : -",
            )
        return value

    async def post_message(request: Request) -> Response:
        require_token(request)
        cid = conversation_id(request)
        _check_json_content_type(request)
        try:
            obj = await read_json(request, max_body, EMPTY_BODY)
        except BodyError as e:
            raise _fail(e.status, e.message) from None
        try:
            message = parse_message(obj, lineno=1)
        except InputError as e:
            raise _fail(422, e.reason) from None
        if "conversation_id" in obj and message.conversation_id != cid:
            raise _fail(
                422,
                f"'conversation_id' in the body ({message.conversation_id[:40]!r}) "
                f"does not match the one in the path ({cid!r})",
            )
        message = dataclasses.replace(message, conversation_id=cid)
        customer = _customer_name(obj.get("customer"))
        try:
            hub.deliver(message, customer)
        except NoConsumer:
            retry = {"Retry-After": "1"}
            raise _fail(
                503, "the app is not ready to take messages yet; retry shortly", retry
            ) from None
        except Exception as e:
            log.exception("the ingestion consumer failed on a message for %s", cid)
            raise _fail(500, f"the app failed to take the message ({type(e).__name__})") from None
        return JSONResponse({"accepted": True, "conversation_id": cid}, status_code=202)

    async def get_suggestions(request: Request) -> Response:
        require_token(request)
        cid = conversation_id(request)
        snapshot = hub.latest(cid)
        if snapshot is not None:
            return JSONResponse({**snapshot, "conversation_id": cid, "status": "ready"})
        if hub.known(cid):
            return JSONResponse({"conversation_id": cid, "status": "pending"})
        raise _fail(404, f"unknown conversation {cid!r}: POST a message to {MESSAGES_PATH} first")

    async def get_openapi(request: Request) -> Response:
        return JSONResponse(schema)

    async def get_health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes = [
        Route(MESSAGES_PATH, post_message, methods=["POST"]),
        Route(SUGGESTIONS_PATH, get_suggestions, methods=["GET"]),
        Route(OPENAPI_PATH, get_openapi, methods=["GET"]),
        Route(HEALTH_PATH, get_health, methods=["GET"]),
    ]
    return Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error, Exception: _internal_error},
    )


def _check_json_content_type(request: Request) -> None:
    header = request.headers.get("content-type")
    if header is None:
        raise _fail(415, "missing Content-Type: send 'Content-Type: application/json'")
    media, *params = (part.strip() for part in header.split(";"))
    if media.lower() != "application/json":
        raise _fail(415, f"Content-Type {media[:60]!r} is not supported: send application/json")
    for param in params:
        key, _, value = param.partition("=")
        charset = value.strip().strip('"').lower()
        if key.strip().lower() == "charset" and charset not in ("utf-8", "utf8"):
            raise _fail(415, f"charset {charset[:20]!r} is not supported: JSON must be UTF-8")


def _customer_name(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _fail(422, f"'customer' must be a string, got {type(value).__name__}")
    name = value.strip()
    if len(name) > MAX_CUSTOMER_NAME:
        raise _fail(422, f"'customer' is over {MAX_CUSTOMER_NAME} characters")
    return name or None


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = exc.detail
    headers = dict(exc.headers or {})
    if exc.status_code == 404 and message == "Not Found":
        message = f"no such endpoint: {request.url.path} (see {OPENAPI_PATH})"
    elif exc.status_code == 405:
        allowed = headers.get("Allow") or headers.get("allow") or "?"
        message = f"{request.method} is not allowed on {request.url.path} (allowed: {allowed})"
    return JSONResponse({"error": message}, status_code=exc.status_code, headers=headers)


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.error("ingestion API error on %s", request.url.path, exc_info=exc)
    return JSONResponse({"error": "internal error in the app; see its log"}, status_code=500)
