"""`assist eval replies`: the metrics by hand, then one small run on the built models."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assist.artifacts import locate
from assist.cli.main import build_parser, main
from assist.eval_replies import Centroids, format_table, pick_examples
from assist.overlap import rouge_l, words
from assist.reply_data import ReplyExample


def test_rouge_l_identical_disjoint_and_partial() -> None:
    assert rouge_l("Your order has shipped.", "your ORDER has shipped") == 1.0
    assert rouge_l("refund issued today", "we cannot help") == 0.0
    # LCS "the cat on the mat" = 5 of 6 and 6 words: F1 = 2*5/12
    assert rouge_l("the cat sat on the mat", "the cat is on the mat") == pytest.approx(10 / 12)
    # LCS 2: P = 2/4, R = 2/2, F1 = 2PR/(P+R) = 2/3
    assert rouge_l("a b c d", "a c") == pytest.approx(2 / 3)
    assert rouge_l("", "anything") == 0.0
    assert rouge_l("", "") == 1.0


def test_placeholders_are_one_token() -> None:
    assert words("Order {{Order Number}} is late!") == ["order", "{{order number}}", "is", "late"]
    assert rouge_l("see {{Order Number}}", "see {{Order Number}}") == 1.0
    assert rouge_l("see {{Order Number}}", "see order number") == pytest.approx(2 / 5)


def test_centroids_classify_by_nearest_cosine() -> None:
    emb = np.array([[1.0, 0.1], [0.9, -0.1], [0.1, 1.0], [-0.1, 0.8], [0.7, 0.7]], np.float32)
    labels = ["refund", "refund", "track", "track", "track"]
    c = Centroids.fit(emb, labels)
    assert c.labels == ("refund", "track")
    assert np.allclose(np.linalg.norm(c.matrix, axis=1), 1.0)
    probe = np.array([[2.0, 0.0], [0.0, 0.5], [0.3, 0.9], [0.95, 0.2]], np.float32)
    assert c.classify(probe) == ["refund", "track", "track", "refund"]


def test_pick_examples_spreads_over_intents_deterministically() -> None:
    rows = [ReplyExample(f"m{i}", "a" if i < 10 else "b", f"r{i}") for i in range(14)]
    picked = pick_examples(rows, 4)
    assert [r.intent for r in picked] == ["a", "b", "a", "b"]
    assert picked == pick_examples(rows, 4)
    assert len({r.message for r in picked}) == 4
    assert len(pick_examples(rows, 100)) == 14  # never more than there is


def test_format_table_aligns_and_marks_missing_figures() -> None:
    row = {"rouge_l": 0.25, "similarity": 0.5, "invented_shown": 0.0, "words": 12.0}
    report = {"n": 2, "seed": 0, "drafts_by": "x", "systems": {"macro": row, "nearest_train": row}}
    lines = format_table(report).splitlines()
    assert lines[0].startswith("system") and "ROUGE-L" in lines[0]
    assert len({len(line) for line in lines[:4]}) == 1  # header, rule, two rows: aligned
    assert lines[2].split()[:5] == ["macro", "0.250", "0.500", "0.000", "-"]


def test_plain_eval_keeps_its_options() -> None:
    args = build_parser().parse_args(["eval", "--json"])
    assert args.eval_what is None and args.json is True and args.grounding_samples == 24
    args = build_parser().parse_args(["eval", "replies", "--n", "5", "--json", "out.json"])
    assert (args.eval_what, args.n, args.json_file, args.seed) == ("replies", 5, "out.json", 0)


def test_eval_replies_rejects_a_folder_without_genai_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "replies", "--baseline-model", str(tmp_path)]) == 2
    assert "genai_config.json" in capsys.readouterr().err


def test_eval_replies_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Three dev rows, the packaged model also as the baseline: the same seeded drafts."""
    out = tmp_path / "report.json"
    baseline = locate("llm").file("onnx")
    argv = ["eval", "replies", "--n", "3", "--train-per-intent", "2", "--json", str(out)]
    assert main([*argv, "--baseline-model", str(baseline)]) == 0
    table = capsys.readouterr().out
    names = [line.split()[0] for line in table.splitlines()[2:-1]]
    # the bundled model ships its past replies: the one it adapts is scored copied, too
    assert names == ["model", "baseline_model", "macro", "nearest_train", "past_reply"]
    report = json.loads(out.read_text())
    assert report["n"] == 3 and len(report["examples"]) == 3
    for name, row in report["systems"].items():
        for key in ("rouge_l", "similarity", "invented_shown", "intent_consistency"):
            assert 0.0 <= row[key] <= 1.0, (name, key, row[key])
        assert row["words"] > 0
    model, base = report["systems"]["model"], report["systems"]["baseline_model"]
    assert 0.0 <= model["invented_raw"] <= 1.0 and model["failed"] == 0
    assert model["tokens_per_s_p50"] > 0 and model["first_token_ms_p50"] > 0
    assert report["systems"]["macro"]["invented_raw"] is None
    # seeded drafts do not depend on which Generator (and KV cache) wrote them
    assert [e["model"] for e in report["examples"]] == [
        e["baseline_model"] for e in report["examples"]
    ]
    assert base["rouge_l"] == model["rouge_l"]
