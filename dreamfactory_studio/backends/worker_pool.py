"""Where the models run: one worker process per device (``[compute] devices``), or the in-process thread for
debugging (``[compute] worker = "thread"``), or Ray actors across machines (``[compute] backend = "ray"``).

The pool has the worker's one method, ``generate(backend, request, on_step, on_loading)``, so the keyframe
designer, the sheets and the film maker use it unchanged. A job goes to an idle worker that already holds its
model, else to any idle one, else waits for the first to be free. Backends that use no GPU of ours (the sketch
renderer, the camera move, ComfyUI, OpenAI images) run on the in-process thread: nothing there can crash the
window, and they need no model loaded. :attr:`size` is how many jobs can run at once, for the callers that
have independent jobs (clips of different scenes, candidate takes, character sheets).
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
from collections.abc import Callable

from dreamfactory_studio.backends.gpu_worker import GpuWorker, model_key
from dreamfactory_studio.backends.worker_process import ProcessWorker, WorkerState
from dreamfactory_studio.core.backend_registry import uses_gpu
from dreamfactory_studio.core.errors import BadInput

log = logging.getLogger(__name__)


def visible_gpus() -> list[str]:
    """The NVIDIA GPUs ``nvidia-smi`` lists, as ``cuda:N``; empty when there is none (or no driver). Asked
    without importing torch, which would tie the parent to a GPU."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        listed = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [
        f"cuda:{n}" for n, line in enumerate(line for line in listed.splitlines() if line.startswith("GPU "))
    ]


def resolve_devices(devices: list[str]) -> list[str]:
    """The devices named, ``auto`` standing for every visible GPU (or one default worker when there is
    none); :class:`BadInput` for a name that is no device or a GPU that is not there."""
    out: list[str] = []
    gpus: list[str] | None = None
    for name in devices or ["auto"]:
        name = name.strip().lower()
        if name == "auto":
            gpus = visible_gpus() if gpus is None else gpus
            out += gpus or [""]
        elif name in ("cpu", "mps"):
            out.append(name)
        elif name.startswith("cuda:") and name[5:].isdigit():
            gpus = visible_gpus() if gpus is None else gpus
            if name not in gpus:
                has = ", ".join(gpus) if gpus else "none (nvidia-smi lists no NVIDIA GPU)"
                raise BadInput(f"there is no GPU {name}: this machine has {has}. Name cpu or auto instead.")
            out.append(name)
        else:
            raise BadInput(f"'{name}' is not a device; name cpu, cuda:N (cuda:0, cuda:1, ...), mps or auto.")
    return out


class WorkerPool:
    """The workers one set of settings asks for, and the in-process thread for the backends without a model."""

    def __init__(
        self,
        devices: list[str] | None = None,
        *,
        worker: str = "process",
        ray_address: str = "",
        gpus: float = 1.0,
        cpu_threads: int = 1,
    ):
        self.local = GpuWorker()
        self.ray_address = ray_address
        if ray_address:
            from dreamfactory_studio.backends.ray_workers import ray_workers

            self.workers = ray_workers(ray_address, devices or [], gpus, cpu_threads)
        elif worker == "thread":
            self.workers = []  # everything on the one thread, as before
        else:
            self.workers = [
                ProcessWorker(device, f"worker {n + 1} ({device or 'default device'})", cpu_threads)
                for n, device in enumerate(resolve_devices(devices or ["auto"]))
            ]
        self._free: asyncio.Condition | None = None
        self._loop = None

    @property
    def size(self) -> int:
        """How many jobs can run at once."""
        return max(1, len(self.workers))

    @property
    def loads(self) -> int:
        return self.local.loads + sum(w.loads for w in self.workers)

    def states(self) -> list[WorkerState]:
        return [w.state for w in self.workers]

    def _condition(self) -> asyncio.Condition:
        loop = asyncio.get_running_loop()
        if self._free is None or self._loop is not loop:
            self._free, self._loop = asyncio.Condition(), loop
        return self._free

    async def _acquire(self, backend):
        wanted = model_key(backend)
        free = self._condition()
        async with free:
            while True:
                idle = [w for w in self.workers if not w.busy and not w.claimed]
                if idle:
                    worker = next((w for w in idle if w.holds == wanted), None) or next(
                        (w for w in idle if w.holds is None), idle[0]
                    )
                    worker.claimed = True
                    return worker
                await free.wait()

    async def _release(self, worker) -> None:
        worker.claimed = False
        free = self._condition()
        async with free:
            free.notify_all()

    async def generate(
        self, backend, request, on_step: Callable[[int, int], None], on_loading: Callable[[str], None]
    ):
        if not self.workers or not uses_gpu(backend):
            return await self.local.generate(backend, request, on_step, on_loading)
        worker = await self._acquire(backend)
        try:
            return await worker.generate(backend, request, on_step, on_loading)
        finally:
            await self._release(worker)

    async def unload(self) -> None:
        await self.local.unload()
        for worker in self.workers:
            await worker.unload()

    def shutdown(self) -> None:
        self.local.shutdown()
        for worker in self.workers:
            worker.shutdown()
