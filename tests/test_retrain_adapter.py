"""`assist models retrain --adapter`: which of the agents' replies teach the reply model, the
gate that decides the install, and one end-to-end run (train, export, compare, install)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assist.cli.main import build_parser
from assist.runtime.installed import installed_models
from models import retrain_adapter as ra
from models.retrain import FeedbackLine, parse_feedback
from tests.test_models_export import linked_store, needs_llm


def line(action: str, message: str | None, target: str | None, n: int = 1) -> FeedbackLine:
    return FeedbackLine(
        n, action, message, "shown text", "generated", None, "track_order", None, target
    )


def test_accepted_and_edited_replies_teach_and_the_rest_is_counted() -> None:
    lines = [
        line("edited", "Where is my parcel?", "Hi! It left our warehouse today."),
        line("accepted", "Can I change my address?", "Yes: Settings > Addresses."),
        line("edited", "Where is my parcel?", "Hi! It left our warehouse today."),  # repeat
        line("rejected", "Refund?", None),
        line("accepted", None, "Thanks!"),
        line("edited", "Bonjour, où est mon colis ?", "Il est parti."),
        line("accepted", "a dev phrasing", "reply"),
        line("edited", "How do I cancel?", "   "),
    ]
    replies = ra.reply_examples(
        lines, ({"a dev phrasing"}, set()), english=lambda t: "colis" not in t
    )
    assert [(e.message, e.reply, e.intent) for e in replies.examples] == [
        ("Where is my parcel?", "Hi! It left our warehouse today.", "track_order"),
        ("Can I change my address?", "Yes: Settings > Addresses.", "track_order"),
    ]
    assert replies.summary() == (
        "lines 8, used 2, rejected 1, no_reply 2, not_english 1, in_dev 1, duplicate 1"
    )


def test_the_export_format_carries_the_target(tmp_path: Path) -> None:
    path = tmp_path / "fb.jsonl"
    row = {"message": "m", "suggestion": "s", "target": "t", "action": "edited"}
    path.write_text(json.dumps(row) + "\n")
    assert parse_feedback(path)[0].target == "t"


def test_training_mixes_bitext_pairs_in() -> None:
    replies = [ra.ReplyExample(f"message {i}", "track_order", f"reply {i}") for i in range(20)]
    data = ra.training_set(replies)
    assert len(data) == 20 + ra.BITEXT_PER_REPLY * 20
    assert set(replies) <= set(data)
    assert len(ra.training_set(replies[:3])) == 3 + ra.MIN_BITEXT


def scores(rouge: float, sim: float, invented: float = 0.0) -> dict[str, Any]:
    return {"rouge_l": rouge, "similarity": sim, "invented_shown": invented}


def test_the_gate_installs_only_what_drafts_no_worse() -> None:
    now = scores(0.30, 0.75)
    assert ra.judge(now, scores(0.31, 0.76)).install
    assert ra.judge(now, scores(0.30 - ra.TOLERANCE / 2, 0.75)).install  # within the noise
    worse = ra.judge(now, scores(0.28, 0.70))
    assert not worse.install
    assert worse.reasons == ("rouge_l 0.280 < 0.300", "similarity 0.700 < 0.750")
    invents = ra.judge(now, scores(0.40, 0.80, invented=0.02))
    assert invents.reasons == ("invented facts shown 0.02 > 0.00",)


def test_the_parser_takes_the_adapter_options() -> None:
    args = build_parser().parse_args(
        ["models", "retrain", "--feedback", "f", "--adapter", "--name", "ours", "--eval-rows", "5"]
    )
    assert (args.adapter, args.name, args.eval_rows) == (True, "ours", 5)
    assert build_parser().parse_args(["models", "retrain", "--feedback", "f"]).adapter is False


@pytest.mark.slow
@needs_llm
def test_a_tiny_retrain_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_profile: Path
) -> None:
    pytest.importorskip("peft")
    root = linked_store(tmp_path)
    monkeypatch.setenv("ASSIST_MODELS_DIR", str(root))
    monkeypatch.setattr(ra, "MIN_BITEXT", 0)  # one optimizer step on the agents' 8 replies
    monkeypatch.setattr(ra, "BITEXT_PER_REPLY", 0)
    monkeypatch.setattr(ra, "DEV_LOSS_ROWS", 2)
    replies = [
        ra.ReplyExample(
            f"Where is my order ORD-{1000 + i}?",
            "track_order",
            "Thanks for waiting! Your order {{Order Number}} is on its way; the tracking link "
            "is in your confirmation e-mail.",
        )
        for i in range(8)
    ]
    logged: list[str] = []
    verdict, report = ra.retrain_adapter(replies, "ours", eval_rows=3, root=root, log=logged.append)
    assert any(x.startswith("step 1/1 loss") for x in logged)
    current, new = report["systems"]["current model"], report["systems"]["retrained"]
    assert report["n"] == 3 and 0 <= new["rouge_l"] <= 1 and 0 <= current["rouge_l"] <= 1
    assert verdict == ra.judge(current, new)
    names = [m.name for m in installed_models(root)]
    assert ("ours" in names) == verdict.install  # installed exactly when the gate said so
    assert not [p for p in (root / "user").iterdir() if p.name.startswith(".candidate-")]
    if verdict.install:
        manifest = json.loads((root / "user" / "ours" / "manifest.json").read_text())
        assert manifest["card"]["retrained"]["agents_replies"] == 8
