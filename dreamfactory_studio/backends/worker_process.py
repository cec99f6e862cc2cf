"""The model in its own process: a crash, an out-of-memory kill or torch's import stall cannot reach the window.

A :class:`ProcessWorker` spawns (never forks) a child that loads the pipelines and keeps them, as the thread
worker does in-process (:class:`~dreamfactory_studio.backends.gpu_worker.GpuWorker`, whose model keeping the
child reuses). A job goes over a pipe as the unloaded backend (its class and settings) and the request; progress
comes back as messages; an image comes back as the ``Drawn`` (pixels pickled), a clip as its file's bytes, which
the parent writes where the request asked: the child never writes into the project. Cancel sets an event the
child's backend polls at each step. A child that dies mid-job fails that job with a clear message and is started
again for the next one; the parent, its undo stack and its unsaved edits are untouched.

One child per device: ``device`` ("cuda:1", "cpu", or "" for the default) is fixed in the child's environment
before torch is imported (``CUDA_VISIBLE_DEVICES``), so its "cuda" is that GPU.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import logging
import multiprocessing
import os
import signal
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dreamfactory_studio.backends.gpu_worker import model_key
from dreamfactory_studio.backends.image import GenerationCancelled
from dreamfactory_studio.core.errors import BackendError, StudioError
from dreamfactory_studio.core.logs import setup_logging

log = logging.getLogger(__name__)


@dataclass
class WorkerState:
    """What the Workers view shows of a worker."""

    name: str
    device: str
    model: str = ""
    job: str = ""
    progress: tuple[int, int] | None = None
    error: str = ""
    alive: bool = False
    jobs: int = 0


def child_environment(device: str, cpu_threads: int = 1) -> dict[str, str]:
    """The environment a worker for ``device`` starts with: which GPU it sees; on the CPU, how many threads
    torch uses (a fixed number: the pixels depend on it)."""
    if device.startswith("cuda:"):
        return {"CUDA_VISIBLE_DEVICES": device.split(":", 1)[1]}
    if device == "cpu":
        return {
            "CUDA_VISIBLE_DEVICES": "",
            "OMP_NUM_THREADS": str(cpu_threads),
            "MKL_NUM_THREADS": str(cpu_threads),
        }
    return {}


def _child(connection, cancel, device: str, cpu_threads: int = 1) -> None:
    """The child's loop: one job at a time, the model kept between jobs (same class and settings)."""
    os.environ.update(child_environment(device, cpu_threads))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle
    with contextlib.suppress(OSError):  # the log file, as the parent's: a traceback never reaches the console
        setup_logging()
    from dreamfactory_studio.backends.gpu_worker import GpuWorker

    keeper = GpuWorker()  # its model keeping, run here on the child's main thread
    scratch = Path(tempfile.mkdtemp(prefix="dreamfactory-worker-"))
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            break
        kind = message[0]
        if kind == "stop":
            break
        if kind == "unload":
            keeper._release()
            connection.send(("done", None))
            continue
        _kind, backend, request = message
        try:
            result = run_job(
                keeper,
                backend,
                request,
                scratch,
                on_loading=lambda text: connection.send(("loading", text)),
                on_model=lambda model: connection.send(("model", model)),
                on_step=lambda done, total: connection.send(("step", done, total)),
                cancelled=cancel.is_set,
            )
            connection.send(("done", result))
        except GenerationCancelled:
            connection.send(("cancelled",))
        except StudioError as exc:
            connection.send(("error", exc))
        except BaseException as exc:  # noqa: BLE001 (anything a model raises reaches the parent as words)
            log.exception("the worker's job failed")
            connection.send(("error", BackendError(f"{type(exc).__name__}: {exc}")))
    keeper._release()


def run_job(keeper, backend, request, scratch: Path, *, on_loading, on_model, on_step, cancelled) -> Any:
    """One job where a worker keeps its models (a child process, a Ray actor): the model kept by ``keeper``
    (``on_model`` hears what was loaded), an image returned as the ``Drawn``, a clip drawn into ``scratch`` and
    returned as its bytes."""
    from dreamfactory_studio.backends.video import ClipRequest

    loaded = keeper._use(backend, on_loading)
    on_model(described(loaded))
    if not isinstance(request, ClipRequest):
        return loaded.generate(request, on_step, cancelled)
    out = scratch / request.output.name
    try:
        loaded.generate(dataclasses.replace(request, output=out), on_step, cancelled)
        return out.read_bytes()
    finally:
        out.unlink(missing_ok=True)


DESCRIBED = ("label", "model_id", "prompt_budget", "device")
"""What a loaded backend knows that the production reads from its own copy: the takes' backend and model, the
prompt's budget."""


def described(backend) -> dict:
    return {name: getattr(backend, name) for name in DESCRIBED if hasattr(backend, name)}


def adopt(backend, model: dict) -> None:
    """Tell the parent's copy of a backend what its loaded twin in a worker :func:`described`."""
    for name, value in model.items():
        setattr(backend, name, value)


class WorkerDied(BackendError):
    """The worker process stopped during a job."""


class ProcessWorker:
    """One child process holding the models for one device; the same ``generate`` as the thread worker."""

    def __init__(self, device: str = "", name: str = "", cpu_threads: int = 1):
        self.device = device
        self.cpu_threads = cpu_threads
        self.state = WorkerState(name or f"worker {device or 'default'}", device or "default")
        self._context = multiprocessing.get_context("spawn")
        self._process = None
        self._connection = None
        self._cancel = None
        self._busy = threading.Lock()
        self.loads = 0
        self.claimed = False  # by the pool, for a job about to start
        self.holds: tuple[type, Any] | None = None
        """The class and settings of the model the child holds, for the pool to send jobs to."""

    @property
    def busy(self) -> bool:
        return self._busy.locked()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None and self._process.is_alive() else None

    def _start(self) -> None:
        if self._process is not None and self._process.is_alive():
            return
        ours, theirs = self._context.Pipe()
        self._cancel = self._context.Event()
        self._process = self._context.Process(
            target=_child,
            args=(theirs, self._cancel, self.device, self.cpu_threads),
            name=self.state.name,
            daemon=True,
        )
        self._process.start()
        theirs.close()
        self._connection = ours
        self.holds = None
        self.state.alive, self.state.model, self.state.error = True, "", ""

    def _died(self) -> WorkerDied:
        process = self._process
        process.join(timeout=5)
        code = process.exitcode
        how = (
            f"killed by {signal.Signals(-code).name}"
            if code is not None and code < 0
            else f"exit code {code}"
        )
        self._process, self._connection, self.holds = None, None, None
        self.state.alive, self.state.model = False, ""
        self.state.error = f"stopped ({how})"
        return WorkerDied(
            f"the model's process ({self.state.name}) stopped while drawing ({how}): out of memory, or a crash in "
            "the model. It starts again with the next take; nothing already made is lost."
        )

    def _job(self, backend, request, on_step, on_loading) -> Any:
        """Run one job in the child, on the calling thread (never the event loop's)."""
        with self._busy:
            self._start()
            connection = self._connection
            self.state.job, self.state.progress = type(request).__name__, None
            try:
                self._cancel.clear()  # before the job goes: a cancel from now on is this job's
                connection.send(("job", backend, request))
                while True:
                    try:
                        message = connection.recv()
                    except (EOFError, OSError):
                        raise self._died() from None
                    kind = message[0]
                    if kind == "step":
                        self.state.progress = message[1:]
                        on_step(*message[1:])
                    elif kind == "loading":
                        on_loading(message[1])
                    elif kind == "model":
                        self.loads += model_key(backend) != self.holds
                        self.holds = model_key(backend)
                        self.state.model = message[1].get("label", "")
                        adopt(backend, message[1])
                    elif kind == "done":
                        self.state.jobs += 1
                        return message[1]
                    elif kind == "cancelled":
                        raise GenerationCancelled("cancelled")
                    elif kind == "error":
                        raise message[1]
            finally:
                self.state.job, self.state.progress = "", None

    async def generate(
        self, backend, request, on_step: Callable[[int, int], None], on_loading: Callable[[str], None]
    ):
        """Make one image (or clip) in the child; cancelling the awaiting task stops it at the next step."""

        loop = asyncio.get_running_loop()

        def step(done: int, total: int) -> None:
            loop.call_soon_threadsafe(on_step, done, total)

        def loading(message: str) -> None:
            loop.call_soon_threadsafe(on_loading, message)

        future: concurrent.futures.Future = concurrent.futures.Future()

        def run() -> None:
            future.set_running_or_notify_cancel()  # from now on, a cancel is the child's to act on
            try:
                future.set_result(self._job(backend, request, step, loading))
            except BaseException as exc:  # noqa: BLE001 (handed to the awaiting side)
                future.set_exception(exc)

        threading.Thread(target=run, name=f"{self.state.name} job", daemon=True).start()
        return await finish(asyncio.wrap_future(future), request, lambda: self._cancel and self._cancel.set())

    async def unload(self) -> None:
        if self._process is None or not self._process.is_alive():
            return

        def run() -> None:
            with self._busy:
                self._connection.send(("unload",))
                self._connection.recv()
                self.holds, self.state.model = None, ""

        await asyncio.to_thread(run)

    def kill(self) -> None:
        """Stop the child at once (SIGKILL), as the system's out-of-memory killer would."""
        if self._process is not None and self._process.is_alive():
            self._process.kill()

    def shutdown(self) -> None:
        """Stop the child and close the pipe, only once no job thread reads it (a closed fd that a thread still
        reads can be reused by Qt's event loop meanwhile)."""
        process = self._process
        if process is None:
            return
        if self._cancel is not None:
            self._cancel.set()
        got = self._busy.acquire(timeout=10)
        if not got:  # a job still holds the pipe: end the child, so that its recv ends, then wait for it
            process.kill()
            got = self._busy.acquire(timeout=10)
        try:
            connection = self._connection
            if connection is not None and process.is_alive():
                with contextlib.suppress(OSError):  # the child is gone already
                    connection.send(("stop",))
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)
            if connection is not None and got:
                connection.close()
            self._process, self._connection = None, None
            self.state.alive = False
        finally:
            if got:
                self._busy.release()


async def finish(job, request, on_cancel: Callable[[], object]):
    """Await a worker's job as the thread worker's callers expect it: a cancel of the awaiting task goes to the
    worker (``on_cancel``) and a job the worker cancelled is a cancel here; a clip's bytes are written where
    the request asked, an image is returned."""
    from dreamfactory_studio.backends.video import ClipRequest

    try:
        result = await job
    except asyncio.CancelledError:
        on_cancel()
        raise
    except GenerationCancelled:
        raise asyncio.CancelledError from None
    if isinstance(request, ClipRequest):
        write_clip(request.output, result)
        return None
    return result


def write_clip(path: Path, data: bytes) -> None:
    """A clip's bytes into the project, whole or not at all."""
    partial = path.with_name(f".{path.name}.part")
    partial.write_bytes(data)
    os.replace(partial, path)
