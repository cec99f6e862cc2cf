"""A take and how it was made: the boxes of the frame, the references and LoRAs it used, its recipe."""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePosixPath
from typing import Annotated, Literal

from pydantic import Field, model_validator

from dreamfactory_studio.core.model_base import AssetPath, _Model, new_id, now

Fraction = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
MIN_BOX = 0.02
"""The smallest side of a layout box, as a fraction of the frame."""


class Box(_Model):
    """A region of the frame as fractions of its width and height: left, top, right, bottom, all 0 to 1."""

    left: Fraction
    top: Fraction
    right: Fraction
    bottom: Fraction

    @model_validator(mode="after")
    def _has_area(self) -> Box:
        if self.right - self.left < MIN_BOX or self.bottom - self.top < MIN_BOX:
            raise ValueError(
                f"a layout box needs right > left and bottom > top by at least {MIN_BOX:g} of the frame"
            )
        return self

    def pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        """The box in pixels of a ``width`` x ``height`` frame, at least one pixel each way."""
        left, top = int(self.left * width), int(self.top * height)
        return (
            min(left, width - 1),
            min(top, height - 1),
            max(left + 1, round(self.right * width)),
            max(top + 1, round(self.bottom * height)),
        )


class Placement(_Model):
    """Where a character stands in a scene's frame (the art director's layout, or the user's)."""

    character: str = Field(description="the character's id")
    box: Box


class Lora(_Model):
    """A character's LoRA: a ``.safetensors`` file on the user's disk, its trigger word and its weight."""

    file: str = Field(min_length=1)
    trigger: str = ""
    weight: float = Field(default=0.8, ge=-2.0, le=2.0, allow_inf_nan=False)


class UsedReference(_Model):
    """One reference image as a take used it: what it stood for and how strongly it was applied."""

    kind: Literal["style", "identity", "continuity", "memory"]
    image: AssetPath
    character: str = Field(default="", description="identity: the character's id")
    box: Box | None = Field(default=None, description="identity: the mask the reference was held to")
    scale: float = 0.0


class UsedLora(_Model):
    file: str
    weight: float
    trigger: str = ""
    character: str = ""


class Redrawn(_Model):
    """What a region redrawn in place was made from, so it can be drawn again exactly."""

    source: str = Field(description="the take whose region was redrawn (it is kept as it was)")
    box: Box
    character: str = Field(default="", description="the character whose sheet held the region, if any")
    prompt: str = Field(default="", description="what the user asked to change, if anything")


class Recipe(_Model):
    """How a take was conditioned, so it can be made again: references, masks, LoRAs, scales, fallbacks."""

    mode: Literal["text-to-image", "image-to-image", "edit", "inpaint"] = Field(
        default="text-to-image",
        description="edit: an edit model given the references as pictures, in order; inpaint: a region redrawn",
    )
    references: list[UsedReference] = Field(default_factory=list)
    loras: list[UsedLora] = Field(default_factory=list)
    strength: float | None = Field(default=None, description="image-to-image: how far from the start image")
    prompt_tokens: int = Field(default=0, ge=0, description="the prompt's length in the encoder's tokens")
    prompt_chunks: int = Field(default=1, ge=1, description="how many encoder windows the prompt filled")
    region: Redrawn | None = Field(default=None, description="a region redrawn in place of another take")
    steps: int = Field(default=0, ge=0, description="diffusion steps (0: not recorded)")
    guidance: float | None = Field(default=None, description="the guidance scale as the model took it")
    notes: list[str] = Field(default_factory=list, description="fallbacks taken, in words")

    def summary(self, names: dict[str, str]) -> str:
        """How the take was made, in one line: mode, references with scales, LoRAs, prompt length, fallbacks
        (``names``: character id -> name)."""
        used = ", ".join(
            f"{r.kind}{' ' + names.get(r.character, r.character) if r.character else ''} x{r.scale:g}"
            for r in self.references
        )
        loras = ", ".join(f"{PurePosixPath(lora.file).name} x{lora.weight:g}" for lora in self.loras)
        parts = [self.mode, f"references: {used or 'none used'}"]
        if self.region:
            box = self.region.box
            parts.append(
                f"redrew {box.left:g},{box.top:g},{box.right:g},{box.bottom:g} of take {self.region.source}"
            )
        if loras:
            parts.append(f"LoRAs: {loras}")
        if self.steps:
            parts.append(
                f"{self.steps} steps, guidance {self.guidance:g}"
                if self.guidance is not None
                else f"{self.steps} steps"
            )
        if self.prompt_tokens:
            parts.append(f"prompt {self.prompt_tokens} tokens in {self.prompt_chunks} window(s)")
        return "; ".join(parts + self.notes)


class Take(_Model):
    """One generated (or imported) image for a scene, with everything needed to make it again."""

    id: str = Field(default_factory=lambda: new_id("take"))
    image: AssetPath
    seed: int
    prompt: str
    negative_prompt: str = ""
    backend: str
    model: str = ""
    references: list[AssetPath] = Field(default_factory=list)
    recipe: Recipe | None = None
    score: float | None = Field(default=None, ge=0.0, le=1.0)
    score_reason: str = ""
    identity: dict[str, Fraction] = Field(
        default_factory=dict, description="character id -> how like their sheet they are drawn (0 to 1)"
    )
    created: datetime = Field(default_factory=now)
