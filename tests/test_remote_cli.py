"""`assist suggest --remote` and `assist remote ...` end to end, against the fault server on
127.0.0.1. Subprocesses get the key from ``ASSIST_API_KEY`` (they must not touch a keyring);
``set-key`` runs in-process, on the tests' memory keyring."""

from __future__ import annotations

import io
import json
import socket
from collections.abc import Iterator

import pytest

from assist.cli.main import main
from assist.remote.setup import API_KEY_SECRET
from tests.fault_server import FaultServer, running
from tests.keyring_memory import MemoryKeyring
from tests.test_cli import assist, jsonl

KEY = "sk-cli-TEST-13579"
CHAT = jsonl(("customer", "Hi, my parcel is late. Mail me at kim@example.net please."))


@pytest.fixture(scope="module")
def faults() -> Iterator[FaultServer]:
    with running() as srv:
        yield srv


def base(srv: FaultServer, case: str) -> str:
    return f"http://127.0.0.1:{srv.server_address[1]}/{case}"


def test_suggest_remote_says_which_model_answered(faults: FaultServer) -> None:
    faults.reply_text = "Sorry about the delay! I will e-mail [EMAIL_1] with the tracking link."
    result = assist(
        "suggest",
        "--remote",
        base(faults, "echo"),
        "--model",
        "m",
        stdin=CHAT,
        env={"ASSIST_API_KEY": KEY},
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    sources = [s["source"] for s in json.loads(result.stdout)["suggestions"]]
    assert sources == ["macro", "remote", "macro"]
    assert "kim@example.net" not in json.dumps(faults.bodies("echo"))
    assert KEY.encode() not in result.stderr + result.stdout


def test_suggest_remote_falls_back_to_the_local_model_and_says_why() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    result = assist(
        "suggest", "--remote", dead, "--model", "m", stdin=CHAT, env={"ASSIST_API_KEY": KEY}
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    sources = [s["source"] for s in json.loads(result.stdout)["suggestions"]]
    assert sources[1] == "generated"
    assert b"cannot connect" in result.stderr and b"the local model answered" in result.stderr


def test_remote_test_prints_models_and_latency(faults: FaultServer) -> None:
    result = assist("remote", "test", "--url", base(faults, "models"), env={"ASSIST_API_KEY": KEY})
    assert result.returncode == 0, result.stderr.decode()
    out = json.loads(result.stdout)
    assert out["models"] == ["qwen-7b", "llama-8b"] and out["latency_ms"] >= 0
    bad = assist("remote", "test", "--url", base(faults, "e401"), env={"ASSIST_API_KEY": KEY})
    assert bad.returncode == 1 and b"refused the API key" in bad.stderr
    assert KEY.encode() not in bad.stderr


def test_set_key_reads_stdin_into_the_keyring(
    monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(KEY + "\n"))
    assert main(["remote", "set-key"]) == 0
    assert memory_keyring.passwords[("assist", API_KEY_SECRET)] == KEY
    assert main(["remote", "delete-key"]) == 0
    assert ("assist", API_KEY_SECRET) not in memory_keyring.passwords
