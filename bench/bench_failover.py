"""Fail-over: how long after a remote server stops answering the local model takes over.

The engine as the app runs it (the local model in its child process, warmed up) drafts against
a small OpenAI-compatible server on 127.0.0.1 that misbehaves on purpose:

- ``stall``: streams a few words, then goes silent with the connection open (a hung GPU
  worker). Measured from the server's last byte to the local draft starting
  (``switch_ms``) and to its first words (``first_local_ms``). The target: ≤ 1000 ms.
- ``refused``: nothing listens any more (the box was switched off): from the request to the
  local draft starting / its first words.
- ``silent``: answers the headers, never a word (a queue that never drains): switches after
  ``remote.first_token_timeout`` by design (2 s by default), reported for completeness.

Each local draft is cancelled after its first words (only the hand-over is measured). One JSON
line: per case p50/max over ``--rounds``; ``target_ms`` and ``meets_target`` for the stall and
refused cases. Run: ``python bench/bench_failover.py [--rounds 5]`` (needs ``assist models
build``).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

START = time.perf_counter()
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ["ASSIST_HOME"] = tempfile.mkdtemp(prefix="bench-failover-")  # a throwaway profile
os.environ.setdefault("ASSIST_API_KEY", "bench-not-a-secret")  # no keyring needed here

from assist.engine import Engine  # noqa: E402
from assist.events import GenerationChunk, GenerationStarted  # noqa: E402
from assist.settings import Settings  # noqa: E402
from assist.types import Message  # noqa: E402

TARGET_MS = 1000.0
QUESTIONS = [
    "Where is my parcel? It was due on Monday.",
    "I was charged twice for the same order, can you help?",
    "How do I change the delivery address of my order?",
    "Can I return the shoes I bought last week?",
    "My discount code does not work at checkout.",
    "I never received the confirmation e-mail.",
]


class Misbehaving(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        if self.server.case == "stall":
            for word in ("We ", "are ", "looking "):
                event = {"choices": [{"delta": {"content": word}}]}
                self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                self.wfile.flush()
            self.server.last_byte = time.perf_counter()
        time.sleep(6)  # silent, the connection open


class Server(ThreadingHTTPServer):
    daemon_threads = True
    case = "stall"
    last_byte = 0.0


def hand_over(engine: Engine, cid: str, text: str) -> tuple[float, float, float, bool]:
    """(request sent, local draft started, its first words, whether the local one answered)."""
    conv = engine.conversation(cid)
    engine.add_message(Message(cid, "customer", text))
    cancel = threading.Event()
    sent = started = first = 0.0
    local = False
    for event in engine.suggest(conv, cancel=cancel):
        now = time.perf_counter()
        if isinstance(event, GenerationStarted):
            if event.source == "remote":
                sent = now
            else:
                started, local = now, True
        elif isinstance(event, GenerationChunk) and local:
            first = now
            cancel.set()  # only the hand-over is measured
    return sent, started, first, local


def summary(values: list[float]) -> dict[str, float]:
    return {"p50": round(statistics.median(values), 1), "max": round(max(values), 1)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    server = Server(("127.0.0.1", 0), Misbehaving)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/v1"
    settings = Settings({"remote.url": base, "remote.model": "m", "remote.mode": "fallback"})
    engine = Engine.load(settings, generator_process=True)
    engine.warm_up()
    assert engine.remote is not None, engine.remote_error
    assert engine.generator is not None, engine.generator_error
    breaker = engine.remote.client.breaker
    out: dict[str, Any] = {"bench": "failover"}
    n = 0
    try:
        for case in ("stall", "silent", "refused"):
            server.case = case
            if case == "refused":
                server.shutdown()
                server.server_close()
            switch, first_words = [], []
            for _ in range(args.rounds):
                if breaker is not None:
                    breaker.record_success()  # measure the hand-over, not the open circuit
                n += 1
                sent, started, first, local = hand_over(
                    engine, f"c{n}", QUESTIONS[n % len(QUESTIONS)]
                )
                assert local, f"{case}: the local model did not answer"
                stop = server.last_byte if case == "stall" else sent
                switch.append((started - stop) * 1000)
                first_words.append((first - stop) * 1000)
            out[case] = {"switch_ms": summary(switch), "first_local_ms": summary(first_words)}
    finally:
        engine.generator.close()
    worst = max(out[c]["switch_ms"]["max"] for c in ("stall", "refused"))
    out.update(
        {
            "stall_timeout_s": settings["remote.stall_timeout"],
            "first_token_timeout_s": settings["remote.first_token_timeout"],
            "target_ms": TARGET_MS,
            "worst_switch_ms": worst,
            "meets_target": worst <= TARGET_MS,
            "cpu_count": os.cpu_count(),
            "wall_s": round(time.perf_counter() - START, 1),
        }
    )
    print(json.dumps(out))


if __name__ == "__main__":
    socket.setdefaulttimeout(30)
    main()
