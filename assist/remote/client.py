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
from collections.abc import Generator as TextStream
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import truststore

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
    # For a caller with a fallback (the local model): give up early rather than wait. None = off.
    first_token_timeout: float | None = None  # from the call to the first text delta
    stall_timeout: float | None = None  # longest silence between two text deltas

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
        # The OS trust store (a corporate proxy's CA is trusted as the browser trusts it);
        # a private CA file replaces it. Verification is never switched off.
        try:
            verify: ssl.SSLContext = (
                ssl.create_default_context(cafile=config.ca_file)
                if config.ca_file
                else truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            )
        except (OSError, ssl.SSLError) as e:
            raise RemoteError("tls", f"cannot use the CA file {config.ca_file}: {e}") from e
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

    def use_model(self, model: str) -> None:
        """Ask for ``model`` from now on (e.g. the first one ``models()`` listed)."""
        self.config = replace(self.config, model=model)

    def _url(self, path: str) -> str:
        return self.config.base_url.rstrip("/") + path

    def _clean(self, text: str) -> str:
        key = self.config.api_key
        return text.replace(key, "***") if key else text

    def _fail(self, kind: str, message: str) -> RemoteError:
        return RemoteError(kind, self._clean(message))

    def models(self, timeout: float | None = None) -> tuple[list[str], float]:
        """Model ids the server offers and the round-trip in ms ("Test connection");
        ``timeout`` caps every phase (a probe at start-up must not wait 30 s)."""
        start = time.monotonic()
        try:
            resp = self._http.get(self._url("/models"), timeout=self.config.timeout(timeout))
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
        extra: dict[str, Any] | None = None,
        model: str | None = None,
    ) -> TextStream[str, None, None]:
        """Yield text deltas of one chat completion. The deadline starts at the first ``next()``.

        Ends normally only on ``data: [DONE]``; anything else raises :class:`RemoteError`
        (possibly after some text was yielded — the caller decides whether to keep it)."""
        if self.breaker and not self.breaker.allow():
            raise RemoteError("circuit_open", "remote server failed repeatedly; pausing calls")
        payload: dict[str, Any] = {
            **(extra or {}),  # server-specific sampling options (vLLM's top_k, ...)
            "model": model or self.config.model,
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
        clock = _Clock(cfg)
        attempt = 0
        while True:
            if cancel is not None and cancel.is_set():
                raise RemoteError("cancelled", "cancelled")
            left = clock.left()
            if left <= 0:
                raise self._late(clock)
            request = self._http.build_request(
                "POST", self._url("/chat/completions"), json=payload, timeout=cfg.timeout(left)
            )
            try:
                resp = self._http.send(request, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout) as e:
                attempt += 1
                if attempt > cfg.connect_retries or clock.left() <= cfg.retry_backoff:
                    raise self._map(e, in_body=False, clock=clock) from e
                time.sleep(cfg.retry_backoff * attempt)
                continue
            except httpx.HTTPError as e:
                raise self._map(e, in_body=False, clock=clock) from e
            break
        try:
            yield from self._read(resp, clock, cancel)
        finally:
            resp.close()

    def _late(self, clock: _Clock, why: str | None = None) -> RemoteError:
        """The error for a time limit that ran out (``why``: which one, else the nearest)."""
        cfg = self.config
        why = why or clock.expired() or "deadline"
        if why == "first_token":
            return RemoteError("timeout", f"no reply within {cfg.first_token_timeout:g} s")
        if why == "stalled":
            return RemoteError("timeout", f"the server went silent for {cfg.stall_timeout:g} s")
        return RemoteError("deadline", f"no complete reply within {cfg.deadline:g} s")

    def _read(
        self, resp: httpx.Response, clock: _Clock, cancel: threading.Event | None
    ) -> Iterator[str]:
        # A watchdog enforces the time limits and cancel while a read is blocked: it shuts the
        # socket down, which wakes the blocked recv (closing it from another thread would not).
        tripped: list[str] = []
        done = threading.Event()

        def watch() -> None:
            while not done.wait(0.01):
                why = "cancelled" if cancel is not None and cancel.is_set() else clock.expired()
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
            return self._late(clock, tripped[0])

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
            body = resp.iter_bytes()
            for chunk in body:
                if tripped:
                    raise stop()
                for data in decoder.feed(chunk):
                    if data == "[DONE]":
                        _drain(body, tripped)
                        return
                    text = self._delta(data)
                    if text:
                        clock.delta()
                        yield text
                    if cancel is not None and cancel.is_set():
                        raise RemoteError("cancelled", "cancelled")
            if tripped:
                raise stop()
            raise self._fail("protocol", "stream ended without [DONE]; reply may be cut short")
        except httpx.HTTPError as e:
            if tripped:
                raise stop() from e
            raise self._map(e, in_body=True, clock=clock) from e
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

    def _map(self, e: httpx.HTTPError, in_body: bool, clock: _Clock | None = None) -> RemoteError:
        where = self.config.base_url
        # timeouts are capped by what's left of the nearest time limit, so one that fires at
        # that limit *is* the limit running out: say so, rather than blame a phase timeout
        timed_out = isinstance(e, httpx.TimeoutException)
        if timed_out and clock is not None and clock.left() <= 0.05:
            return self._late(clock, clock.nearest())
        if timed_out:
            phase = type(e).__name__.removesuffix("Timeout").lower() or "request"
            return self._fail("timeout", f"{phase} timed out talking to {where}")
        if isinstance(e, httpx.ConnectError):
            cause = e.__context__ or e.__cause__
            if isinstance(cause, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY" in str(e):
                return self._fail(
                    "tls",
                    f"the TLS certificate of {where} is not trusted ({e}); for a server with "
                    "a private CA set remote.ca_file to its certificate (PEM)",
                )
            return self._fail("connect", f"cannot connect to {where}: {e}")
        if isinstance(e, httpx.RemoteProtocolError) and not in_body:
            return self._fail("protocol", f"bad HTTP reply from {where}: {e}")
        if isinstance(e, httpx.TransportError):
            return self._fail("network", f"connection to {where} lost: {e}")
        return self._fail("protocol", f"HTTP error from {where}: {e}")


def _drain(body: Iterator[bytes], tripped: list[str], limit: int = 65536) -> None:
    """Read what follows [DONE] (the chunked encoding's end, usually nothing else) so the
    connection goes back to the pool: each suggestion would otherwise pay a new TCP and TLS
    handshake. Bounded in bytes here and in time by the watchdog; failures don't matter."""
    seen = 0
    try:
        for chunk in body:
            seen += len(chunk)
            if tripped or seen > limit:
                return
    except httpx.HTTPError:
        pass


class _Clock:
    """The time limits of one completion: the overall deadline, the first text delta, and the
    longest silence between deltas (the last two only when configured)."""

    def __init__(self, cfg: RemoteConfig) -> None:
        self.started = time.monotonic()
        self.end = self.started + cfg.deadline
        self.first_end = self.started + cfg.first_token_timeout if cfg.first_token_timeout else None
        self.stall = cfg.stall_timeout
        self.last_delta: float | None = None

    def delta(self) -> None:
        self.last_delta = time.monotonic()

    def _limits(self) -> list[tuple[float, str]]:
        limits = [(self.end, "deadline")]
        if self.last_delta is None and self.first_end is not None:
            limits.append((self.first_end, "first_token"))
        if self.last_delta is not None and self.stall:
            limits.append((self.last_delta + self.stall, "stalled"))
        return limits

    def nearest(self) -> str:
        return min(self._limits())[1]

    def left(self) -> float:
        """Seconds until the nearest limit (what a request's phase timeouts are capped to)."""
        return min(t for t, _ in self._limits()) - time.monotonic()

    def expired(self) -> str | None:
        """Which limit has run out, if any."""
        now = time.monotonic()
        for t, why in sorted(self._limits()):
            if now >= t:
                return why
        return None
