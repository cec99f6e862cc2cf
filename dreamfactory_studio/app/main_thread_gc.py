"""The window's thread runs every garbage collection (why: ``core.collector``).

Python's automatic collection is turned off while the collector is installed; a timer on the window's thread runs
it instead, generation by generation as Python would, and worker threads that want a full collection (after
unloading a model) ask this thread for one.
"""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from dreamfactory_studio.core import collector


class MainThreadCollector(QObject):
    """Collects garbage on the thread it lives on; :meth:`install` it once the application exists."""

    _asked = Signal(object)  # a threading.Event to set once collected

    def __init__(self, interval_ms: int = 200, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = threading.current_thread()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.tick)
        self._asked.connect(self._collect_for, Qt.ConnectionType.QueuedConnection)
        self._was_enabled = False
        self.installed = False

    def install(self) -> None:
        """Turn Python's automatic collection off and collect from this thread's timer instead."""
        if self.installed:
            return
        self._was_enabled = gc.isenabled()
        gc.disable()
        collector.own_collection(self._thread, self._collect_elsewhere)
        self._timer.start()
        self.installed = True

    def uninstall(self) -> None:
        """Collect what is left here, then give collection back to Python."""
        if not self.installed:
            return
        self._timer.stop()
        collector.give_up_collection(self._thread)
        gc.collect()
        if self._was_enabled:
            gc.enable()
        self.installed = False

    def tick(self) -> None:
        """Collect the generations Python would have collected by now."""
        young, middle, old = gc.get_count()
        first, second, third = gc.get_threshold()
        if young > first:
            generation = 0
            if middle > second:
                generation = 2 if old > third else 1
            gc.collect(generation)

    def _collect_elsewhere(self, timeout: float) -> bool:
        done = threading.Event()
        self._asked.emit(done)
        return done.wait(timeout)

    def _collect_for(self, done: threading.Event) -> None:
        gc.collect()
        done.set()
