"""ui.tasks.TaskRunner under a real QApplication (offscreen): where work runs, where results
arrive, and how stale work is cancelled."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from ui.tasks import Status, TaskRunner


@pytest.fixture
def runner(qapp: object) -> Iterator[TaskRunner]:
    r = TaskRunner()
    yield r
    assert r.shutdown(timeout=5)


def test_work_runs_off_the_ui_thread_and_the_result_arrives_on_it(
    runner: TaskRunner, qtbot: object
) -> None:
    ui_thread = threading.current_thread()
    ran_on: list[threading.Thread] = []
    got: list[tuple[int, threading.Thread]] = []
    done: list[Status] = []

    def work(cancel: threading.Event) -> int:
        ran_on.append(threading.current_thread())
        return 41 + 1

    handle = runner.submit(
        work,
        on_result=lambda v: got.append((v, threading.current_thread())),
        on_done=done.append,
    )
    qtbot.waitUntil(lambda: done == ["finished"], timeout=5000)  # type: ignore[attr-defined]
    assert ran_on and ran_on[0] is not ui_thread
    assert got == [(42, ui_thread)]
    assert handle.status == "finished"


def test_an_error_reaches_the_ui_and_the_worker_keeps_going(
    runner: TaskRunner, qtbot: object
) -> None:
    errors: list[BaseException] = []
    results: list[str] = []
    statuses: list[Status] = []

    def broken(cancel: threading.Event) -> None:
        raise ValueError("model file is corrupt")

    runner.submit(broken, on_error=errors.append, on_done=statuses.append)
    runner.submit(lambda cancel: "still alive", on_result=results.append, on_done=statuses.append)
    qtbot.waitUntil(lambda: len(statuses) == 2, timeout=5000)  # type: ignore[attr-defined]
    assert [str(e) for e in errors] == ["model file is corrupt"]
    assert isinstance(errors[0], ValueError)
    assert results == ["still alive"]
    assert statuses == ["failed", "finished"]


def test_a_generator_streams_items_in_order_on_the_ui_thread(
    runner: TaskRunner, qtbot: object
) -> None:
    ui_thread = threading.current_thread()
    items: list[str] = []
    threads: set[threading.Thread] = set()
    done: list[Status] = []

    def tokens(cancel: threading.Event) -> Iterator[str]:
        yield from ["Hello", ",", " how", " can", " I", " help", "?"]

    def on_item(item: str) -> None:
        items.append(item)
        threads.add(threading.current_thread())

    runner.submit(tokens, on_item=on_item, on_done=done.append)
    qtbot.waitUntil(lambda: done == ["finished"], timeout=5000)  # type: ignore[attr-defined]
    assert "".join(items) == "Hello, how can I help?"
    assert threads == {ui_thread}


def test_a_new_task_with_the_same_key_cancels_the_stale_stream(
    runner: TaskRunner, qtbot: object
) -> None:
    started = threading.Event()
    closed = threading.Event()
    stale_items: list[int] = []
    stale_done: list[Status] = []
    fresh: list[str] = []

    def slow_stream(cancel: threading.Event) -> Iterator[int]:
        try:
            for i in range(1000):
                started.set()
                yield i
                time.sleep(0.005)
        finally:
            closed.set()  # the generator was closed, not left hanging

    stale = runner.submit(
        slow_stream, key="suggest:conv-1", on_item=stale_items.append, on_done=stale_done.append
    )
    assert started.wait(5)
    newer = runner.submit(lambda cancel: "fresh", key="suggest:conv-1", on_result=fresh.append)
    assert stale.cancelled and not newer.cancelled
    qtbot.waitUntil(lambda: fresh == ["fresh"], timeout=5000)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: stale_done == ["cancelled"], timeout=5000)  # type: ignore[attr-defined]
    assert closed.is_set()
    assert len(stale_items) < 1000
    seen = len(stale_items)
    qtbot.wait(50)  # type: ignore[attr-defined]
    assert len(stale_items) == seen  # nothing of the stale stream arrives after cancellation


def test_tasks_run_one_at_a_time_in_submission_order(runner: TaskRunner, qtbot: object) -> None:
    active = 0
    overlap = False
    order: list[int] = []
    lock = threading.Lock()

    def job(n: int):  # type: ignore[no-untyped-def]
        def run(cancel: threading.Event) -> int:
            nonlocal active, overlap
            with lock:
                active += 1
                overlap = overlap or active > 1
            time.sleep(0.01)
            with lock:
                active -= 1
            return n

        return run

    for n in range(6):
        runner.submit(job(n), on_result=order.append)
    qtbot.waitUntil(lambda: len(order) == 6, timeout=5000)  # type: ignore[attr-defined]
    assert order == list(range(6))
    assert not overlap


def test_cancel_before_start_skips_the_work(runner: TaskRunner, qtbot: object) -> None:
    gate = threading.Event()
    ran: list[str] = []
    statuses: list[Status] = []
    runner.submit(lambda cancel: gate.wait(5))  # keeps the worker busy
    handle = runner.submit(lambda cancel: ran.append("ran"), on_done=statuses.append)
    handle.cancel()
    gate.set()
    qtbot.waitUntil(lambda: statuses == ["cancelled"], timeout=5000)  # type: ignore[attr-defined]
    assert ran == []


def test_submit_after_shutdown_is_refused(qapp: object) -> None:
    r = TaskRunner()
    assert r.shutdown(timeout=5)
    with pytest.raises(RuntimeError, match="shut down"):
        r.submit(lambda cancel: None)


def test_urgent_work_runs_between_the_items_of_a_stream(runner: TaskRunner, qtbot: object) -> None:
    """A draft being decoded must not hold up the analysis of another chat's new message."""
    order: list[str] = []
    release = threading.Event()
    done: list[Status] = []

    def slow_tokens(cancel: threading.Event) -> Iterator[str]:
        for i in range(50):
            order.append(f"token{i}")
            yield f"t{i}"
            if i == 0:
                release.wait(5)  # the urgent task is submitted while the stream runs
            time.sleep(0.002)

    runner.submit(slow_tokens, on_done=done.append)
    qtbot.waitUntil(lambda: "token0" in order, timeout=5000)  # type: ignore[attr-defined]
    runner.submit(lambda c: order.append("urgent"), urgent=True, on_done=done.append)
    runner.submit(lambda c: order.append("normal"), on_done=done.append)
    release.set()
    qtbot.waitUntil(lambda: len(done) == 3, timeout=10000)  # type: ignore[attr-defined]
    assert order.index("urgent") < order.index("token49"), "urgent work waited for the stream"
    assert order.index("normal") > order.index("token49"), "normal work kept its place"
    assert done == ["finished"] * 3


def test_qt_signals_keep_the_references_of_what_they_carry(qapp: object) -> None:
    """PySide6 6.12.0 dropped a reference per argument emitted: a few thousand ``True``s
    later the interpreter aborted. The pinned version must not (TaskRunner relies on it)."""
    import sys

    from PySide6.QtCore import QObject, Signal

    class Carrier(QObject):
        sent = Signal(object, bool)

    carrier = Carrier()
    got: list[object] = []
    carrier.sent.connect(lambda obj, flag: got.append(flag))
    before = sys.getrefcount(True)
    for _ in range(200):
        carrier.sent.emit(True, True)
    got.clear()
    lost = before - sys.getrefcount(True)  # other code may hold a True or two meanwhile
    assert lost < 100, f"{lost} references to True lost over 200 emissions"
