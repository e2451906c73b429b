"""The local reply generator: SmolLM2 int4 ONNX through onnxruntime, streamed.

Why it is built this way:
- Sampling (temperature, top-k, top-p, repetition penalty, seed) is done here in numpy on the
  logits, and onnxruntime only runs the model (``assist.runtime.kv_decoder``: one session, the
  KV cache in preallocated buffers; the model is built by onnxruntime-genai's builder, which
  the app does not load at run time). That lets one cache live across requests: a new
  prompt rewinds the cache to the longest token prefix it shares with the previous one (the
  system prompt, and the conversation so far when the prompt puts it first) and only the new
  tail is prefilled (from a fixed chunk boundary, so results do not depend on what ran
  before). Prefill is what dominates first-token latency on a 2-core CPU, so this is the
  cheapest big win.
- The repetition penalty applies to the generated tokens only, not to the prompt: penalising
  the prompt would push the model away from copying the facts in the macros.
- The copy bias (``assist.runtime.copying``) nudges the draft to go on with the phrase of the
  answer to adapt it is in; those phrases also drive speculative decoding: the next few tokens
  of the phrase are appended with the sampled one and checked in the same model call, each
  accepted only if sampling its position picks it (so the reply is the one that one token per
  call would give, the same draws from the same seeded generator, except at near-ties: a
  several-token call computes logits with other kernels, up to ~0.6 apart). A rejected guess
  is rewound out of the cache. It needs logits for several positions, which the build provides
  (``models/logits_tail.py``; ``logit_rows`` is probed at load, 1 = one token per call).
  Measured on the app's drafts: 1.35x the tokens per second (``bench/bench_drafts.py``).
- A damaged artifact turns into ModelError naming the file and the rebuild command.

Threading: a Generator is NOT thread-safe. Use it from one worker thread at a time; a second
concurrent ``stream`` raises RuntimeError instead of corrupting the shared KV cache. Cancel
from any thread with the ``cancel`` event; it is checked before every model step.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Generator as TokenStream
from pathlib import Path
from typing import Protocol

import numpy as np

from assist.artifacts import Artifact, ModelError, check_files, locate
from assist.runtime.chat_tokenizer import ChatTokenizer
from assist.runtime.copying import PhraseCopier, last_turn
from assist.runtime.kv_decoder import PROVIDERS, DecoderModel, KVCache, cuda_available
from assist.runtime.sampling import GenerationStats as GenerationStats
from assist.runtime.sampling import SamplingParams as SamplingParams
from assist.runtime.sampling import pick_token as pick_token

COMPONENT = "llm"
ONNX_DIR = "onnx"  # inside the artifact, see models/llm.py
STOP_TOKENS = ("<|im_end|>", "<|endoftext|>", "<|im_start|>")
MAX_DRAFT = 7  # drafted tokens one step may check at most (and the load-time probe's length)
TURN_START = "<|im_start|>"  # the chat template's turn marker: the copy bias's source is a turn
# Prompt tokens run per model call. Measured on 2 cores: 320 tokens prefill in 518 ms whole,
# 533 ms in chunks of 32, 575 ms in chunks of 16; a rewind to a chunk boundary recomputes 16
# cached tokens on average (~25 ms), so 32 is the cheapest overall.
PREFILL_CHUNK = 32
REBUILD = f"rebuild it with `assist models build --force {COMPONENT}`"


def default_threads() -> int:
    """All cores up to 4: decoding a 135M model stops scaling beyond that."""
    return max(1, min(4, os.cpu_count() or 1))


class ReplyModel(Protocol):
    """What the engine needs of a generator: ``Generator`` in this process,
    ``assist.runtime.generator_process.GeneratorProcess`` in a child process, or
    ``assist.remote.reply_model.RemoteReplyModel`` on a server."""

    @property
    def last_stats(self) -> GenerationStats: ...

    context_length: int

    def stream(
        self,
        messages: list[dict[str, str]],
        params: SamplingParams,
        cancel: threading.Event | None = None,
    ) -> TokenStream[str, None, None]: ...

    def generate(self, messages: list[dict[str, str]], params: SamplingParams) -> str: ...

    def reset_cache(self) -> None: ...

    def close(self) -> None: ...


class Generator:
    """A loaded chat model that streams replies; see the module docstring for threading."""

    def __init__(
        self,
        model_dir: Path,
        artifact: Artifact | None = None,
        threads: int | None = None,
        device: str = "cpu",
    ) -> None:
        """``device``: "cpu", or "cuda" (needs the onnxruntime-gpu package in place of
        onnxruntime; the int4 CPU build runs there too)."""
        self.model_dir = Path(model_dir)
        self._artifact = artifact
        self._busy = threading.Lock()
        self._kv: KVCache | None = None  # the cache of self._kv_tokens
        self._kv_tokens: list[int] = []
        self.last_stats = GenerationStats()
        if device not in PROVIDERS:
            raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
        if device == "cuda" and not cuda_available():
            raise ModelError(
                "the CUDA provider is not available: this onnxruntime is a CPU build or no GPU "
                "is visible (install onnxruntime-gpu, or use the CPU)"
            )
        try:
            # threads set explicitly: onnxruntime-genai's default (the runtime before) kept one
            # core busy on the 2-core machine; 2 took decode from 92 to 144 tok/s and prefill
            # from 960 to 530 ms (354 tokens).
            self._model = DecoderModel(self.model_dir, threads or default_threads(), device)
            self._tokenizer = ChatTokenizer(self.model_dir)
        except Exception as e:  # onnxruntime, json, tokenizers, jinja2 errors alike
            raise self._damage(e) from None
        self.context_length = self._model.max_length
        self._stop_ids = set(self._model.eos_token_ids)
        for text in STOP_TOKENS:
            if (stop := self._tokenizer.token_id(text)) is not None:
                self._stop_ids.add(stop)
        self._turn_start = self._tokenizer.token_id(TURN_START)  # None: no copy bias
        self.logit_rows = self._probe_logit_rows()

    @classmethod
    def load(
        cls, root: Path | None = None, threads: int | None = None, device: str = "cpu"
    ) -> Generator:
        """The built model from the store (``root`` is a models dir; default: the cache)."""
        artifact = locate(COMPONENT, root)
        return cls(artifact.file(ONNX_DIR), artifact, threads, device)

    def _probe_logit_rows(self) -> int:
        """How many positions of a multi-token step the model returns logits for: 1 for the
        builder's pruned output layer, ``models.logits_tail.TAIL_ROWS`` for ours (see there),
        more for an unpruned model. Above 1, the generator checks drafted tokens in one step."""
        try:
            probe = self._model.new_cache(MAX_DRAFT + 2)
            out = probe.append(np.full(MAX_DRAFT + 1, self._turn_start or 0))
        except Exception:  # no such output: decode one token per step
            return 1
        if out.shape[0] != MAX_DRAFT + 1:
            return 1  # the last position only
        # the widened model zero-fills the rows before its tail
        return int(np.count_nonzero(np.abs(out).max(axis=1)))

    def _damage(self, error: Exception) -> ModelError:
        """Name the damaged file: the manifest's checksums tell which one, else the folder."""
        if self._artifact is not None:
            problems = check_files(self._artifact)
            if problems:
                return ModelError(f"model '{COMPONENT}': {problems[0]}")
        detail = str(error).strip().splitlines()[0][:300] if str(error).strip() else repr(error)
        return ModelError(
            f"model '{COMPONENT}' in {self.model_dir} cannot be used ({detail}); {REBUILD}"
        )

    def encode(self, messages: list[dict[str, str]]) -> np.ndarray:
        """Token ids of the chat-templated prompt, ending with the assistant header."""
        for m in messages:
            if m.get("role") not in ("system", "user", "assistant") or "content" not in m:
                raise ValueError(
                    f"bad chat message {m!r}: need role system/user/assistant and content"
                )
        prompt = self._tokenizer.apply_chat_template(messages)
        return np.asarray(self._tokenizer.encode(prompt), dtype=np.int32)

    def _prefill(self, ids: np.ndarray, cancel: threading.Event | None) -> np.ndarray | None:
        """Bring the KV cache to ``ids``, reusing the longest prefix already computed.

        The prompt is always run in chunks that start at multiples of PREFILL_CHUNK, and the
        cache is only rewound to such a boundary: every chunk then sees exactly the same
        inputs whatever came before, so a reply does not depend on the previous request
        (greedy and seeded replies stay reproducible, bit for bit). Returns the logits of the
        next position, or None if cancelled between chunks (what was computed stays cached
        for the next request).
        """
        shared = 0
        for a, b in zip(self._kv_tokens, ids.tolist(), strict=False):
            if a != b:
                break
            shared += 1
        # at least one token must run to get fresh logits; rewind to a chunk boundary
        shared = (min(shared, ids.size - 1) // PREFILL_CHUNK) * PREFILL_CHUNK
        if self._kv is None:
            self._kv = self._model.new_cache()
        self._kv.rewind_to(shared)
        self._kv_tokens = self._kv_tokens[:shared]
        self.last_stats.reused_tokens = shared
        logits = None
        for start in range(shared, ids.size, PREFILL_CHUNK):
            if cancel is not None and cancel.is_set():
                return None
            chunk = ids[start : start + PREFILL_CHUNK]
            logits = self._kv.append(chunk)[-1]
            self._kv_tokens.extend(chunk.tolist())
        return logits

    def stream(
        self,
        messages: list[dict[str, str]],
        params: SamplingParams,
        cancel: threading.Event | None = None,
    ) -> TokenStream[str, None, None]:
        """Text chunks of the reply as they are decoded; stops at end of turn, ``max_tokens``
        or ``cancel``. Closing the iterator early stops generation at once."""
        ids = self.encode(messages)
        room = self.context_length - ids.size
        if room < 1:
            raise ValueError(
                f"prompt of {ids.size} tokens does not fit the model's context "
                f"of {self.context_length}"
            )
        return self._run(ids, params, cancel, min(params.max_tokens, room))

    def _run(
        self,
        ids: np.ndarray,
        params: SamplingParams,
        cancel: threading.Event | None,
        max_tokens: int,
    ) -> TokenStream[str, None, None]:
        if not self._busy.acquire(blocking=False):
            raise RuntimeError("this Generator is already streaming; use one per worker thread")
        try:
            stats = self.last_stats = GenerationStats(prompt_tokens=int(ids.size))
            started = time.perf_counter()
            try:
                first = self._prefill(ids, cancel)
                if first is None:
                    return
            except Exception:
                self._kv, self._kv_tokens = None, []
                raise
            kv = self._kv
            assert kv is not None
            rng = np.random.default_rng(params.seed)
            decoder = self._tokenizer.stream()
            copier = None
            if params.copy_bias and self._turn_start is not None:
                copier = PhraseCopier(last_turn(ids.tolist(), self._turn_start))
            generated: list[int] = []
            rows = first.reshape(1, -1)  # the next position's
            draft: list[int] = []  # tokens appended after the last one, checked by rows[1:]
            guess = min(2, self.logit_rows - 1)  # how many tokens to draft next time
            while True:
                for j, logits in enumerate(rows):
                    if cancel is not None and cancel.is_set():
                        return
                    if len(generated) < params.min_tokens:
                        logits = logits.copy()
                        logits[list(self._stop_ids)] = -np.inf
                    copy = copier.next_token(generated) if copier is not None else None
                    token = pick_token(logits, params, generated, rng, copy)
                    if token in self._stop_ids:
                        return
                    generated.append(token)
                    stats.generated_tokens = len(generated)
                    now = time.perf_counter()
                    if len(generated) == 1:
                        stats.first_token_s = now - started
                    stats.decode_s = now - started - stats.first_token_s
                    chunk = decoder.decode(token)
                    if chunk:
                        yield chunk
                    if len(generated) == max_tokens or (cancel is not None and cancel.is_set()):
                        return
                    if j < len(draft) and token == draft[j]:
                        stats.accepted_tokens += 1  # its logits are rows[j + 1] already
                        continue
                    # the model chose otherwise: the draft's later tokens leave the cache
                    keep = len(self._kv_tokens) - len(draft) + j
                    if keep < len(self._kv_tokens):
                        kv.rewind_to(keep)
                        del self._kv_tokens[keep:]
                    break
                if draft:  # the whole draft accepted (row j is the one after it): guess more
                    full = j == len(draft)
                    guess = min(self.logit_rows - 1, guess + 1) if full else max(1, guess - 1)
                room = max_tokens - len(generated) - 1
                draft = copier.follow(generated, min(guess, room)) if copier is not None else []
                step = np.array([generated[-1], *draft], dtype=np.int32)
                try:
                    rows = kv.append(step)
                except Exception:
                    self._kv, self._kv_tokens = None, []
                    raise
                self._kv_tokens.extend(step.tolist())
                stats.model_calls += 1
                stats.drafted_tokens += len(draft)
        finally:
            self._busy.release()

    def generate(self, messages: list[dict[str, str]], params: SamplingParams) -> str:
        """The whole reply at once (the concatenation of ``stream``'s chunks)."""
        return "".join(self.stream(messages, params))

    def smoke(self) -> None:
        """Check the files against the manifest and run the model on a short prompt; a damaged
        model raises ModelError naming the file (a flipped byte may load but talk nonsense)."""
        if self._artifact is not None and (problems := check_files(self._artifact)):
            raise ModelError(f"model '{COMPONENT}': {problems[0]}")
        messages = [
            {"role": "system", "content": "Reply briefly."},
            {"role": "user", "content": "Hello"},
        ]
        try:
            ids = self.encode(messages)
            logits = self._model.new_cache(ids.size + 2).append(ids)[-1]
            if logits.size == 0 or not np.isfinite(logits).all():
                raise RuntimeError("the model produced non-finite logits")
        except Exception as e:
            raise self._damage(e) from None

    def reset_cache(self) -> None:
        """Forget the cached prompt prefix (the next request prefills from scratch)."""
        self._kv, self._kv_tokens = None, []

    def close(self) -> None:
        """Free the KV cache and the model; the object is unusable afterwards."""
        self._kv, self._kv_tokens = None, []
        del self._model, self._tokenizer

    @property
    def closed(self) -> bool:
        """True after ``close``: the session, the cache and the tokenizer are released."""
        return not hasattr(self, "_model")

    def __enter__(self) -> Generator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
