"""HTTP client for an OpenAI-compatible inference server (vLLM, llama.cpp server, TGI, ...).

Why this is hand-rolled rather than the ``openai`` package: the app must fail in a small,
predictable set of ways the UI can explain (``RemoteError.kind``), stop on time even when a
server keeps a connection alive by trickling bytes (httpx's read timeout resets on every byte),
stop promptly when the user presses Stop, and never let the API key leak into a log line or an
error dialog. Only connection failures are retried: a chat completion is not idempotent and
anything after the first byte means the server already did work.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from assist.remote.breaker import CircuitBreaker
from assist.remote.errors import RemoteError
from assist.remote.sse import SSEDecoder

# Failures that say "the server is unwell": they trip the breaker. Auth/request errors are
# configuration problems and a cancel is the user's choice, so those never count.
_BREAKER_KINDS = frozenset({"connect", "network", "timeout", "deadline", "server", "protocol"})


@dataclass(frozen=True)
class RemoteConfig:
    """Where and how to reach the server. ``api_key`` is excluded from ``repr`` on purpose."""

    base_url: str  # e.g. http://127.0.0.1:8000/v1
    model: str
    api_key: str | None = field(default=None, repr=False)
    connect_timeout: float = 5.0
    read_timeout: float = 30.0  # longest silence between two bytes
    write_timeout: float = 10.0
    pool_timeout: float = 5.0
    deadline: float = 120.0  # whole completion, retries included, however the bytes arrive
    ca_file: str | None = None  # private CA bundle; verification is never switched off
    connect_retries: int = 2
    retry_backoff: float = 0.2

    def timeout(self, cap: float | None = None) -> httpx.Timeout:
        """Explicit per-phase timeouts, each capped by what is left of the deadline."""

        def c(value: float) -> float:
            return max(0.001, min(value, cap)) if cap is not None else value

        return httpx.Timeout(
            connect=c(self.connect_timeout),
            read=c(self.read_timeout),
            write=c(self.write_timeout),
            pool=c(self.pool_timeout),
        )


class RemoteClient:
    """Talks to one configured server; thread-safe (one pooled httpx.Client underneath)."""

    def __init__(self, config: RemoteConfig, breaker: CircuitBreaker | None = None) -> None:
        self.config = config
        self.breaker = breaker
        verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=config.ca_file) if config.ca_file else True
        )
        headers = {"Accept": "application/json, text/event-stream"}
        if config.api_key:
            headers["Authorization"] = f"Bearer {config.api_key}"
        # trust_env=False: no proxy/netrc from the environment silently rerouting prompts
        self._http = httpx.Client(
            verify=verify, headers=headers, timeout=config.timeout(), trust_env=False
        )

    def __repr__(self) -> str:
        return f"RemoteClient({self.config!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RemoteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _url(self, path: str) -> str:
        return self.config.base_url.rstrip("/") + path

    def _clean(self, text: str) -> str:
        key = self.config.api_key
        return text.replace(key, "***") if key else text

    def _fail(self, kind: str, message: str) -> RemoteError:
        return RemoteError(kind, self._clean(message))

    def models(self) -> tuple[list[str], float]:
        """Model ids the server offers and the round-trip in ms ("Test connection")."""
        start = time.monotonic()
        try:
            resp = self._http.get(self._url("/models"))
            ms = (time.monotonic() - start) * 1000
            self._check_status(resp.status_code, resp.headers, resp.content)
            body = resp.json()
            ids = [str(m["id"]) for m in body["data"]]
        except RemoteError:
            raise
        except (ValueError, KeyError, TypeError) as e:
            raise self._fail("protocol", "the /models reply is not an OpenAI model list") from e
        except httpx.HTTPError as e:
            raise self._map(e, in_body=False) from e
        if self.breaker:
            self.breaker.record_success()
        return ids, ms

    def stream(
        self,
        messages: list[dict[str, Any]],
        max_tokens: int = 512,
        temperature: float = 0.2,
        top_p: float = 1.0,
        seed: int | None = None,
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        """Yield text deltas of one chat completion. The deadline starts at the first ``next()``.

        Ends normally only on ``data: [DONE]``; anything else raises :class:`RemoteError`
        (possibly after some text was yielded — the caller decides whether to keep it)."""
        if self.breaker and not self.breaker.allow():
            raise RemoteError("circuit_open", "remote server failed repeatedly; pausing calls")
        payload: dict[str, Any] = {
            "model": self.config.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "top_p": top_p,
            "stream": True,
        }
        if seed is not None:
            payload["seed"] = seed
        try:
            yield from self._stream(payload, cancel)
        except RemoteError as e:
            if self.breaker:
                if e.kind in _BREAKER_KINDS:
                    self.breaker.record_failure()
                else:
                    self.breaker.record_neutral()
            raise
        except GeneratorExit:
            if self.breaker:
                self.breaker.record_neutral()
            raise
        if self.breaker:
            self.breaker.record_success()

    def _stream(self, payload: dict[str, Any], cancel: threading.Event | None) -> Iterator[str]:
        cfg = self.config
        end = time.monotonic() + cfg.deadline
        attempt = 0
        while True:
            if cancel is not None and cancel.is_set():
                raise RemoteError("cancelled", "cancelled")
            left = end - time.monotonic()
            if left <= 0:
                raise RemoteError("deadline", f"no complete reply within {cfg.deadline:g} s")
            request = self._http.build_request(
                "POST", self._url("/chat/completions"), json=payload, timeout=cfg.timeout(left)
            )
            try:
                resp = self._http.send(request, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout) as e:
                attempt += 1
                if attempt > cfg.connect_retries or end - time.monotonic() <= cfg.retry_backoff:
                    raise self._map(e, in_body=False, end=end) from e
                time.sleep(cfg.retry_backoff * attempt)
                continue
            except httpx.HTTPError as e:
                raise self._map(e, in_body=False, end=end) from e
            break
        try:
            yield from self._read(resp, end, cancel)
        finally:
            resp.close()

    def _read(
        self, resp: httpx.Response, end: float, cancel: threading.Event | None
    ) -> Iterator[str]:
        # A watchdog enforces the deadline and cancel while a read is blocked: it shuts the
        # socket down, which wakes the blocked recv (closing it from another thread would not).
        tripped: list[str] = []
        done = threading.Event()

        def watch() -> None:
            while not done.wait(0.02):
                why = "cancelled" if cancel is not None and cancel.is_set() else None
                if why is None and time.monotonic() >= end:
                    why = "deadline"
                if why:
                    tripped.append(why)
                    stream = resp.extensions.get("network_stream")
                    sock = stream.get_extra_info("socket") if stream is not None else None
                    try:
                        if sock is not None:
                            sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return

        def stop() -> RemoteError:
            if tripped[0] == "cancelled":
                return RemoteError("cancelled", "cancelled")
            return RemoteError("deadline", f"no complete reply within {self.config.deadline:g} s")

        watchdog = threading.Thread(target=watch, name="remote-deadline", daemon=True)
        watchdog.start()
        try:
            if resp.status_code != 200:
                resp.read()
                self._check_status(resp.status_code, resp.headers, resp.content)
            ctype = resp.headers.get("content-type", "")
            if not ctype.startswith("text/event-stream"):
                raise self._fail("protocol", f"expected an event stream, got {ctype or 'nothing'}")
            decoder = SSEDecoder()
            for chunk in resp.iter_bytes():
                if tripped:
                    raise stop()
                for data in decoder.feed(chunk):
                    if data == "[DONE]":
                        return
                    text = self._delta(data)
                    if text:
                        yield text
                    if cancel is not None and cancel.is_set():
                        raise RemoteError("cancelled", "cancelled")
            if tripped:
                raise stop()
            raise self._fail("protocol", "stream ended without [DONE]; reply may be cut short")
        except httpx.HTTPError as e:
            if tripped:
                raise stop() from e
            raise self._map(e, in_body=True, end=end) from e
        finally:
            done.set()

    def _delta(self, data: str) -> str:
        try:
            event = json.loads(data)
        except ValueError as e:
            raise self._fail("protocol", f"event is not JSON: {data[:60]!r}") from e
        if not isinstance(event, dict):
            raise self._fail("protocol", "event is not a JSON object")
        if "error" in event:  # vLLM reports mid-stream failures as an error event
            err = event["error"]
            msg = err.get("message", err) if isinstance(err, dict) else err
            raise self._fail("server", f"server error mid-stream: {str(msg)[:200]}")
        try:
            content = event["choices"][0]["delta"].get("content") if event["choices"] else None
        except (KeyError, IndexError, TypeError, AttributeError) as e:
            raise self._fail("protocol", "event lacks choices[0].delta") from e
        return content if isinstance(content, str) else ""

    def _check_status(self, status: int, headers: httpx.Headers, body: bytes) -> None:
        if 200 <= status < 300:
            return
        detail = body[:300].decode("utf-8", "replace").strip()
        suffix = f": {detail}" if detail else ""
        if status in (401, 403):
            raise self._fail("auth", f"server refused the API key (HTTP {status}){suffix}")
        if status == 429:
            after = headers.get("retry-after")
            hint = f"; retry after {after} s" if after else ""
            raise self._fail("rate_limited", f"server is rate limiting (HTTP 429){hint}{suffix}")
        if status >= 500:
            raise self._fail("server", f"server error (HTTP {status}){suffix}")
        raise self._fail("http", f"request rejected (HTTP {status}){suffix}")

    def _map(self, e: httpx.HTTPError, in_body: bool, end: float | None = None) -> RemoteError:
        where = self.config.base_url
        # timeouts are capped by what's left of the deadline, so one that fires at the
        # deadline *is* the deadline: say so, rather than blame a phase timeout
        timed_out = isinstance(e, httpx.TimeoutException)
        if timed_out and end is not None and time.monotonic() >= end - 0.05:
            return self._fail("deadline", f"no complete reply within {self.config.deadline:g} s")
        if timed_out:
            phase = type(e).__name__.removesuffix("Timeout").lower() or "request"
            return self._fail("timeout", f"{phase} timed out talking to {where}")
        if isinstance(e, httpx.ConnectError):
            return self._fail("connect", f"cannot connect to {where}: {e}")
        if isinstance(e, httpx.RemoteProtocolError) and not in_body:
            return self._fail("protocol", f"bad HTTP reply from {where}: {e}")
        if isinstance(e, httpx.TransportError):
            return self._fail("network", f"connection to {where} lost: {e}")
        return self._fail("protocol", f"HTTP error from {where}: {e}")
