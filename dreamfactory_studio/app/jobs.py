"""Running the production's coroutines from the window, on the asyncio loop that qasync runs on Qt's."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from PySide6.QtCore import QObject, Signal

from dreamfactory_studio.core.errors import StudioError, advised, as_user_error
from dreamfactory_studio.core.secrets import redact

log = logging.getLogger(__name__)


class Jobs(QObject):
    """One job at a time per window: ``start`` it, ``cancel`` it; ``finished`` says how it ended."""

    started = Signal(str)
    finished = Signal(str, str)  # what, the error ("" when it went well, "cancelled" when cancelled)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.current: asyncio.Task | None = None
        self.what = ""

    @property
    def running(self) -> bool:
        return self.current is not None and not self.current.done()

    def start(
        self,
        what: str,
        make: Callable[[], Awaitable[object]],
        on_done: Callable[[object], None] | None = None,
    ) -> asyncio.Task | None:
        """Start ``make()`` unless a job is running; ``on_done`` gets its result when it succeeds."""
        if self.running:
            self.finished.emit(what, f"“{self.what}” is still running; wait for it or cancel it.")
            return None
        self.what = what
        task = asyncio.ensure_future(make())
        self.current = task
        self.started.emit(what)
        task.add_done_callback(lambda t: self._done(what, t, on_done))
        return task

    def cancel(self) -> None:
        if self.running:
            self.current.cancel()

    def _done(self, what: str, task: asyncio.Task, on_done) -> None:
        if task.cancelled():
            self.finished.emit(what, "cancelled")
            return
        error = task.exception()
        if error is None:
            self.finished.emit(what, "")
            if on_done is not None:
                on_done(task.result())
        elif (known := error if isinstance(error, StudioError) else as_user_error(error)) is not None:
            log.info("%s failed", what, exc_info=error)
            self.finished.emit(what, redact(advised(known, "window")))
        else:
            log.error("%s failed", what, exc_info=error)
            self.finished.emit(
                what,
                f"unexpected error ({type(error).__name__}: {redact(str(error))}); details are in the log.",
            )
