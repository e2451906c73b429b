"""Flags: automatic rules that mark the conversations a supervisor should look at.

A flag says which rule fired (``reason``), at which message, how serious it is and, in one
sentence, why. The rules are declared once, in ``assist.flags.rules.RULES`` (reason, severity,
the settings they read, a docstring); ``evaluate`` runs them over a whole conversation and
``FlagTracker`` keeps their state so a growing conversation is re-flagged one message at a time
(the desk does this for every snapshot). Nothing here imports Qt or the models: the rules read
the analyses the engine has already made.
"""

from __future__ import annotations

from assist.flags.model import REASONS, SEVERITIES, Flag, FlagConfig, Reason, Severity
from assist.flags.rules import BY_REASON, RULES, Rule
from assist.flags.tracker import FlagTracker, evaluate, ordered

__all__ = [
    "BY_REASON",
    "REASONS",
    "RULES",
    "SEVERITIES",
    "Flag",
    "FlagConfig",
    "FlagTracker",
    "Reason",
    "Rule",
    "Severity",
    "evaluate",
    "ordered",
]
