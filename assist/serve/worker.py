"""The single model worker: one thread owns the language model, requests queue for it.

Why one thread and a bounded queue: the model (and its KV cache) is not thread-safe and a CPU
runs one generation at full speed, not two at half; requests therefore take turns. The queue
is bounded so a burst gets a fast 429 with ``Retry-After`` instead of piling up minutes of
waiting that the callers will have given up on anyway.

Why a thread in this process rather than :class:`~assist.runtime.generator_process.
GeneratorProcess`: the server has no UI event loop to protect from the GIL; uvicorn's loop
only shuffles a few bytes per token, and onnxruntime releases the GIL while it computes.

Cancellation: every job carries a ``threading.Event`` that is passed to ``model.stream``; the
HTTP side sets it when the client goes away, and the model stops before its next step. A job
cancelled while still queued is skipped.

On a CUDA machine the model would be loaded with onnxruntime's CUDA execution provider; that is
a matter of the model's ``genai_config.json`` (not implemented here: CPU is the target).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from dataclasses import dataclass, field
from typing import Any

from assist.runtime.generator import ReplyModel, SamplingParams

log = logging.getLogger(__name__)


class QueueFull(RuntimeError):
    """More requests are waiting than the queue allows; the caller should retry later."""


@dataclass
class Job:
    """One generation request and the channel its results flow back on.

    Events put on ``events`` (always from the worker thread, through the loop):
    ``("started", None)``, ``("chunk", text)``, ``("done", finish_reason)``,
    ``("invalid", message)`` (the request can't be run, e.g. too long for the context),
    ``("error", message)``.
    """

    messages: list[dict[str, str]]
    params: SamplingParams
    loop: asyncio.AbstractEventLoop
    cancel: threading.Event = field(default_factory=threading.Event)
    events: asyncio.Queue[tuple[str, Any]] = field(default_factory=asyncio.Queue)

    def emit(self, kind: str, value: Any = None) -> None:
        try:
            self.loop.call_soon_threadsafe(self.events.put_nowait, (kind, value))
        except RuntimeError:  # the server's loop is gone (shutting down): nobody listens
            self.cancel.set()


class ModelWorker:
    """Runs jobs on ``model`` one at a time in a daemon thread; at most ``max_queue`` wait."""

    def __init__(self, model: ReplyModel, max_queue: int = 8) -> None:
        if max_queue < 0:
            raise ValueError("max_queue must be >= 0")
        self.model = model
        self.max_queue = max_queue
        # maxsize=0 would mean "unbounded" to queue.Queue, so an empty-queue setting is handled
        # in submit(); the queue itself holds only waiting jobs, not the running one
        self._queue: queue.Queue[Job | None] = queue.Queue(maxsize=max(1, max_queue))
        self._current: Job | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="assist-serve-model", daemon=True)
        self._thread.start()

    @property
    def waiting(self) -> int:
        return self._queue.qsize()

    @property
    def busy(self) -> bool:
        return self._current is not None

    def submit(self, messages: list[dict[str, str]], params: SamplingParams) -> Job:
        """Queue a job (call from the event loop); :class:`QueueFull` if no room."""
        if self._stopping.is_set():
            raise QueueFull("the server is shutting down")
        job = Job(messages, params, asyncio.get_running_loop())
        if self.max_queue == 0 and (self.busy or self.waiting):
            raise QueueFull("the model is busy")
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            raise QueueFull(f"{self.waiting} requests are already waiting for the model") from None
        return job

    def close(self, timeout: float = 5.0) -> None:
        """Cancel the running and the waiting jobs and stop the thread."""
        self._stopping.set()
        current = self._current
        if current is not None:
            current.cancel.set()
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job.cancel.set()
                job.emit("error", "the server is shutting down")
        with contextlib.suppress(queue.Full):
            self._queue.put(None, timeout=timeout)
        self._thread.join(timeout)

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None or self._stopping.is_set():
                if job is not None:
                    job.emit("error", "the server is shutting down")
                return
            if job.cancel.is_set():
                continue  # its client left while it waited
            self._current = job
            try:
                self._run(job)
            except Exception as e:  # never let one request kill the worker
                log.exception("generation failed")
                job.emit("error", f"generation failed ({type(e).__name__})")
            finally:
                self._current = None

    def _run(self, job: Job) -> None:
        try:
            stream = self.model.stream(job.messages, job.params, job.cancel)
        except ValueError as e:  # a bad chat message, or a prompt over the context length
            job.emit("invalid", str(e))
            return
        job.emit("started")
        try:
            for chunk in stream:
                if job.cancel.is_set():
                    break
                if chunk:
                    job.emit("chunk", chunk)
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()  # stops decoding at once if we left the loop early
        if job.cancel.is_set():
            return
        stats = getattr(self.model, "last_stats", None)
        generated = getattr(stats, "generated_tokens", 0)
        job.emit("done", "length" if generated >= job.params.max_tokens else "stop")
