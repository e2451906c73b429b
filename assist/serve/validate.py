"""Checking a chat-completion request body before it costs any model time.

Why its own module: every rule here is a message a client author will read, so they are kept
together, each saying what was wrong and what is allowed. Unknown fields are ignored, as
OpenAI-compatible servers do; options this server can't honour (``n`` > 1, tools) are refused
rather than silently dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from assist.runtime.generator import SamplingParams

ROLES = ("system", "user", "assistant")
MAX_MESSAGES = 200
UNSUPPORTED = ("tools", "functions", "tool_choice", "logprobs", "response_format")


@dataclass(frozen=True)
class ChatRequest:
    messages: list[dict[str, str]]
    params: SamplingParams
    stream: bool


class ApiError(Exception):
    """A refusal with its HTTP status, shown to the client as OpenAI's error object."""

    def __init__(
        self,
        status: int,
        message: str,
        kind: str = "invalid_request_error",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.headers = status, message, kind, headers


def _bad(message: str, status: int = 400) -> ApiError:
    return ApiError(status, message)


def _number(body: dict[str, Any], name: str, low: float, high: float, default: float) -> float:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(f"'{name}' must be a number, got {value!r:.40}")
    if not low <= value <= high:
        raise _bad(f"'{name}' must be between {low:g} and {high:g}, got {value:g}")
    return float(value)


def _content(i: int, value: Any) -> str:
    """A message's text: a string, or OpenAI's list of ``{"type": "text", "text": ...}`` parts."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        texts = []
        for part in value:
            if not (isinstance(part, dict) and part.get("type") == "text"):
                raise _bad(f"messages[{i}].content: only text parts are supported")
            if not isinstance(part.get("text"), str):
                raise _bad(f"messages[{i}].content: a text part needs a string 'text'")
            texts.append(part["text"])
        return "".join(texts)
    raise _bad(f"messages[{i}].content must be a string, got {type(value).__name__}")


def parse_messages(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list) or not value:
        raise _bad("'messages' must be a non-empty list of {role, content} objects")
    if len(value) > MAX_MESSAGES:
        raise _bad(f"too many messages ({len(value)}); at most {MAX_MESSAGES}")
    out = []
    for i, m in enumerate(value):
        if not isinstance(m, dict):
            raise _bad(f"messages[{i}] must be an object with 'role' and 'content'")
        role = m.get("role")
        if role not in ROLES:
            raise _bad(f"messages[{i}].role must be one of {', '.join(ROLES)}, got {role!r:.40}")
        if "content" not in m:
            raise _bad(f"messages[{i}] has no 'content'")
        out.append({"role": role, "content": _content(i, m["content"])})
    if out[-1]["role"] == "assistant":
        raise _bad("the last message must be from the user (or system), not the assistant")
    return out


def parse_chat_request(
    body: dict[str, Any], model_name: str, base: SamplingParams, max_tokens_cap: int
) -> ChatRequest:
    """The validated request; raises ApiError 400 (404 for an unknown model)."""
    model = body.get("model")
    if model is not None and model != model_name:
        raise _bad(f"model {model!r:.60} is not served here; this server has {model_name!r}", 404)
    for name in UNSUPPORTED:
        if body.get(name) not in (None, [], False):
            raise _bad(f"'{name}' is not supported by this server")
    n = body.get("n", 1)
    if n != 1:
        raise _bad("'n' must be 1: this server makes one choice per request")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise _bad(f"'stream' must be true or false, got {stream!r:.20}")
    messages = parse_messages(body.get("messages"))

    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    if max_tokens is None:
        max_tokens = base.max_tokens
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise _bad(f"'max_tokens' must be a positive integer, got {max_tokens!r:.20}")
    if max_tokens > max_tokens_cap:
        raise _bad(f"'max_tokens' is {max_tokens}, over this server's limit of {max_tokens_cap}")
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise _bad(f"'seed' must be a non-negative integer, got {seed!r:.20}")
    temperature = _number(body, "temperature", 0.0, 2.0, base.temperature)
    top_p = _number(body, "top_p", 0.0, 1.0, base.top_p)
    if top_p == 0:
        raise _bad("'top_p' must be above 0")
    # vLLM's extensions, which Assist's client sends too: top_k (-1 or 0 = off), repetition_penalty
    top_k = body.get("top_k", base.top_k)
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < -1:
        raise _bad(f"'top_k' must be an integer >= -1, got {top_k!r:.20}")
    penalty = _number(body, "repetition_penalty", 0.0, 2.0, base.repetition_penalty)
    if penalty == 0:
        raise _bad("'repetition_penalty' must be above 0")
    params = replace(
        base,
        temperature=temperature,
        top_p=top_p,
        max_tokens=max_tokens,
        seed=seed,
        top_k=max(0, top_k),
        repetition_penalty=penalty,
    )
    return ChatRequest(messages, params, stream)
