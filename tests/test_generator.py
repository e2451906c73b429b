"""The local generator on the real built model (SmolLM2 int4 ONNX from the model cache)."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from assist import artifacts
from assist.artifacts import ModelError
from assist.prompt import build_reply_messages
from assist.runtime.generator import COMPONENT, Generator, SamplingParams, pick_token
from assist.types import Message

GREEDY = SamplingParams(temperature=0, max_tokens=24)


def _built() -> bool:
    try:
        artifacts.locate(COMPONENT)
    except ModelError:
        return False
    return True


needs_model = pytest.mark.skipif(not _built(), reason="llm not built: python -m models.build llm")


@pytest.fixture(scope="module")
def generator() -> Generator:
    if not _built():
        pytest.skip("llm not built: python -m models.build llm")
    return Generator.load()


def chat(question: str) -> list[dict[str, str]]:
    turns = [Message("c1", "customer", question)]
    macros = [
        "Refunds go back to the original payment method within 5-7 business days "
        "after we receive the returned item."
    ]
    return build_reply_messages(turns, macros, {"Company Name": "Acme"}, "get_refund")


@pytest.mark.slow
@needs_model
def test_stream_chunks_concatenate_to_generate_greedy(generator: Generator) -> None:
    messages = chat("I sent my jacket back last week, when do I get my money?")
    chunks = list(generator.stream(messages, GREEDY))
    assert len(chunks) >= 3
    assert all(chunks)
    assert "".join(chunks) == generator.generate(messages, GREEDY)


@pytest.mark.slow
@needs_model
def test_same_seed_same_sampled_reply(generator: Generator) -> None:
    messages = chat("How long does a refund take?")
    params = SamplingParams(temperature=0.9, max_tokens=20, seed=7)
    first = "".join(generator.stream(messages, params))
    # another prompt in between moves the KV cache; the seeded reply must not change
    generator.generate(chat("Can I change my delivery address?"), GREEDY)
    assert first and first == generator.generate(messages, params)


@pytest.mark.slow
@needs_model
def test_cancel_after_third_chunk_stops_within_a_token(generator: Generator) -> None:
    cancel = threading.Event()
    chunks = []
    params = SamplingParams(temperature=0, max_tokens=60)
    for chunk in generator.stream(chat("Where is my refund?"), params, cancel):
        chunks.append(chunk)
        if len(chunks) == 3:
            cancel.set()
    assert len(chunks) == 3


@pytest.mark.slow
@needs_model
def test_cancel_before_start_yields_nothing(generator: Generator) -> None:
    cancel = threading.Event()
    cancel.set()
    assert list(generator.stream(chat("Where is my refund?"), GREEDY, cancel)) == []


@pytest.mark.slow
@needs_model
def test_max_tokens_is_respected(generator: Generator) -> None:
    messages = chat("Tell me everything about your refund policy in great detail.")
    params = SamplingParams(temperature=0, max_tokens=5)
    text = generator.generate(messages, params)
    n_tokens = len(generator._tokenizer.encode(text))
    assert 1 <= n_tokens <= 6  # re-encoding may merge or split one boundary token
    generator.generate(messages, SamplingParams(temperature=0, max_tokens=30, min_tokens=30))
    assert generator.last_stats.generated_tokens == 30  # end of turn held off until then


@pytest.mark.slow
@needs_model
def test_closing_the_stream_early_frees_the_generator(generator: Generator) -> None:
    it = generator.stream(chat("Hello?"), SamplingParams(temperature=0, max_tokens=40))
    next(it)
    it.close()  # the consumer walks away: the next request must not see it as busy
    assert generator.generate(chat("Hello?"), SamplingParams(temperature=0, max_tokens=4))


@pytest.mark.slow
@needs_model
def test_second_concurrent_stream_is_refused(generator: Generator) -> None:
    first = generator.stream(chat("Hello?"), SamplingParams(temperature=0, max_tokens=40))
    next(first)  # the first request is mid-reply and owns the KV cache
    second = generator.stream(chat("Hi"), GREEDY)
    with pytest.raises(RuntimeError, match="already streaming"):
        next(second)
    first.close()
    assert generator.generate(chat("Hi"), SamplingParams(temperature=0, max_tokens=4))


@pytest.mark.slow
@needs_model
def test_smoke_passes_on_the_built_model(generator: Generator) -> None:
    generator.smoke()


def copy_store(tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the built model store (to damage), and its onnx folder."""
    src = artifacts.locate(COMPONENT)
    store = tmp_path / "models"
    shutil.copytree(src.path, store / COMPONENT / src.recipe_hash)
    (store / COMPONENT / "current").write_text(src.recipe_hash)
    return store, store / COMPONENT / src.recipe_hash / "onnx"


@pytest.mark.slow
@needs_model
def test_truncated_model_file_is_a_model_error_naming_it(tmp_path: Path) -> None:
    store, onnx_dir = copy_store(tmp_path)
    data = onnx_dir / "model.onnx.data"
    with open(data, "r+b") as f:
        f.truncate(data.stat().st_size // 2)
    with pytest.raises(ModelError) as err:
        Generator.load(root=store)
    message = str(err.value)
    assert str(data) in message
    assert "assist models build --force llm" in message


@pytest.mark.slow
@needs_model
def test_smoke_names_a_file_changed_after_loading(tmp_path: Path) -> None:
    store, onnx_dir = copy_store(tmp_path)
    gen = Generator.load(root=store)
    gen.smoke()
    config = onnx_dir / "genai_config.json"
    config.write_text(config.read_text().replace('"top_k"', '"top_k "'))
    with pytest.raises(ModelError, match="genai_config.json.*--force llm"):
        gen.smoke()


def test_sampling_params_reject_nonsense() -> None:
    with pytest.raises(ValueError, match="temperature"):
        SamplingParams(temperature=-1)
    with pytest.raises(ValueError, match="max_tokens"):
        SamplingParams(max_tokens=0)


def test_pick_token_greedy_topk_and_repetition_penalty() -> None:
    logits = np.array([1.0, 5.0, 4.9, -2.0], dtype=np.float32)
    rng = np.random.default_rng(0)
    assert pick_token(logits, SamplingParams(temperature=0), [], rng) == 1
    # penalising the already generated best token hands the win to the runner-up
    penalised = SamplingParams(temperature=0, repetition_penalty=1.5)
    assert pick_token(logits, penalised, [1], rng) == 2
    # top_k=2 never picks outside the two best, whatever the draw
    top2 = SamplingParams(temperature=5.0, top_k=2, top_p=1.0)
    assert {pick_token(logits, top2, [], rng) for _ in range(200)} == {1, 2}


def test_pick_token_samples_the_softmax_and_truncates_at_top_p() -> None:
    probs = np.array([0.5, 0.3, 0.2, 0.0001])
    logits = np.log(probs).astype(np.float32)
    rng = np.random.default_rng(7)
    plain = SamplingParams(temperature=1.0, top_k=0, top_p=1.0, repetition_penalty=1.0)
    draws = np.bincount([pick_token(logits, plain, [], rng) for _ in range(20000)], minlength=4)
    np.testing.assert_allclose(draws[:3] / 20000, probs[:3], atol=0.015)
    # top_p=0.6: the smallest set reaching 0.6 is the two best, renormalised to 5/8 and 3/8
    nucleus = SamplingParams(temperature=1.0, top_k=0, top_p=0.6, repetition_penalty=1.0)
    draws = np.bincount([pick_token(logits, nucleus, [], rng) for _ in range(20000)], minlength=4)
    assert draws[2] == draws[3] == 0
    np.testing.assert_allclose(draws[:2] / 20000, [0.625, 0.375], atol=0.015)
