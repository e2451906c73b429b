"""`assist feedback export`: the agents' verdicts on suggestions, as JSONL training data.

Reads the team store (the ``store.url`` setting, else the profile's SQLite file: the store the
app writes) and writes one JSON object per line, oldest event first:

* an accepted or edited suggestion::

    {"message": <the customer message it answered>, "intent": <detected intent>,
     "suggestion": <the text shown>, "target": <what the agent sent: the edited text, or the
     suggestion itself when accepted as is>, "source": "macro" | "generated" | "remote",
     "macro_id": <the macro's id or null>, "action": "accepted" | "edited"}

* a rejected one::

    {"message": ..., "suggestion": ..., "action": "rejected",
     "reason": "wrong_intent" | "wrong_facts" | "tone" | "other" | null}

"shown" and "ignored" events are not exported. The customer message is the stored message of
the event's conversation at the event's ``message_index`` (the customer turn the suggestion
answered); ``null`` when the store has no such message (e.g. the app wrote feedback while its
message went elsewhere). The intent is the one recorded with the event, else the one stored
with the message, else ``null``. The export is appended to the store's audit log.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from assist.store import StoreError, TeamStore, resolve_url
from assist.store.schema import feedback, messages

EXPORTED = ("accepted", "edited", "rejected")


def _actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (some containers)
        return "unknown"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", help="database URL (default: the store.url setting, else the profile)")
    sub = p.add_subparsers(dest="feedback_cmd", required=True)
    ex = sub.add_parser("export", help="accepted / edited / rejected suggestions as JSONL")
    ex.add_argument("-o", "--output", help="file to write (default: stdout)")
    ex.add_argument("--since", help="only feedback recorded on/after this UTC day (YYYY-MM-DD)")
    ex.add_argument("--actor", default=_actor(), help="who exports (audit log)")


def parse_since(value: str | None) -> datetime | None:
    """``YYYY-MM-DD`` (midnight UTC) or an ISO-8601 time; ``ValueError`` naming the option."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    except ValueError:
        pass
    try:
        ts = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"--since {value!r} is not a date (expected YYYY-MM-DD)") from None
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _existing_store(url: str | None) -> str:
    """The resolved URL; a SQLite file that does not exist is an error (opening would create
    an empty store, and an empty export would hide a wrong path or setting)."""
    resolved = resolve_url(url)
    try:
        parsed = make_url(resolved)
    except ArgumentError as exc:
        raise StoreError(f"Team store {resolved!r}: not a database URL ({exc})") from exc
    database = parsed.database or ""
    if (
        parsed.get_backend_name() == "sqlite"
        and database not in ("", ":memory:")
        and not database.startswith("file:")
        and not Path(database).is_file()
    ):
        raise StoreError(
            f"Team store {database}: no such database file. Nothing has been recorded here "
            "yet; check the store.url setting or pass --url."
        )
    return resolved


def _query(since: datetime | None) -> Any:
    customer = and_(
        messages.c.conversation_id == feedback.c.conversation_id,
        messages.c.message_index == feedback.c.message_index,
        messages.c.role == "customer",
    )

    def of_message(column: Any) -> Any:  # the newest stored copy of the customer message
        return (
            select(column).where(customer).order_by(messages.c.id.desc()).limit(1)
        ).scalar_subquery()

    query = select(
        feedback.c.action,
        feedback.c.source,
        feedback.c.macro_id,
        feedback.c.suggestion_text,
        feedback.c.final_text,
        feedback.c.reason,
        func.coalesce(feedback.c.intent, of_message(messages.c.intent)).label("intent"),
        of_message(messages.c.text).label("message"),
    ).where(feedback.c.action.in_(EXPORTED))
    if since is not None:
        query = query.where(feedback.c.created_at >= since)
    return query.order_by(feedback.c.created_at, feedback.c.id)


def training_line(row: Any) -> dict[str, Any]:
    """One exported object from a row of ``_query``."""
    if row.action == "rejected":
        return {
            "message": row.message,
            "suggestion": row.suggestion_text,
            "action": "rejected",
            "reason": row.reason,
        }
    target = row.final_text if row.final_text is not None else row.suggestion_text
    return {
        "message": row.message,
        "intent": row.intent,
        "suggestion": row.suggestion_text,
        "target": target,
        "source": row.source,
        "macro_id": row.macro_id,
        "action": row.action,
    }


def export_lines(store: TeamStore, since: datetime | None = None) -> Iterator[dict[str, Any]]:
    """The exported objects, oldest event first (``StoreError`` if the database fails)."""
    try:
        with store.engine.connect() as conn:
            for row in conn.execute(_query(since)):
                yield training_line(row)
    except SQLAlchemyError as exc:
        raise StoreError(f"Team store {store.location}: could not read feedback ({exc})") from exc


def _write(store: TeamStore, out: IO[str], since: datetime | None) -> dict[str, int]:
    counts = dict.fromkeys((*EXPORTED, "without_message"), 0)
    for line in export_lines(store, since):
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
        counts[line["action"]] += 1
        counts["without_message"] += line["message"] is None
    return counts


def _export(store: TeamStore, args: argparse.Namespace, since: datetime | None) -> dict[str, int]:
    if not args.output:
        counts = _write(store, sys.stdout, since)
        sys.stdout.flush()
        return counts
    target = Path(args.output)
    # a temp file renamed into place: a failed export never leaves half a file behind
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            counts = _write(store, out, since)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return counts


def run(args: argparse.Namespace) -> int:
    name = f"assist feedback {args.feedback_cmd}"
    try:
        since = parse_since(args.since)
        if args.output and not Path(args.output).parent.is_dir():
            raise ValueError(f"-o {args.output}: its folder does not exist")
        with TeamStore.open(_existing_store(args.url)) as store:
            counts = _export(store, args, since)
            rows = sum(counts[a] for a in EXPORTED)
            detail = {"rows": rows, "file": args.output, "since": args.since}
            store.log_action(args.actor, "feedback.export", "team", "feedback", detail)
    except (StoreError, ValueError, OSError) as e:
        print(f"{name}: error: {e}", file=sys.stderr)
        return 1
    summary = ", ".join(f"{counts[a]} {a}" for a in EXPORTED)
    missing = counts["without_message"]
    extra = f"; {missing} without their customer message" if missing else ""
    print(f"{name}: {rows} lines ({summary}{extra})", file=sys.stderr)
    return 0
