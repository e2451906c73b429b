"""Assist: offline-first agent-assist core (headless; never imports Qt)."""

__version__ = "0.1.0"
