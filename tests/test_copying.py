"""The copy bias (which token continues a phrase of the answer to adapt, and what it does) and
the speculative decoding that checks such tokens several at a time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assist.overlap import rouge_l
from assist.prompt import build_reply_messages
from assist.runtime.copying import PhraseCopier, last_turn
from assist.runtime.generator import PREFILL_CHUNK, Generator, SamplingParams, pick_token
from assist.types import Message
from models.logits_tail import TAIL_ROWS, widen_logits
from tests.test_generator import needs_model

# "a b c d e . a b x" as token ids
SOURCE = [10, 11, 12, 13, 14, 99, 10, 11, 20]


def test_the_copier_continues_the_longest_phrase_the_draft_ends_with() -> None:
    copier = PhraseCopier(SOURCE)
    assert copier.next_token([7, 11, 12]) == 13  # "b c" -> d
    assert copier.next_token([12, 13, 14]) == 99  # "c d e" -> "."
    # "a b" occurs twice: the later occurrence (the note comes after the message) wins ...
    assert copier.next_token([5, 10, 11]) == 20
    # ... unless a longer phrase says which one the draft is in
    assert copier.next_token([14, 99, 10, 11]) == 20
    assert copier.next_token([13, 14, 99, 10]) == 11


def test_the_copier_needs_two_shared_tokens_and_a_token_after_them() -> None:
    copier = PhraseCopier(SOURCE)
    assert copier.next_token([]) is None
    assert copier.next_token([12]) is None  # one shared token says nothing
    assert copier.next_token([11, 20]) is None  # the source ends there
    assert copier.next_token([12, 11]) is None  # not a phrase of the source
    assert PhraseCopier([]).next_token([10, 11]) is None


def test_the_source_is_the_prompts_last_turn() -> None:
    start = 1
    ids = [start, 5, 6, 2, start, 7, 8, 9, 2, start, 4]
    assert last_turn(ids, start) == [start, 7, 8, 9, 2]
    assert last_turn([5, 6], start) == [5, 6]


def test_pick_token_adds_the_bias_to_the_copy_token_only() -> None:
    logits = np.array([1.0, 5.0, 4.0, -2.0], dtype=np.float32)
    rng = np.random.default_rng(0)
    greedy = SamplingParams(temperature=0)
    assert pick_token(logits, greedy, [], rng, copy=2) == 1  # no bias: the model's choice
    biased = SamplingParams(temperature=0, copy_bias=1.5)
    assert pick_token(logits, biased, [], rng, copy=2) == 2
    assert pick_token(logits, biased, [], rng, copy=3) == 1  # 0.5 < 5: the model wins
    assert pick_token(logits, biased, [], rng) == 1  # nothing to copy
    assert logits.tolist() == [1.0, 5.0, 4.0, -2.0]  # the caller's logits untouched
    with pytest.raises(ValueError, match="copy_bias"):
        SamplingParams(copy_bias=-1)


REFUND_NOTE = (
    "I'm sorry to hear that your refund has not arrived yet. Refunds go back to the original "
    "payment method within 5-7 business days after we receive the returned item. You can "
    "follow the status of your return under Order History in your account."
)


def _refund_chat() -> list[dict[str, str]]:
    turns = [Message("c1", "customer", "I sent my jacket back last week, when do I get my money?")]
    return build_reply_messages(turns, [REFUND_NOTE], {"Company Name": "Acme"}, "track_refund")


@pytest.mark.slow
@needs_model
def test_a_copy_bias_keeps_the_draft_closer_to_the_answer_it_adapts() -> None:
    generator = Generator.load()
    try:
        plain = generator.generate(_refund_chat(), SamplingParams(temperature=0, max_tokens=80))
        biased = SamplingParams(temperature=0, max_tokens=80, copy_bias=3.0)
        copied = generator.generate(_refund_chat(), biased)
    finally:
        generator.close()
    # greedy, the model wanders off ("assist you with tracking your receipt of your jacket");
    # nudged, it goes on with the note's phrases ("sorry to hear that your jacket has not ...")
    assert rouge_l(copied, REFUND_NOTE) > rouge_l(plain, REFUND_NOTE) + 0.05
    assert "jacket" in copied  # still this customer's reply, not the note pasted


# A model call over several positions computes each one's logits with other kernels than a
# one-token call (int8 activations): they differ by up to ~0.6 (measured on this model, both
# before and after models.llm_compact), so where the top two tokens are closer than that the
# speculative reply may take the other one. Such a tie is the only place the two may part.
NEAR_TIE = 0.2


def _same_but_for_a_near_tie(
    generator: Generator, messages: list[dict[str, str]], params: SamplingParams, a: str, b: str
) -> None:
    """``a`` (speculative) equals ``b`` (one token per call) up to where ``b``'s own logits,
    recomputed one token per call, nearly tie between the two replies' next tokens."""
    if a == b:
        return
    tokenizer = generator._tokenizer
    ta, tb = tokenizer.encode(a), tokenizer.encode(b)
    i = next((k for k, (x, y) in enumerate(zip(ta, tb, strict=False)) if x != y), None)
    assert i is not None, (a, b)  # one is a prefix of the other: a token limit, not a tie
    ids = generator.encode(messages)
    cache = generator._model.new_cache()
    for start in range(0, ids.size, PREFILL_CHUNK):  # the generator's prefill chunks
        logits = cache.append(ids[start : start + PREFILL_CHUNK])[-1]
    for token in tb[:i]:
        logits = cache.append(np.array([token]))[-1]
    assert generator._turn_start is not None
    copy = PhraseCopier(last_turn(ids.tolist(), generator._turn_start)).next_token(tb[:i])
    if copy is not None:
        logits[copy] += params.copy_bias
    assert abs(float(logits[ta[i]] - logits[tb[i]])) < NEAR_TIE, (i, a, b)


@pytest.mark.slow
@needs_model
def test_drafted_tokens_are_checked_several_per_step_with_the_same_reply() -> None:
    generator = Generator.load()
    try:
        assert generator.logit_rows == TAIL_ROWS  # the build widened the output layer
        messages = _refund_chat()
        params = SamplingParams(temperature=0, max_tokens=80, copy_bias=6.0)
        fast = generator.generate(messages, params)
        stats = generator.last_stats
        assert stats.accepted_tokens > 10 and stats.drafted_tokens >= stats.accepted_tokens
        assert stats.model_calls < stats.generated_tokens - 10  # steps saved
        generator.logit_rows = 1  # one token per step, as a pruned model decodes
        slow = generator.generate(messages, params)
        assert generator.last_stats.model_calls == generator.last_stats.generated_tokens
        _same_but_for_a_near_tie(generator, messages, params, fast, slow)
        generator.logit_rows = TAIL_ROWS
        # the cache after a step's rejected tokens were rewound serves the next request: the
        # same reply as from an empty cache
        again = generator.generate(messages, params)
        generator.reset_cache()
        assert generator.generate(messages, params) == again == fast
        # the token limit holds when a step's drafted tokens are accepted
        exact = SamplingParams(temperature=0, max_tokens=30, min_tokens=30, copy_bias=6.0)
        generator.generate(messages, exact)
        assert generator.last_stats.generated_tokens == 30
        assert generator.last_stats.accepted_tokens > 0
    finally:
        generator.close()


def test_a_graph_without_the_pruned_output_layer_is_left_alone(tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("input_ids", TensorProto.FLOAT, [1, 3])
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 3])
    graph = helper.make_graph([helper.make_node("Relu", ["input_ids"], ["logits"])], "g", [x], [y])
    onnx.save(helper.make_model(graph), str(tmp_path / "model.onnx"))
    before = (tmp_path / "model.onnx").read_bytes()
    assert widen_logits(tmp_path) is False
    assert (tmp_path / "model.onnx").read_bytes() == before
