"""The app's one line to the core: every call to the engine and the store goes through here.

Why a controller: widgets must never touch ONNX, SQLite or sockets. It owns two task runners
(one mechanism, ``ui.tasks``): ``engine`` is the single inference worker that owns the models
(via ``assist.desk.Desk``), and the store writer's (``ui.store_writer``) writes the chats,
their flags and the feedback to the team store (``assist.team_log``) so a confirmation never
waits behind a generation. Results come back as Qt signals on the UI thread.

Generation follows the agent's eyes (the window asks): the conversation on screen gets a
streamed draft, the others retrieval suggestions only, drafted when the agent opens them. A
newer draft request cancels a stale one (same task key).
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from assist import secrets
from assist.desk import ConversationSnapshot, Desk
from assist.engine import Engine, load_local_model
from assist.events import GenerationDone, GenerationFailed, GenerationStarted, SuggestionsReady
from assist.ingest import IngestHub
from assist.profile import CompanyProfile
from assist.remote.setup import API_KEY_SECRET
from assist.rewrite import rewrite
from assist.runtime.generator_process import GeneratorProcess
from assist.runtime.installed import local_model_name
from assist.settings import DECLARED, Settings
from assist.store import PASSWORD_SECRET, FeedbackEvent
from assist.team_log import TeamLog, agent_name
from assist.types import Message
from ui.store_writer import StoreWriter
from ui.tasks import TaskRunner

SUGGEST_KEY = "suggest"  # one draft at a time: a newer request cancels the older
SYNC_EVERY_MS = 15_000  # how often writes waiting for the team store are retried


class Controller(QObject):
    state_changed = Signal(str, str)  # state (loading/ready/generating/error), detail
    snapshot_changed = Signal(object, bool)  # ConversationSnapshot, new customer message
    suggestion_event = Signal(object)  # assist.events.*
    feedback_saved = Signal(object)  # FeedbackEvent as stored
    flag_saved = Signal(str)  # conversation id the agent flagged
    error = Signal(str)
    rewrite_item = Signal(object)  # str chunk or assist.rewrite.Rewritten
    team_state = Signal(int, str)  # writes waiting in the outbox, why (0, "": all in the team DB)
    _incoming = Signal(object, object)  # from the ingestion server's thread

    def __init__(self, settings: Settings, generate: bool = True, parent: QObject | None = None):
        super().__init__(parent)
        self.settings = settings
        self.agent = agent_name(settings)  # who the team store says wrote what
        self.generate = generate and bool(settings["suggestions.generate"])
        self.engine_tasks = TaskRunner("assist-engine")
        self.writer: StoreWriter[TeamLog] = StoreWriter(
            lambda: TeamLog.open(self.settings), self.error.emit
        )
        self.store_tasks = self.writer.tasks  # also the app's worker for other file/socket I/O
        self._team_pending = 0
        self._sync_timer = QTimer(self)
        self._sync_timer.setInterval(SYNC_EVERY_MS)
        self._sync_timer.timeout.connect(self.check_team_store)
        self.desk: Desk | None = None  # set on the engine worker by the load task
        self.hub: IngestHub | None = None  # the ingestion API's meeting point, when listening
        local = local_model_name(settings["llm.model"])
        self.model_name = local if self.generate else "retrieval only"
        self.current: str | None = None
        self.last_latency_ms: float | None = None
        self._received_at: dict[str, float] = {}
        self._incoming.connect(self.receive, Qt.ConnectionType.QueuedConnection)

    # -- start-up ---------------------------------------------------------------------------

    def load(self) -> None:
        self.state_changed.emit("loading", "loading models…")

        def work(cancel: threading.Event) -> Desk:
            engine = Engine.load(self.settings, generate=self.generate, generator_process=True)
            if isinstance(engine.generator, GeneratorProcess):
                # while the child prefills a prompt, analysis and retrieval go on here
                engine.generator.on_wait = self.engine_tasks.run_urgent
            engine.warm_up()
            self.desk = Desk(engine)
            return self.desk

        def loaded(desk: Desk) -> None:
            # everything loaded so far lives as long as the app: keep it out of the cyclic
            # collector, whose full passes over it paused the event loop for tens of ms
            gc.freeze()
            self._drafts_changed(desk.engine, "models ready")

        self.engine_tasks.submit(work, on_result=loaded, on_error=self._fatal)
        self.writer.open()
        self._sync_timer.start()

    def _drafts_changed(self, engine: Engine, ready: str) -> None:
        """Say who writes the drafts now, and why not the one asked for, if so."""
        if not self.generate:
            return self.state_changed.emit("ready", ready)
        self.model_name = engine.describe_drafts()
        if engine.generator_error and not engine.drafts_enabled():
            self.state_changed.emit("error", f"drafts off: {engine.generator_error}")
        elif engine.remote_error:
            self.state_changed.emit("ready", f"{ready}; {engine.remote_error}")
        elif engine.generator_error:
            self.state_changed.emit(
                "ready", f"{ready}; no local fallback: {engine.generator_error}"
            )
        else:
            self.state_changed.emit("ready", ready)

    def _local_model(self) -> GeneratorProcess:
        """The local model for a mode that now needs it (loaded on the engine worker)."""
        gen = load_local_model(self.settings)
        assert isinstance(gen, GeneratorProcess)
        gen.on_wait = self.engine_tasks.run_urgent
        return gen

    def _fatal(self, e: BaseException) -> None:
        self.state_changed.emit("error", str(e))
        self.error.emit(f"models could not be loaded: {e}")

    def listen(self, hub: IngestHub) -> None:
        """Take messages from the ingestion API (its thread) and post suggestions back."""
        self.hub = hub
        hub.on_message = self._incoming.emit  # a queued signal: safe from any thread

    # -- messages ---------------------------------------------------------------------------

    def receive(self, message: Message, customer_name: str | None = None) -> None:
        """Record a message; a customer's is analysed and its macros ranked in the same
        urgent step (one trip to the worker), so the first cards follow the analysis."""
        cid, is_customer = message.conversation_id, message.role == "customer"
        if is_customer:
            self._received_at[cid] = time.perf_counter()

        def work(cancel: threading.Event) -> tuple[ConversationSnapshot, SuggestionsReady | None]:
            assert self.desk is not None
            snap = self.desk.receive(message, customer_name)
            if not is_customer:
                return snap, None
            ready = self.desk.retrieve(cid)
            self._publish(cid)
            return snap, ready

        def done(result: tuple[ConversationSnapshot, SuggestionsReady | None]) -> None:
            snap, ready = result
            self.writer.later(lambda log: log.record_turn(snap))
            self.snapshot_changed.emit(snap, is_customer)
            if ready is not None:
                self._event(ready)

        self._engine(work, on_result=done, on_error=self._message_error, urgent=True)

    def _message_error(self, e: BaseException) -> None:
        self.error.emit(f"message could not be analysed: {e}")

    def draft(self, cid: str, seed: int | None = None) -> None:
        """Stream a draft for the conversation's last customer message (``seed``: another
        draft than the settings' seed gives, for "regenerate"); cancels a stale draft."""
        if not self.generate:
            return

        def work(cancel: threading.Event) -> Any:
            assert self.desk is not None
            return self._publishing(cid, self.desk.draft(cid, cancel, seed))

        self._engine(
            work,
            key=SUGGEST_KEY,
            on_item=self._event,
            on_error=self._message_error,
            on_done=self._idle,
        )

    def _publishing(self, cid: str, events: Any) -> Any:
        """Pass the events on, posting the conversation's latest state to the ingestion API
        whenever the suggestions change (runs on the engine worker)."""
        for event in events:
            yield event
            if isinstance(event, SuggestionsReady | GenerationDone):
                self._publish(cid)

    def _publish(self, cid: str) -> None:
        """Post the conversation's latest state for ``GET .../suggestions`` (engine worker)."""
        if self.hub is not None and self.desk is not None:
            self.hub.publish(cid, self.desk.payload(cid))

    def _event(self, event: object) -> None:
        if isinstance(event, SuggestionsReady):
            start = self._received_at.pop(event.conversation_id, None)
            if start is not None:
                self.last_latency_ms = (time.perf_counter() - start) * 1000
        elif isinstance(event, GenerationStarted):
            self.state_changed.emit("generating", "")
        elif isinstance(event, GenerationDone | GenerationFailed):
            self.state_changed.emit("ready", "")
        self.suggestion_event.emit(event)

    def _idle(self, status: str) -> None:
        if status != "finished":
            self.state_changed.emit("ready", "")

    def open_conversation(self, cid: str) -> None:
        self.current = cid

    def send_reply(self, cid: str, text: str) -> None:
        self.receive(Message(cid, "agent", text, datetime.now(UTC)))

    def use_settings(
        self,
        settings: Settings,
        profile: CompanyProfile,
        store_password: str = "",
        api_key: str = "",
    ) -> None:
        """New settings and company profile (saved in the settings dialog) for what comes next:
        sampling, suggestion count and the facts replies are filled from; a new team store
        (URL, agent name or password) is opened after what is queued for the old one."""
        team_changed = store_password or any(
            settings[n] != self.settings[n] for n in ("store.url", "agent.name")
        )
        remote_changed = api_key or any(
            settings[s.name] != self.settings[s.name]
            for s in DECLARED
            if s.name.startswith("remote.") or s.name == "suggestions.generate"
        )
        model_changed = settings["llm.model"] != self.settings["llm.model"]
        self.settings = settings
        self.agent = agent_name(settings)

        def work(cancel: threading.Event) -> None:
            if self.desk is not None:
                self.desk.engine.settings = settings
                self.desk.engine.profile = profile

        self._engine(work, urgent=True)
        if model_changed:
            self._switch_local_model(settings)
        if remote_changed:
            self._reconfigure_remote(settings, api_key)
        if store_password:
            self.store_tasks.submit(
                lambda c: secrets.set_secret(PASSWORD_SECRET, store_password),
                on_error=lambda e: self.error.emit(f"password not saved: {e}"),
            )
        if team_changed:
            self.writer.reopen()

    def _reconfigure_remote(self, settings: Settings, api_key: str) -> None:
        """Save the new key, then switch drafting to the new server settings. Not urgent: it
        waits for a draft in progress, which still uses the old client."""

        def work(cancel: threading.Event) -> tuple[Engine | None, str]:
            note = "drafting settings applied"
            if api_key:
                try:
                    secrets.set_secret(API_KEY_SECRET, api_key)
                except secrets.KeyringUnavailable as e:
                    note = f"API key not saved: {e}"
            if self.desk is None:
                return None, note
            self.desk.engine.configure_remote(settings, self._local_model)
            return self.desk.engine, note

        def done(result: tuple[Engine | None, str]) -> None:
            engine, note = result
            if engine is not None:
                self._drafts_changed(engine, note)
            else:
                self.error.emit(note)

        self._engine(work, on_result=done, on_error=lambda e: self.error.emit(str(e)))

    def _switch_local_model(self, settings: Settings) -> None:
        """Draft with the local model the new settings name. It loads on the engine worker
        after the draft in progress (written by the old one); if it can't be loaded, the old
        one stays and the error says why."""
        if self.generate:
            self.state_changed.emit("loading", "loading the local model…")

        def work(cancel: threading.Event) -> Engine | None:
            if self.desk is None:
                return None
            self.desk.engine.switch_local_model(settings, self._local_model)
            return self.desk.engine

        def done(engine: Engine | None) -> None:
            if engine is not None:
                self._drafts_changed(engine, "local model switched")

        def failed(e: BaseException) -> None:
            self.error.emit(f"local model not switched: {e}")
            if self.desk is not None:
                self._drafts_changed(self.desk.engine, "local model unchanged")

        self._engine(work, on_result=done, on_error=failed)

    def rewrite(self, text: str, style: str) -> None:
        def work(cancel: threading.Event) -> Any:
            assert self.desk is not None
            gen = self.desk.engine.generator or self.desk.engine.remote
            if gen is None:
                raise RuntimeError("rewriting needs a language model, and none is loaded")
            return rewrite(gen, text, style, self.desk.engine.profile, cancel)

        self._engine(
            work,
            key=SUGGEST_KEY,
            on_item=self.rewrite_item.emit,
            on_error=lambda e: self.error.emit(str(e)),
        )

    def _engine(self, fn: Any, urgent: bool = False, **callbacks: Any) -> None:
        """Queue work for the engine worker. Urgent work (analysis, retrieval) runs between
        the tokens of a draft, but only once the models are loaded: before that everything
        waits, in order, behind the loading task."""
        if self.engine_tasks.closed:
            return
        self.engine_tasks.submit(fn, urgent=urgent and self.desk is not None, **callbacks)

    # -- feedback ---------------------------------------------------------------------------

    def record(self, event: FeedbackEvent) -> None:
        """Store one feedback event; for the agent's actions ``feedback_saved`` fires once it
        is committed. What the app notes by itself (shown, ignored) is written a moment later
        (``StoreWriter``)."""
        if event.action in ("shown", "ignored"):
            self.writer.later(lambda log: log.record_feedback(event))
        else:
            self.writer.now(lambda log: log.record_feedback(event), self._saved(event))

    def flag(self, cid: str, note: str, message_index: int | None = None) -> None:
        """The agent asks a supervisor to look at a chat; ``flag_saved`` once it is stored."""
        self.writer.now(
            lambda log: log.flag(cid, note, message_index), lambda _: self.flag_saved.emit(cid)
        )

    def _saved(self, event: FeedbackEvent) -> Callable[[bool], None]:
        def done(reached: bool) -> None:
            self.feedback_saved.emit(event)
            if not reached:
                self.check_team_store()

        return done

    def check_team_store(self) -> None:
        """Push what waits in the outbox and say whether the team store is reachable (every
        ``SYNC_EVERY_MS`` and after a write that could not reach it)."""

        def work(log: TeamLog) -> tuple[int, str]:
            if log.pending:
                log.sync()
            return log.pending, log.last_error or ""

        def report(state: tuple[int, str]) -> None:
            pending, why = state
            if pending or self._team_pending:
                self.team_state.emit(pending, why)
            self._team_pending = pending

        self.writer.now(work, report)

    def shutdown(self) -> None:
        self.engine_tasks.shutdown(timeout=5.0)
        if self.desk is not None and self.desk.engine.generator is not None:
            self.desk.engine.generator.close()  # the generator's child process

        self._sync_timer.stop()
        self.writer.close(timeout=5.0)
