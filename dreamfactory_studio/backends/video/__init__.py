"""Clips from keyframes, behind one protocol: the offline camera move (the default) or diffusers image-to-video.

A video backend is synchronous and runs on the GPU worker thread like an image backend: ``load`` once,
``generate`` per clip, ``unload`` on request. ``generate`` writes an H.264 MP4 of exactly
``request.frame_count`` frames at the export size to ``request.output``, reports progress through ``on_step``
and stops once ``cancelled()`` is true, raising :class:`GenerationCancelled` and leaving no file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from dreamfactory_studio.backends.image import Cancelled, GenerationCancelled, StepSink

__all__ = ["ClipRequest", "GenerationCancelled", "VideoBackend"]


@dataclass(frozen=True)
class ClipRequest:
    image: Path
    output: Path
    width: int
    height: int
    fps: int
    duration: float
    shot: str = ""
    camera: str = ""
    action: str = ""
    prompt: str = ""
    seed: int = 0
    number: int = 1

    @property
    def frame_count(self) -> int:
        return max(1, round(self.duration * self.fps))


class VideoBackend(Protocol):
    label: str

    def signature(self, request: ClipRequest) -> str:
        """What decides the clip besides the keyframe and the export format, for the clip cache."""
        ...

    def load(self, on_progress: Callable[[str], None]) -> None: ...

    def generate(self, request: ClipRequest, on_step: StepSink, cancelled: Cancelled) -> None: ...

    def unload(self) -> None: ...
