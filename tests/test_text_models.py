"""The real text models from the model cache: shapes, labels on clear cases, bad input, damage.

Build them first: ``.venv/bin/python -m models.build encoder heads``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from assist.artifacts import ModelError, current_hash
from assist.paths import models_dir
from assist.runtime.text_models import TextModels

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def models() -> TextModels:
    try:
        return TextModels.load(threads=2)
    except ModelError as e:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"text models not built: {e}")


def test_encode_shapes_and_unit_norm(models: TextModels) -> None:
    emb = models.encode(["where is my order?", "I want a refund", "hello"])
    assert emb.shape == (3, 384) and emb.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    assert models.encode([]).shape == (0, 384)


def test_a_vector_does_not_depend_on_its_neighbours(models: TextModels) -> None:
    """Dynamic int8 ranges are per tensor, so messages must never share one (see encoder)."""
    texts = ["a much longer message about the parcel that never arrived at my door", "hi", "ok"]
    together = models.encode(texts)
    for i, t in enumerate(texts):
        np.testing.assert_array_equal(together[i], models.encode([t])[0])
    np.testing.assert_array_equal(models.encode(texts[::-1])[::-1], together)


def test_paraphrases_are_closer_than_unrelated(models: TextModels) -> None:
    a, b, c = models.encode(
        ["where is my package", "my parcel has not arrived yet", "what is the capital of France"]
    )
    assert float(a @ b) > float(a @ c) + 0.2


def test_weather_is_other(models: TextModels) -> None:
    intent = models.analyze(["what's the weather like tomorrow"])[0].intent
    assert intent.label == "other"
    assert intent.reason in ("out_of_scope", "low_confidence")


def test_shop_intents(models: TextModels) -> None:
    results = models.analyze(
        ["where is my order 12345", "I want to cancel my order", "how do I reset my password?"]
    )
    assert [r.intent.label for r in results] == ["track_order", "cancel_order", "recover_password"]
    top = results[0].intent.top
    assert len(top) == 3 and top[0][0] == "track_order"
    assert top[0][1] >= top[1][1] >= top[2][1]
    assert results[0].intent.reason is None


def test_clear_sentiments(models: TextModels) -> None:
    neg, pos = models.analyze(
        [
            "This is the worst service ever, I am furious and my order is broken!",
            "Thank you so much, you were amazing and the delivery was super fast!",
        ]
    )
    assert neg.sentiment.label == "negative" and neg.sentiment.score < -0.3
    assert pos.sentiment.label == "positive" and pos.sentiment.score > 0.3
    assert -1.0 <= neg.sentiment.score <= 1.0


def test_empty_and_huge_inputs(models: TextModels) -> None:
    huge = "my order has not arrived and " * 3600  # ~100 KB
    assert len(huge) > 100_000
    empty, big = models.analyze(["", huge])
    assert empty.embedding.shape == (384,) and np.isfinite(empty.embedding).all()
    assert big.intent.label != "" and np.isfinite(big.embedding).all()
    assert models.analyze([]) == []


def test_smoke_passes(models: TextModels) -> None:
    models.smoke()


def _copy_store(tmp_path: Path) -> Path:
    root = tmp_path / "models"
    for component in ("encoder", "heads"):
        digest = current_hash(component)
        assert digest, f"{component} not built"
        shutil.copytree(models_dir() / component / digest, root / component / digest)
        (root / component / "current").write_text(digest)
    return root


def test_truncated_encoder_raises_model_error(models: TextModels, tmp_path: Path) -> None:
    root = _copy_store(tmp_path)
    onnx_file = root / "encoder" / current_hash("encoder", root) / "model.onnx"  # type: ignore[operator]
    data = onnx_file.read_bytes()
    onnx_file.write_bytes(data[: len(data) // 3])
    with pytest.raises(ModelError) as err:
        TextModels.load(root=root)
    assert "model.onnx" in str(err.value)
    assert "assist models build --force encoder" in str(err.value)


def test_corrupt_heads_raise_model_error(models: TextModels, tmp_path: Path) -> None:
    root = _copy_store(tmp_path)
    heads_file = root / "heads" / current_hash("heads", root) / "heads.npz"  # type: ignore[operator]
    heads_file.write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="heads.npz.*--force heads"):
        TextModels.load(root=root)


def test_missing_models_say_how_to_build(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="assist models build"):
        TextModels.load(root=tmp_path)
