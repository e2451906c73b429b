"""The log file: what the app and ``assist serve`` did, for the user and a bug report.

Why a file in the profile and not just stderr: the desktop app has no terminal, and "what
happened when the drafts stopped" is exactly what a support ticket needs. Why a scrubbing
filter: a log travels (attached to tickets), so every secret the app handles (API keys,
passwords, tokens) is replaced by ``***`` in every record, whatever module logged it and
however it was formatted; ``assist.secrets`` registers each value it reads or stores.
"""

from __future__ import annotations

import logging
import logging.handlers
import threading
from pathlib import Path

from assist.paths import profile_dir

FILENAME = "assist.log"
MAX_BYTES = 1_000_000
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Never write ``value`` to a log (short values are skipped: "***" everywhere is noise)."""
    if value and len(value) >= 6:
        with _lock:
            _secrets.add(value)


class ScrubSecrets(logging.Filter):
    """Replace registered secrets in the formatted message (and drop the args it came from)."""

    def filter(self, record: logging.LogRecord) -> bool:
        with _lock:
            known = sorted(_secrets, key=len, reverse=True)
        if not known:
            return True
        text = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        exc = record.exc_text or ""
        for value in known:
            text = text.replace(value, "***")
            exc = exc.replace(value, "***")
        record.msg, record.args = text, None
        record.exc_text = exc or None
        return True


def log_path() -> Path:
    return profile_dir() / "logs" / FILENAME


def setup_logging(level: int = logging.INFO) -> Path:
    """Send the root logger to the rotating log file (once per process); returns its path."""
    path = log_path()
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "assist_log", False):
            if Path(getattr(handler, "baseFilename", "")) == path:
                return path
            root.removeHandler(handler)  # the profile moved (ASSIST_HOME changed)
            handler.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
    )
    handler.assist_log = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(ScrubSecrets())
    root.addHandler(handler)
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request is noise
    return path
