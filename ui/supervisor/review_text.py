"""The review transcript as rich text: one block per message with its analysis and feedback.

Why rich text in one read-only browser rather than bubble widgets: a review is read, searched
and copied, never typed into, and a transcript can run to hundreds of messages; one document
lays out once, selects across messages and scales with the font. Colours come from the theme
(``bubble_colours``) and the palette, so it follows light and dark.
"""

from __future__ import annotations

import html
from collections import defaultdict

from PySide6.QtGui import QPalette

from ui.supervisor.queue_model import SEVERITY, local
from ui.supervisor.records import Feedback, Flag, Line
from ui.theme import FLAG, SENTIMENT, bubble_colours
from ui.widgets import intent_colour, pretty

ACTION_WORD = {
    "shown": "shown",
    "accepted": "accepted",
    "edited": "edited",
    "rejected": "rejected",
    "ignored": "ignored",
}


def chip(text: str, colour: str) -> str:
    return (
        f'<span style="background:{colour}; color:#ffffff">&nbsp;{html.escape(text)}&nbsp;</span>'
    )


def feedback_line(f: Feedback) -> str:
    """``#1 macro: shown → edited (5 characters changed) “text…”``."""
    steps = [ACTION_WORD.get(a, a) for a in f.actions]
    outcome = f.actions[-1] if f.actions else "shown"
    extra = ""
    if outcome == "edited" and f.edit_distance is not None:
        extra = f" ({f.edit_distance} characters changed)"
    elif outcome == "rejected":
        extra = f" ({pretty(f.reason)})" if f.reason else " (no reason given)"
    text = f.text if len(f.text) <= 90 else f.text[:89] + "…"
    return (
        f"#{f.rank} {html.escape(f.source)}: <b>{' → '.join(steps)}</b>{html.escape(extra)} "
        f"<i>“{html.escape(text)}”</i>"
    )


def message_block(line: Line, flags: list[Flag], colours: dict[str, str]) -> str:
    who = "Customer" if line.role == "customer" else "Agent"
    meta = [f"<b>{who}</b>", f"#{line.index + 1}", html.escape(local(line.ts, "%H:%M:%S"))]
    if line.intent:
        conf = f" {line.confidence:.0%}" if line.confidence is not None else ""
        meta.append(chip(pretty(line.intent) + conf, intent_colour(line.intent)))
    if line.score is not None or line.sentiment:
        label = line.sentiment or "neutral"
        score = f" {line.score:+.2f}" if line.score is not None else ""
        dot = f'<span style="color:{SENTIMENT.get(label, SENTIMENT["neutral"])}">●</span>'
        meta.append(f"{dot} {html.escape(label)}{score}")
    for f in flags:
        meta.append(
            f'<span style="color:{FLAG}">⚑ {html.escape(pretty(f.reason))}'
            f" ({SEVERITY.get(f.severity, f.severity)})</span>"
        )
    body = html.escape(line.text).replace("\n", "<br>")
    out = [" &nbsp;·&nbsp; ".join(meta), f'<div style="margin-top:4px">{body}</div>']
    if line.feedback:
        items = "<br>".join(feedback_line(f) for f in line.feedback)
        out.append(f'<div style="margin-top:4px; font-size:small">Suggestions:<br>{items}</div>')
    bg = colours["customer" if line.role == "customer" else "agent"]
    return (
        f'<table width="100%" cellspacing="0" cellpadding="8" bgcolor="{bg}" '
        f'style="margin-bottom:8px"><tr><td>{"".join(out)}</td></tr></table>'
    )


def transcript_html(lines: list[Line], flags: list[Flag], palette: QPalette) -> str:
    """The whole conversation; flags without a message (e.g. a long wait) come first.

    Customer blocks take the palette's alternate base (the agent window's white bubble would
    vanish on this view's white base), agent blocks the agent window's bubble colour."""
    dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
    colours = {
        "customer": palette.color(QPalette.ColorRole.AlternateBase).name(),
        "agent": bubble_colours(dark)["agent"],
    }
    by_message: dict[int | None, list[Flag]] = defaultdict(list)
    for f in flags:
        by_message[f.message_index].append(f)
    parts = []
    loose = by_message.get(None, [])
    if loose:
        words = ", ".join(pretty(f.reason) for f in loose)
        parts.append(f'<p style="color:{FLAG}">⚑ on the whole conversation: {words}</p>')
    for line in lines:
        parts.append(message_block(line, by_message.get(line.index, []), colours))
    if not lines:
        parts.append("<p><i>No messages were recorded for this conversation.</i></p>")
    return "".join(parts)
