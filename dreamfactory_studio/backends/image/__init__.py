"""Image backends behind one protocol: text-to-image, image-to-image with a strength, reference conditioning.

A backend is synchronous and runs on the GPU worker thread: ``load`` once, ``generate`` per take, ``unload`` on
request. ``generate`` reports each step through ``on_step`` and stops at the next step once ``cancelled()``
is true, raising :class:`GenerationCancelled`; no half image is ever returned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from dreamfactory_studio.core.errors import StudioError

if TYPE_CHECKING:
    from PIL import Image

StepSink = Callable[[int, int], None]
Cancelled = Callable[[], bool]


class GenerationCancelled(StudioError):
    """The user cancelled; nothing was kept."""


@dataclass(frozen=True)
class FigureFacts:
    name: str
    description: str


@dataclass(frozen=True)
class PanelFacts:
    """What a storyboard panel shows, for renderers that draw from facts rather than from the prompt alone."""

    scene_number: int
    caption: str
    script: str
    shot: str = "medium"
    camera: str = ""
    style: str = "illustration"
    palette: str = ""
    lighting: str = ""
    characters: tuple[FigureFacts, ...] = ()
    base_description: str = ""


@dataclass
class ImageRequest:
    prompt: str
    seed: int
    width: int = 1024
    height: int = 576
    negative_prompt: str = ""
    steps: int = 25
    guidance: float = 7.0
    references: list[Path] = field(default_factory=list)
    strength: float = 0.6
    facts: PanelFacts | None = None


class ImageBackend(Protocol):
    label: str
    model_id: str

    def load(self, on_progress: Callable[[str], None]) -> None:
        """Load what the backend needs (weights, pipelines); called once before the first generation."""

    def generate(self, request: ImageRequest, on_step: StepSink, cancelled: Cancelled) -> Image.Image:
        """Make one image."""

    def unload(self) -> None:
        """Free memory (GPU included)."""
