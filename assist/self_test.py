"""`assist app --self-test`: prove an install works, without a window or a network.

Checks the models (every file against its manifest's sha256), opens the profile's local store
(created and migrated on a first run), loads the engine as the app does
(the language model in its own child process), analyses one customer message (intent and
sentiment), ranks the macros and, when a language model is installed, drafts a short reply with
a small token limit. The desktop side (``ui.self_test``) adds the Qt checks around this.

The result is one JSON object; a missing or damaged model raises ``ModelError`` with a message
that says which file and what to do.
"""

from __future__ import annotations

import time
from typing import Any

from assist import __version__, artifacts, bundle
from assist.artifacts import ModelError
from assist.events import GenerationDone, GenerationFailed
from assist.paths import models_dir, profile_dir
from assist.settings import Settings
from assist.types import Message

MESSAGE = "Hi, I ordered a jacket two weeks ago and it still hasn't arrived. So frustrating!"
REQUIRED = ("encoder", "heads")  # the language model is optional: drafts are off without it
MAX_TOKENS = 16


def check_models() -> bool:
    """Raise ModelError naming every missing or damaged file; True if a language model is
    installed (its files checked too)."""
    root = models_dir()
    problems: list[str] = []
    has_llm = False
    for component in artifacts.COMPONENTS:
        if component not in REQUIRED and artifacts.current_hash(component, root) is None:
            continue
        try:
            art = artifacts.locate(component, root)
        except ModelError as e:
            problems.append(str(e))
            continue
        problems.extend(artifacts.check_files(art))
        has_llm = has_llm or component == "llm"
    if problems:
        raise ModelError("; ".join(problems))
    return has_llm


def run_self_test(generate: bool = True, max_tokens: int = MAX_TOKENS) -> dict[str, Any]:
    """Load, analyse one message, draft (if a language model is installed): the summary."""
    from assist.demo_source import load_demo
    from assist.engine import Engine
    from assist.store import TeamStore
    from assist.store.feedback import default_url

    start = time.perf_counter()
    profile = profile_dir()  # a first run creates it
    has_llm = check_models()
    with TeamStore.open(default_url()) as store:  # the profile's SQLite: created, migrated
        store_revision = store.stats()["revision"]
    settings = Settings()  # the defaults: the install is tested, not the user's choices
    settings.set("generation.max_tokens", max_tokens)
    drafting = generate and has_llm
    engine = Engine.load(settings, generate=drafting, generator_process=True)
    try:
        loaded = time.perf_counter()
        if drafting and engine.generator is None:
            raise ModelError(f"the language model did not load: {engine.generator_error}")
        ready = engine.add_message(Message("self-test", "customer", MESSAGE))
        assert ready is not None
        analysis = ready.analysis
        conv = engine.conversation("self-test")
        ranked = engine.retrieve(conv, engine.retrieval_count())
        draft: str | None = None
        for event in engine.draft(conv):
            if isinstance(event, GenerationFailed):
                raise ModelError(f"drafting failed: {event.error}")
            if isinstance(event, GenerationDone):
                draft = event.suggestion.text
        if drafting and not draft:
            raise ModelError("the language model wrote no draft")
    finally:
        if engine.generator is not None:
            engine.generator.close()
    return {
        "ok": True,
        "version": __version__,
        "frozen": bundle.frozen(),
        "models": str(models_dir()),
        "profile": str(profile),
        "intent": analysis.intent.label,
        "intent_confidence": round(analysis.intent.confidence, 3),
        "sentiment": analysis.sentiment.label,
        "language": analysis.language,
        "suggestions": len(ranked),
        "draft": draft,
        "demo_conversations": len(load_demo()),
        "store_revision": store_revision,
        "load_s": round(loaded - start, 2),
        "total_s": round(time.perf_counter() - start, 2),
    }
