"""`assist app`: the desktop app (PySide6, in ``ui/``), imported only when asked for.

Why the fallback: on a machine with no display (an SSH session, a server) Qt would abort the
process; the terminal demo shows the same engine instead, and says why.
"""

from __future__ import annotations

import argparse
import os
import sys


def has_display() -> bool:
    if sys.platform != "linux" or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run(args: argparse.Namespace) -> int:
    if args.self_test:  # headless (Qt's offscreen platform): needs no display
        from ui.self_test import run as self_test

        return self_test(generate=not args.no_generate)
    if not has_display():
        print(
            "assist app: no display found (DISPLAY/WAYLAND_DISPLAY unset); showing the terminal "
            "demo instead. Set QT_QPA_PLATFORM=offscreen with --screenshot for a picture.",
            file=sys.stderr,
        )
        from assist.cli.demo import run as demo

        ns = argparse.Namespace(
            conversation=None,
            speed=4.0 if args.speed is None else args.speed,
            no_generate=args.no_generate,
            n=None,
        )
        return demo(ns)
    from ui.app import run as app

    return app(args)
