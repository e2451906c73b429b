"""`assist serve` over real loopback HTTP: the built model for the end-to-end checks, a fake
blocking model for the queue bound and cancellation (deterministic timing)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from assist import artifacts
from assist.artifacts import ModelError
from assist.cli.main import main
from assist.remote.client import RemoteClient, RemoteConfig
from assist.remote.errors import RemoteError
from assist.runtime.generator import COMPONENT, GenerationStats, Generator, SamplingParams
from assist.serve.api import create_app
from assist.serve.keys import KeyStore
from assist.serve.server import ServeError, ServeServer
from assist.serve.worker import ModelWorker

NAME = "test-model"
CHAT = [{"role": "user", "content": "Where is my order?"}]


def _built() -> bool:
    try:
        artifacts.locate(COMPONENT)
    except ModelError:
        return False
    return True


class FakeModel:
    """Yields one chunk, then waits (observing its cancel event) until released."""

    def __init__(self) -> None:
        self.last_stats = GenerationStats()
        self.context_length = 2048
        self.started = threading.Event()
        self.release = threading.Event()
        self.saw_cancel = threading.Event()

    def stream(
        self, messages: list[dict[str, str]], params: SamplingParams, cancel: threading.Event
    ) -> Iterator[str]:
        def run() -> Iterator[str]:
            self.started.set()
            yield "hello"
            while not self.release.wait(0.02):
                if cancel.is_set():
                    self.saw_cancel.set()
                    return
                yield " ."

        return run()


def serve(model: object, keys: KeyStore | None = None, max_queue: int = 8) -> ServeServer:
    worker = ModelWorker(model, max_queue=max_queue)  # type: ignore[arg-type]
    app = create_app(worker, NAME, keys, max_body=4096, max_tokens_cap=64)
    server = ServeServer(app, "127.0.0.1", 0, has_keys=bool(keys and keys.has_keys()))
    server.start()
    return server


@pytest.fixture(scope="module")
def real() -> Iterator[ServeServer]:
    if not _built():
        pytest.skip("llm not built: python -m models.build llm")
    model = Generator.load()
    server = serve(model)
    yield server
    server.stop()
    model.close()


def client(server: ServeServer, key: str | None = None) -> RemoteClient:
    return RemoteClient(RemoteConfig(f"{server.url}/v1", NAME, key, deadline=30.0))


def test_models_lists_the_model(real: ServeServer) -> None:
    ids, _ = client(real).models()
    assert ids == [NAME]
    assert httpx.get(f"{real.url}/health").json()["status"] == "ok"


def test_streamed_greedy_completion_is_deterministic(real: ServeServer) -> None:
    c = client(real)
    first = "".join(c.stream(CHAT, max_tokens=12, temperature=0, seed=7))
    second = "".join(c.stream(CHAT, max_tokens=12, temperature=0, seed=7))
    assert first.strip()
    assert first == second


def test_non_streaming_completion(real: ServeServer) -> None:
    body = {"model": NAME, "messages": CHAT, "max_tokens": 12, "temperature": 0}
    r = httpx.post(f"{real.url}/v1/chat/completions", json=body, timeout=30)
    assert r.status_code == 200
    reply = r.json()
    assert reply["object"] == "chat.completion"
    assert reply["choices"][0]["message"]["content"].strip()
    assert reply["choices"][0]["finish_reason"] in ("stop", "length")


def test_limits_are_clear_4xx() -> None:
    server = serve(FakeModel())
    try:
        url = f"{server.url}/v1/chat/completions"
        big = {"messages": [{"role": "user", "content": "x" * 5000}]}
        r = httpx.post(url, json=big)
        assert r.status_code == 413
        r = httpx.post(url, json={"messages": CHAT, "max_tokens": 1000})
        assert r.status_code == 400 and "limit of 64" in r.json()["error"]["message"]
        r = httpx.post(url, json={"messages": [{"role": "robot", "content": "hi"}]})
        assert r.status_code == 400 and "role" in r.json()["error"]["message"]
        r = httpx.post(url, json={"messages": []})
        assert r.status_code == 400
    finally:
        server.stop()


def test_api_keys_are_hashed_and_required() -> None:
    keys = KeyStore()
    key = keys.add_key()
    assert key not in keys.path.read_text()
    server = serve(FakeModel(), keys)
    try:
        with pytest.raises(RemoteError) as e:
            client(server, "ask-wrong").models()
        assert e.value.kind == "auth"
        with pytest.raises(RemoteError) as e:
            client(server).models()
        assert e.value.kind == "auth"
        assert client(server, key).models()[0] == [NAME]
    finally:
        server.stop()


def test_no_key_refuses_a_non_loopback_address(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ServeError, match="API key"):
        ServeServer(create_app(ModelWorker(FakeModel()), NAME), "0.0.0.0", 0, has_keys=False)  # type: ignore[arg-type]
    assert main(["serve", "--host", "0.0.0.0", "--port", "0"]) == 2
    assert "without an API key" in capsys.readouterr().err


def test_add_key_prints_a_key_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--add-key"]) == 0
    key = capsys.readouterr().out.strip()
    assert KeyStore().verify(key) and not KeyStore().verify(key + "x")


def test_queue_bound_gives_429() -> None:
    model = FakeModel()
    server = serve(model, max_queue=1)
    url = f"{server.url}/v1/chat/completions"
    body = {"messages": CHAT, "max_tokens": 8}
    results: list[int] = []
    threads = []
    try:
        t = threading.Thread(target=lambda: results.append(httpx.post(url, json=body).status_code))
        t.start()
        threads.append(t)
        assert model.started.wait(5)
        t = threading.Thread(target=lambda: results.append(httpx.post(url, json=body).status_code))
        t.start()
        threads.append(t)
        for _ in range(250):
            if httpx.get(f"{server.url}/health").json()["waiting"] == 1:
                break
            threading.Event().wait(0.02)
        r = httpx.post(url, json=body)
        assert r.status_code == 429 and r.headers["retry-after"]
    finally:
        model.release.set()
        for t in threads:
            t.join(10)
        server.stop()
    assert results == [200, 200]


def test_client_cancel_stops_the_generation() -> None:
    model = FakeModel()
    server = serve(model)
    cancel = threading.Event()
    try:
        stream = client(server).stream(CHAT, max_tokens=8, cancel=cancel)
        assert next(stream) == "hello"
        cancel.set()
        with pytest.raises(RemoteError) as e:
            list(stream)
        assert e.value.kind == "cancelled"
        assert model.saw_cancel.wait(5)
    finally:
        model.release.set()
        server.stop()


def test_cuda_without_a_cuda_build_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    from assist.runtime.kv_decoder import cuda_available

    if cuda_available():
        pytest.skip("this machine has CUDA: the CPU-only message can't be seen here")
    if not _built():
        pytest.skip("llm not built: python -m models.build llm")
    assert main(["serve", "--device", "cuda", "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert "CUDA provider is not available" in err and "onnxruntime-gpu" in err
