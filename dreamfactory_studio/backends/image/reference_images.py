"""The Keyframe Iteration on an edit model (FLUX.2, Qwen-Image-Edit, FLUX.1 Kontext): the references go to the
pipeline as pictures of their own, in a fixed order that the prompt names, up to as many as the model takes;
a model that takes one picture gets them side by side on one sheet.

The order: for a continuous shot the previous keyframe first (the frame the scene's words edit), then each
present character's sheet, then the Base Frame (the film's style and place). When they are more than the model
takes, the previous frame and the Base Frame are kept before the last characters, and what is left out is said;
the image memory's neighbours are left to the IP-Adapter painters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dreamfactory_studio.backends.image import ImageRequest, Reference
from dreamfactory_studio.backends.image.files import open_reference

if TYPE_CHECKING:
    from PIL import Image

SHEET_PICTURES = 4
"""The most references laid side by side on one sheet, for a model that takes one picture."""


@dataclass
class Pictures:
    """What an edit model is given: the pictures, the prompt's words that name them, what was left out."""

    images: list[Image.Image] = field(default_factory=list)
    used: list[Reference] = field(default_factory=list)
    naming: str = ""
    left_out: list[Reference] = field(default_factory=list)


def called(reference: Reference) -> str:
    """What a reference picture is, in a few words: "Tomas's character sheet", "the Base Frame"."""
    if reference.kind == "identity":
        return f"{reference.name or 'a character'}'s character sheet"
    return "the Base Frame" if reference.kind == "style" else "the previous frame"


def what_it_is(reference: Reference) -> str:
    """What a reference picture is and what the model should take from it, as the prompt says it."""
    use = {"style": ": keep its style, light and place", "continuity": ": continue from it"}
    return called(reference) + use.get(reference.kind, "")


def pictures(request: ImageRequest, limit: int) -> Pictures:
    """The request's references as an edit model of ``limit`` pictures takes them."""
    continuity = request.of_kind("continuity")[:1] if request.continuous else []
    style, cast = request.of_kind("style")[:1], request.of_kind("identity")
    room = limit if limit > 1 else SHEET_PICTURES
    # Kept first: the frame a continuous shot edits, then the Base Frame, then the cast in the scene's order.
    kept = (continuity + style + cast)[:room]
    made = Pictures(
        used=[r for r in continuity + cast + style if r in kept],
        left_out=[r for r in continuity + cast + style if r not in kept],
    )
    # At most the frame's size: a pipeline attends over every reference's pixels, and a larger one adds only time.
    images = [_fitted(open_reference(r.path), request.width, request.height) for r in made.used]
    if limit > 1:
        made.images = images
        made.naming = " ".join(f"Picture {n} is {what_it_is(r)}." for n, r in enumerate(made.used, 1))
    elif images:
        made.images = [_side_by_side(images)]
        made.naming = (
            "The picture shows, from left to right: " + "; ".join(what_it_is(r) for r in made.used) + "."
        )
    return made


SMALLEST = 64
"""The shortest side a reference picture may have (FLUX.2 refuses smaller)."""


def _fitted(image: Image.Image, width: int, height: int) -> Image.Image:
    """``image`` shrunk to about the frame's area, its shortest side at least :data:`SMALLEST` (enlarged only
    for that)."""
    scale = min(1.0, (width * height / (image.width * image.height)) ** 0.5)
    scale = max(scale, SMALLEST / min(image.width, image.height))
    if scale == 1.0:
        return image
    return image.resize((round(image.width * scale), round(image.height * scale)))


def _side_by_side(images: list[Image.Image]) -> Image.Image:
    """One sheet of the pictures in a row, each scaled to the same height."""
    from PIL import Image

    height = max(image.height for image in images)
    scaled = [image.resize((max(1, round(image.width * height / image.height)), height)) for image in images]
    sheet = Image.new("RGB", (sum(image.width for image in scaled), height), "white")
    left = 0
    for image in scaled:
        sheet.paste(image, (left, 0))
        left += image.width
    return sheet
