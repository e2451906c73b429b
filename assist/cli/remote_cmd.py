"""`assist remote set-key | delete-key | test`: the remote inference server from a terminal.

The key goes to the OS keyring only. ``set-key`` reads it from the terminal without echo, or
from stdin when piped (``pass show gpu-key | assist remote set-key``), so it never appears in
the shell history or the process list.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from assist import secrets
from assist.remote.errors import RemoteError
from assist.remote.setup import API_KEY_SECRET, api_key, check_connection
from assist.settings import Settings


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="remote_cmd", required=True)
    sub.add_parser("set-key", help="save the server's API key in the OS keyring")
    sub.add_parser("delete-key", help="forget the saved API key")
    test = sub.add_parser("test", help="ask the server for its models; prints latency as JSON")
    test.add_argument("--url", help="server base URL (default: the remote.url setting)")


def _read_key() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("API key: ").strip()
    return sys.stdin.readline().strip()


def run(args: argparse.Namespace) -> int:
    name = f"assist remote {args.remote_cmd}"
    try:
        if args.remote_cmd == "set-key":
            secrets.set_secret(API_KEY_SECRET, _read_key())
            print("saved in the OS keyring")
            return 0
        if args.remote_cmd == "delete-key":
            secrets.delete_secret(API_KEY_SECRET)
            print("deleted")
            return 0
        settings = Settings.load()
        if args.url:
            settings.set("remote.url", args.url)
        try:
            key = api_key()
        except secrets.KeyringUnavailable as e:
            print(f"{name}: warning: no API key: {e}", file=sys.stderr)
            key = None
        ids, ms = check_connection(settings, key)
    except (secrets.KeyringUnavailable, ValueError) as e:
        print(f"{name}: error: {e}", file=sys.stderr)
        return 1
    except RemoteError as e:
        print(f"{name}: error: {e.message}", file=sys.stderr)
        return 1
    print(json.dumps({"url": settings["remote.url"], "models": ids, "latency_ms": round(ms, 1)}))
    return 0
