"""Keyframe thumbnails, decoded on a thread pool and kept in a bounded cache, so that scrolling never waits on
an image file."""

from __future__ import annotations

import contextlib
from collections import OrderedDict

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThread, QThreadPool, Signal
from PySide6.QtGui import QImage, QImageReader, QPixmap

THUMB_SIZE = QSize(224, 126)
CACHE_LIMIT = 1500


class _Signals(QObject):
    decoded = Signal(str, QImage)


class _Decode(QRunnable):
    def __init__(self, path: str, size: QSize, signals: _Signals):
        super().__init__()
        self.path, self.size, self.signals = path, size, signals

    def run(self) -> None:
        reader = QImageReader(self.path)
        full = reader.size()
        if full.isValid():
            reader.setScaledSize(full.scaled(self.size, Qt.AspectRatioMode.KeepAspectRatio))
        image = reader.read()  # a null image when the file is missing or unreadable
        # RuntimeError: the cache was deleted (the window closed) while this decoded; nobody wants it.
        with contextlib.suppress(RuntimeError):
            self.signals.decoded.emit(self.path, image)


class Thumbnails(QObject):
    """``get(path)`` answers at once: the cached pixmap, or None while it is decoded; ``ready`` says when."""

    ready = Signal(str)

    def __init__(self, size: QSize = THUMB_SIZE, parent: QObject | None = None):
        super().__init__(parent)
        self.size = size
        self._cache: OrderedDict[str, QPixmap | None] = OrderedDict()
        self._pending: set[str] = set()
        self._pool = QThreadPool(self)
        # A core left to the UI thread, and below its priority, so that scrolling stays smooth meanwhile.
        self._pool.setMaxThreadCount(max(1, min(4, QThread.idealThreadCount() - 1)))
        self._pool.setThreadPriority(QThread.Priority.IdlePriority)
        self._signals = _Signals()
        self._signals.decoded.connect(self._store)
        self.decodes = 0

    def get(self, path: str) -> QPixmap | None:
        if path in self._cache:
            self._cache.move_to_end(path)
            return self._cache[path]
        if path not in self._pending:
            self._pending.add(path)
            self._pool.start(_Decode(path, self.size, self._signals))
        return None

    def failed(self, path: str) -> bool:
        """Whether the file was read and could not be decoded (missing or damaged)."""
        return path in self._cache and self._cache[path] is None

    def _store(self, path: str, image: QImage) -> None:
        self._pending.discard(path)
        self.decodes += 1
        self._cache[path] = None if image.isNull() else QPixmap.fromImage(image)
        while len(self._cache) > CACHE_LIMIT:
            self._cache.popitem(last=False)
        self.ready.emit(path)

    def stop(self) -> None:
        """Drop the decodes not started and wait for those running (before the window goes)."""
        self._pool.clear()
        self._pool.waitForDone(5_000)

    def wait(self, msecs: int = 10_000) -> bool:
        """Wait for the decodes under way (tests and benchmarks)."""
        return self._pool.waitForDone(msecs)
