"""`assist demo`: replay the bundled conversations and print the assistance live.

For every customer message: intent top-3, sentiment with the conversation's trend, entities,
the escalation signal, the retrieved suggestions at once and the generated one token by token.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

from assist.conversation import TREND_ARROWS, Conversation
from assist.demo_source import load_demo
from assist.engine import Engine
from assist.events import (
    AnalysisReady,
    GenerationChunk,
    GenerationDone,
    GenerationFailed,
    GenerationStarted,
    SuggestionsReady,
)
from assist.types import Analysis, Message

MAX_PAUSE_S = 1.5


class Printer:
    """Renders engine events as text; colour only on a terminal."""

    def __init__(self, out: TextIO):
        self.out = out
        self.tty = out.isatty()

    def style(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.tty else text

    def line(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def header(self, cid: str, name: str) -> None:
        self.line()
        self.line(self.style(f"━━ {cid} · {name} ━━", "1"))

    def message(self, m: Message) -> None:
        stamp = m.ts.strftime("%H:%M") if m.ts else "--:--"
        who = self.style("customer", "36") if m.role == "customer" else self.style("agent", "32")
        self.line(f"{stamp} {who}> {m.text}")

    def analysis(self, a: Analysis, conv: Conversation) -> None:
        top = " · ".join(f"{label} {p:.2f}" for label, p in a.intent.top)
        why = f"  ({a.intent.reason})" if a.intent.reason else ""
        self.line(f"    intent     {self.style(a.intent.label, '1')}{why}   [{top}]")
        trend = conv.trend if conv.trend is not None else a.sentiment.score
        arrow = TREND_ARROWS[conv.trend_direction()]
        colour = {"negative": "31", "neutral": "37", "positive": "32"}[a.sentiment.label]
        self.line(
            f"    sentiment  {self.style(a.sentiment.label, colour)} {a.sentiment.score:+.2f}"
            f"   trend {trend:+.2f} {arrow} {conv.trend_direction()}"
        )
        ents = ", ".join(f"{e.type}={e.value}" for e in a.entities) or "—"
        self.line(f"    entities   {ents}")
        esc = conv.escalation()
        if esc:
            self.line(self.style(f"    ⚑ escalate: {'; '.join(esc.reasons)}", "33"))


def replay(
    engine: Engine,
    printer: Printer,
    speed: float,
    n: int | None,
    generate: bool,
    only: str | None = None,
) -> int:
    shown = 0
    for demo in load_demo():
        if only and demo.conversation_id != only:
            continue
        printer.header(demo.conversation_id, demo.customer_name)
        previous = None
        for message in demo.messages:
            if speed > 0 and previous is not None and message.ts and previous.ts:
                gap = (message.ts - previous.ts).total_seconds() / speed
                time.sleep(min(max(gap, 0.0), MAX_PAUSE_S))
            previous = message
            printer.message(message)
            event = engine.add_message(message)
            if not isinstance(event, AnalysisReady):
                continue
            conv = engine.conversation(message.conversation_id)
            printer.analysis(event.analysis, conv)
            render_suggestions(engine, conv, printer, n, generate)
            shown += 1
    return shown


INDENT = "\n        "  # continuation lines of a suggestion line up under its text


def render_suggestions(
    engine: Engine, conv: Conversation, printer: Printer, n: int | None, generate: bool
) -> None:
    count, streamed = 0, ""
    for event in engine.suggest(conv, n, generate=generate):
        if isinstance(event, SuggestionsReady):
            printer.line(f"    suggestions ({event.latency_ms:.0f} ms)")
            for s in event.suggestions:
                count += 1
                cite = f"  ↳ cites {s.citations[0].title}" if s.citations else ""
                text = s.text.replace("\n", INDENT)
                printer.line(f"    [{count}] {s.source}:{s.macro_id}  {text}{cite}")
        elif isinstance(event, GenerationStarted):
            count += 1
            printer.out.write(f"    [{count}] generated  ")
            printer.out.flush()
        elif isinstance(event, GenerationChunk):
            streamed += event.text
            printer.out.write(event.text.replace("\n", INDENT))
            printer.out.flush()
        elif isinstance(event, GenerationDone):
            printer.line()
            if event.suggestion.text != streamed.strip():  # grounding repair / filled slots
                printer.line(f"        final: {event.suggestion.text.replace(chr(10), INDENT)}")
            printer.line(
                printer.style(
                    f"        (first token {event.first_token_ms:.0f} ms, "
                    f"{event.tokens_per_s:.0f} tok/s)",
                    "2",
                )
            )
            if event.suggestion.unfilled:
                printer.line(f"        to fill by hand: {', '.join(event.suggestion.unfilled)}")
        elif isinstance(event, GenerationFailed):
            printer.line()
            printer.line(printer.style(f"        ({event.error})", "33"))


def run(args: argparse.Namespace) -> int:
    printer = Printer(sys.stdout)
    printer.line("Assist demo — loading models ...")
    start = time.perf_counter()
    engine = Engine.load(generate=not args.no_generate)
    engine.warm_up()
    printer.line(f"models ready in {time.perf_counter() - start:.1f} s")
    if engine.generator_error:
        printer.line(f"warning: generated suggestions are off: {engine.generator_error}")
    shown = replay(engine, printer, args.speed, args.n, not args.no_generate, args.conversation)
    if shown == 0:
        print(f"assist demo: no demo conversation {args.conversation!r}", file=sys.stderr)
        return 1
    return 0
