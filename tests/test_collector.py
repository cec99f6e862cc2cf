"""Garbage is collected on the window's thread: a Qt object freed by a worker thread's collection crashed Qt."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest
from PySide6.QtCore import QObject

from dreamfactory_studio.app.main_thread_gc import MainThreadCollector
from dreamfactory_studio.core import collector


def garbage_cycle(freed_on: list) -> None:
    """A QObject in a reference cycle (as windows are), whose freeing records the thread that ran it."""

    class Holder:
        pass

    holder = Holder()
    holder.me = holder
    holder.widget = QObject()
    weakref.finalize(holder, lambda: freed_on.append(threading.current_thread().name))


def collect_from_a_worker(timeout: float = 5.0) -> list:
    ran: list = []
    thread = threading.Thread(target=lambda: ran.append(collector.collect(timeout)), name="worker")
    thread.start()
    return [thread, ran]


@pytest.fixture
def installed(qapp, qt_collects_its_garbage) -> MainThreadCollector:
    """The collector every Qt test runs under (tests/conftest.py), as the studio installs it."""
    return qt_collects_its_garbage


def test_without_an_owner_a_worker_collects_on_its_own_thread(installed):
    installed.uninstall()
    assert collector.owner() is None and gc.isenabled()
    freed: list = []
    gc.disable()
    try:
        garbage_cycle(freed)
        thread, ran = collect_from_a_worker()
        thread.join()
    finally:
        gc.enable()
    assert ran == [True] and freed == ["worker"]


def test_a_workers_collection_runs_on_the_window_thread(installed, qtbot):
    assert not gc.isenabled() and collector.owner() is threading.main_thread()
    freed: list = []
    garbage_cycle(freed)
    thread, ran = collect_from_a_worker()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=5000)
    assert ran == [True] and freed == ["MainThread"]


def test_a_busy_window_thread_is_not_collected_for_by_the_worker(installed):
    freed: list = []
    garbage_cycle(freed)
    thread, ran = collect_from_a_worker(timeout=0.05)
    thread.join()  # the window's thread never ran its events, so it did not collect
    assert ran == [False] and freed == []
    installed.tick()
    gc.collect()
    assert freed == ["MainThread"]


def test_the_timer_collects_as_python_would(installed, qtbot):
    freed: list = []
    garbage_cycle(freed)
    kept = [
        [] for _ in range(gc.get_threshold()[0] * 2)
    ]  # allocations past the youngest generation's threshold
    qtbot.waitUntil(lambda: freed == ["MainThread"], timeout=5000)
    assert len(kept) > gc.get_threshold()[0]


def test_uninstalling_collects_what_is_left_and_gives_collection_back(installed):
    installed.install()  # once is enough
    freed: list = []
    garbage_cycle(freed)
    installed.uninstall()
    assert freed == ["MainThread"] and gc.isenabled() and collector.owner() is None
