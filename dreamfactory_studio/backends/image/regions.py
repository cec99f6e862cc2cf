"""A region redrawn in place: its mask, and the new picture laid into the source so that every pixel outside
the region is the source's, the new one blending in over a few pixels inside the region's edge."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dreamfactory_studio.core.model import Box

if TYPE_CHECKING:
    from PIL import Image

FEATHER = 6
"""Pixels inside the region's edge over which the new picture fades into the source."""
CONTEXT = 32
"""Pixels around the region a pipeline with ``padding_mask_crop`` sees of the source: the box and its
surroundings are drawn at the frame's full resolution."""


def mask_of(box: Box, width: int, height: int, feather: int = 0) -> Image.Image:
    """The region as a mask of the frame's size: white inside, black outside; ``feather`` fades its inner edge."""
    from PIL import Image, ImageDraw, ImageFilter

    left, top, right, bottom = box.pixels(width, height)
    mask = Image.new("L", (width, height), 0)
    inset = min(feather, (right - left) // 4, (bottom - top) // 4)
    ImageDraw.Draw(mask).rectangle(
        [left + inset, top + inset, right - 1 - inset, bottom - 1 - inset], fill=255
    )
    if inset > 0:
        mask = mask.filter(ImageFilter.GaussianBlur(inset / 2))
        # the blur spreads outwards too: nothing past the region's edge may change
        outside = Image.new("L", (width, height), 0)
        ImageDraw.Draw(outside).rectangle([left, top, right - 1, bottom - 1], fill=255)
        mask = Image.composite(mask, outside, outside)
    return mask


def laid_in(source: Image.Image, drawn: Image.Image, box: Box) -> Image.Image:
    """``drawn`` inside ``box`` over ``source`` (at the source's size): the pixels outside the box are the
    source's exactly."""
    from PIL import Image

    source = source.convert("RGB")
    if drawn.size != source.size:
        drawn = drawn.resize(source.size)
    return Image.composite(drawn.convert("RGB"), source, mask_of(box, *source.size, feather=FEATHER))
