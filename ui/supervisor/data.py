"""The supervisor mode's one line to the team store: every read and write goes through here.

Why one adapter: the widgets never see ``assist.store`` types or SQL row dicts, only the small
records of ``ui.supervisor.records``. The team store is young and its API may still move; when
it does, this file is the only one to change.

Why through the caller's ``TaskRunner``: a store call can wait on a database server (seconds,
when it is unreachable) and must never freeze the window. The store is opened on the runner's
worker and only ever used there; results come back on the UI thread. A query submitted under a
key cancels the older one still pending or running, so a stale queue page (an older filter
finishing after a newer one) is dropped, never shown.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from assist.store import FLAG_REASONS, FLAG_STATUSES, Metrics, QueueFilter, TeamStore
from assist.store.passphrase import MIN_LENGTH as PASSPHRASE_MIN_LENGTH
from ui.supervisor.records import (
    Audit,
    Feedback,
    Figures,
    Filters,
    Flag,
    Line,
    Note,
    Page,
    ReviewData,
    Row,
    Summary,
)
from ui.tasks import TaskHandle, TaskRunner

__all__ = ["FLAG_REASONS", "FLAG_STATUSES", "PASSPHRASE_MIN_LENGTH", "SupervisorData"]

Callback = Callable[[Any], None]

# -- conversions from the store's types (the part that follows the store's API) -----------


def queue_filter(f: Filters, flagged: bool | None = True) -> QueueFilter:
    """The store's filter for a selection (local days -> UTC instants, ``end`` inclusive)."""

    def at(day: date) -> datetime:  # local midnight, as the supervisor reads dates
        return datetime.combine(day, time()).astimezone()

    return QueueFilter(
        reasons=(f.reason,) if f.reason else (),
        agent=f.agent or None,
        intent=f.intent or None,
        statuses=(f.status,) if f.status else (),
        since=at(f.start) if f.start else None,
        until=at(f.end + timedelta(days=1)) if f.end else None,
        text=f.text.strip() or None,
        flagged=flagged,
    )


def _row(item: Any) -> Row:
    return Row(
        item.conversation_id,
        item.customer_name or item.external_id or item.conversation_id[:8],
        item.agent or "",
        item.intent,
        tuple(item.reasons),
        item.max_severity,
        item.age_s,
        item.status,
        item.flagged_at,
    )


def _feedback(events: list[dict[str, Any]]) -> tuple[Feedback, ...]:
    by_rank: dict[int, list[dict[str, Any]]] = {}
    for e in events:
        by_rank.setdefault(int(e["suggestion_rank"]), []).append(e)
    out = []
    for rank, evs in sorted(by_rank.items()):
        acted = [e for e in evs if e["action"] != "shown"]
        last = acted[-1] if acted else evs[-1]
        out.append(
            Feedback(
                rank,
                str(last["source"]),
                str(last["suggestion_text"]),
                tuple(e["action"] for e in evs),
                last.get("reason"),
                last.get("edit_distance"),
            )
        )
    return tuple(out)


def _detail(action: str, d: dict[str, Any]) -> str:
    if "from" in d or "to" in d:
        return f"{d.get('from') or '—'} → {d.get('to') or '—'}"
    if action == "note.add":
        return str(d.get("text", ""))
    if action == "flag.raise":
        return f"{d.get('reason', '')}: {d.get('note') or ''}".rstrip(": ")
    return json.dumps(d, sort_keys=True) if d else ""


def _review(r: Any) -> ReviewData:
    c = r.conversation
    return ReviewData(
        c["id"],
        c.get("customer_name") or c.get("external_id") or c["id"][:8],
        c.get("agent") or "",
        c.get("intent"),
        c.get("review_status"),
        c.get("started_at"),
        [
            Line(
                m["message_index"],
                m["role"],
                m["text"],
                m.get("ts"),
                m.get("intent"),
                m.get("intent_confidence"),
                m.get("sentiment"),
                m.get("sentiment_score"),
                _feedback(m.get("feedback", [])),
            )
            for m in r.messages
        ],
        [
            Flag(
                f["id"],
                f["reason"],
                int(f["severity"]),
                f.get("message_index"),
                f["status"],
                f.get("assignee"),
                f.get("source", "rule"),
                f.get("note"),
                f.get("created_at"),
                f.get("created_by"),
            )
            for f in r.flags
        ],
        [Note(n["author"], n["text"], n.get("created_at")) for n in r.notes],
        [
            Audit(a.get("at"), a["actor"], a["action"], _detail(a["action"], a["detail"]))
            for a in r.audit
        ],
    )


def _figures(m: Metrics) -> Figures:
    return Figures(
        m.conversations,
        m.suggestions_shown,
        m.acceptance_rate,
        m.edit_rate,
        m.mean_edit_distance,
        dict(m.rejections),
        m.sentiment_start,
        m.sentiment_end,
        m.flags,
        m.flags_per_100_chats,
        m.mean_first_reply_s,
    )


def _summary(s: Any) -> Summary:
    return Summary(
        s.start,
        s.end,
        _figures(s.total),
        {k: _figures(v) for k, v in s.by_intent.items()},
        {k: _figures(v) for k, v in s.by_agent.items()},
    )


# -- the adapter ----------------------------------------------------------------------------


class SupervisorData:
    """The team store, opened on ``tasks``' worker; every method queues one task there.

    Callbacks run on the UI thread. ``close`` cancels what is still pending (so no callback
    reaches a closed window) and closes the store after the work already running.
    """

    def __init__(self, tasks: TaskRunner, url: str | None) -> None:
        self._tasks = tasks
        self._url = url
        self._store: TeamStore | None = None  # touched only on the worker thread
        self._pending: set[TaskHandle] = set()
        self._prefix = f"supervisor-{id(self):x}"
        self.closed = False

    def _submit(
        self,
        fn: Callable[[TeamStore], Any],
        on_result: Callback | None,
        on_error: Callback | None,
        key: str | None = None,
        needs_store: bool = True,
    ) -> TaskHandle | None:
        if self.closed or self._tasks.closed:
            return None

        def work(cancel: threading.Event) -> Any:
            if needs_store and self._store is None:
                raise RuntimeError("the team store is not open")
            return fn(self._store)  # type: ignore[arg-type]

        handle: TaskHandle | None = None

        def done(status: str) -> None:
            self._pending.discard(handle)

        handle = self._tasks.submit(
            work,
            key=f"{self._prefix}.{key}" if key else None,
            on_result=on_result,
            on_error=on_error,
            on_done=done,
        )
        self._pending.add(handle)
        return handle

    def open(self, on_ok: Callback, on_error: Callback) -> None:
        def work(_: Any) -> str:
            if self._store is None:
                self._store = TeamStore.open(self._url)
            return self._store.location

        self._submit(work, on_ok, on_error, needs_store=False)

    def close(self) -> None:
        if self.closed:
            return
        for handle in list(self._pending):
            handle.cancel()
        self._pending.clear()

        def work(_: Any) -> None:
            if self._store is not None:
                self._store.close()
                self._store = None

        self._submit(work, None, None, needs_store=False)
        self.closed = True

    # -- passphrase --------------------------------------------------------------------------

    def has_passphrase(self, on_result: Callback, on_error: Callback) -> None:
        self._submit(lambda s: s.has_supervisor_passphrase(), on_result, on_error)

    def verify_passphrase(self, candidate: str, on_result: Callback, on_error: Callback) -> None:
        self._submit(lambda s: s.verify_supervisor_passphrase(candidate), on_result, on_error)

    def set_passphrase(self, new: str, actor: str, on_ok: Callback, on_error: Callback) -> None:
        self._submit(lambda s: s.set_supervisor_passphrase(new, actor), on_ok, on_error)

    # -- reads -------------------------------------------------------------------------------

    def queue(
        self,
        filters: Filters,
        sort: str,
        offset: int,
        limit: int,
        on_result: Callback,
        on_error: Callback,
    ) -> None:
        """A page of the queue; a newer call cancels an older one still on its way."""

        def work(s: TeamStore) -> Page:
            page = s.queue(queue_filter(filters), sort=sort, limit=limit, offset=offset)
            return Page([_row(i) for i in page.items], page.total, page.offset, page.has_more)

        self._submit(work, on_result, on_error, key="queue")

    def facets(self, on_result: Callback, on_error: Callback) -> None:
        """(agents, intents) for the filter menus: the keys of the all-time rollups (cheap:
        one row per day and key), there being no "list the agents" call in the store."""

        def work(s: TeamStore) -> tuple[list[str], list[str]]:
            everything = s.analytics(date(2000, 1, 1), date.today() + timedelta(days=2))
            return sorted(k for k in everything.by_agent if k), sorted(
                k for k in everything.by_intent if k
            )

        self._submit(work, on_result, on_error, key="facets")

    def review(self, conversation_id: str, on_result: Callback, on_error: Callback) -> None:
        self._submit(lambda s: _review(s.review(conversation_id)), on_result, on_error, "review")

    def analytics(self, start: date, end: date, on_result: Callback, on_error: Callback) -> None:
        self._submit(lambda s: _summary(s.analytics(start, end)), on_result, on_error, "analytics")

    # -- supervisor actions (the store audits each) ------------------------------------------

    def add_note(
        self, cid: str, text: str, actor: str, on_ok: Callback, on_error: Callback
    ) -> None:
        self._submit(lambda s: s.add_note(cid, actor, text), on_ok, on_error)

    def set_status(
        self, flag_ids: list[str], status: str, actor: str, on_ok: Callback, on_error: Callback
    ) -> None:
        def work(s: TeamStore) -> int:
            for flag_id in flag_ids:
                s.set_flag_status(flag_id, status, actor)
            return len(flag_ids)

        self._submit(work, on_ok, on_error)

    def assign(
        self,
        flag_ids: list[str],
        assignee: str | None,
        actor: str,
        on_ok: Callback,
        on_error: Callback,
    ) -> None:
        def work(s: TeamStore) -> int:
            for flag_id in flag_ids:
                s.assign_flag(flag_id, assignee, actor)
            return len(flag_ids)

        self._submit(work, on_ok, on_error)

    def export(
        self,
        path: str | Path,
        fmt: str,
        filters: Filters,
        actor: str,
        on_result: Callback,
        on_error: Callback,
    ) -> None:
        """Write the queue selection to ``path`` (via a temporary file, so a failed export
        never leaves half a file) and log the export; the result is the rows written."""
        target = Path(path)

        def work(s: TeamStore) -> int:
            part = target.with_name(target.name + ".part")
            try:
                with part.open("w", encoding="utf-8", newline="") as out:
                    n = s.export(out, fmt, queue_filter(filters))
                os.replace(part, target)
            finally:
                part.unlink(missing_ok=True)
            detail = {"format": fmt, "rows": n, "file": target.name, "filters": _described(filters)}
            s.log_action(actor, "export", "queue", "selection", detail)
            return n

        self._submit(work, on_result, on_error)


def _described(filters: Filters) -> dict[str, str]:
    return {k: str(v) for k, v in vars(filters).items() if v not in (None, "")}
