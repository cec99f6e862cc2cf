"""Image backends behind one protocol: text-to-image, image-to-image with a strength, reference conditioning.

A backend is synchronous and runs on the GPU worker thread: ``load`` once, ``generate`` per take, ``unload`` on
request. ``generate`` reports each step through ``on_step`` and stops at the next step once ``cancelled()``
is true, raising :class:`GenerationCancelled`; no half image is ever returned. It answers a :class:`Drawn`: the
image and how it was conditioned (which references at which scale, which LoRAs, the fallbacks it took), which
the take records.

References are typed (:class:`Reference`): the Base Frame carries the style, a character's sheet their identity
(held to their layout box), K(t-1) continuity and the image memory's neighbours the film's look. A backend uses
each as it can and says so in the :class:`Drawn`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from dreamfactory_studio.core.errors import StudioError
from dreamfactory_studio.core.model import Box

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
    narration: str
    script: str
    shot: str = "medium"
    camera: str = ""
    style: str = "illustration"
    palette: str = ""
    lighting: str = ""
    characters: tuple[FigureFacts, ...] = ()
    boxes: tuple[Box | None, ...] = ()
    """Where each character stands (the scene's layout), in the order of ``characters``."""
    base_description: str = ""
    place: str = ""
    """Where the scene is (shop, street, deck, ...), carried over from the scene before when it names none."""
    time: str = ""
    """The time of day: dawn, morning, afternoon, dusk, evening, night."""
    sheet: bool = False
    """A character sheet: the first character full figure on a neutral ground, no scene around them."""


ReferenceKind = Literal["style", "identity", "continuity", "memory"]


@dataclass(frozen=True)
class Reference:
    """A reference image and what it stands for; ``asset`` is the project's name for it, handed back."""

    kind: ReferenceKind
    path: Path
    asset: str = ""
    character: str = ""
    box: Box | None = None
    name: str = ""
    """Whom an identity reference shows, for a painter whose prompt names its pictures."""


@dataclass(frozen=True)
class Region:
    """A region of an existing picture to draw again in place: the rest of the picture is kept."""

    source: Path
    """The picture whose region is redrawn (the source take's image)."""
    box: Box


@dataclass(frozen=True)
class LoraWeights:
    """A character's LoRA for one take."""

    path: Path
    weight: float = 0.8
    trigger: str = ""
    character: str = ""


@dataclass
class ImageRequest:
    prompt: str
    seed: int
    width: int = 1024
    height: int = 576
    negative_prompt: str = ""
    steps: int = 0
    """0: the painter's setting, else its model's own."""
    guidance: float = 0.0
    """0: the painter's setting, else its model's own."""
    references: list[Reference] = field(default_factory=list)
    loras: list[LoraWeights] = field(default_factory=list)
    strength: float = 0.6
    continuous: bool = False
    """A continuous shot: start from the continuity reference (image-to-image at ``strength``)."""
    facts: PanelFacts | None = None
    region: Region | None = None
    """Redraw only this region of a picture (inpainting); the painter draws the whole frame, and the take keeps
    the source's pixels outside the region (:mod:`.regions`)."""

    def of_kind(self, kind: ReferenceKind) -> list[Reference]:
        return [r for r in self.references if r.kind == kind]


@dataclass
class Drawn:
    """An image and how it was made: the references used with their scales, the LoRAs, the fallbacks."""

    image: Image.Image
    used: list[tuple[Reference, float]] = field(default_factory=list)
    loras: list[LoraWeights] = field(default_factory=list)
    mode: Literal["text-to-image", "image-to-image", "edit", "inpaint"] = "text-to-image"
    strength: float | None = None
    prompt_tokens: int = 0
    prompt_chunks: int = 1
    notes: list[str] = field(default_factory=list)
    steps: int = 0
    guidance: float | None = None


class ImageBackend(Protocol):
    label: str
    model_id: str
    prompt_budget: int | None
    """Tokens the text encoder reads in one window (CLIP: 75 besides its start and end); None: no known limit."""

    def load(self, on_progress: Callable[[str], None]) -> None:
        """Load what the backend needs (weights, pipelines); called once before the first generation."""

    def generate(self, request: ImageRequest, on_step: StepSink, cancelled: Cancelled) -> Drawn:
        """Make one image."""

    def unload(self) -> None:
        """Free memory (GPU included)."""
