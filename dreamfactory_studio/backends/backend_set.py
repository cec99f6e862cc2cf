"""The one place where backends are made from the settings, and :class:`Backends`, the set a workspace holds.

Each ``make_*`` function picks one backend by its settings section. :class:`Backends` makes each of them on
first use (so a command that never draws never builds a painter, and a bad video setting does not stop a run
of the crew) and owns the GPU worker they share. Everything else asks a ``Backends`` for what it needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from dreamfactory_studio.backends.gpu_worker import GpuWorker
from dreamfactory_studio.backends.worker_pool import WorkerPool
from dreamfactory_studio.core.backend_registry import Backend, backend, chosen
from dreamfactory_studio.core.settings import (
    ComputeSettings,
    ImageSettings,
    LLMSettings,
    MonitorSettings,
    Settings,
    SpeechSettings,
    VideoSettings,
)

if TYPE_CHECKING:
    from pathlib import Path

    from dreamfactory_studio.backends.image import ImageBackend
    from dreamfactory_studio.backends.llm import LLM
    from dreamfactory_studio.backends.speech import Speech
    from dreamfactory_studio.backends.video import VideoBackend
    from dreamfactory_studio.backends.vision import Monitor
    from dreamfactory_studio.backends.vision.clip_embedder import ClipEmbedder


def make(entry: Backend, **sections):
    """A new backend of a registry entry, given the settings sections it names (``image=...``)."""
    module, _, name = entry.factory.partition(":")
    factory = getattr(importlib.import_module(f"dreamfactory_studio.backends.{module}"), name)
    return factory(*(sections[section] for section in entry.takes))


def make_llm(settings: LLMSettings) -> LLM:
    """An OpenAI-compatible server when ``base_url`` is set, else the offline writer."""
    return make(chosen("llm", settings), llm=settings)


async def check_llm(settings: LLMSettings) -> str:
    """Ask the configured server for a one-token answer; return what was found, or raise
    :class:`~dreamfactory_studio.core.errors.BackendError` saying what is wrong."""
    if not settings.base_url:
        return "the offline writer needs no server: it is always available."
    from dreamfactory_studio.backends.llm.openai_compatible import OpenAICompatibleLLM

    return await OpenAICompatibleLLM(settings.model_copy(update={"max_retries": 0})).check()


def make_image_backend(settings: ImageSettings) -> ImageBackend:
    """The painter the settings ask for: diffusers, OpenAI images, a ComfyUI server, or the offline sketch
    renderer."""
    return make(chosen("painter", settings), image=settings)


def make_monitor(settings: MonitorSettings) -> Monitor:
    """An OpenAI-compatible vision chat model when one is configured, else the offline describer."""
    return make(chosen("monitor", settings), monitor=settings)


def make_video_backend(settings: VideoSettings, image: ImageSettings | None = None) -> VideoBackend:
    """Diffusers image-to-video, a ComfyUI server's (at the image settings' address unless the video settings
    name one), or the offline camera move (the default)."""
    return make(chosen("video", settings), video=settings, image=image or ImageSettings())


def make_pool(settings: ComputeSettings) -> WorkerPool:
    """The workers the compute settings ask for: a process per device, the one thread, or Ray actors."""
    if settings.backend == "ray":
        return WorkerPool(
            settings.devices,
            ray_address=settings.address or "auto",
            gpus=settings.gpus_per_worker,
            cpu_threads=settings.cpu_threads,
        )
    return WorkerPool(settings.devices, worker=settings.worker, cpu_threads=settings.cpu_threads)


def speech_backend(settings: SpeechSettings) -> Backend:
    """The speech backend the settings ask for; ``auto`` takes the local voice when one is set, else espeak-ng when
    installed, else silence."""
    from dreamfactory_studio.backends.speech import espeak_executable

    name = settings.backend
    if name == "auto":
        name = "local" if settings.voice_model else "espeak" if espeak_executable() else "silence"
    return backend("speech", name)


def make_speech(settings: SpeechSettings) -> Speech:
    """The speech backend the settings ask for (``auto``: see :func:`speech_backend`)."""
    return make(speech_backend(settings), speech=settings)


def make_embedder(folder: Path | str) -> ClipEmbedder:
    """CLIP features from a local model folder (the image memory's, or the evaluation's)."""
    from dreamfactory_studio.backends.vision.clip_embedder import ClipEmbedder

    return ClipEmbedder(folder)


BACKENDS = ("llm", "painter", "monitor", "video", "speech", "embedder")


class Backends:
    """The backends one set of settings asks for, each made on first use, and the GPU worker they share.

    ``given`` backends (by the names in :data:`BACKENDS`) are used instead of making them; ``None`` for one
    means there is none (a production with an LLM alone cannot draw). Use it as a context manager, or call
    :meth:`close`: that stops the worker and frees its model. :meth:`with_settings` makes the set for changed
    settings and keeps the worker (and a model it holds that the new settings still ask for)."""

    def __init__(
        self, settings: Settings | None = None, *, worker: WorkerPool | GpuWorker | None = None, **given
    ):
        unknown = set(given) - set(BACKENDS)
        if unknown:
            raise TypeError(f"not a backend: {', '.join(sorted(unknown))}")
        self.settings = settings if settings is not None else Settings()
        self.worker = worker if worker is not None else make_pool(self.settings.compute)
        self._made: dict[str, object] = dict(given)

    def _get(self, name: str, make):
        if name not in self._made:
            self._made[name] = make()
        return self._made[name]

    @property
    def llm(self) -> LLM | None:
        return self._get("llm", lambda: make_llm(self.settings.llm))

    @property
    def painter(self) -> ImageBackend | None:
        return self._get("painter", lambda: make_image_backend(self.settings.image))

    @property
    def monitor(self) -> Monitor | None:
        return self._get("monitor", lambda: make_monitor(self.settings.monitor))

    @property
    def video(self) -> VideoBackend:
        return self._get("video", lambda: make_video_backend(self.settings.video, self.settings.image))

    @property
    def speech(self) -> Speech:
        return self._get("speech", lambda: make_speech(self.settings.speech))

    @property
    def embedder(self) -> ClipEmbedder | None:
        """The image memory's CLIP model, or None when ``[memory] clip_model`` is unset (the descriptor)."""
        folder = self.settings.memory.clip_model
        return self._get("embedder", lambda: make_embedder(folder) if folder else None)

    def with_settings(self, settings: Settings) -> Backends:
        """This set when ``settings`` are the same, else a new set for them on the same worker."""
        if settings == self.settings:
            return self
        if settings.compute != self.settings.compute:  # other devices, another worker kind: a new pool
            self.worker.shutdown()
            return Backends(settings)
        return Backends(settings, worker=self.worker)

    def close(self) -> None:
        """Stop the GPU worker, freeing the model it holds."""
        self.worker.shutdown()

    def __enter__(self) -> Backends:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()
