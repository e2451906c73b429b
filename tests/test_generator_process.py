"""GeneratorProcess: the same replies as the in-process generator, from a child process that
can be cancelled, closed early, killed and damaged without taking the caller down."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from assist.artifacts import ModelError
from assist.runtime.generator import Generator, SamplingParams
from assist.runtime.generator_process import GeneratorProcess
from tests.test_generator import GREEDY, chat, copy_store, needs_model

pytestmark = [pytest.mark.slow, needs_model]


@pytest.fixture(scope="module")
def child() -> Iterator[GeneratorProcess]:
    gen = GeneratorProcess.load()
    yield gen
    gen.close()


def test_the_child_writes_what_the_in_process_generator_writes(child: GeneratorProcess) -> None:
    messages = chat("I returned my jacket two weeks ago, where is my refund?")
    local = Generator.load()
    try:
        expected = local.generate(messages, GREEDY)
    finally:
        local.close()
    chunks = list(child.stream(messages, GREEDY))
    assert len(chunks) > 3 and "".join(chunks) == expected
    assert child.last_stats.generated_tokens > 3
    assert child.last_stats.prompt_tokens > 20


def test_cancel_stops_the_child_between_tokens(child: GeneratorProcess) -> None:
    cancel = threading.Event()
    long = SamplingParams(temperature=0, max_tokens=200, min_tokens=200)
    got = []
    for chunk in child.stream(chat("Tell me about your return policy."), long, cancel):
        got.append(chunk)
        if len(got) == 3:
            cancel.set()
    assert 3 <= len(got) < 30, "decoding went on after the cancel"
    assert child.last_stats.generated_tokens < 200
    # the pipe is in step: the next request answers normally
    assert child.generate(chat("Do you ship to Canada?"), GREEDY)


def test_closing_the_stream_early_leaves_the_child_ready(child: GeneratorProcess) -> None:
    stream = child.stream(chat("How do I change my address?"), GREEDY)
    next(stream)
    stream.close()
    assert child.generate(chat("How do I change my address?"), GREEDY)


def test_a_killed_child_is_replaced_on_the_next_request(child: GeneratorProcess) -> None:
    os.kill(child._proc.pid, signal.SIGKILL)
    child._proc.join(5)
    assert child.generate(chat("Where is my order?"), GREEDY)


def test_a_damaged_model_is_a_model_error_naming_the_file(tmp_path: Path) -> None:
    store, onnx_dir = copy_store(tmp_path)
    data = onnx_dir / "model.onnx.data"
    with open(data, "r+b") as f:
        f.truncate(data.stat().st_size // 2)
    with pytest.raises(ModelError) as err:
        GeneratorProcess.load(root=store)
    assert str(data) in str(err.value)
    assert "assist models build --force llm" in str(err.value)
