"""The monitor: a vision backend that describes frames and judges them against the Base Description.

``backend_set.make_monitor`` picks an OpenAI-compatible vision chat model when one is configured, else the offline
describer, which works from the frame's measured facts and the prompt that made it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from dreamfactory_studio.backends.image import FigureFacts


@dataclass(frozen=True)
class FrameContext:
    """What the monitor knows of a frame besides its pixels."""

    scene_number: int
    prompt: str
    script: str
    style: str = ""
    palette: str = ""
    lighting: str = ""
    characters: tuple[FigureFacts, ...] = ()
    place: str = ""
    """Where the scene is (shop, street, deck, ...), as the story reader reads it; for the Base Description,
    every place the story names."""
    time: str = ""


@dataclass(frozen=True)
class Verdict:
    score: float
    reason: str


class Monitor(Protocol):
    label: str

    async def describe_base(self, image: Path, context: FrameContext) -> str:
        """The Base Description: what must never change (style, palette, lighting, characters, places)."""

    async def describe(self, image: Path, context: FrameContext) -> str:
        """A short description of a keyframe, C(t), the next scene's context."""

    async def review_base(self, image: Path, context: FrameContext) -> Verdict:
        """Whether a Base Frame candidate serves the film (score 0 to 1) and what to change if not."""

    async def judge(
        self,
        image: Path,
        base_description: str,
        base_image: Path,
        similarity: float,
        context: FrameContext | None = None,
    ) -> Verdict:
        """How well a keyframe agrees with the Base Description (0 to 1), with the reason; ``context`` says the
        scene's own time of day, place and cast, so a night scene is not drift for being darker."""
