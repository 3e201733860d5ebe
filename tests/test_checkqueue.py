"""How a shard's watches are spread over its check tasks (checkqueue.py), without Prefect."""

from __future__ import annotations

import threading

from rightswatch.checkqueue import CheckQueue, task_count
from rightswatch.config import Watch
from rightswatch.result import WatchResult


def watches(n: int) -> list[Watch]:
    return [Watch(id=f"w{i}", url=f"https://example.org/{i}") for i in range(n)]


def ok(watch: Watch) -> WatchResult:
    return WatchResult(id=watch.id, url=watch.url, title=watch.id, status="unchanged")


def test_small_sweeps_get_a_task_per_watch_and_large_ones_a_task_per_worker() -> None:
    assert task_count(0, 8) == 0
    assert task_count(5, 8) == 5
    assert task_count(32, 8) == 32  # four per worker: still one each, every watch in the UI
    assert task_count(33, 8) == 8
    assert task_count(2000, 10) == 10
    assert task_count(100, 8, per_task=30) == 4  # run.watches_per_task decides when set


def test_a_task_of_its_own_checks_exactly_its_watch_and_is_labelled_by_it() -> None:
    queue = CheckQueue(watches(3), tasks=3)
    assert [w.id for w in queue.take(1)] == ["w1"]
    assert queue.label(1) == "w1"


def test_shared_tasks_take_every_watch_once_in_config_order() -> None:
    ws = watches(50)
    queue = CheckQueue(ws, tasks=4)
    taken: list[str] = []
    lock = threading.Lock()

    def work(task: int) -> None:
        for watch in queue.take(task):
            with lock:
                taken.append(watch.id)
            queue.done(ok(watch))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert sorted(taken) == sorted(w.id for w in ws)
    assert len(taken) == len(set(taken))
    assert queue.label(2) == "part 3 of 4"
    assert all(r.status == "unchanged" for r in queue.results().values())


def test_a_crashed_task_reports_the_watch_it_held_and_the_others_carry_on() -> None:
    ws = watches(6)
    queue = CheckQueue(ws, tasks=2)
    crashed = queue.take(0)
    held = next(crashed)  # task 0 takes w0, then crashes inside its check
    lost = queue.retire(0, RuntimeError("boom"))
    assert [r.id for r in lost] == [held.id]
    assert lost[0].status == "error"
    assert lost[0].error == "the check task failed: RuntimeError: boom"
    assert list(crashed) == []  # its (abandoned) thread takes nothing more
    rest = [w.id for w in queue.take(1)]
    assert rest == ["w1", "w2", "w3", "w4", "w5"]
    for watch in ws[1:]:
        queue.done(ok(watch))
    queue.retire(1, [])
    results = queue.results()
    assert results["w0"].status == "error"
    assert {results[w.id].status for w in ws[1:]} == {"unchanged"}


def test_watches_no_task_reached_are_errors_that_name_the_reason() -> None:
    queue = CheckQueue(watches(4), tasks=2)
    for task in (0, 1):
        queue.retire(task, TimeoutError("Task run exceeded timeout of 120.0 second(s)"))
    told: list[str] = []
    results = queue.results(on_missing=lambda r: told.append(r.id))
    assert sorted(told) == ["w0", "w1", "w2", "w3"]
    error = results["w3"].error or ""
    assert error.startswith("not checked: the check task failed: TimeoutError: Task run exceeded")


def test_watches_per_task_caps_what_each_task_takes() -> None:
    queue = CheckQueue(watches(10), tasks=task_count(10, 2, per_task=3), per_task=3)
    assert queue.tasks == 4
    assert [len(list(queue.take(t))) for t in range(4)] == [3, 3, 3, 1]


def test_a_shared_task_takes_at_most_twice_its_share() -> None:
    queue = CheckQueue(watches(40), tasks=4)  # share 10: the timeout is sized for 20
    assert queue.cap == 20
    assert len(list(queue.take(0))) == 20
    assert len(list(queue.take(1))) == 20
    assert list(queue.take(2)) == []


def test_the_first_result_of_a_watch_stands() -> None:
    queue = CheckQueue(watches(3), tasks=1, per_task=3)
    taken = queue.take(0)
    held = next(taken)
    [lost] = queue.retire(0, TimeoutError("Task run exceeded timeout"))  # Prefect gave up
    assert lost.id == held.id
    assert lost.status == "error"
    assert queue.done(ok(held)) is False  # the abandoned thread finishes later: not told again
    assert list(taken) == []  # and takes nothing more
    assert queue.results()[held.id].status == "error"


def test_a_stopped_task_takes_nothing_more() -> None:
    queue = CheckQueue(watches(5), tasks=1, per_task=5)
    taken = queue.take(0)
    next(taken)
    queue.stop(0)
    assert list(taken) == []
