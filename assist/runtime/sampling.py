"""How the reply generator picks each token, and what a generation did: the sampling settings,
the sampling itself on one position's logits, and the counters the benchmarks read.

Why apart from ``assist.runtime.generator``: this is plain numpy, the same for every model and
for the speculative check of drafted tokens (each drafted position is sampled exactly like a
plain step), and it is tested without a model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
    # logit bonus for the token that goes on with a phrase of the prompt's last turn (the
    # answer to adapt): assist.runtime.copying; 0 = off
    copy_bias: float = 0.0

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.repetition_penalty <= 0:
            raise ValueError(f"repetition_penalty must be > 0, got {self.repetition_penalty}")
        if self.copy_bias < 0:
            raise ValueError(f"copy_bias must be >= 0, got {self.copy_bias}")


@dataclass
class GenerationStats:
    """What the last ``stream`` did: filled in as it runs, for logs and the benchmark."""

    prompt_tokens: int = 0
    reused_tokens: int = 0  # prompt tokens whose KV cache came from the previous request
    generated_tokens: int = 0
    first_token_s: float = 0.0  # from the call to the first token chosen (prefill + 1 step)
    decode_s: float = 0.0  # from the first token chosen to the last
    model_calls: int = 0  # decoding steps run (fewer than tokens when drafts were accepted)
    drafted_tokens: int = 0  # tokens guessed from the phrase being copied and checked
    accepted_tokens: int = 0  # of those, the ones sampling chose (a step saved each)


def pick_token(
    logits: np.ndarray,
    params: SamplingParams,
    generated: list[int],
    rng: np.random.Generator,
    copy: int | None = None,
) -> int:
    """One token id from the last position's logits; ``copy``: the token that continues a
    phrase of the answer to adapt, which gets ``params.copy_bias`` added to its logit.

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
    if copy is not None and params.copy_bias:
        scores[copy] += params.copy_bias
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
