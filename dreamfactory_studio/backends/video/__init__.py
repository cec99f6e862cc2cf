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

__all__ = ["ENDS_FREE", "ClipRequest", "GenerationCancelled", "VideoBackend"]

ENDS_FREE = (
    "{} ends no clip on a chosen frame, so the clips end where it takes them; for clips that end on the next "
    'keyframe, use a first-and-last-frame model (Wan 2.1 FLF2V, LTX-Video) with [video] backend = "diffusers"'
)
"""What a video backend says once when a clip was asked to end on a frame it cannot end on."""


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
    last_image: Path | None = None
    """The frame the clip is to end on (the next keyframe, or the scene's end frame); None: it ends free."""
    clip_end: str = "free"
    """Where the film asked the clip to end (free, next, own): ``next`` with no ``last_image`` is the last scene."""

    @property
    def frame_count(self) -> int:
        return max(1, round(self.duration * self.fps))


class VideoBackend(Protocol):
    label: str

    def signature(self, request: ClipRequest) -> str:
        """What decides the clip besides the keyframe and the export format, for the clip cache."""
        ...

    def load(self, on_progress: Callable[[str], None]) -> None: ...

    def generate(self, request: ClipRequest, on_step: StepSink, cancelled: Cancelled) -> list[str] | None:
        """Write the clip; return what it could not do as asked (say, end on ``last_image``), in words."""
        ...

    def unload(self) -> None: ...
