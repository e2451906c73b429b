"""Remote-model path: what our HTTP client costs, and what ``assist serve`` delivers on CPU.

Prints ONE JSON line:
- ``client``: :meth:`RemoteClient.stream` against a raw ``httpx.Client.stream("POST", ...)``
  loop that splits the same SSE bytes into ``data:`` lines and reads each delta's content, both
  talking to the SAME tiny in-process OpenAI-compatible server (a real socket on 127.0.0.1)
  that streams ``--chunks`` events and ``[DONE]`` with no delays, so the gap is the client's
  own cost: deadline watchdog thread, per-phase timeouts, SSE validation, error mapping. They
  run interleaved (rotating which goes first) in one loop so machine noise hits both alike.
  ``overhead_ms_p50`` = client p50 - raw p50 per suggestion (target 5 ms). Both read the
  response to its end after ``[DONE]``, so httpx pools the connection
  (``new_connections_per_request`` 0); ``raw_undrained`` stops at ``[DONE]`` and so connects
  afresh every time (a TLS handshake too, over https): what the client saved by draining.
- ``serve``: the real ``assist serve`` in a subprocess (loopback, no API key, a throwaway
  profile), driven by 1, 4 and 16 concurrent clients (threads, each its own RemoteClient) that
  stream a fixed short chat (max_tokens 24, temperature 0): requests/s, end-to-end latency
  p50/p95, time to first token p50, and the errors by kind (429s would be ``rate_limited``).
  The model answers one request at a time (see ``assist.serve.worker``), so requests/s should
  stay flat with concurrency while latency grows with the queue.

Run: ``python bench/bench_remote.py [--rounds 200] [--chunks 64] [--no-serve]``. Needs the
local model built (``assist models build``) for the ``serve`` half; without it that half
reports the server's error.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

START = time.perf_counter()
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from assist.cli.serve_cmd import MODEL_NAME  # noqa: E402
from assist.remote.client import RemoteClient, RemoteConfig  # noqa: E402
from assist.remote.errors import RemoteError  # noqa: E402

TARGET_OVERHEAD_MS = 5
CHAT = [
    {"role": "system", "content": "You are a helpful customer-support agent. Be brief."},
    {"role": "user", "content": "Hi, where is my order 55123? It was due yesterday."},
]
MAX_TOKENS = 24


def _pct(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile, rounded to 0.01; ``None`` for no values."""
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, max(0, round(q / 100 * len(s) + 0.5) - 1))], 2)


# --- 1. client overhead against a fake server -------------------------------------------------


class _FakeSSE(BaseHTTPRequestHandler):
    """``POST /v1/chat/completions``: a fixed streamed reply, chunked, one write per event."""

    protocol_version = "HTTP/1.1"  # keep-alive: a client may reuse its pooled connection
    disable_nagle_algorithm = True  # small writes go out at once, as a real server's do
    events: tuple[bytes, ...] = ()  # the reply, set per server by _fake_server

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for ev in self.events:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(ev), ev))
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (base's signature)
        pass


class _FakeServer(ThreadingHTTPServer):
    """Counts connections (pool reuse shows as fewer than requests); quiet about resets."""

    daemon_threads = True
    connections = 0

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections += 1
        super().process_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that hung up
            super().handle_error(request, client_address)


def _fake_server(chunks: int) -> _FakeServer:
    event = json.dumps({"choices": [{"delta": {"content": "tok "}}]})

    class Handler(_FakeSSE):
        events = (*[f"data: {event}\n\n".encode()] * chunks, b"data: [DONE]\n\n")

    server = _FakeServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, name="fake-sse", daemon=True).start()
    return server


def _raw_stream(http: httpx.Client, url: str, payload: dict[str, Any], drain: bool) -> int:
    """The least a client must do: POST, split ``data:`` lines, read each delta. Chunks seen.

    Like RemoteClient it stops at ``[DONE]``; ``drain`` reads on to the end of the response
    instead, which lets httpx return the connection to its pool for the next request."""
    n = 0
    with http.stream("POST", url, json=payload) as resp:
        buf = b""
        chunks = resp.iter_bytes()
        for chunk in chunks:
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for line in lines:
                if not line.startswith(b"data: "):
                    continue
                data = line[6:]
                if data == b"[DONE]":
                    if drain:
                        for _ in chunks:  # the rest of this same iterator
                            pass
                    return n
                if json.loads(data)["choices"][0]["delta"].get("content"):
                    n += 1
    raise RuntimeError("raw stream ended without [DONE]")


def bench_client(chunks: int, rounds: int, warmup: int = 10) -> dict[str, Any]:
    server = _fake_server(chunks)
    base = f"http://127.0.0.1:{server.server_address[1]}/v1"
    client = RemoteClient(RemoteConfig(base_url=base, model="fake"))
    raw = httpx.Client(timeout=httpx.Timeout(30.0, connect=5.0), trust_env=False)
    drained = httpx.Client(timeout=httpx.Timeout(30.0, connect=5.0), trust_env=False)
    payload = {
        "model": "fake",
        "messages": CHAT,
        "max_tokens": 512,
        "temperature": 0.2,
        "top_p": 1.0,
        "stream": True,
    }

    def via_client() -> int:
        return sum(1 for _ in client.stream(CHAT))

    def via_raw() -> int:
        return _raw_stream(raw, base + "/chat/completions", payload, drain=False)

    def via_raw_drained() -> int:
        return _raw_stream(drained, base + "/chat/completions", payload, drain=True)

    fns = {"client": via_client, "raw": via_raw, "raw_drained": via_raw_drained}
    names = list(fns)
    times: dict[str, list[float]] = {name: [] for name in names}
    try:
        for i in range(warmup + rounds):
            k = i % len(names)  # rotate who goes first, so no one always runs on a warm cache
            for name in names[k:] + names[:k]:
                t0 = time.perf_counter()
                got = fns[name]()
                ms = (time.perf_counter() - t0) * 1000
                if got != chunks:
                    raise RuntimeError(f"{name} read {got} of {chunks} chunks")
                if i >= warmup:
                    times[name].append(ms)
        # pooled-connection reuse: new connections the server saw per request, each client
        reuse: dict[str, float] = {}
        for name, fn in fns.items():
            before = server.connections
            for _ in range(10):
                fn()
            reuse[name] = (server.connections - before) / 10
    finally:
        client.close()
        raw.close()
        drained.close()
        server.shutdown()
        server.server_close()
    # the peer is the raw loop that drains after [DONE], as the client does: both reuse one
    # pooled connection, so the difference is the client's own work per suggestion
    c50, r50 = _pct(times["client"], 50), _pct(times["raw_drained"], 50)
    c95, r95 = _pct(times["client"], 95), _pct(times["raw_drained"], 95)
    assert c50 is not None and r50 is not None and c95 is not None and r95 is not None
    overhead = round(c50 - r50, 2)
    return {
        "chunks": chunks,
        "rounds": rounds,
        "client_ms_p50": c50,
        "client_ms_p95": c95,
        "raw_ms_p50": r50,
        "raw_ms_p95": r95,
        "overhead_ms_p50": overhead,
        "overhead_ms_p95": round(c95 - r95, 2),
        "target_overhead_ms": TARGET_OVERHEAD_MS,
        "meets_target": overhead <= TARGET_OVERHEAD_MS,
        "new_connections_per_request": reuse,
        # a raw loop that stops at [DONE] without draining: a new connection per suggestion
        "raw_undrained_ms_p50": _pct(times["raw"], 50),
        "raw_undrained_ms_p95": _pct(times["raw"], 95),
    }


# --- 2. assist serve throughput ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _assist_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "assist"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("assist")
    return [found] if found else [sys.executable, "-m", "assist"]


def _one_request(client: RemoteClient) -> tuple[float, float | None, int]:
    """End-to-end ms, ms to the first non-empty delta, deltas; raises RemoteError."""
    t0 = time.perf_counter()
    first: float | None = None
    n = 0
    for _ in client.stream(CHAT, max_tokens=MAX_TOKENS, temperature=0.0):
        if first is None:
            first = (time.perf_counter() - t0) * 1000
        n += 1
    return (time.perf_counter() - t0) * 1000, first, n


def _load(base: str, concurrency: int, per_client: int) -> dict[str, Any]:
    cfg = RemoteConfig(
        base_url=base, model=MODEL_NAME, read_timeout=180.0, deadline=300.0, connect_retries=0
    )
    lat: list[float] = []
    ttft: list[float] = []
    deltas = [0]
    errors: dict[str, int] = {}
    lock = threading.Lock()
    gate = threading.Barrier(concurrency + 1)

    def worker() -> None:
        with RemoteClient(cfg) as client:
            gate.wait()
            for _ in range(per_client):
                try:
                    ms, first, n = _one_request(client)
                except RemoteError as e:
                    with lock:
                        errors[e.kind] = errors.get(e.kind, 0) + 1
                    continue
                with lock:
                    lat.append(ms)
                    if first is not None:
                        ttft.append(first)
                    deltas[0] += n

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    gate.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {
        "requests": concurrency * per_client,
        "ok": len(lat),
        "wall_s": round(wall, 2),
        "requests_per_s": round(len(lat) / wall, 3),
        "chunks_per_s": round(deltas[0] / wall, 1),
        "latency_ms_p50": _pct(lat, 50),
        "latency_ms_p95": _pct(lat, 95),
        "ttft_ms_p50": _pct(ttft, 50),
        "errors": sum(errors.values()),
        "errors_by_kind": errors,
    }


def bench_serve(levels: list[tuple[int, int]], start_timeout: float) -> dict[str, Any]:
    # a throwaway profile: no API keys (loopback needs none), default settings
    with (
        tempfile.TemporaryDirectory(prefix="assist-bench-") as home,
        tempfile.TemporaryFile() as log,
    ):
        return _serve(levels, start_timeout, home, log)


def _serve(
    levels: list[tuple[int, int]], start_timeout: float, home: str, log: IO[bytes]
) -> dict[str, Any]:
    port = _free_port()
    env = {**os.environ, "ASSIST_HOME": home, "HF_HUB_OFFLINE": "1"}
    cmd = [*_assist_cmd(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--max-queue", "64"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    out: dict[str, Any] = {"model": MODEL_NAME}

    def log_tail() -> str:
        log.seek(0)
        return log.read().decode("utf-8", "replace")[-600:]

    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(timeout=2.0, trust_env=False) as http:
            while True:
                if proc.poll() is not None:
                    out["error"] = f"assist serve exited {proc.returncode}: {log_tail()}"
                    return out
                if time.perf_counter() - t0 > start_timeout:
                    out["error"] = f"no /health within {start_timeout:g} s: {log_tail()}"
                    return out
                try:
                    if http.get(base + "/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
        out["startup_s"] = round(time.perf_counter() - t0, 2)
        with RemoteClient(RemoteConfig(base_url=base + "/v1", model=MODEL_NAME)) as client:
            ms, first, n = _one_request(client)  # warm-up: first-run allocations, caches
        out["warmup"] = {"latency_ms": round(ms, 1), "ttft_ms": first and round(first, 1)}
        out["chunks_per_reply"] = n
        for concurrency, per_client in levels:
            out[str(concurrency)] = _load(base + "/v1", concurrency, per_client)
    except RemoteError as e:
        out["error"] = f"{e.kind}: {e}"
    finally:
        s0 = time.perf_counter()
        proc.send_signal(signal.SIGINT)  # uvicorn finishes open responses, then exits
        how = "sigint"
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            how = "terminate"
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                how = "kill"
                proc.kill()
                proc.wait()
        out["shutdown_s"] = round(time.perf_counter() - s0, 2)
        out["stopped_by"] = how  # "sigint": it shut itself down within 20 s
        out["exit_code"] = proc.returncode  # after SIGINT, 130 (uvicorn re-raises the signal)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--chunks", type=int, default=64, help="events in the fake server's reply")
    p.add_argument("--rounds", type=int, default=200, help="interleaved client/raw rounds")
    p.add_argument("--per-client", type=int, default=4, help="requests per client at 1 and 4")
    p.add_argument("--per-client-16", type=int, default=2, help="requests per client at 16")
    p.add_argument("--start-timeout", type=float, default=120.0, help="s to wait for /health")
    p.add_argument("--no-serve", action="store_true", help="only the client-overhead half")
    args = p.parse_args()

    result: dict[str, Any] = {"bench": "remote"}
    result["client"] = bench_client(args.chunks, args.rounds)
    if args.no_serve:
        result["serve"] = None
    else:
        levels = [(1, args.per_client), (4, args.per_client), (16, args.per_client_16)]
        result["serve"] = bench_serve(levels, args.start_timeout)
    result["cpu_count"] = os.cpu_count()
    result["cpu_affinity"] = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    )
    result["wall_s"] = round(time.perf_counter() - START, 1)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
