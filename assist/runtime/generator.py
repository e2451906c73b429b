"""The local reply generator: SmolLM2 int4 ONNX through onnxruntime-genai, streamed.

Why it is built this way:
- Sampling (temperature, top-k, top-p, repetition penalty, seed) is done here in numpy on the
  logits og returns, and og only runs the model. That lets one og.Generator (and its KV cache)
  live across requests: a new prompt rewinds the cache to the longest token prefix it shares
  with the previous one (the system prompt, and the conversation so far when the prompt puts
  it first) and only the new tail is prefilled (from a fixed chunk boundary, so results do
  not depend on what ran before). Prefill is what dominates first-token latency
  on a 2-core CPU, so this is the cheapest big win.
- The repetition penalty applies to the generated tokens only, not to the prompt: penalising
  the prompt would push the model away from copying the facts in the macros.
- A damaged artifact turns into ModelError naming the file and the rebuild command.

Threading: a Generator is NOT thread-safe. Use it from one worker thread at a time; a second
concurrent ``stream`` raises RuntimeError instead of corrupting the shared KV cache. Cancel
from any thread with the ``cancel`` event; it is checked before every model step.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Generator as TokenStream
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import onnxruntime_genai as og

from assist.artifacts import Artifact, ModelError, check_files, locate

COMPONENT = "llm"
ONNX_DIR = "onnx"  # inside the artifact, see models/llm.py
STOP_TOKENS = ("<|im_end|>", "<|endoftext|>", "<|im_start|>")
# Prompt tokens run per model call. Measured on 2 cores: 320 tokens prefill in 518 ms whole,
# 533 ms in chunks of 32, 575 ms in chunks of 16; a rewind to a chunk boundary recomputes 16
# cached tokens on average (~25 ms), so 32 is the cheapest overall.
PREFILL_CHUNK = 32
REBUILD = f"rebuild it with `assist models build --force {COMPONENT}`"


def default_threads() -> int:
    """All cores up to 4: decoding a 135M model stops scaling beyond that."""
    return max(1, min(4, os.cpu_count() or 1))


def _session_options(threads: int) -> dict[str, Any]:
    options = {"intra_op_num_threads": threads, "inter_op_num_threads": 1}
    return {"model": {"decoder": {"session_options": options}}}


@dataclass(frozen=True)
class SamplingParams:
    """How to pick tokens; ``temperature == 0`` means greedy (deterministic)."""

    temperature: float = 0.7
    top_k: int = 40
    top_p: float = 0.9
    repetition_penalty: float = 1.0
    max_tokens: int = 160
    seed: int | None = None
    min_tokens: int = 0  # end-of-turn is suppressed before this many tokens (benchmarks)

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.repetition_penalty <= 0:
            raise ValueError(f"repetition_penalty must be > 0, got {self.repetition_penalty}")


@dataclass
class GenerationStats:
    """What the last ``stream`` did: filled in as it runs, for logs and the benchmark."""

    prompt_tokens: int = 0
    reused_tokens: int = 0  # prompt tokens whose KV cache came from the previous request
    generated_tokens: int = 0
    first_token_s: float = 0.0  # from the call to the first token chosen (prefill + 1 step)
    decode_s: float = 0.0  # from the first token chosen to the last


def pick_token(
    logits: np.ndarray, params: SamplingParams, generated: list[int], rng: np.random.Generator
) -> int:
    """One token id from the last position's logits.

    Runs once per decoded token, so it stays in float32 over the 49k-word vocabulary and only
    the top-k candidates go to float64; sampling inverts the cumulative weights with one
    uniform draw (``rng.choice`` with ``p=`` validates its input every call). 0.2 ms instead
    of 0.5-0.9 ms per token, about 5% of a decode step on 2 cores.
    """
    scores = np.array(logits, dtype=np.float32)  # a copy: the penalty writes into it
    if params.repetition_penalty != 1.0 and generated:
        seen = np.fromiter(set(generated), dtype=np.int64)
        vals = scores[seen]
        scores[seen] = np.where(
            vals > 0, vals / params.repetition_penalty, vals * params.repetition_penalty
        )
    if params.temperature == 0:
        return int(np.argmax(scores))
    if 0 < params.top_k < scores.size:
        cand = np.argpartition(scores, -params.top_k)[-params.top_k :]
    else:
        cand = np.arange(scores.size)
    z = scores[cand].astype(np.float64) / params.temperature
    order = np.argsort(-z, kind="stable")
    cand, z = cand[order], z[order]
    cum = np.cumsum(np.exp(z - z[0]))  # unnormalised: the best candidate weighs 1
    if params.top_p < 1.0:
        keep = int(np.searchsorted(cum / cum[-1], params.top_p)) + 1
        cand, cum = cand[:keep], cum[:keep]
    pick = int(np.searchsorted(cum, rng.random() * cum[-1], side="right"))
    return int(cand[min(pick, cand.size - 1)])


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
        """``device``: "cpu", or "cuda" (needs the onnxruntime-genai-cuda package; the int4
        CPU build runs there too, a CUDA build of the model runs faster)."""
        self.model_dir = Path(model_dir)
        self._artifact = artifact
        self._busy = threading.Lock()
        self._kv: Any = None  # og.Generator holding the KV cache of self._kv_tokens
        self._kv_tokens: list[int] = []
        self.last_stats = GenerationStats()
        try:
            config = json.loads((self.model_dir / "genai_config.json").read_text())
            self.context_length = int(config["search"]["max_length"])
            og_config = og.Config(str(self.model_dir))
            # onnxruntime-genai's default thread count gave 1 busy core on the 2-core machine:
            # setting it explicitly to 2 took decode from 92 to 144 tok/s and prefill from
            # 960 to 530 ms (354 tokens).
            og_config.overlay(json.dumps(_session_options(threads or default_threads())))
            if device == "cuda":
                if not og.is_cuda_available():
                    raise ModelError(
                        "the CUDA provider is not available: this onnxruntime-genai is a CPU "
                        "build or no GPU is visible (install onnxruntime-genai-cuda, or use "
                        "the CPU)"
                    )
                og_config.clear_providers()
                og_config.append_provider("cuda")
            elif device != "cpu":
                raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
            self._model = og.Model(og_config)
            self._tokenizer = og.Tokenizer(self._model)
        except (ModelError, ValueError) as e:
            if isinstance(e, ModelError) or "device must be" in str(e):
                raise
            raise self._damage(e) from None
        except Exception as e:  # og raises RuntimeError
            raise self._damage(e) from None
        self._stop_ids = {int(t) for t in np.asarray(self._tokenizer.eos_token_ids).ravel()}
        for text in STOP_TOKENS:
            ids = np.asarray(self._tokenizer.encode(text)).ravel()
            if ids.size == 1:
                self._stop_ids.add(int(ids[0]))

    @classmethod
    def load(
        cls, root: Path | None = None, threads: int | None = None, device: str = "cpu"
    ) -> Generator:
        """The built model from the store (``root`` is a models dir; default: the cache)."""
        artifact = locate(COMPONENT, root)
        return cls(artifact.file(ONNX_DIR), artifact, threads, device)

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
        prompt = self._tokenizer.apply_chat_template(
            json.dumps(messages), add_generation_prompt=True
        )
        return np.asarray(self._tokenizer.encode(prompt), dtype=np.int32).ravel()

    def _prefill(self, ids: np.ndarray, cancel: threading.Event | None) -> bool:
        """Bring the KV cache to ``ids``, reusing the longest prefix already computed.

        The prompt is always run in chunks that start at multiples of PREFILL_CHUNK, and the
        cache is only rewound to such a boundary: every chunk then sees exactly the same
        inputs whatever came before, so a reply does not depend on the previous request
        (greedy and seeded replies stay reproducible, bit for bit). Returns False if cancelled
        between chunks (what was computed stays cached for the next request).
        """
        shared = 0
        for a, b in zip(self._kv_tokens, ids.tolist(), strict=False):
            if a != b:
                break
            shared += 1
        # at least one token must run to get fresh logits; rewind to a chunk boundary
        shared = (min(shared, ids.size - 1) // PREFILL_CHUNK) * PREFILL_CHUNK
        if self._kv is None or shared == 0:
            self._kv = None
            params = og.GeneratorParams(self._model)
            params.set_search_options(max_length=self.context_length)
            self._kv = og.Generator(self._model, params)
            shared = 0
        elif shared < len(self._kv_tokens):
            self._kv.rewind_to(shared)
        self._kv_tokens = self._kv_tokens[:shared]
        self.last_stats.reused_tokens = shared
        for start in range(shared, ids.size, PREFILL_CHUNK):
            if cancel is not None and cancel.is_set():
                return False
            chunk = ids[start : start + PREFILL_CHUNK]
            self._kv.append_tokens(chunk)
            self._kv_tokens.extend(chunk.tolist())
        return True

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
                if not self._prefill(ids, cancel):
                    return
            except Exception:
                self._kv, self._kv_tokens = None, []
                raise
            rng = np.random.default_rng(params.seed)
            decoder = self._tokenizer.create_stream()
            generated: list[int] = []
            while len(generated) < max_tokens:
                if cancel is not None and cancel.is_set():
                    return
                logits = np.asarray(self._kv.get_logits()).reshape(-1)
                if len(generated) < params.min_tokens:
                    logits = logits.copy()
                    logits[list(self._stop_ids)] = -np.inf
                token = pick_token(logits, params, generated, rng)
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
                try:
                    self._kv.append_tokens(np.array([token], dtype=np.int32))
                except Exception:
                    self._kv, self._kv_tokens = None, []
                    raise
                self._kv_tokens.append(token)
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
            params = og.GeneratorParams(self._model)
            params.set_search_options(max_length=ids.size + 2)
            gen = og.Generator(self._model, params)
            gen.append_tokens(ids)
            logits = np.asarray(gen.get_logits())
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
        self._tokenizer = None
        self._model = None

    def __enter__(self) -> Generator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
