"""Workers on a Ray cluster (``pip install dreamfactory-studio[ray]``; ``[compute] backend = "ray"``).

Each worker is a Ray actor that keeps its pipelines between jobs (the same model keeping as the local workers),
with ``num_gpus`` of a GPU (a fraction lets several small models share one large GPU). A job goes as the
unloaded backend and the request; the image comes back as the ``Drawn``, a clip as its bytes, so no shared
filesystem is needed. Progress is polled from the actor, and a cancel sets the actor's flag, which the backend
reads at its next step. An actor (or its node) lost mid-job is replaced and the job retried on the cluster,
twice, before the job fails.

``ray start --head`` on one machine and ``ray start --address=HEAD:6379`` on the others is the whole setup;
the studio connects with ``address = "auto"`` on a cluster machine or ``ray://HEAD:10001`` from elsewhere.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from dreamfactory_studio.backends.gpu_worker import model_key
from dreamfactory_studio.backends.image import GenerationCancelled
from dreamfactory_studio.backends.worker_process import WorkerState, adopt, child_environment, finish, run_job
from dreamfactory_studio.core.errors import BackendError, BadInput, StudioError

log = logging.getLogger(__name__)
RETRIES = 2
POLL_SECONDS = 0.1


class Holder:
    """The actor's body: the model keeping of the thread worker, run by Ray in the actor's process."""

    def __init__(self):
        from dreamfactory_studio.backends.gpu_worker import GpuWorker

        self.keeper = GpuWorker()
        self.cancel = threading.Event()
        self.progress: tuple[int, int] | None = None
        self.model: dict = {}
        self.scratch = Path(tempfile.mkdtemp(prefix="dreamfactory-ray-"))

    def generate(self, backend, request):
        self.cancel.clear()
        self.progress = None

        def step(done: int, total: int) -> None:
            self.progress = (done, total)

        def model(described: dict) -> None:
            self.model = described

        return run_job(
            self.keeper,
            backend,
            request,
            self.scratch,
            on_loading=lambda _message: None,
            on_model=model,
            on_step=step,
            cancelled=self.cancel.is_set,
        )

    def poll(self):
        return self.progress, self.model

    def stop(self) -> None:
        self.cancel.set()

    def node(self) -> str:
        import ray

        return ray.get_runtime_context().get_node_id()[:8]


def _ray():
    try:
        import ray
    except ImportError:
        raise BadInput(
            "Ray is not installed: pip install 'dreamfactory-studio[ray]' (the same Ray version as the cluster), "
            "or set compute.backend to local."
        ) from None
    return ray


def connect(address: str):
    """Join the cluster at ``address`` (once per process); :class:`BackendError` saying why it could not."""
    ray = _ray()
    if ray.is_initialized():
        return ray
    _reachable(address)
    try:
        ray.init(address=address or "auto", log_to_driver=False, ignore_reinit_error=True)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        text = str(exc)
        if "version" in text.lower():
            raise BackendError(
                f"the Ray cluster at {address} runs another Ray version ({text.splitlines()[0]}); install the "
                "cluster's version here (pip install ray==X.Y.Z)."
            ) from None
        raise _unreachable(address, text.splitlines()[0] if text else type(exc).__name__) from None
    return ray


def _unreachable(address: str, why: object) -> BackendError:
    return BackendError(
        f"cannot reach a Ray cluster at {address} ({why}). Start one with `ray start --head` (and "
        "`ray start --address=HEAD:6379` on the other machines), or set compute.backend to local."
    )


def _reachable(address: str) -> None:
    """A quick look at a cluster's address before Ray spends a minute retrying it."""
    import socket

    if address in ("", "auto", "local"):
        return
    host, _, port = address.split("://", 1)[-1].rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=5):
            return
    except (OSError, ValueError) as exc:
        raise _unreachable(address, exc) from None


def ray_workers(address: str, devices: list[str], gpus: float = 1.0, cpu_threads: int = 1) -> list[RayWorker]:
    """The actors for ``devices``: one per entry (``cpu`` entries ask for no GPU); ``auto`` (or none) asks for
    as many ``gpus``-sized GPU shares as the cluster has, or one CPU worker on a cluster without GPUs."""
    ray = connect(address)
    wanted = [d for d in devices if d != "auto"]
    if not wanted:
        total = ray.cluster_resources().get("GPU", 0)
        wanted = ["gpu"] * int(total // gpus) or ["cpu"]
    return [
        RayWorker(address, 0.0 if d == "cpu" else gpus, f"ray worker {n + 1} ({d})", cpu_threads)
        for n, d in enumerate(wanted)
    ]


class RayWorker:
    """One actor on the cluster, with the local worker's ``generate``; made again when it is lost."""

    def __init__(self, address: str, gpus: float, name: str, cpu_threads: int = 1):
        self.address = address
        self.gpus = gpus
        self.cpu_threads = cpu_threads
        self.state = WorkerState(name, f"ray ({gpus:g} GPU)" if gpus else "ray (CPU)")
        self.actor = None
        self.holds = None
        self.claimed = False
        self.loads = 0
        self._busy = threading.Lock()

    @property
    def busy(self) -> bool:
        return self._busy.locked()

    def _actor(self):
        if self.actor is None:
            ray = connect(self.address)
            self.actor = (
                ray.remote(Holder)
                .options(num_gpus=self.gpus, num_cpus=1, max_concurrency=4, runtime_env=self._environment())
                .remote()
            )
            self.holds = None
            self.state.alive, self.state.error = True, ""
            try:
                self.state.device = f"ray node {ray.get(self.actor.node.remote(), timeout=60)}"
            except Exception as exc:  # noqa: BLE001 (only a label)
                log.info("no node id for %s: %s", self.state.name, exc)
        return self.actor

    def _environment(self) -> dict | None:
        """A CPU actor's torch threads, fixed as a local CPU worker's are (the pixels depend on them)."""
        return None if self.gpus else {"env_vars": child_environment("cpu", self.cpu_threads)}

    def _job(self, backend, request, on_step, cancelled: threading.Event):
        ray = _ray()
        from ray.exceptions import GetTimeoutError, RayActorError, RayTaskError, WorkerCrashedError

        with self._busy:
            for attempt in range(RETRIES + 1):
                actor = self._actor()
                ref = actor.generate.remote(backend, request)
                self.state.job = type(request).__name__
                try:
                    while True:
                        if cancelled.is_set():
                            actor.stop.remote()
                        try:
                            result = ray.get(ref, timeout=POLL_SECONDS)
                            break
                        except GetTimeoutError:
                            progress, model = ray.get(actor.poll.remote(), timeout=30)
                            self.state.model = model.get("label", "") if model else ""
                            if progress and progress != self.state.progress:
                                self.state.progress = progress
                                on_step(*progress)
                    self.loads += model_key(backend) != self.holds
                    self.holds = model_key(backend)
                    self.state.jobs += 1
                    adopt(backend, ray.get(actor.poll.remote(), timeout=30)[1] or {})
                    return result
                except RayTaskError as exc:
                    cause = exc.as_instanceof_cause() if hasattr(exc, "as_instanceof_cause") else exc
                    original = getattr(exc, "cause", None)
                    if isinstance(original, GenerationCancelled) or isinstance(cause, GenerationCancelled):
                        raise GenerationCancelled("cancelled") from None
                    if isinstance(original, StudioError):
                        raise original from None
                    raise BackendError(
                        f"the Ray worker failed: {str(original or exc).splitlines()[0]}"
                    ) from None
                except (RayActorError, WorkerCrashedError) as exc:
                    self.actor, self.holds = None, None
                    self.state.alive, self.state.model = False, ""
                    self.state.error = f"lost ({type(exc).__name__})"
                    log.warning("%s was lost mid-job (%s); retrying (%d)", self.state.name, exc, attempt + 1)
                    if cancelled.is_set():
                        raise GenerationCancelled("cancelled") from None
                finally:
                    self.state.job, self.state.progress = "", None
            raise BackendError(
                f"the job was lost on the Ray cluster {RETRIES + 1} times ({self.state.error}); check the "
                "cluster's nodes (`ray status`). Nothing already made is lost."
            )

    async def generate(
        self, backend, request, on_step: Callable[[int, int], None], on_loading: Callable[[str], None]
    ):

        loop = asyncio.get_running_loop()
        cancelled = threading.Event()

        def step(done: int, total: int) -> None:
            loop.call_soon_threadsafe(on_step, done, total)

        task = loop.run_in_executor(None, self._job, backend, request, step, cancelled)
        return await finish(asyncio.shield(task), request, cancelled.set)

    async def unload(self) -> None:
        self.holds, self.state.model = None, ""

    def kill(self) -> None:
        """End the actor at once (as a lost node would), for the tests and the Workers view."""
        if self.actor is not None:
            _ray().kill(self.actor, no_restart=True)

    def shutdown(self) -> None:
        if self.actor is not None:
            try:
                _ray().kill(self.actor, no_restart=True)
            except Exception as exc:  # noqa: BLE001 (a cluster already gone)
                log.info("could not end %s: %s", self.state.name, exc)
        self.actor = None
        self.state.alive = False
