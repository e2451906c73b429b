from __future__ import annotations

from pathlib import Path

import pytest

from assist import artifacts
from assist.artifacts import ModelError


def _stage(tmp: Path, payload: bytes) -> Path:
    staging = tmp / "staging"
    (staging / "sub").mkdir(parents=True)
    (staging / "model.bin").write_bytes(payload)
    (staging / "sub" / "vocab.txt").write_text("a\nb\n")
    return staging


def test_publish_then_locate(tmp_path: Path) -> None:
    root = tmp_path / "models"
    art = artifacts.publish(
        "encoder", "abc123", _stage(tmp_path, b"x" * 1000), {"metrics": {"acc": 0.9}}, root
    )
    assert art.recipe_hash == "abc123"
    assert set(art.files) == {"model.bin", "sub/vocab.txt"}
    assert art.card["sha256"]["model.bin"] == artifacts.sha256_file(art.file("model.bin"))
    assert artifacts.check_files(artifacts.locate("encoder", root)) == []


def test_truncated_file_is_named_with_the_fix(tmp_path: Path) -> None:
    root = tmp_path / "models"
    art = artifacts.publish("llm", "h1", _stage(tmp_path, b"y" * 5000), {}, root)
    target = art.file("model.bin")
    target.write_bytes(target.read_bytes()[:100])
    (problem,) = artifacts.check_files(art)
    assert str(target) in problem
    assert "assist models build --force llm" in problem


def test_missing_model_says_how_to_build(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="assist models build"):
        artifacts.locate("heads", tmp_path)


def test_corrupt_manifest_is_named(tmp_path: Path) -> None:
    root = tmp_path / "models"
    art = artifacts.publish("heads", "h2", _stage(tmp_path, b"z"), {}, root)
    (art.path / artifacts.MANIFEST).write_text("{broken")
    with pytest.raises(ModelError, match="manifest.json"):
        artifacts.locate("heads", root)


def test_republish_replaces_and_switches_current(tmp_path: Path) -> None:
    root = tmp_path / "models"
    artifacts.publish("encoder", "old", _stage(tmp_path, b"1"), {}, root)
    artifacts.publish("encoder", "new", _stage(tmp_path, b"2"), {}, root)
    assert artifacts.current_hash("encoder", root) == "new"
    assert artifacts.locate("encoder", root).file("model.bin").read_bytes() == b"2"
