"""The app's one background-task mechanism: a single worker thread, results on the UI thread.

Why one worker: the inference engine (ONNX sessions, the generator's KV cache) is not
thread-safe, and on a 2-core laptop two inference jobs at once only slow each other down. So
every piece of blocking work (analysis, retrieval, generation, file and network I/O the UI
waits on) is submitted here and runs in submission order on one thread that owns the engine.

Why results go through a signal: Qt widgets may only be touched from the thread that created
them. The worker never calls UI code; it emits a queued signal carrying a closure, and the
closure runs on the UI thread's event loop. Callbacks therefore may update widgets freely.

Urgent work: a task submitted with ``urgent=True`` (analysing a new customer message, ranking
macros) jumps the queue, and also runs *between the items* of a streaming task that is in
progress, so a draft being decoded for one chat never holds up the first suggestion cards of
another. Urgent tasks must be short and must not use what the streaming task holds (the
engine keeps the generator apart from the analysis and retrieval sessions).

Cancellation: a task function receives a ``threading.Event``. A generator task (suggestions
stream token by token) is checked between items and closed when cancelled. Submitting a task
with the same ``key`` as a pending or running one cancels the older one: a new customer message
makes the stale conversation's suggestions disappear instead of finishing. Whatever a cancelled
task had already emitted but the UI had not yet processed is dropped on arrival.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from PySide6.QtCore import QObject, Qt, Signal, Slot

Status = Literal["finished", "cancelled", "failed"]
TaskFn = Callable[[threading.Event], Any]


@dataclass(eq=False)
class TaskHandle:
    """What ``submit`` returns: lets the caller cancel and see how the task ended."""

    key: str | None
    cancel_event: threading.Event = field(default_factory=threading.Event)
    status: Status | None = None  # set on the UI thread when ``on_done`` is delivered

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()


@dataclass(eq=False)
class _Task:
    fn: TaskFn
    handle: TaskHandle
    on_result: Callable[[Any], None] | None
    on_item: Callable[[Any], None] | None
    on_error: Callable[[BaseException], None] | None
    on_done: Callable[[Status], None] | None


class _Relay(QObject):
    """Lives on the UI thread; a queued emission from the worker runs the closure there."""

    deliver = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        # queued even when emitted from the UI thread itself: callbacks never re-enter a caller
        self.deliver.connect(self.run, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def run(self, closure: Callable[[], None]) -> None:
        closure()


class TaskRunner:
    """Runs submitted functions one at a time on a worker thread; see the module docstring."""

    def __init__(self, name: str = "assist-worker") -> None:
        self._relay = _Relay()
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self._urgent: deque[_Task] = deque()
        self._normal: deque[_Task] = deque()
        self._by_key: dict[str, TaskHandle] = {}
        self._closed = False
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    def submit(
        self,
        fn: TaskFn,
        *,
        key: str | None = None,
        on_result: Callable[[Any], None] | None = None,
        on_item: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_done: Callable[[Status], None] | None = None,
        urgent: bool = False,
    ) -> TaskHandle:
        """Queue ``fn(cancel_event)`` (``urgent``: ahead of the rest, see the module doc).
        If it returns an iterator, each item goes to ``on_item``
        (``on_result`` is not called); otherwise its value goes to ``on_result``. Exceptions go
        to ``on_error``. ``on_done`` always comes last, once, with how the task ended. Every
        callback runs on the thread that created this runner (the UI thread)."""
        handle = TaskHandle(key)
        with self._lock:
            if self._closed:
                raise RuntimeError("this TaskRunner has been shut down")
            if key is not None:
                stale = self._by_key.get(key)
                if stale is not None:
                    stale.cancel()
                self._by_key[key] = handle
            task = _Task(fn, handle, on_result, on_item, on_error, on_done)
            (self._urgent if urgent else self._normal).append(task)
            self._ready.notify()
        return handle

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Cancel everything, stop the worker after its current step; True if it stopped."""
        with self._lock:
            self._closed = True
            for handle in self._by_key.values():
                handle.cancel()
            for task in (*self._urgent, *self._normal):
                task.handle.cancel()
            self._ready.notify()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # -- worker thread ------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    def _next(self, block: bool) -> _Task | None:
        """The next task, urgent ones first; None when closed and drained (or, unblocking,
        when no urgent task waits)."""
        with self._ready:
            while True:
                if self._urgent:
                    return self._urgent.popleft()
                if not block:
                    return None
                if self._normal:
                    return self._normal.popleft()
                if self._closed:
                    return None
                self._ready.wait()

    def _work(self) -> None:
        while (task := self._next(block=True)) is not None:
            self._run(task)

    def run_urgent(self) -> None:
        """Run the urgent tasks waiting now. Only from a task on this runner's worker thread:
        a task that waits for a long time (a child process prefilling a prompt) calls it so
        urgent work need not wait for its next item."""
        if threading.current_thread() is not self._thread:
            raise RuntimeError("run_urgent is for tasks on this runner's worker thread")
        while (task := self._next(block=False)) is not None:
            self._run(task)

    def _run(self, task: _Task) -> None:
        handle = task.handle
        if handle.cancelled:
            self._post(task, "cancelled")
            return
        try:
            value = task.fn(handle.cancel_event)
            if isinstance(value, Iterator):
                try:
                    for item in value:
                        if handle.cancelled:
                            break
                        if task.on_item is not None:
                            self._emit(handle, task.on_item, item)
                        self.run_urgent()
                finally:
                    close = getattr(value, "close", None)
                    if close is not None:
                        close()  # a generator stops at once; its finally blocks run here
            elif task.on_result is not None and not handle.cancelled:
                self._emit(handle, task.on_result, value)
        except Exception as e:  # delivered to the UI; the worker lives on
            if task.on_error is not None:
                self._emit(handle, task.on_error, e)
            self._post(task, "failed")
            return
        self._post(task, "cancelled" if handle.cancelled else "finished")

    def _emit(self, handle: TaskHandle, callback: Callable[[Any], None], arg: Any) -> None:
        def deliver() -> None:
            if not handle.cancelled:  # cancelled while this was waiting in the event queue
                callback(arg)

        self._relay.deliver.emit(deliver)

    def _post(self, task: _Task, status: Status) -> None:
        def done() -> None:
            task.handle.status = status
            key = task.handle.key
            with self._lock:
                if key is not None and self._by_key.get(key) is task.handle:
                    del self._by_key[key]
            if task.on_done is not None:
                task.on_done(status)

        self._relay.deliver.emit(done)
