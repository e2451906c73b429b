"""`assist models retrain`: reading the feedback export, which lines teach what, the install gate.

The end-to-end tests refit the intent head on a temp copy of the built heads (the encoder is
symlinked) and are marked slow: each refit encodes ~11,000 texts and fits the logistic
regression twice (about a minute or two on 2 cores; the encodings are shared between them).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assist import artifacts, datasets
from assist.cli import retrain_cmd
from assist.cli.main import build_parser
from assist.retrieval.sources import bundled_items
from models import retrain as rt

LABELS = [f"i{n}" for n in range(3)] + ["track_order", "cancel_order", "other"]


def _write(tmp_path: Path, rows: list[Any], name: str = "fb.jsonl") -> Path:
    path = tmp_path / name
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows),
        encoding="utf-8",
    )
    return path


def accepted(message: str | None, macro_id: str | None, **kw: Any) -> dict[str, Any]:
    line = {
        "message": message,
        "intent": kw.pop("intent", "track_order"),
        "suggestion": kw.pop("suggestion", "Your order ships."),
        "target": "Your order ships.",
        "source": kw.pop("source", "macro"),
        "macro_id": macro_id,
        "action": kw.pop("action", "accepted"),
    }
    line.update(kw)
    return line


def rejected(message: str, suggestion: str, reason: str | None = "wrong_intent") -> dict[str, Any]:
    return {"message": message, "suggestion": suggestion, "action": "rejected", "reason": reason}


# --- parsing --------------------------------------------------------------------------------


def test_parse_reads_every_action_and_ignores_blank_lines(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            accepted("Where is my parcel?", "bitext:track_order"),
            "",
            accepted("cancel it", "bitext:cancel_order/2", action="edited"),
            rejected("hi", "Hello!", None),
        ],
    )
    lines = rt.parse_feedback(path)
    assert [(x.number, x.action) for x in lines] == [
        (1, "accepted"),
        (3, "edited"),
        (4, "rejected"),
    ]
    assert lines[1].macro_id == "bitext:cancel_order/2" and lines[2].reason is None


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "expected a JSON object, got list"),
        (json.dumps({"message": "x", "action": "shown"}), "'action' must be one of"),
        (json.dumps({"message": 3, "action": "accepted"}), "'message' must be a string or null"),
    ],
)
def test_a_bad_line_is_an_error_naming_it(tmp_path: Path, bad: str, says: str) -> None:
    path = _write(tmp_path, [accepted("Where is my parcel?", "bitext:track_order"), bad])
    with pytest.raises(rt.FeedbackError, match=f"fb.jsonl:2: {says}"):
        rt.parse_feedback(path)


def test_bad_bytes_and_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "fb.jsonl"
    path.write_bytes(b'{"action": "accepted", "message": "ok"}\n{"message": "\xff"}\n')
    with pytest.raises(rt.FeedbackError, match=r"fb.jsonl:2: not valid UTF-8"):
        rt.parse_feedback(path)
    with pytest.raises(rt.FeedbackError, match="cannot read"):
        rt.parse_feedback(tmp_path / "nope.jsonl")


def test_the_command_exits_2_on_a_bad_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, [accepted("Where is my parcel?", "bitext:track_order"), "oops"])
    args = argparse.Namespace(feedback=str(path), dry_run=True, adapter=False)
    assert retrain_cmd.run(args) == 2
    assert "fb.jsonl:2: not JSON" in capsys.readouterr().err


def test_the_parser_knows_the_sub_command() -> None:
    args = build_parser().parse_args(["models", "retrain", "--feedback", "f.jsonl", "--dry-run"])
    assert (args.command, args.models_cmd, args.feedback, args.dry_run) == (
        "models",
        "retrain",
        "f.jsonl",
        True,
    )


# --- macro ids -> intents -------------------------------------------------------------------


def test_bundled_macro_ids_name_their_intent_and_articles_none() -> None:
    labels = datasets.intent_labels() if datasets.data_dir().is_dir() else None
    index = rt.macro_index(bundled_items(), labels or ["track_order", "cancel_order", "other"])
    assert index.intent_of("bitext:track_order") == "track_order"
    assert index.intent_of("bitext:cancel_order/1") == "cancel_order"
    assert index.intent_of("kb:refunds") is None  # an article, several intents
    assert index.intent_of("bitext:no_such_intent") is None
    assert index.intent_of(None) is None


def test_user_library_macros_count_and_may_override(tmp_path: Path) -> None:
    folder = tmp_path / "profile" / "library"
    folder.mkdir(parents=True)
    (folder / "mine.csv").write_text(
        "id,intent,text\nmine:late,track_order,Your parcel is on its way.\n"
        'mine:two,"track_order,cancel_order",Either.\n',
        encoding="utf-8",
    )
    index = rt.library_macros(LABELS, tmp_path / "profile")
    assert index.intent_of("mine:late") == "track_order"
    assert index.intent_of("mine:two") is None  # two intents: which one the agent meant is unknown
    assert index.intent_of("bitext:cancel_order") == "cancel_order"


# --- extraction -----------------------------------------------------------------------------


def _index() -> rt.MacroIndex:
    return rt.macro_index(bundled_items(), LABELS)


def _extract(tmp_path: Path, rows: list[Any], **kw: Any) -> rt.Extraction:
    return rt.extract_examples(rt.parse_feedback(_write(tmp_path, rows)), _index(), **kw)


def test_macro_acceptances_teach_the_macros_intent(tmp_path: Path) -> None:
    got = _extract(
        tmp_path,
        [
            # the detected intent was wrong; the agent picked a cancel macro: cancel wins
            accepted("I'd like to call off my purchase", "bitext:cancel_order/1", intent="i0"),
            accepted("where's my stuff", "bitext:track_order", action="edited"),
        ],
    )
    assert [(e.text, e.label) for e in got.examples] == [
        ("I'd like to call off my purchase", "cancel_order"),
        ("where's my stuff", "track_order"),
    ]
    assert got.counts["used"] == 2 and got.counts["lines"] == 2


def test_drafts_articles_unknown_ids_missing_and_foreign_messages_are_skipped(
    tmp_path: Path,
) -> None:
    got = _extract(
        tmp_path,
        [
            accepted("where's my stuff", None, source="generated"),
            accepted("where's my stuff now", None, source="remote", action="edited"),
            accepted("how do refunds work", "kb:refunds"),
            accepted("where is it", "user:gone.csv#3"),
            accepted(None, "bitext:track_order"),
            accepted("   ", "bitext:track_order"),
            accepted(
                "Wo ist meine Bestellung? Ich warte schon seit zwei Wochen.", "bitext:track_order"
            ),
            accepted("我的订单在哪里", "bitext:track_order"),
        ],
    )
    assert got.examples == []
    c = got.counts
    assert (c["draft"], c["kb_or_unknown_macro"], c["no_message"], c["not_english"]) == (2, 2, 2, 2)


def test_duplicates_count_once_and_conflicting_labels_drop_the_message(tmp_path: Path) -> None:
    got = _extract(
        tmp_path,
        [
            accepted("Where is my parcel?", "bitext:track_order"),
            accepted("where is   my PARCEL?", "bitext:track_order/2", action="edited"),
            accepted("stop my order", "bitext:cancel_order"),
            accepted("Stop my order", "bitext:track_order"),
        ],
    )
    assert [(e.text, e.label) for e in got.examples] == [("Where is my parcel?", "track_order")]
    assert (got.counts["duplicate"], got.counts["conflicting"]) == (1, 2)


def test_wrong_intent_rejections_are_counted_and_cancel_the_same_label(tmp_path: Path) -> None:
    track = next(i for i in bundled_items() if i.item_id == "bitext:track_order/1")
    assert "{{" in track.text  # the agent saw it with its placeholders filled in
    shown = track.text.replace("{{Order Number}}", "A-1234")
    got = _extract(
        tmp_path,
        [
            accepted("my order, where?", "bitext:track_order"),
            accepted("my order, where?", "bitext:cancel_order"),
            rejected("my order, where?", shown),  # track_order was wrong for it
            rejected("hello there", "Some generated text."),  # wrong, but which intent?
            rejected("hello there", "Some generated text.", "tone"),
        ],
    )
    assert [(e.text, e.label) for e in got.examples] == [("my order, where?", "cancel_order")]
    c = got.counts
    assert (c["rejected"], c["wrong_intent"], c["wrong_intent_matched"], c["contradicted"]) == (
        3,
        2,
        1,
        1,
    )
    assert c["conflicting"] == 0


def test_dev_rows_and_their_near_twins_stay_out_of_training(tmp_path: Path) -> None:
    dev = ({"where is my order 123"}, {datasets.phrasing_key("I want to cancel order 77")})
    got = _extract(
        tmp_path,
        [
            accepted("Where is my   order 123", "bitext:track_order"),
            accepted("i need to cancel order 99", "bitext:cancel_order"),
            accepted("has my order shipped yet", "bitext:track_order"),
        ],
        dev=dev,
    )
    assert [e.text for e in got.examples] == ["has my order shipped yet"]
    assert got.counts["in_dev"] == 2


# --- the gate -------------------------------------------------------------------------------


def _metrics(acc: float, oos: float, sent: float, false_other: float = 0.01) -> dict[str, Any]:
    return {
        "intent_dev": {
            "accuracy": acc,
            "oos_to_other_rate": oos,
            "accuracy_when_answered": acc,
            "false_other_rate": false_other,
        },
        "sentiment_dev": {"macro_recall": sent, "accuracy": sent},
    }


def test_any_gated_drop_refuses_and_info_figures_do_not() -> None:
    old = _metrics(0.98, 0.99, 0.70)
    assert rt.dropped(rt.compare(old, _metrics(0.98, 0.99, 0.70))) == []
    assert rt.dropped(rt.compare(old, _metrics(0.99, 1.0, 0.70, false_other=0.5))) == []
    assert rt.dropped(rt.compare(old, _metrics(0.9788, 1.0, 0.71))) == []  # one row in 808
    assert rt.dropped(rt.compare(old, _metrics(0.975, 1.0, 0.71))) == [
        "intent_dev.accuracy 0.9800 -> 0.9750"
    ]
    rows = rt.compare(old, _metrics(0.99, 0.98, 0.69))
    assert rt.dropped(rows) == [
        "intent_dev.oos_to_other_rate 0.9900 -> 0.9800",
        "sentiment_dev.macro_recall 0.7000 -> 0.6900",
    ]
    text = rt.table(rows)
    assert "WORSE" in text and "false_other_rate (lower is better) (info)" in text


def test_the_key_joins_the_recipe_and_the_export() -> None:
    key = rt.artifact_key("ab" * 32)
    assert key.endswith("-fbabababababab") and len(key.split("-fb")[0]) == 16


# --- end to end (the real encoder and heads) ------------------------------------------------


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A models dir holding the built encoder (symlinked) and a copy of the built heads."""
    try:
        enc, heads = artifacts.locate("encoder"), artifacts.locate("heads")
    except artifacts.ModelError as e:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"models not built: {e}")
    if not datasets.data_dir().is_dir():
        pytest.skip("no training data")
    root = tmp_path / "models"
    (root / "encoder").mkdir(parents=True)
    (root / "encoder" / enc.recipe_hash).symlink_to(enc.path, target_is_directory=True)
    (root / "encoder" / "current").write_text(enc.recipe_hash)
    shutil.copytree(heads.path, root / "heads" / heads.recipe_hash)
    (root / "heads" / "current").write_text(heads.recipe_hash)
    monkeypatch.setenv("ASSIST_MODELS_DIR", str(root))
    monkeypatch.setenv("ASSIST_CACHE_DIR", str(tmp_path / "cache"))
    return root


_VECTORS: dict[str, np.ndarray] = {}


@pytest.fixture
def shared_encodings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The encoder's vectors are kept between the end-to-end tests (the encoder is the same)."""
    from assist.runtime.encoder import SentenceEncoder

    real = SentenceEncoder.encode

    def encode(self: SentenceEncoder, texts: list[str], *a: Any, **kw: Any) -> np.ndarray:
        todo = list(dict.fromkeys(t for t in texts if t not in _VECTORS))
        if todo:
            _VECTORS.update(zip(todo, real(self, todo, *a, **kw), strict=True))
        return np.stack([_VECTORS[t] for t in texts])

    monkeypatch.setattr(SentenceEncoder, "encode", encode)


def _train_rows(intent: str, n: int) -> list[datasets.Example]:
    return [e for e in datasets.intent_split("train") if e.label == intent][:n]


@pytest.mark.slow
def test_consistent_feedback_installs_a_new_current_version(
    store: Path, shared_encodings: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = artifacts.current_hash("heads", store)
    rows: list[Any] = [
        accepted(e.text, f"bitext:{e.label}/1")
        for intent in ("track_order", "cancel_order", "get_refund")
        for e in _train_rows(intent, 10)
    ]
    rows += [
        accepted(
            "Wo ist meine Bestellung? Ich warte schon seit zwei Wochen.", "bitext:track_order"
        ),
        accepted("where's my refund", None, source="generated"),
        rejected("hello", "Hi!", "wrong_intent"),
    ]
    path = _write(tmp_path, rows)
    code = retrain_cmd.run(argparse.Namespace(feedback=str(path), dry_run=False, adapter=False))
    out = capsys.readouterr().out
    assert code == 0, out
    key = rt.artifact_key(artifacts.sha256_file(path))
    assert artifacts.current_hash("heads", store) == key
    assert (store / "heads" / str(before) / "manifest.json").is_file()  # kept for a roll-back
    art = artifacts.locate("heads", store)
    assert artifacts.check_files(art) == []
    assert art.card["feedback"]["sha256"] == artifacts.sha256_file(path)
    assert art.card["metrics"]["feedback_examples"] == 30
    assert art.card["retrained_from"] == before
    assert f"write {before} into" in out and "installed: heads" in out
    assert not list(store.glob(".staging-*"))
    from models.build import is_current

    assert is_current("heads", store)  # `assist models build` keeps the retrained version

    from assist.runtime.text_models import TextModels

    models = TextModels.load(store, threads=2)
    assert models.analyze(["I want to cancel my order"])[0].intent.label == "cancel_order"


@pytest.mark.slow
def test_harmful_feedback_is_refused_and_current_stays(
    store: Path, shared_encodings: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = artifacts.current_hash("heads", store)
    # every track_order training phrasing "answered" with a cancel macro
    rows = [accepted(e.text, "bitext:cancel_order/1") for e in _train_rows("track_order", 200)]
    path = _write(tmp_path, rows)
    code = retrain_cmd.run(argparse.Namespace(feedback=str(path), dry_run=False, adapter=False))
    out = capsys.readouterr().out
    assert code == 1, out
    assert "not installed: intent_dev.accuracy" in out
    assert artifacts.current_hash("heads", store) == before
    assert sorted(p.name for p in (store / "heads").iterdir()) == sorted([str(before), "current"])


def test_the_command_is_reachable_from_the_cli(tmp_path: Path) -> None:
    from assist.cli.main import main

    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    assert main(["models", "retrain", "--feedback", str(bad), "--dry-run"]) == 2
