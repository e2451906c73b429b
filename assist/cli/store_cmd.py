"""`assist store migrate | stats | export | set-password`: the team store from a terminal."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import UTC, date, datetime, timedelta
from typing import IO

from assist.store import PASSWORD_SECRET, QueueFilter, StoreError, TeamStore


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", help="database URL (default: the store.url setting, else the profile)")
    sub = p.add_subparsers(dest="store_cmd", required=True)
    sub.add_parser("migrate", help="create or upgrade the schema; prints the revision")
    stats = sub.add_parser("stats", help="row counts, and analytics for a date range")
    stats.add_argument("--days", type=int, default=30, help="analytics over the last N days")
    ex = sub.add_parser("export", help="export conversations as CSV or JSONL")
    ex.add_argument("--format", choices=("csv", "jsonl"), default="jsonl")
    ex.add_argument("-o", "--output", help="file to write (default: stdout)")
    ex.add_argument("--flagged", action="store_true", help="only flagged conversations")
    ex.add_argument("--reason", action="append", default=[], help="flag reason (repeatable)")
    ex.add_argument("--status", action="append", default=[], help="open / in_review / resolved")
    ex.add_argument("--agent")
    ex.add_argument("--intent")
    ex.add_argument("--since", type=date.fromisoformat, help="started on/after YYYY-MM-DD")
    ex.add_argument("--until", type=date.fromisoformat, help="started before YYYY-MM-DD")
    ex.add_argument("--search", help="text in the customer name or the messages")
    ex.add_argument("--actor", default=getpass.getuser(), help="who exports (audit log)")
    sub.add_parser("set-password", help="save the team database password in the OS keyring")


def _day(value: date | None) -> datetime | None:
    return None if value is None else datetime(value.year, value.month, value.day, tzinfo=UTC)


def _filters(args: argparse.Namespace) -> QueueFilter:
    flagged = True if (args.flagged or args.reason or args.status) else None
    return QueueFilter(
        reasons=tuple(args.reason),
        agent=args.agent,
        intent=args.intent,
        statuses=tuple(args.status),
        since=_day(args.since),
        until=_day(args.until),
        text=args.search,
        flagged=flagged,
    )


def _export(store: TeamStore, args: argparse.Namespace) -> int:
    filters = _filters(args)
    out: IO[str]
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            n = store.export(out, args.format, filters)
    else:
        n = store.export(sys.stdout, args.format, filters)
    detail = {"format": args.format, "rows": n, "file": args.output, "filters": repr(filters)}
    store.log_action(args.actor, "export", "team", "export", detail)
    print(f"assist store export: {n} rows", file=sys.stderr)
    return 0


def run(args: argparse.Namespace) -> int:
    if args.store_cmd == "set-password":
        from assist import secrets

        password = getpass.getpass("Team database password: ")
        try:
            secrets.set_secret(PASSWORD_SECRET, password)
        except (secrets.KeyringUnavailable, ValueError) as e:
            print(f"assist store set-password: error: {e}", file=sys.stderr)
            return 1
        print("saved in the OS keyring")
        return 0
    try:
        with TeamStore.open(args.url) as store:
            if args.store_cmd == "migrate":
                print(json.dumps({"location": store.location, **store.stats()}))
                return 0
            if args.store_cmd == "stats":
                today = datetime.now(UTC).date()
                summary = store.analytics(today - timedelta(days=args.days - 1), today)
                print(json.dumps({**store.stats(), "analytics": summary.to_json()["total"]}))
                return 0
            return _export(store, args)
    except (StoreError, ValueError, OSError) as e:
        print(f"assist store {args.store_cmd}: error: {e}", file=sys.stderr)
        return 1
