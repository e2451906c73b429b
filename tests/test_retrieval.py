"""Retrieval suggestions with the real sentence encoder: the right macro, the right KB sentence,
re-indexing of the user's folder, bad files skipped, diversity."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assist.retrieval import Library
from assist.types import IntentResult
from tests.conftest_retrieval import real_embedder

DATA = Path(__file__).parent / "data" / "retrieval_library"
NO_INTENT = IntentResult(label="other", confidence=0.0, top=())


def intent_of(label: str, p: float = 0.9) -> IntentResult:
    return IntentResult(label=label, confidence=p, top=((label, p),))


@pytest.fixture(scope="module")
def embedder() -> Any:
    return real_embedder()


@pytest.fixture(scope="module")
def vector_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One vector cache for the module: the bundled library is encoded once."""
    return tmp_path_factory.mktemp("retrieval-cache")


@pytest.fixture
def library(embedder: Any, vector_cache: Path, isolated_profile: Path) -> Library:
    return Library.load(embedder, isolated_profile, cache_dir=vector_cache)


def ask(
    library: Library,
    embedder: Any,
    text: str,
    intent: IntentResult = NO_INTENT,
    n: int = 3,
    recent: list[str] | None = None,
) -> list[Any]:
    query = embedder.encode([text])[0]
    recent_vecs = embedder.encode(recent) if recent else None
    return library.rank(query, recent_vecs, intent, n)


CLEAR_QUERIES = [
    ("I want to cancel my order", "cancel_order"),
    ("I forgot my password and can't log in", "recover_password"),
    ("where is my package? I want to track it", "track_order"),
    ("how do I sign up for your newsletter", "newsletter_subscription"),
    ("I need to change the delivery address of my order", "change_shipping_address"),
    ("can I get an invoice for my purchase", "get_invoice"),
    ("please delete my account", "delete_account"),
]


@pytest.mark.parametrize(("text", "label"), CLEAR_QUERIES)
def test_clear_query_gets_its_intents_macro_by_similarity_alone(
    library: Library, embedder: Any, text: str, label: str
) -> None:
    suggestions = ask(library, embedder, text)
    intents = [library.get(s.macro_id).intents for s in suggestions]  # type: ignore[union-attr]
    assert label in intents[0], f"{text!r} -> {[s.macro_id for s in suggestions]}"


@pytest.mark.parametrize(("text", "label"), CLEAR_QUERIES)
def test_predicted_intent_puts_its_macros_first(
    library: Library, embedder: Any, text: str, label: str
) -> None:
    suggestions = ask(library, embedder, text, intent_of(label))
    top = library.get(suggestions[0].macro_id or "")
    assert top is not None and label in top.intents
    assert suggestions[0].source == "macro"


def test_intent_boost_follows_confidence(library: Library, embedder: Any) -> None:
    """A confident intent puts its macros first; the same intent at low confidence does not."""
    text = "I have a question about my order"
    sure = ask(library, embedder, text, intent_of("check_invoice", 0.95))
    unsure = ask(library, embedder, text, intent_of("check_invoice", 0.02))
    plain_similarity = ask(library, embedder, text)
    assert "check_invoice" in library.get(sure[0].macro_id or "").intents  # type: ignore[union-attr]
    assert "check_invoice" not in library.get(unsure[0].macro_id or "").intents  # type: ignore[union-attr]
    assert [s.macro_id for s in unsure][:1] == [s.macro_id for s in plain_similarity][:1]


def test_find_by_name(library: Library) -> None:
    found = library.find("returns policy", limit=3)
    assert found[0].item_id == "kb:returns-policy"
    assert library.find("bitext:track_order", limit=1)[0].item_id == "bitext:track_order"


def test_kb_citation_is_the_answering_sentence(library: Library, embedder: Any) -> None:
    suggestions = ask(library, embedder, "how many days do I have to return?")
    kb = next(s for s in suggestions if s.macro_id == "kb:returns-policy")
    (citation,) = kb.citations
    assert "30 days" in citation.sentence
    assert (
        library.article_text("kb:returns-policy")[citation.start : citation.end]
        == citation.sentence
    )
    assert citation.title == "Returns policy" and citation.source_id == "kb:returns-policy"
    assert "30 days" in kb.text and kb.source == "macro"
    assert len(kb.text) < len(library.article_text("kb:returns-policy"))


def test_user_article_is_cited_by_sentence(
    library: Library, embedder: Any, isolated_profile: Path
) -> None:
    shutil.copy(DATA / "warranty.md", library.folder / "warranty.md")
    assert library.refresh()
    suggestions = ask(library, embedder, "how long is the warranty on this laptop?")
    assert suggestions[0].macro_id == "user:warranty.md"
    citation = suggestions[0].citations[0]
    assert "two-year" in citation.sentence
    body = library.article_text("user:warranty.md")
    assert body[citation.start : citation.end] == citation.sentence
    assert not body.startswith("#")  # the title line is not part of the body


def test_macros_keep_their_placeholders(library: Library, embedder: Any) -> None:
    suggestions = ask(
        library, embedder, "where is my order {{Order Number}}?", intent_of("track_order"), n=5
    )
    with_slots = [s for s in suggestions if s.unfilled]
    assert with_slots, "the bundled replies carry {{...}} slots"
    for s in with_slots:
        for slot in s.unfilled:
            assert "{{" + slot + "}}" in s.text


def test_user_folder_changes_trigger_reindex(library: Library, embedder: Any) -> None:
    assert library.folder.is_dir()
    assert not library.refresh()  # nothing changed
    target = library.folder / "gifts.csv"
    shutil.copy(DATA / "gift-wrapping.csv", target)
    assert library.refresh()
    assert library.get("user:gifts.csv#4") is not None
    top = ask(library, embedder, "do you sell gift cards?")[0]
    assert top.macro_id == "user:gifts.csv#4"

    before = library.encoded
    text = target.read_text("utf-8").replace("never expire", "are valid for three years")
    target.write_text(text, "utf-8")
    os.utime(target, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns + 10**9))
    assert library.refresh()
    assert "three years" in library.get("user:gifts.csv#4").text  # type: ignore[union-attr]
    assert 0 < library.encoded - before <= 2  # only the edited row's texts were re-encoded

    target.unlink()
    assert library.refresh()
    assert library.get("user:gifts.csv#4") is None
    assert all(
        not (s.macro_id or "").startswith("user:")
        for s in ask(library, embedder, "do you sell gift cards?")
    )


def test_vectors_are_cached_on_disk(
    embedder: Any, vector_cache: Path, isolated_profile: Path
) -> None:
    Library.load(embedder, isolated_profile, cache_dir=vector_cache)
    again = Library.load(embedder, isolated_profile, cache_dir=vector_cache)
    assert again.encoded == 0
    assert list((vector_cache / "retrieval").glob("*/vectors.npz"))


def test_malformed_files_are_skipped_with_a_warning(
    embedder: Any, vector_cache: Path, isolated_profile: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = isolated_profile / "library"
    folder.mkdir()
    (folder / "latin1.md").write_bytes("# Caf\xe9\n\nOur caf\xe9 opens at nine.".encode("latin-1"))
    (folder / "empty.csv").write_text("", "utf-8")
    (folder / "broken.csv").write_text('title,text\nA,"never closed\n', "utf-8")
    (folder / "no-text.csv").write_text("title,intent\nA,track_order\n", "utf-8")
    (folder / "title-only.md").write_text("# Just a title\n", "utf-8")
    (folder / "notes.docx").write_bytes(b"PK\x03\x04")
    shutil.copy(DATA / "warranty.md", folder / "warranty.md")
    with caplog.at_level(logging.WARNING):
        library = Library.load(embedder, isolated_profile, cache_dir=vector_cache)
    assert library.get("user:warranty.md") is not None
    bad = ["latin1.md", "empty.csv", "broken.csv", "no-text.csv", "title-only.md"]
    for name in bad:
        assert any(name in p for p in library.problems), name
        assert any(name in r.getMessage() for r in caplog.records), name
    assert any("notes.docx" in r.getMessage() for r in caplog.records)
    assert not any(i.origin.startswith(tuple(bad)) for i in library.items)
    assert any("UTF-8" in p for p in library.problems if "latin1.md" in p)


def test_near_identical_macros_are_not_all_suggested(library: Library, embedder: Any) -> None:
    shutil.copy(DATA / "gift-wrapping.csv", library.folder / "gifts.csv")
    library.refresh()
    copies = {"user:gifts.csv#1", "user:gifts.csv#2", "user:gifts.csv#3"}
    vectors = embedder.encode([library.get(i).text for i in sorted(copies)])  # type: ignore[union-attr]
    assert (vectors @ vectors.T).min() > 0.9  # they really are near-identical
    suggestions = ask(library, embedder, "can you gift wrap my order?")
    ids = [s.macro_id for s in suggestions]
    assert ids[0] in copies
    assert len(copies & set(ids)) == 1
    assert len(set(ids)) == len(ids) == 3


@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_n_is_respected(library: Library, embedder: Any, n: int) -> None:
    suggestions = ask(
        library, embedder, "I want a refund for my order", intent_of("get_refund"), n=n
    )
    assert len(suggestions) == n
    scores_ids = [s.macro_id for s in suggestions]
    assert len(set(scores_ids)) == n


def test_recent_turns_disambiguate_a_vague_message(library: Library, embedder: Any) -> None:
    vague = "how long does that usually take?"
    refund = ask(
        library,
        embedder,
        vague,
        recent=["I returned the jacket last week", "when will I get my money back?"],
    )
    delivery = ask(
        library, embedder, vague, recent=["I just placed an order", "when will the parcel arrive?"]
    )
    assert refund[0].macro_id != delivery[0].macro_id
    refund_item = library.get(refund[0].macro_id or "")
    delivery_item = library.get(delivery[0].macro_id or "")
    assert refund_item is not None and delivery_item is not None
    assert "refund" in (refund_item.title + " ".join(refund_item.intents)).lower()
    assert "deliver" in (delivery_item.title + " ".join(delivery_item.intents)).lower()


def test_short_markdown_in_macros_folder_is_a_macro(library: Library, embedder: Any) -> None:
    shutil.copytree(DATA / "macros", library.folder / "macros")
    library.refresh()
    item = library.get("user:macros/loyalty.md")
    assert item is not None and item.kind == "macro" and item.title == "Loyalty points"
    top = ask(library, embedder, "how do loyalty points work?")[0]
    assert top.macro_id == "user:macros/loyalty.md"
    assert top.text == item.text and not top.citations


def test_query_shape_and_scale_do_not_matter(library: Library, embedder: Any) -> None:
    query = embedder.encode(["I forgot my password"])
    flat = library.rank(query[0], None, NO_INTENT)
    scaled = library.rank(np.asarray(query * 3.0), np.zeros((0, 384), np.float32), NO_INTENT)
    assert [s.macro_id for s in flat] == [s.macro_id for s in scaled]


def test_user_item_can_override_a_bundled_macro_by_id(library: Library) -> None:
    (library.folder / "ours.csv").write_text(
        "id,intent,text\nbitext:track_order,track_order,Track it at shop.example/track.\n", "utf-8"
    )
    assert library.refresh()
    item = library.get("bitext:track_order")
    assert item is not None and item.text == "Track it at shop.example/track."
    assert sum(i.item_id == "bitext:track_order" for i in library.items) == 1
