"""The reply generator in a child process, with the same interface as ``Generator``.

Why a process: the model was first run in a thread, and onnxruntime-genai (then the runtime)
kept Python's GIL for the whole of each model call (a 32-token prefill chunk held it for
50-150 ms on 2 cores, measured), freezing the desktop app's event loop while a draft was
written. onnxruntime's session, used now, releases the GIL, but the process stays: its model
threads run at a lower OS priority (``_lower_priority``), so on a 2-core machine the UI and the
analysis win the cores, and a crash or an out-of-memory kill in native code ends only the
child. The child is started with ``spawn`` (no inherited Qt or ONNX state), loads the model
once and serves one request at a time over a pipe; cancelling sets a shared event that the
child checks before every model step, exactly where the in-process generator checks its own.

A child that dies (killed, out of memory) is reported as a ``ModelError`` naming what
happened; the next request starts a new one.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import threading
from collections.abc import Callable
from collections.abc import Generator as TokenStream
from dataclasses import asdict
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from assist.artifacts import ModelError, locate
from assist.runtime.generator import (
    COMPONENT,
    ONNX_DIR,
    GenerationStats,
    Generator,
    SamplingParams,
)

START_TIMEOUT_S = 120.0  # a cold start on a busy 2-core machine: interpreter + model load
CHILD_NICENESS = 10
POLL_S = 0.003  # how often a waiting parent looks at its cancel event and ``on_wait``


def _lower_priority() -> None:
    """Drafting is background work: when the cores are busy, the app's UI thread and its
    analysis go first (measured: UI stalls of ~100 ms at equal priority on 2 cores)."""
    try:
        import psutil

        me = psutil.Process()
        if hasattr(psutil, "BELOW_NORMAL_PRIORITY_CLASS"):  # Windows
            me.nice(psutil.BELOW_NORMAL_PRIORITY_CLASS)
        else:
            me.nice(min(19, me.nice() + CHILD_NICENESS))
    except Exception:  # a platform that refuses: the child still works, just at par
        pass


def _serve(
    conn: Connection, source: tuple[str, str | None], threads: int | None, cancel: Any
) -> None:
    """The child: load the model, then answer ("stream", messages, params) requests.

    ``source`` is ("store", models root or None) or ("dir", model folder)."""
    _lower_priority()
    kind, where = source
    try:
        if kind == "store":
            gen = Generator.load(Path(where) if where else None, threads)
        else:
            gen = Generator(Path(str(where)), None, threads)
    except Exception as e:  # ModelError names the damaged file
        conn.send(("error", str(e)))
        return
    conn.send(("ready", gen.context_length))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        kind = request[0]
        if kind == "close":
            return
        if kind == "reset":
            gen.reset_cache()
            continue
        _, messages, params = request
        try:
            for chunk in gen.stream(messages, SamplingParams(**params), cancel):
                conn.send(("chunk", chunk))
            conn.send(("end", asdict(gen.last_stats)))
        except (BrokenPipeError, ConnectionResetError):
            return  # the parent went away mid-stream: nobody to tell
        except Exception as e:  # reported to the parent, the child lives on
            try:
                conn.send(("failed", f"{type(e).__name__}: {e}"))
            except OSError:
                return


def _str(root: Path | None | bool) -> str | None:
    return str(root) if isinstance(root, Path) else None


class GeneratorProcess:
    """``Generator``'s streaming interface, served by a child process (see the module doc).
    Like ``Generator`` it serves one stream at a time."""

    def __init__(
        self, model_dir: Path, threads: int | None = None, root: Path | None | bool = False
    ) -> None:
        """``root``: the models root the folder came from (None: the default cache), so the
        child can check the files against their manifest; False: a bare model folder."""
        self.model_dir = Path(model_dir)
        self.threads = threads
        self._source = ("dir", str(model_dir)) if root is False else ("store", _str(root))
        self.last_stats = GenerationStats()
        self.context_length = 0
        self._busy = threading.Lock()
        self._ctx = mp.get_context("spawn")
        self._proc: Any = None
        self._conn: Connection | None = None
        self._cancel: Any = None
        # called (on the streaming thread) while the child computes, e.g. during a long
        # prefill: the app's worker runs urgent work there (``ui.tasks.TaskRunner``)
        self.on_wait: Callable[[], None] | None = None
        self._start()

    @classmethod
    def load(cls, root: Path | None = None, threads: int | None = None) -> GeneratorProcess:
        """The built model from the store, in a child process (raises ModelError if damaged)."""
        return cls(locate(COMPONENT, root).file(ONNX_DIR), threads, root)

    def _start(self) -> None:
        parent, child = self._ctx.Pipe()
        self._cancel = self._ctx.Event()
        self._proc = self._ctx.Process(
            target=_serve,
            args=(child, self._source, self.threads, self._cancel),
            name="assist-generator",
            daemon=True,
        )
        self._proc.start()
        child.close()
        self._conn = parent
        if not parent.poll(START_TIMEOUT_S):
            self.close()
            raise ModelError(f"model '{COMPONENT}': the generator process did not start")
        kind, value = self._recv()
        if kind == "error":
            self.close()
            raise ModelError(value)
        self.context_length = int(value)

    def _recv(self) -> tuple[str, Any]:
        assert self._conn is not None
        try:
            return self._conn.recv()
        except (EOFError, OSError):
            code = self._proc.exitcode if self._proc is not None else None
            self._conn = None
            raise ModelError(
                f"model '{COMPONENT}': the generator process stopped (exit code {code}); "
                "the next suggestion starts it again"
            ) from None

    def stream(
        self,
        messages: list[dict[str, str]],
        params: SamplingParams,
        cancel: threading.Event | None = None,
    ) -> TokenStream[str, None, None]:
        """Text chunks of the reply, as ``Generator.stream``; closing it stops the child."""
        return self._run(messages, params, cancel)

    def _run(
        self,
        messages: list[dict[str, str]],
        params: SamplingParams,
        cancel: threading.Event | None,
    ) -> TokenStream[str, None, None]:
        if not self._busy.acquire(blocking=False):
            raise RuntimeError("this generator is already streaming; use one per worker thread")
        try:
            if self._conn is None or not self._proc.is_alive():
                self.close()
                self._start()
            assert self._conn is not None
            self._cancel.clear()
            self._conn.send(("stream", messages, asdict(params)))
            finished = False
            try:
                while True:
                    if cancel is not None and cancel.is_set():
                        self._cancel.set()
                    if not self._conn.poll(POLL_S):
                        if not self._proc.is_alive():
                            self._recv()  # raises ModelError with the exit code
                        if self.on_wait is not None:
                            self.on_wait()
                        continue
                    kind, value = self._recv()
                    if kind == "chunk":
                        yield value
                    elif kind == "end":
                        self.last_stats = GenerationStats(**value)
                        finished = True
                        return
                    else:  # "failed"
                        finished = True
                        raise RuntimeError(value)
            finally:
                if not finished and self._conn is not None:
                    # closed early: stop the child and read up to its end so the pipe stays
                    # in step with the next request
                    self._cancel.set()
                    while True:
                        kind, value = self._recv()
                        if kind in ("end", "failed"):
                            break
        finally:
            self._busy.release()

    def generate(self, messages: list[dict[str, str]], params: SamplingParams) -> str:
        return "".join(self.stream(messages, params))

    def reset_cache(self) -> None:
        if self._conn is not None:
            self._conn.send(("reset",))

    def close(self) -> None:
        """Stop the child (politely, then for good) and free the pipe."""
        if self._conn is not None:
            with contextlib.suppress(OSError):  # the child may be gone already
                self._conn.send(("close",))
            self._conn.close()
            self._conn = None
        if self._proc is not None:
            self._proc.join(2.0)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join(2.0)
            self._proc = None

    def __enter__(self) -> GeneratorProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
