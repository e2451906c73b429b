"""The `assist` command end to end: real subprocesses on the built models."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assist import artifacts
from assist.paths import models_dir


def assist(
    *args: str, stdin: bytes = b"", env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "assist", *args],
        input=stdin,
        capture_output=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def jsonl(*messages: tuple[str, str]) -> bytes:
    lines = [
        json.dumps(
            {"conversation_id": "t1", "role": role, "text": text, "ts": f"2026-11-23T10:0{i}:00Z"}
        )
        for i, (role, text) in enumerate(messages)
    ]
    return ("\n".join(lines) + "\n").encode()


def test_classify_reports_bad_lines_and_keeps_the_rest() -> None:
    stdin = b"where is my order 48213977?\n\n\xff\xfe\nI want a refund, this is awful\n"
    result = assist("classify", stdin=stdin)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [r["text"] for r in rows] == [
        "where is my order 48213977?",
        "I want a refund, this is awful",
    ]
    err = result.stderr.decode()
    assert "line 2" in err and "empty" in err
    assert "line 3" in err and "UTF-8" in err
    first = rows[0]
    assert set(first) == {"text", "intent", "sentiment", "entities"}
    assert first["intent"]["label"] == "track_order"
    assert len(first["intent"]["top"]) == 3
    assert -1 <= first["sentiment"]["score"] <= 1
    order = [e for e in first["entities"] if e["type"] == "order_id"]
    assert order and order[0]["value"] == "48213977"
    assert first["text"][order[0]["start"] : order[0]["end"]] == "48213977"
    assert rows[1]["sentiment"]["label"] == "negative"


def test_classify_ten_thousand_lines_in_one_call() -> None:
    texts = [
        f"I need to cancel order {i}" if i % 2 else f"what's the weather in Rome {i}"
        for i in range(10_000)
    ]
    result = assist(
        "classify", "--batch", "64", stdin=("\n".join(texts) + "\n").encode(), timeout=600
    )
    assert result.returncode == 0, result.stderr
    rows = result.stdout.decode().splitlines()
    assert len(rows) == 10_000
    assert json.loads(rows[1])["intent"]["label"] == "cancel_order"
    assert json.loads(rows[0])["intent"]["label"] == "other"


def test_classify_huge_message() -> None:
    big = ("my parcel is late " * 6000).strip()  # ~108 KB
    result = assist("classify", stdin=big.encode() + b"\n")
    assert result.returncode == 0, result.stderr
    (row,) = [json.loads(x) for x in result.stdout.decode().splitlines()]
    assert len(row["text"]) == len(big)


def test_suggest_fills_slots_from_the_conversation() -> None:
    stdin = jsonl(
        ("customer", "Hi, my order 48213977 hasn't arrived yet."),
        ("agent", "Sorry to hear that, let me check."),
        ("customer", "Can you tell me where my order is?"),
    )
    result = assist("suggest", "--no-generate", "--n", "3", stdin=stdin)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    suggestions = out["suggestions"]
    assert len(suggestions) == 3
    assert all(s["source"] == "macro" and s["macro_id"] for s in suggestions)
    assert all("{{Order Number" not in s["text"] for s in suggestions)


def test_suggest_streams_a_generated_suggestion() -> None:
    stdin = jsonl(("customer", "I returned my jacket two weeks ago, where is my refund?"))
    result = assist("suggest", "--seed", "3", stdin=stdin)
    assert result.returncode == 0, result.stderr
    suggestions = json.loads(result.stdout)["suggestions"]
    assert len(suggestions) == 3
    generated = [s for s in suggestions if s["source"] == "generated"]
    assert len(generated) == 1 and generated[0]["text"].strip()


def test_suggest_skips_malformed_lines_and_fails_without_customer() -> None:
    stdin = (
        b'{"role": "customer", "text": "cancel my order please"}\n{oops\n'
        b'{"role": "robot", "text": "x"}\n'
    )
    result = assist("suggest", "--no-generate", stdin=stdin)
    assert result.returncode == 0, result.stderr
    err = result.stderr.decode()
    assert "line 2: malformed JSON" in err and "line 3: unknown role" in err
    assert json.loads(result.stdout)["suggestions"]

    only_agent = assist("suggest", stdin=jsonl(("agent", "hello")))
    assert only_agent.returncode == 1
    assert b"no valid customer message" in only_agent.stderr


def test_missing_models_are_a_clear_error(tmp_path: Path) -> None:
    result = assist("classify", stdin=b"hello\n", env={"ASSIST_MODELS_DIR": str(tmp_path)})
    assert result.returncode == 1
    err = result.stderr.decode()
    assert "not built" in err and "assist models build" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("component", ["encoder", "llm"])
def test_verify_names_a_truncated_file(tmp_path: Path, component: str) -> None:
    copy = tmp_path / "models"
    shutil.copytree(models_dir(), copy, ignore=shutil.ignore_patterns(".staging-*"))
    art = artifacts.locate(component, copy)
    victim = max((art.file(f) for f in art.files), key=lambda p: p.stat().st_size)
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    env = {"ASSIST_MODELS_DIR": str(copy)}
    result = assist("models", "verify", env=env)
    assert result.returncode == 1
    err = result.stderr.decode()
    assert str(victim) in err and f"assist models build --force {component}" in err
    # loading the damaged model for real also names the file instead of crashing
    run = assist("suggest", stdin=jsonl(("customer", "where is my refund?")), env=env)
    run_err = run.stderr.decode()
    assert "Traceback" not in run_err
    if component == "encoder":
        assert run.returncode == 1 and "encoder" in run_err
    else:  # analysis and macros keep working without the language model
        assert run.returncode == 0 and "llm" in run_err
        assert json.loads(run.stdout)["suggestions"]


def test_verify_passes_on_the_built_models() -> None:
    result = assist("models", "verify")
    assert result.returncode == 0, result.stderr
    assert b"smoke inference ok" in result.stdout
