"""The agent's window: conversations, transcript and composer, assist panel, status bar.

It renders what the controller reports and turns the agent's actions into controller calls;
it keeps only view state: which suggestions are on screen for which customer message, and
which one the composer holds, so that sending can tell *accepted* from *edited*.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QSplitter,
)

from assist.desk import ConversationSnapshot
from assist.events import (
    GenerationChunk,
    GenerationDone,
    GenerationFailed,
    GenerationStarted,
    SuggestionsReady,
)
from assist.profile import CompanyProfile, ProfileError, example_profile, load_profile
from assist.rewrite import STYLES, Rewritten
from assist.settings import Settings
from assist.store import FeedbackEvent
from assist.types import Suggestion, SuggestionSource
from ui import theme, ui_state
from ui.assist_panel import CARDS, AssistPanel
from ui.cards import draft_notice
from ui.compact import CompactWindow
from ui.controller import Controller
from ui.conversation_list import ConversationList
from ui.palette import Command, CommandPalette
from ui.shortcuts import HelpOverlay, bind
from ui.team_actions import TeamActions
from ui.transcript import Transcript
from ui.widgets import marked


@dataclass
class Shown:
    """The suggestions on screen for one customer message, and what became of them."""

    index: int
    cards: list[Suggestion | None] = field(default_factory=lambda: [None] * CARDS)
    draft: str = ""  # streamed text so far
    drafting: int | None = None  # card number being streamed into
    acted: set[int] = field(default_factory=set)  # card numbers accepted/edited/rejected
    logged: set[int] = field(default_factory=set)  # card numbers recorded as shown
    draft_requested: bool = False
    draft_no: int = 0  # which draft for this message is streaming (regenerate makes more)
    draft_source: SuggestionSource = "generated"  # who writes it: "remote" = the server


class MainWindow(QMainWindow):
    def __init__(self, controller: Controller, dark: bool = False):
        super().__init__()
        self.controller = controller
        self.setWindowTitle("Assist")
        self.setAccessibleName("Assist main window")
        self.conversations = ConversationList()
        self.transcript = Transcript()
        self.transcript.apply_theme(dark)
        self.panel = AssistPanel()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        for w, stretch in ((self.conversations, 2), (self.transcript, 4), (self.panel, 3)):
            self.splitter.addWidget(w)
            self.splitter.setStretchFactor(self.splitter.indexOf(w), stretch)
        self.splitter.setSizes([300, 560, 500])
        self.setCentralWidget(self.splitter)
        self.compact = CompactWindow()
        self.compact.closed.connect(self._compact_closed)

        self.model_label, self.state_label, self.latency_label = QLabel(), QLabel(), QLabel()
        for label in (self.model_label, self.state_label, self.latency_label):
            self.statusBar().addPermanentWidget(label)
        self.model_label.setText(f"model: {controller.model_name}")
        # widths that don't follow the text: a state or notice change repaints the label
        # instead of re-laying out the status bar
        self.state_label.setMinimumWidth(
            self.state_label.fontMetrics().horizontalAdvance("● generating") + 8
        )
        self.message_label = QLabel()
        self.message_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.statusBar().addWidget(self.message_label, 1)

        self.shown: dict[str, Shown] = {}
        self.in_composer: tuple[str, int, int, Suggestion] | None = None  # cid, idx, card, s
        self.snapshots: dict[str, ConversationSnapshot] = {}
        self.shortcuts = bind(self, self._handler) + bind(self.compact, self._handler)
        self.palette_dialog: CommandPalette | None = None
        self.help_dialog: HelpOverlay | None = None
        self._regenerations = 0
        self.settings_dialog: QDialog | None = None
        self.app: Any = None  # ui.app.App, when run as the app (holds the ingestion token)

        c = controller
        c.state_changed.connect(self._state)
        c.snapshot_changed.connect(self._snapshot)
        c.suggestion_event.connect(self._suggestion_event)
        c.feedback_saved.connect(self._feedback_saved)
        c.error.connect(self.notify)
        c.rewrite_item.connect(self._rewrite_item)
        c.flag_saved.connect(lambda cid: self.notify("flagged for a supervisor"))
        c.team_state.connect(self._team_state)
        self.team = TeamActions(self, controller)
        self.conversations.selected.connect(self.open_conversation)
        self.transcript.send_clicked.connect(self._send)
        self.panel.regenerate_clicked.connect(self.regenerate)
        for card in self.panel.cards:
            card.accept_clicked.connect(lambda n: self.accept(n, focus=False))
            card.edit_clicked.connect(lambda n: self.accept(n, focus=True))
            card.reject_clicked.connect(self.reject)
            card.citation_clicked.connect(self._citation)
        self._clock = QTimer(self)
        self._clock.timeout.connect(self.conversations.refresh)
        self._clock.start(1000)
        # the transcript is drawn one event-loop turn after the cards (see ``_render``)
        self._transcript_due = QTimer(self)
        self._transcript_due.setSingleShot(True)
        self._transcript_due.setInterval(1)
        self._transcript_due.timeout.connect(self._render_transcript)
        self.resize(1360, 820)
        saved = ui_state.load().get("main_geometry")
        if saved:
            self.restoreGeometry(ui_state.decode(saved))

    # -- controller reports -------------------------------------------------------------

    def notify(self, text: str) -> None:
        self.message_label.setText(text)
        self.message_label.setToolTip(text)

    def _state(self, state: str, detail: str) -> None:
        self.model_label.setText(f"model: {self.controller.model_name}")
        self.state_label.setText(f"● {state}")
        self.state_label.setToolTip(detail)
        colour = {"ready": "#2f9e5a", "generating": "#2f6fd0", "error": "#d64545"}
        palette = self.state_label.palette()  # not a style sheet: no re-polish per draft
        palette.setColor(QPalette.ColorRole.WindowText, QColor(colour.get(state, "#8a8f98")))
        self.state_label.setPalette(palette)
        if detail:
            self.notify(detail)

    def _snapshot(self, snap: ConversationSnapshot, customer: bool) -> None:
        cid = snap.conversation_id
        self.snapshots[cid] = snap
        if customer and snap.last_customer_index is not None:
            self._ignore_unused(cid)
            self.shown[cid] = Shown(snap.last_customer_index)
        first = self.conversations.current is None
        self.conversations.update_snapshot(snap, customer)
        if first:
            self.conversations.select(cid)  # renders and asks for the draft
        elif cid == self.conversations.current:
            self._render(cid)
        if customer and not first and cid == self.conversations.current:
            self._request_draft(cid)

    def _request_draft(self, cid: str, seed: int | None = None) -> None:
        """A streamed draft for the chat on screen (the controller ranks the macros of every
        customer message itself, at once)."""
        shown = self.shown.get(cid)
        if self.controller.generate:
            if shown is not None:
                shown.draft_requested = True
            self.controller.draft(cid, seed=seed)

    def _ignore_unused(self, cid: str) -> None:
        old = self.shown.get(cid)
        if old is None:
            return
        for n in old.logged - old.acted:
            s = old.cards[n - 1]
            if s is not None:
                self._record(cid, old.index, n, s, "ignored")

    def _suggestion_event(self, e: object) -> None:
        cid = getattr(e, "conversation_id", "")
        shown = self.shown.get(cid)
        if shown is None or getattr(e, "message_index", -1) != shown.index:
            return  # for a message that is no longer the last one
        if isinstance(e, SuggestionsReady):
            # with drafts on the draft takes card 2 (the engine's ranked order: best macro,
            # draft, next macro); without, the macros fill all three
            slots = [0, 2] if self.controller.generate else list(range(CARDS))
            for slot, s in zip(slots, e.suggestions, strict=False):
                shown.cards[slot] = s
            if self.controller.last_latency_ms is not None:
                self.latency_label.setText(
                    f"last suggestion {self.controller.last_latency_ms:.0f} ms"
                )
        elif isinstance(e, GenerationStarted):
            shown.drafting, shown.draft = 2, ""
            shown.draft_no += 1  # a second start (the fallback) begins the card again
            shown.draft_source = e.source
            if e.fallback:
                self.notify(e.fallback)
        elif isinstance(e, GenerationChunk):
            shown.draft += e.text
            if cid == self.conversations.current and shown.drafting:
                self.panel.cards[shown.drafting - 1].append(e.text)
                return
        elif isinstance(e, GenerationDone):
            if shown.drafting:
                shown.cards[shown.drafting - 1] = e.suggestion
            shown.drafting = None
            self.notify(draft_notice(e))
        elif isinstance(e, GenerationFailed):
            shown.drafting = None
            if not e.cancelled:
                self.notify(e.error)
        if cid == self.conversations.current:
            self._render_cards(cid)

    # -- rendering ----------------------------------------------------------------------

    def open_conversation(self, cid: str) -> None:
        self.controller.open_conversation(cid)
        self._render(cid)
        shown = self.shown.get(cid)
        if shown is not None and not shown.draft_requested:
            self._request_draft(cid)

    def _render(self, cid: str) -> None:
        """The panel and cards now, the transcript on the next event-loop turn: each part
        ends in its own layout and repaint, so the loop (input, timers) gets a turn between
        them instead of after both (~20 ms each on 2 cores)."""
        snap = self.snapshots.get(cid)
        if snap is None:
            return
        self.panel.show_snapshot(snap)
        self._render_cards(cid)
        self._transcript_due.start()

    def _render_transcript(self) -> None:
        snap = self.snapshots.get(self.conversations.current or "")
        if snap is not None:
            self.transcript.show_snapshot(snap)

    def _render_cards(self, cid: str) -> None:
        shown = self.shown.get(cid)
        for n, card in enumerate(self.panel.cards, start=1):
            s = shown.cards[n - 1] if shown else None
            if shown is not None and n == shown.drafting:
                owner = (cid, shown.index, shown.draft_no)
                if not (card.streaming and card.stream_owner == owner):
                    card.start_stream(owner, shown.draft_source)
                    card.append(shown.draft)
            elif shown is not None and n in shown.acted and s is None:
                card.clear("rejected")
            elif s is None or shown is None:
                card.clear("waiting for the customer…" if shown is None else "…")
            else:
                title = s.macro_id or ""
                card.show_suggestion(s, title)
                if n not in shown.logged:
                    shown.logged.add(n)
                    self._record(cid, shown.index, n, s, "shown")

    # -- the agent's actions ------------------------------------------------------------

    def _handler(self, name: str) -> Callable[[], None]:
        def run() -> None:
            if name.startswith("accept_"):
                self.accept(int(name[-1]), focus=False)
            else:
                getattr(self, name)()

        return run

    def _current_card(self, n: int) -> tuple[str, Shown, Suggestion] | None:
        cid = self.conversations.current
        shown = self.shown.get(cid or "")
        if cid is None or shown is None or not 1 <= n <= CARDS:
            return None
        s = shown.cards[n - 1]
        return (cid, shown, s) if s is not None else None

    def accept(self, n: int, focus: bool = True) -> None:
        """Put suggestion ``n`` in the composer (and on the clipboard) for a final look."""
        found = self._current_card(n)
        if found is None:
            return
        cid, shown, s = found
        self.transcript.composer.setPlainText(s.text)
        QGuiApplication.clipboard().setText(s.text)
        self.in_composer = (cid, shown.index, n, s)
        composer = self.transcript.composer
        if focus:
            composer.setFocus()
            composer.moveCursor(composer.textCursor().MoveOperation.End)
        self.notify(f"suggestion {n} is in the composer" + (" — edit and send" if focus else ""))

    def edit_suggestion(self) -> None:
        self.accept(1, focus=True)

    def reject(self, n: int, reason: str) -> None:
        found = self._current_card(n)
        if found is None:
            return
        cid, shown, s = found
        shown.acted.add(n)
        shown.cards[n - 1] = None
        self._record(cid, shown.index, n, s, "rejected", reason=reason)
        self._render_cards(cid)

    def send(self) -> None:
        self.transcript._send()

    def _send(self, text: str) -> None:
        cid = self.conversations.current
        if cid is None:
            return
        QGuiApplication.clipboard().setText(text)
        if self.in_composer is not None and self.in_composer[0] == cid:
            _, index, n, s = self.in_composer
            action = "accepted" if text == s.text.strip() else "edited"
            self._record(cid, index, n, s, action, final_text=text)
            shown = self.shown.get(cid)
            if shown is not None and shown.index == index:
                shown.acted.add(n)
        self.in_composer = None
        self.transcript.composer.clear()
        self.controller.send_reply(cid, text)
        self.notify("reply copied to the clipboard and recorded")

    def _record(self, cid: str, index: int, n: int, s: Suggestion, action: str, **kw: str) -> None:
        snap = self.snapshots.get(cid)
        intent = None
        if snap is not None and 0 <= index < len(snap.turns) and snap.turns[index].analysis:
            intent = snap.turns[index].analysis.intent.label  # type: ignore[union-attr]
        event = FeedbackEvent(
            conversation_id=cid,
            message_index=index,
            action=action,  # type: ignore[arg-type]
            source=s.source,
            suggestion_text=s.text,
            suggestion_rank=n,
            macro_id=s.macro_id,
            intent=intent,
            **kw,  # type: ignore[arg-type]
        )
        self.controller.record(event)

    def _feedback_saved(self, event: FeedbackEvent) -> None:
        if event.action in ("accepted", "edited", "rejected"):
            extra = (
                f", {event.edit_distance} characters changed" if event.action == "edited" else ""
            )
            self.notify(f"feedback saved: {event.action}{extra}")

    def regenerate(self) -> None:
        """Another draft in card 2 (a different seed); the macros stay."""
        cid = self.conversations.current
        shown = self.shown.get(cid or "")
        if cid is None or shown is None or not self.controller.generate:
            return
        draft = shown.cards[1]
        if draft is not None and 2 in shown.logged and 2 not in shown.acted:
            self._record(cid, shown.index, 2, draft, "ignored")
        shown.cards[1] = None
        shown.logged.discard(2)
        shown.acted.discard(2)
        self._regenerations += 1
        self._request_draft(cid, seed=self._regenerations)
        self._render_cards(cid)

    def dismiss(self) -> None:
        for dialog in (self.palette_dialog, self.help_dialog):
            if dialog is not None and dialog.isVisible():
                dialog.reject()
                return
        self.transcript.composer.clear()
        self.in_composer = None

    def next_conversation(self, step: int = 1) -> None:
        lst = self.conversations
        if lst.count():
            lst.setCurrentRow((lst.currentRow() + step) % lst.count())

    def previous_conversation(self) -> None:
        self.next_conversation(-1)

    # -- palette, help, citations, compact --------------------------------------------------

    def palette_commands(self) -> list[Command]:
        cmds = [
            Command("conversation", cid, f"Go to: {s.customer_name} ({cid})")
            for cid, s in self.snapshots.items()
        ]
        cmds += [Command("rewrite", style, f"Rewrite: {label}") for style, label in STYLES.items()]
        desk = self.controller.desk
        if desk is not None and desk.engine.library is not None:
            for item in desk.engine.library.items:
                if item.kind == "macro":
                    cmds.append(Command("macro", item.item_id, f"Insert macro: {item.title}"))
        return cmds

    def open_palette(self) -> None:
        self.palette_dialog = CommandPalette(self.palette_commands(), self)
        self.palette_dialog.chosen.connect(self.run_command)
        self.palette_dialog.open()

    def run_command(self, cmd: Command) -> None:
        if cmd.kind == "conversation":
            self.conversations.select(cmd.arg)
        elif cmd.kind == "rewrite":
            text = self.transcript.composer.toPlainText().strip()
            if not text:
                self.notify("nothing to rewrite: the composer is empty")
                return
            self.transcript.composer.clear()
            self.notify(f"rewriting: {STYLES[cmd.arg]}…")
            self.controller.rewrite(text, cmd.arg)
        elif cmd.kind == "macro":
            desk = self.controller.desk
            item = desk.engine.library.get(cmd.arg) if desk and desk.engine.library else None
            if item is not None:
                self.transcript.composer.insertPlainText(item.text)

    def _rewrite_item(self, item: object) -> None:
        composer = self.transcript.composer
        if isinstance(item, Rewritten):
            composer.setPlainText(item.text)
            self.notify("rewritten — check it, then send")
        else:
            composer.insertPlainText(str(item))

    def _citation(self, source_id: str, start: int, end: int) -> None:
        desk = self.controller.desk
        if desk is None or desk.engine.library is None:
            return
        body = desk.engine.library.article_text(source_id)
        box = QMessageBox(self)
        box.setWindowTitle(source_id)
        entity_bg = theme.bubble_colours(self.transcript.dark)["entity"]
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(marked(body, [(start, end, "")], entity_bg))
        box.open()

    def show_help(self) -> None:
        self.help_dialog = HelpOverlay(self)
        self.help_dialog.open()

    def open_settings(self) -> None:
        from ui.settings_dialog import SettingsDialog

        try:
            profile = load_profile()
        except ProfileError as e:
            profile = example_profile()
            self.notify(f"company profile unreadable, showing the example: {e}")
        token = self.app.token if self.app is not None else None
        self.settings_dialog = SettingsDialog(
            self.controller.settings,
            profile,
            token.value if token else None,
            token.warning if token else "the ingestion API is not running",
            self,
            run_task=self._background,
        )
        self.settings_dialog.saved.connect(self._settings_saved)
        self.settings_dialog.open()

    def _settings_saved(self, settings: Settings, profile: CompanyProfile) -> None:
        """New values take effect at once: theme here, profile and sampling in the engine."""
        app = QApplication.instance()
        if isinstance(app, QApplication):
            self.transcript.apply_theme(theme.apply(app, settings["ui.theme"]))
            self._transcript_due.start()  # the pages were cleared for the new colours
        dialog = self.settings_dialog
        password = getattr(dialog, "store_password", None)
        typed_key = getattr(dialog, "typed_api_key", None)
        key = typed_key() if typed_key is not None else ""
        self.controller.use_settings(
            settings, profile, password.text() if password else "", api_key=key
        )
        self.notify("settings saved")

    def _background(
        self,
        fn: Callable[[Any], Any],
        on_result: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        """Run ``fn`` on the app's I/O worker (not the engine's: a slow server must not hold
        up suggestions); the callbacks come back on the UI thread."""
        self.controller.store_tasks.submit(fn, on_result=on_result, on_error=on_error)

    def flag_conversation(self) -> None:
        self.team.flag(self.conversations.current)

    def supervisor_mode(self) -> None:
        self.team.supervisor_mode()

    def _team_state(self, pending: int, why: str) -> None:
        if pending:
            self.notify(f"team store unreachable: {pending} write(s) wait on this computer ({why})")
        else:
            self.notify("team store reachable again: everything is synced")

    def toggle_compact(self) -> None:
        if self.compact.isVisible():
            self.compact.close()  # _compact_closed moves the panel back
            return
        self.compact.box.addWidget(self.panel)
        self.compact.place()
        self.compact.show()
        self.hide()

    def _compact_closed(self) -> None:
        self.splitter.addWidget(self.panel)
        self.show()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        state = ui_state.load()
        state["main_geometry"] = ui_state.encode(self.saveGeometry())
        ui_state.save(state)
        if self.compact.isVisible():
            self.compact.close()
        self.team.close()
        super().closeEvent(event)
