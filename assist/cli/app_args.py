"""The desktop app's command-line options, declared in the core so `assist --help` lists them
without importing Qt."""

from __future__ import annotations

import argparse

VIEWS = ("main", "compact", "settings")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--demo", action="store_true", help="replay the bundled demo conversations")
    p.add_argument("--speed", type=float, default=None, help="demo speed (default: settings)")
    p.add_argument("--no-generate", action="store_true", help="retrieval suggestions only")
    p.add_argument("--screenshot", metavar="FILE", help="write a PNG of the window, then exit")
    p.add_argument(
        "--quit-after", type=float, default=None, metavar="S", help="exit (0) after S seconds"
    )
    p.add_argument("--view", choices=VIEWS, default="main", help="what --screenshot shows")
    p.add_argument("--no-listen", action="store_true", help="don't start the ingestion API")
    p.add_argument(
        "--self-test",
        action="store_true",
        help="check the install without a window: load the models, analyse one message, draft "
        "a short reply, print a JSON summary; exit 0 if all passed",
    )
