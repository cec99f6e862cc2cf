"""The one thread that owns the models (image and video): load once, reuse across scenes, unload on request or
change.

The asyncio side awaits jobs; the thread runs them one at a time from a queue. Progress is handed back to the
event loop thread-safely; cancelling an awaiting task sets the job's cancel flag, and the backend stops at its
next step.

Torch, transformers and a pipeline leave about half a million objects, and a full garbage collection of them
holds the GIL for about 0.3 s in whatever thread triggers it, which froze the window while a model loaded and
mid-export. So the collector is paused while a model loads, and what is alive then is frozen out of its view
(``gc.freeze``). Unloading unfreezes it first, so that what the model leaves in reference cycles is collected.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import queue
import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from dreamfactory_studio.backends.image import GenerationCancelled, ImageBackend
from dreamfactory_studio.core.backend_registry import uses_gpu

T = TypeVar("T")


class Loadable(Protocol):
    """An image or video backend: ``load``/``unload`` and a ``generate(request, on_step, cancelled)``.

    One that runs no model of ours (the registry's ``uses_gpu``: the camera move) runs here too, without unloading the model in use."""

    def load(self, on_progress: Callable[[str], None]) -> None: ...

    def unload(self) -> None: ...


def model_key(backend: Loadable) -> tuple[type, Any]:
    """What names the model a backend loads: its class and settings (two backends with equal keys load one
    model, so a worker that holds it runs the other's jobs without loading again)."""
    return type(backend), getattr(backend, "settings", None)


class GpuWorker:
    def __init__(self) -> None:
        self._jobs: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._loaded: Loadable | None = None
        self.loads = 0

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name="gpu-worker", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            function, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(function())
            except BaseException as exc:
                future.set_exception(exc)

    def submit(self, function: Callable[[], T]) -> concurrent.futures.Future[T]:
        """Run ``function`` on the worker thread."""
        self._ensure_thread()
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._jobs.put((function, future))
        return future

    @staticmethod
    def _same_model(loaded: Loadable, backend: Loadable) -> bool:
        """Whether ``backend`` would load what ``loaded`` holds: one class, equal settings."""
        return model_key(loaded) == model_key(backend)

    def _use(self, backend: Loadable, on_progress: Callable[[str], None]) -> Loadable:
        """The loaded backend to run ``backend``'s job on: the one already loaded when it holds the same model
        (each run makes its backends anew from the settings), else ``backend``, loaded."""
        if self._loaded is not None and (self._loaded is backend or self._same_model(self._loaded, backend)):
            return self._loaded
        if not uses_gpu(backend):
            backend.load(on_progress)  # e.g. the camera move: nothing to free room for
            return backend
        self._release()
        collecting = gc.isenabled()
        gc.disable()
        try:
            backend.load(on_progress)
        finally:
            gc.freeze()
            if collecting:
                gc.enable()
        self._loaded = backend
        self.loads += 1
        return backend

    def _release(self) -> None:
        if self._loaded is not None:
            gc.unfreeze()
            self._loaded.unload()
            self._loaded = None

    async def generate(
        self,
        backend: ImageBackend | Loadable,
        request: Any,
        on_step: Callable[[int, int], None],
        on_loading: Callable[[str], None],
    ):
        """Make one image (or clip) on the worker thread; cancelling the awaiting task stops it at the next step."""
        loop = asyncio.get_running_loop()
        stop = threading.Event()

        def step(done: int, total: int) -> None:
            loop.call_soon_threadsafe(on_step, done, total)

        def loading(message: str) -> None:
            loop.call_soon_threadsafe(on_loading, message)

        def job():
            return self._use(backend, loading).generate(request, step, stop.is_set)

        future = self.submit(job)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            stop.set()
            raise
        except GenerationCancelled:
            raise asyncio.CancelledError from None

    async def unload(self) -> None:
        """Free the loaded model."""

        await asyncio.wrap_future(self.submit(self._release))

    def shutdown(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self.submit(self._release)
            self._jobs.put(None)
            self._thread.join(timeout=10)
