"""The engine: one object that owns the models and turns customer messages into assistance.

The CLI, the desktop app and the servers all drive this same class. It speaks in events
(:mod:`assist.events`) so each consumer renders the same stream its own way. It is not
thread-safe: the app gives it to one inference worker; the generator is cancellable between
tokens through a ``threading.Event``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from assist import language, placeholders
from assist.artifacts import ModelError, locate
from assist.conversation import Conversation
from assist.drafting import DraftRequest, write_draft
from assist.entities import extract_entities
from assist.events import (
    AnalysisReady,
    Event,
    GenerationDone,
    GenerationFailed,
    SuggestionsReady,
)
from assist.paths import cache_dir
from assist.profile import CompanyProfile, load_profile
from assist.prompt import MAX_MACROS, build_reply_messages
from assist.remote.errors import RemoteError
from assist.remote.reply_model import RemoteReplyModel
from assist.remote.setup import open_remote
from assist.reply_memory import ReplyMemory
from assist.retrieval import Library
from assist.runtime.generator import Generator, ReplyModel, SamplingParams
from assist.runtime.generator_process import GeneratorProcess
from assist.runtime.installed import local_model_name, selected_user_model
from assist.runtime.text_models import TextModels
from assist.settings import Settings
from assist.types import Analysis, Message, Suggestion, SuggestionSource

log = logging.getLogger(__name__)


def load_local_model(
    settings: Settings, in_process: bool = False, models_root: Path | None = None
) -> ReplyModel:
    """The local reply model the settings name (``llm.model``: "" = the bundled one, else a
    folder from ``assist models export --hf``), in a child process (``in_process=False``, the
    app) or here. Raises ModelError naming what is wrong."""
    threads = settings["runtime.threads"] or None
    user_llm = selected_user_model(settings["llm.model"], models_root)
    if not in_process:
        if user_llm is None:
            return GeneratorProcess.load(models_root, threads=threads)
        return GeneratorProcess(user_llm, threads)
    if user_llm is None:
        return Generator.load(models_root, threads=threads)
    return Generator(user_llm, threads=threads)


class Engine:
    def __init__(
        self,
        text_models: TextModels,
        library: Library | None,
        generator: ReplyModel | None,
        profile: CompanyProfile,
        settings: Settings,
    ):
        self.text_models = text_models
        self.library = library
        self.generator = generator
        self.profile = profile
        self.settings = settings
        self.conversations: dict[str, Conversation] = {}
        # why there is no generator, when one was wanted (shown to the user; retrieval goes on)
        self.generator_error: str | None = None
        # drafts from a server (``assist.remote``): first, and the local model only as the
        # fallback ("fallback" mode) or not at all ("remote" mode)
        self.remote: RemoteReplyModel | None = None
        self.remote_mode = "local"
        self.remote_error: str | None = None  # why a configured server is not used
        self.local_name = local_model_name(settings["llm.model"])  # what ``generator`` is
        # past replies the draft adapts (``assist.reply_memory``); None: the best macro instead
        self.memory: ReplyMemory | None = None

    @classmethod
    def load(
        cls,
        settings: Settings | None = None,
        generate: bool = True,
        retrieval: bool = True,
        models_root: Path | None = None,
        generator_process: bool = False,
        remote_url: str | None = None,
        remote_model: str | None = None,
    ) -> Engine:
        """Load the models once (raises assist.artifacts.ModelError naming a bad file).

        ``retrieval=False, generate=False`` gives an analysis-only engine (``assist classify``).
        ``generator_process=True`` runs the language model in a child process
        (``assist.runtime.generator_process``): the desktop app's choice, so decoding never
        holds the GIL its event loop needs; it also keeps the encoder's threads from spinning
        on the UI's core. ``remote_url``/``remote_model`` override the settings' server
        (``assist suggest --remote``); in "remote" mode no local model is loaded.
        """
        settings = settings or Settings.load()
        threads = settings["runtime.threads"] or None
        text_models = TextModels.load(models_root, threads=threads, spin=not generator_process)
        library = Library.load(text_models) if retrieval else None
        generator: ReplyModel | None = None
        generator_error = None
        drafts = generate and settings["suggestions.generate"]
        profile = load_profile()
        public = tuple(profile.facts().values())
        remote = open_remote(settings, remote_url, remote_model, public=public) if drafts else None
        if drafts and (remote is None or remote.mode != "remote"):
            try:
                generator = load_local_model(settings, not generator_process, models_root)
            except ModelError as e:  # a broken LLM must not take analysis and macros down
                generator_error = str(e)
        engine = cls(text_models, library, generator, profile, settings)
        engine.generator_error = generator_error
        if drafts and retrieval:
            engine.memory = load_memory(text_models, models_root)
        if remote is not None:
            engine.remote, engine.remote_mode = remote.model, remote.mode
            engine.remote_error = remote.problem
        return engine

    # -- analysis -------------------------------------------------------------------------

    def analyze(self, text: str) -> Analysis:
        return self.analyze_batch([text])[0]

    def analyze_batch(self, texts: Sequence[str]) -> list[Analysis]:
        """Analyse customer messages. A message confidently not in English (``assist.language``)
        gets intent "other" with reason ``language:<code>``, and its sentiment the same reason
        (kept out of the trend): the text models are English-only."""
        floor = self.settings["intent.min_confidence"]
        out = []
        for text, ta in zip(texts, self.text_models.analyze(texts), strict=True):
            intent, sentiment = ta.intent, ta.sentiment
            lang = language.detect(text)
            if lang.code != "en":
                intent = replace(intent, label="other", reason=f"language:{lang.code}")
                sentiment = replace(sentiment, reason=f"language:{lang.code}")
            elif floor and intent.label != "other" and intent.confidence < floor:
                intent = replace(intent, label="other", reason="low_confidence")
            entities = tuple(extract_entities(text))
            out.append(Analysis(text, intent, sentiment, entities, ta.embedding, lang.code))
        return out

    def conversation(self, conversation_id: str) -> Conversation:
        conv = self.conversations.get(conversation_id)
        if conv is None:
            conv = Conversation(
                conversation_id,
                trend_alpha=self.settings["sentiment.trend_alpha"],
                trend_threshold=self.settings["escalation.trend_threshold"],
            )
            self.conversations[conversation_id] = conv
        return conv

    def add_message(self, message: Message) -> AnalysisReady | None:
        """Record a message; customer messages are analysed (agent ones only update slots)."""
        conv = self.conversation(message.conversation_id)
        analysis = self.analyze(message.text) if message.role == "customer" else None
        turn = conv.add(message, analysis)
        if analysis is None:
            return None
        return AnalysisReady(conv.conversation_id, turn.index, analysis)

    # -- suggestions ----------------------------------------------------------------------

    def retrieve(self, conv: Conversation, n: int) -> list[Suggestion]:
        """Ranked macros / KB answers for the last customer turn, placeholders filled."""
        last = conv.last_customer
        if last is None or last.analysis is None:
            return []
        if self.library is None:
            raise RuntimeError("this engine was loaded without retrieval")
        ranked = self.library.rank(
            last.analysis.embedding, conv.recent_embeddings(), last.analysis.intent, n=n
        )
        return [self._fill(s, conv) for s in ranked]

    def _fill(self, suggestion: Suggestion, conv: Conversation) -> Suggestion:
        result = placeholders.fill(suggestion.text, conv.slots, self.profile)
        return replace(suggestion, text=result.text, unfilled=tuple(result.unfilled))

    def suggest(
        self,
        conv: Conversation,
        n: int | None = None,
        cancel: threading.Event | None = None,
        generate: bool = True,
        seed: int | None = None,
    ) -> Iterator[Event]:
        """Events for the last customer message: retrieval first, then the streamed draft
        (``seed`` overrides the sampling seed: "regenerate" asks for a different draft)."""
        last = conv.last_customer
        if last is None or last.analysis is None:
            return
        n = n or self.settings["suggestions.count"]
        use_llm = generate and self._draft_models() != [] and n > 1
        start = time.perf_counter()
        retrieved = self.retrieve(conv, n - 1 if use_llm else n)
        yield SuggestionsReady(
            conv.conversation_id, last.index, tuple(retrieved), (time.perf_counter() - start) * 1000
        )
        if use_llm:
            yield from self._generate(conv, retrieved, cancel, seed)

    def configure_remote(self, settings: Settings, local: Callable[[], ReplyModel]) -> None:
        """Use the server the (new) settings name, if any; ``local`` loads the local model
        when the new mode needs it and it is not loaded yet (remote-only start-up)."""
        if self.remote is not None:
            self.remote.close()
        drafts = settings["suggestions.generate"]
        public = tuple(self.profile.facts().values())
        setup = open_remote(settings, public=public) if drafts else None
        self.remote = setup.model if setup else None
        self.remote_mode = setup.mode if setup else "local"
        self.remote_error = setup.problem if setup else None
        if drafts and self.generator is None and self.remote_mode != "remote":
            try:
                self.generator = local()
                self.generator_error = None
            except ModelError as e:
                self.generator_error = str(e)
        self.probe_remote()

    def switch_local_model(self, settings: Settings, load: Callable[[], ReplyModel]) -> None:
        """Draft with the local model the (new) settings name. ``load`` loads it; if that
        fails, the model in use stays (ModelError raised, naming why), so a bad choice in
        Settings never leaves the agent without drafts. No local model loaded now (remote
        only, drafts off): only the name changes; it loads when a mode needs it."""
        if self.generator is None:
            self.local_name = local_model_name(settings["llm.model"])
            return
        new = load()  # ModelError: nothing changed
        old, self.generator = self.generator, new
        self.local_name = local_model_name(settings["llm.model"])
        self.generator_error = None
        if old is not None:
            old.close()

    def probe_remote(self) -> None:
        """Does the server answer (and with which model)? A note in ``remote_error`` if not;
        not a verdict: every draft asks it again."""
        if self.remote is not None:
            try:
                self.remote.probe()
            except RemoteError as e:
                self.remote_error = f"the server does not answer yet: {e.message}"

    def describe_drafts(self) -> str:
        """Who writes the drafts, for the status bar: "qwen2.5 on gpu-box + local fallback"."""
        local = self.local_name if self.generator is not None else None
        if self.remote is None:
            return local or "retrieval only"
        where = urlsplit(self.remote.client.config.base_url).netloc or "the server"
        remote = f"{self.remote.name or 'remote model'} on {where}"
        return f"{remote} + local fallback" if local and self.remote_mode == "fallback" else remote

    def drafts_enabled(self) -> bool:
        return bool(self._draft_models()) and self.settings["suggestions.count"] > 1

    def _draft_models(self) -> list[tuple[SuggestionSource, ReplyModel]]:
        """Who writes a draft, in the order to try them: the server, then the local model."""
        chain: list[tuple[SuggestionSource, ReplyModel]] = []
        if self.remote is not None:
            chain.append(("remote", self.remote))
        if self.generator is not None and (self.remote is None or self.remote_mode == "fallback"):
            chain.append(("generated", self.generator))
        return chain

    def retrieval_count(self) -> int:
        """How many ranked macros/answers to show: one place is kept for the draft."""
        n = self.settings["suggestions.count"]
        return n - 1 if self.drafts_enabled() else n

    def draft(
        self, conv: Conversation, cancel: threading.Event | None = None, seed: int | None = None
    ) -> Iterator[Event]:
        """Only the generated draft's events (GenerationStarted ... Done/Failed), for a caller
        that showed the retrieved suggestions already (the app does that first, at once)."""
        if not self.drafts_enabled() or conv.last_customer is None:
            return
        yield from self._generate(conv, self.retrieve(conv, self.retrieval_count()), cancel, seed)

    def _generate(
        self,
        conv: Conversation,
        retrieved: list[Suggestion],
        cancel: threading.Event | None,
        seed: int | None = None,
    ) -> Iterator[Event]:
        """The draft's events: the prompt from the conversation and the best macros, written
        by the first model of the chain that manages (``assist.drafting``)."""
        last = conv.last_customer
        assert last is not None and last.analysis is not None
        notes = self.reply_notes(conv, retrieved)  # what the prompt shows
        messages = build_reply_messages(
            [t.message for t in conv.turns[: last.index + 1]],  # the prompt keeps the last few
            notes,
            self.profile.described_facts(),
            last.analysis.intent.label,
        )
        params = self.sampling()
        if seed is not None:
            params = replace(params, seed=seed)
        draft = DraftRequest(
            conv,
            last.index,
            messages,
            params,
            notes,
            retrieved,
            self.profile,
            last.analysis.language,
        )
        yield from write_draft(self._draft_models(), draft, cancel)

    def reply_notes(
        self, conv: Conversation, retrieved: list[Suggestion], exclude: str | None = None
    ) -> list[str]:
        """The answers the prompt offers to adapt: the past reply the memory picks for the
        detected intent, its slots filled from this conversation, when it has one; else the
        best retrieved macros. ``exclude``: a message whose own reply must not be used (the
        training recipe asks for a neighbour's)."""
        last = conv.last_customer
        macros = [s.text for s in retrieved[:MAX_MACROS]]
        if self.memory is None or last is None or last.analysis is None:
            return macros
        hit = self.memory.pick(last.analysis.embedding, last.analysis.intent.label, exclude)
        if hit is None:
            return macros
        return [placeholders.fill(hit[0].reply, conv.slots, self.profile).text]

    def warm_up(self) -> None:
        """Prefill the generator's cache with the fixed start of every prompt (system rules and
        shop profile), so the first suggestion after start-up only pays for its conversation;
        ask the server, if any, whether it answers (and which model it has)."""
        self.probe_remote()
        language.detect("Bonjour, où est ma commande ?")  # loads the language model now
        if self.generator is None:
            return
        hello = Message("warm-up", "customer", "Hello")
        messages = build_reply_messages([hello], [], self.profile.described_facts(), None)
        try:
            self.generator.generate(messages, SamplingParams(temperature=0, max_tokens=1))
        except Exception as e:  # a broken model is reported, not raised, here
            self.generator_error = f"generation failed while warming up: {e}"

    def sampling(self) -> SamplingParams:
        s = self.settings
        return SamplingParams(
            temperature=s["generation.temperature"],
            top_k=s["generation.top_k"],
            top_p=s["generation.top_p"],
            repetition_penalty=s["generation.repetition_penalty"],
            copy_bias=s["generation.copy_bias"],
            max_tokens=s["generation.max_tokens"],
            seed=s["generation.seed"],
        )

    def suggestions(
        self,
        conv: Conversation,
        n: int | None = None,
        generate: bool = True,
        notes: list[str] | None = None,
    ) -> list[Suggestion]:
        """The final ranked list (what ``assist suggest`` prints); ``notes`` collects why the
        draft is missing or came from the fallback."""
        out: list[Suggestion] = []
        for event in self.suggest(conv, n, generate=generate):
            if isinstance(event, SuggestionsReady):
                out.extend(event.suggestions)
            elif isinstance(event, GenerationDone):
                out.insert(1, event.suggestion)
                if event.fallback and notes is not None:
                    notes.append(event.fallback)
            elif isinstance(event, GenerationFailed):
                if notes is not None:
                    notes.append(event.error)
                extra = self.retrieve(conv, len(out) + 1)[len(out) :]
                out.extend(extra)
        return out


def load_memory(embedder: TextModels, models_root: Path | None = None) -> ReplyMemory | None:
    """The bundled reply model's past replies, or None (no bundled model, or a damaged file:
    drafts then adapt the best macro, and the log says why)."""
    try:
        folder = locate("llm", models_root).path
        return ReplyMemory.load(folder, embedder, cache_dir())
    except (ModelError, ValueError, OSError) as e:
        log.warning("past replies not used: %s", e)
        return None
