"""A remote OpenAI-compatible server as a reply model: the engine's drafts, written elsewhere.

Why it wraps the client rather than being the client: the engine wants the same interface it
gets from the local generator (``ReplyModel``: text chunks, cancellable), and everything that
leaves the device must pass the redactor first. Each request gets its own ``Redactor``: the
prompt carries the whole recent conversation, so numbering is stable within the request, and
no PII outlives the request in memory. The reply is restored as it streams.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator as TokenStream
from dataclasses import dataclass, field

from assist.remote.client import RemoteClient
from assist.remote.errors import RemoteError
from assist.remote.redact import RedactionPolicy, Redactor
from assist.runtime.generator import GenerationStats, SamplingParams


@dataclass
class RemoteStats(GenerationStats):
    """``GenerationStats`` (chunks stand in for tokens: servers send one per event) plus what
    redaction hid from the server in the last request, by category."""

    redacted: dict[str, int] = field(default_factory=dict)


class RemoteReplyModel:
    """``ReplyModel`` over a :class:`RemoteClient`; thread-safe as the client is, but
    ``last_stats`` describes the last request of any thread (the engine has one worker)."""

    context_length = 1 << 20  # the server enforces its own; prompts here are short

    def __init__(
        self,
        client: RemoteClient,
        policy: RedactionPolicy | None = None,
        redact: bool = True,
        sampling_extras: bool = True,
    ) -> None:
        self.client = client
        self.policy = policy or RedactionPolicy()
        self.redact = redact
        self.sampling_extras = sampling_extras
        self.last_stats: RemoteStats = RemoteStats()
        self._model_lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.client.config.model

    def _adopt(self, ids: list[str]) -> None:
        """Use the server's first model when none is configured."""
        with self._model_lock:
            if not self.client.config.model:
                if not ids:
                    raise RemoteError("protocol", "the server lists no models")
                self.client.use_model(ids[0])

    def _model(self) -> str:
        """The configured model, or the server's first one (looked up once)."""
        if not self.client.config.model:
            self._adopt(self.client.models()[0])
        return self.client.config.model

    def stream(
        self,
        messages: list[dict[str, str]],
        params: SamplingParams,
        cancel: threading.Event | None = None,
    ) -> TokenStream[str, None, None]:
        """Restored text chunks; raises ``RemoteError`` (possibly after some chunks)."""
        stats = self.last_stats = RemoteStats()
        started = time.perf_counter()
        redactor = Redactor(self.policy) if self.redact else None
        outgoing = []
        for m in messages:
            content = m["content"]
            if redactor is not None:
                red = redactor.redact(content)
                content = red.text
                for placeholder in red.mapping:
                    label = placeholder[1:].split("_", 1)[0].lower()
                    stats.redacted[label] = stats.redacted.get(label, 0) + 1
            outgoing.append({"role": m["role"], "content": content})
        extras = (
            {"top_k": params.top_k, "repetition_penalty": params.repetition_penalty}
            if self.sampling_extras
            else {}
        )
        chunks = self.client.stream(
            outgoing,
            max_tokens=params.max_tokens,
            temperature=params.temperature,
            top_p=params.top_p,
            seed=params.seed,
            cancel=cancel,
            extra=extras,
            model=self._model(),
        )
        restorer = redactor.restore_stream() if redactor is not None else None
        try:
            for chunk in chunks:
                stats.generated_tokens += 1
                now = time.perf_counter()
                if stats.generated_tokens == 1:
                    stats.first_token_s = now - started
                stats.decode_s = now - started - stats.first_token_s
                text = restorer.feed(chunk) if restorer is not None else chunk
                if text:
                    yield text
            if restorer is not None and (tail := restorer.flush()):
                yield tail
        finally:
            chunks.close()

    def probe(self, timeout: float = 3.0) -> float:
        """Ask the server for its models (naming ours if none is set); the round trip in ms.
        Raises RemoteError. For start-up: the status bar can then name the model."""
        ids, ms = self.client.models(timeout)
        self._adopt(ids)
        return ms

    def generate(self, messages: list[dict[str, str]], params: SamplingParams) -> str:
        return "".join(self.stream(messages, params))

    def reset_cache(self) -> None:
        """Nothing cached here (the server keeps its own prefix cache)."""

    def close(self) -> None:
        self.client.close()
