"""Which thread runs the garbage collector.

PySide deletes a Qt object when the collector frees its wrapper, in whatever thread the collection runs. Windows and
dialogs sit in reference cycles (a widget, its signal connections, the lambdas that hold it), so a collection
triggered on a worker thread (a model load, an explicit ``gc.collect`` after unloading one) tore them down there and
crashed Qt's event loop later. So the window's thread owns collection (``app.main_thread_gc``) and registers here;
code on other threads collects through :func:`collect`.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable

_lock = threading.Lock()
_owner: tuple[threading.Thread, Callable[[float], bool]] | None = None


def own_collection(thread: threading.Thread, collect_there: Callable[[float], bool]) -> None:
    """Make ``thread`` the one that collects: :func:`collect` from elsewhere calls ``collect_there(timeout)``,
    which runs a full collection on ``thread`` and says whether it finished in time."""
    global _owner
    with _lock:
        _owner = (thread, collect_there)


def give_up_collection(thread: threading.Thread) -> None:
    """``thread`` no longer owns collection; any thread collects again."""
    global _owner
    with _lock:
        if _owner is not None and _owner[0] is thread:
            _owner = None


def owner() -> threading.Thread | None:
    """The thread that owns collection, or None when any thread may collect."""
    with _lock:
        return _owner[0] if _owner else None


def collect(timeout: float = 2.0) -> bool:
    """A full collection, run on the owning thread when there is one (waiting up to ``timeout`` seconds for it).

    Returns whether it ran. When the owner is busy past ``timeout`` nothing is collected here: its own next
    collection frees the garbage instead."""
    with _lock:
        owned = _owner
    if owned is None or owned[0] is threading.current_thread():
        gc.collect()
        return True
    return owned[1](timeout)
