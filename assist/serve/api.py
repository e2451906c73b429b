"""The OpenAI-compatible HTTP face of the model worker: a small Starlette app.

Why these limits: the model is one shared, slow resource, so everything that would waste it is
refused before it gets there, with a 4xx whose JSON says what to change (the people wiring a
client only ever see these messages): a bounded body (413), a ``max_tokens`` cap (400),
validated messages and sampling options (400), and a bounded queue (429 + ``Retry-After``).
Errors use OpenAI's shape ``{"error": {"message", "type", "code"}}`` so its clients show them.

When any API key exists every ``/v1`` request needs ``Authorization: Bearer <key>`` (401);
``/health`` never does (load balancers and supervisors poll it). A client that disconnects,
while waiting or mid-stream, cancels its generation.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from assist.http_body import BodyError, read_json
from assist.runtime.generator import SamplingParams
from assist.serve.keys import KeyStore
from assist.serve.validate import ApiError, parse_chat_request
from assist.serve.worker import Job, ModelWorker, QueueFull

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY = 256 * 1024
DEFAULT_MAX_TOKENS_CAP = 512
POLL_S = 0.2  # how often a waiting request checks that its client is still there


class ClientGone(Exception):
    """The client disconnected; its job was cancelled."""


def fail(
    status: int, message: str, kind: str = "invalid_request_error", **headers: str
) -> ApiError:
    return ApiError(status, message, kind, headers or None)


def create_app(
    worker: ModelWorker,
    model_name: str,
    keys: KeyStore | None = None,
    base_params: SamplingParams | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    max_tokens_cap: int = DEFAULT_MAX_TOKENS_CAP,
) -> Starlette:
    """The API over ``worker``; ``keys`` (when it holds any) guards every ``/v1`` route."""
    base = base_params or SamplingParams()
    base = replace(base, max_tokens=min(base.max_tokens, max_tokens_cap))

    def require_key(request: Request) -> None:
        if keys is None or not keys.has_keys():
            return
        scheme, _, presented = (request.headers.get("authorization") or "").partition(" ")
        challenge = {"WWW-Authenticate": 'Bearer realm="assist"'}
        if scheme.lower() != "bearer" or not presented.strip():
            raise fail(
                401, "missing API key: send 'Authorization: Bearer <key>'", "auth", **challenge
            )
        if not keys.verify(presented.strip()):
            raise fail(401, "invalid API key", "auth", **challenge)

    async def chat_completions(request: Request) -> Response:
        require_key(request)
        body = await _read_json(request, max_body)
        chat = parse_chat_request(body, model_name, base, max_tokens_cap)
        try:
            job = worker.submit(chat.messages, chat.params)
        except QueueFull as e:
            raise fail(
                429, f"the model is busy ({e}); retry shortly", "rate_limit", **{"Retry-After": "2"}
            ) from None
        try:
            kind, value = await _next_event(job, request)
        except ClientGone:
            return Response(status_code=499)  # nobody reads it; the socket is gone
        if kind == "invalid":
            raise fail(400, value)
        if kind == "error":
            raise fail(500, value, "server_error")
        cid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        if chat.stream:
            return StreamingResponse(
                _sse(job, cid, created, model_name),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        parts: list[str] = []
        try:
            while True:
                kind, value = await _next_event(job, request)
                if kind == "chunk":
                    parts.append(value)
                elif kind == "done":
                    break
                else:
                    raise fail(500, value, "server_error")
        except ClientGone:
            return Response(status_code=499)
        return JSONResponse(
            {
                "id": cid,
                "object": "chat.completion",
                "created": created,
                "model": model_name,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "".join(parts)},
                        "finish_reason": value,
                    }
                ],
            }
        )

    async def models(request: Request) -> Response:
        require_key(request)
        entry = {"id": model_name, "object": "model", "created": 0, "owned_by": "assist"}
        return JSONResponse({"object": "list", "data": [entry]})

    async def health(request: Request) -> Response:
        return JSONResponse(
            {"status": "ok", "model": model_name, "busy": worker.busy, "waiting": worker.waiting}
        )

    routes = [
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
    ]
    return Starlette(
        routes=routes,
        exception_handlers={
            ApiError: _api_error,
            HTTPException: _http_error,
            Exception: _internal_error,
        },
    )


async def _next_event(job: Job, request: Request) -> tuple[str, Any]:
    """The job's next event; cancels the job and raises :class:`ClientGone` if the client left.

    Polled because a handler that is only waiting (in the queue, or for a non-streamed reply)
    reads nothing from the socket and would otherwise never notice the disconnect."""
    while True:
        try:
            return await asyncio.wait_for(job.events.get(), POLL_S)
        except TimeoutError:
            if await request.is_disconnected():
                job.cancel.set()
                raise ClientGone() from None
        except asyncio.CancelledError:
            job.cancel.set()
            raise


async def _sse(job: Job, cid: str, created: int, model: str) -> AsyncIterator[str]:
    """Server-sent events for a started job; leaving early (disconnect) cancels it."""

    def event(delta: dict[str, str], finish: str | None) -> str:
        chunk = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

    try:
        yield event({"role": "assistant", "content": ""}, None)
        while True:
            kind, value = await job.events.get()
            if kind == "chunk":
                yield event({"content": value}, None)
            elif kind == "done":
                yield event({}, value)
                yield "data: [DONE]\n\n"
                return
            else:  # after the first byte the status is sent: report it the way vLLM does
                error = {"error": {"message": value, "type": "server_error"}}
                yield f"data: {json.dumps(error)}\n\n"
                return
    finally:
        job.cancel.set()  # a no-op when done; stops the model when the client went away


async def _read_json(request: Request, max_body: int) -> dict[str, Any]:
    """The body as a JSON object, refused with 413 as soon as it is known to be too big."""
    try:
        obj = await read_json(request, max_body)
    except BodyError as e:
        raise fail(e.status, e.message) from None
    if not isinstance(obj, dict):
        raise fail(400, "the body must be a JSON object")
    return obj


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    error = {"message": exc.message, "type": exc.kind}
    return JSONResponse({"error": error}, status_code=exc.status, headers=exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (unknown route, wrong method) in the same error shape."""
    assert isinstance(exc, HTTPException)
    message = str(exc.detail)
    if exc.status_code == 404:
        message = f"no such endpoint: {request.url.path}"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    error = {"message": message, "type": "invalid_request_error"}
    return JSONResponse({"error": error}, status_code=exc.status_code, headers=exc.headers)


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.error("serve API error on %s", request.url.path, exc_info=exc)
    error = {"message": "internal server error; see the server's log", "type": "server_error"}
    return JSONResponse({"error": error}, status_code=500)
