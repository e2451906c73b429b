"""The app's own model runner and tokenizer against onnxruntime-genai, which they replace at run
time (genai stays the model's builder, so it is installed wherever the model is built)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from assist import artifacts
from assist.artifacts import ModelError
from assist.runtime.chat_tokenizer import ChatTokenizer
from assist.runtime.generator import COMPONENT, ONNX_DIR
from assist.runtime.kv_decoder import DecoderModel

CHATS = [
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Where is #1234?"}],
    [{"role": "user", "content": "Ich möchte mein Geld zurück 😡 — sofort!"}],
    [
        {"role": "system", "content": "You write replies.\n\nFacts:\n- refunds: 5-7 days"},
        {"role": "user", "content": "  spaces\tand\n\nnewlines, ORD-99812, €45.90"},
        {"role": "assistant", "content": "Thanks! 🎉 Let me check."},
        {"role": "user", "content": "日本語 and 中文 ✈️ 👍🏽 naïve café"},
    ],
]


def _model_dir() -> Path:
    try:
        return artifacts.locate(COMPONENT).file(ONNX_DIR)
    except ModelError:
        pytest.skip("llm not built: python -m models.build llm")


@pytest.fixture(scope="module")
def genai() -> tuple[object, object]:
    og = pytest.importorskip("onnxruntime_genai", reason="the build extra is not installed")
    config = og.Config(str(_model_dir()))
    options = {"intra_op_num_threads": 2, "inter_op_num_threads": 1}
    config.overlay(json.dumps({"model": {"decoder": {"session_options": options}}}))
    model = og.Model(config)
    return model, og.Tokenizer(model)


@pytest.mark.slow
def test_logits_equal_genai_through_prefill_decode_and_rewind(genai: tuple) -> None:
    import onnxruntime_genai as og

    model, tokenizer = genai
    prompt = tokenizer.apply_chat_template(json.dumps(CHATS[2]), add_generation_prompt=True)
    ids = np.asarray(tokenizer.encode(prompt), dtype=np.int64).ravel()
    params = og.GeneratorParams(model)
    params.set_search_options(max_length=512)
    theirs = og.Generator(model, params)
    ours = DecoderModel(_model_dir(), threads=2).new_cache(512)
    pairs = []
    for start in range(0, ids.size, 32):
        theirs.append_tokens(ids[start : start + 32].astype(np.int32))
        pairs.append(
            (np.asarray(theirs.get_logits()).ravel(), ours.append(ids[start : start + 32]))
        )
    for _ in range(6):  # greedy steps
        token = int(np.argmax(pairs[-1][1][-1]))
        theirs.append_tokens(np.array([token], dtype=np.int32))
        pairs.append((np.asarray(theirs.get_logits()).ravel(), ours.append(np.array([token]))))
    # a rejected draft: back to 3 tokens after the prompt, then 3 tokens in one step
    theirs.rewind_to(ids.size + 3)
    ours.rewind_to(ids.size + 3)
    theirs.append_tokens(np.array([100, 200, 300], dtype=np.int32))
    step = np.asarray(theirs.get_output("logits"))
    pairs.append((step.reshape(-1, step.shape[-1])[-3:], ours.append(np.array([100, 200, 300]))))
    assert ours.length == ids.size + 6
    for expected, got in pairs:  # genai gives the last row, or the rows of a drafted step
        rows = expected.reshape(-1, got.shape[-1])
        np.testing.assert_array_equal(got[-len(rows) :], rows)


@pytest.mark.slow
def test_prompt_tokens_and_streamed_text_equal_genai(genai: tuple) -> None:
    _, tokenizer = genai
    ours = ChatTokenizer(_model_dir())
    for chat in CHATS:
        prompt = tokenizer.apply_chat_template(json.dumps(chat), add_generation_prompt=True)
        assert ours.apply_chat_template(chat) == prompt
        ids = np.asarray(tokenizer.encode(prompt)).ravel().tolist()
        assert ours.encode(prompt) == ids
        reply = ids[ids.index(ours.token_id("<|im_start|>"), 3) :]  # turns after the first
        theirs, mine = tokenizer.create_stream(), ours.stream()
        expected = "".join(theirs.decode(t) for t in reply)
        assert "".join(mine.decode(t) for t in reply) == expected
        assert "im_start" not in expected  # special tokens are not text
    assert ours.token_id("<|im_end|>") == 2 and ours.token_id("two words") is None


@pytest.mark.slow
def test_a_folder_without_a_template_gets_chatml(tmp_path: Path) -> None:
    source = _model_dir()
    shutil.copy(source / "tokenizer.json", tmp_path / "tokenizer.json")
    plain = ChatTokenizer(tmp_path).apply_chat_template(CHATS[0])
    assert plain == ChatTokenizer(source).apply_chat_template(CHATS[0])
    assert plain.endswith("<|im_end|>\n<|im_start|>assistant\n")


@pytest.mark.slow
def test_cache_refuses_to_overflow_or_rewind_forward() -> None:
    cache = DecoderModel(_model_dir(), threads=1).new_cache(8)
    assert cache.append(np.arange(5, 10)).shape[-1] == 49152 and cache.length == 5
    with pytest.raises(ValueError, match="do not fit"):
        cache.append(np.arange(4))
    with pytest.raises(ValueError, match="cannot rewind"):
        cache.rewind_to(6)
    cache.rewind_to(2)
    assert cache.append(np.arange(6)).shape[0] == 6 and cache.length == 8
