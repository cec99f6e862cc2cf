"""Reading image files a user brings in (a Base Frame, a keyframe), refusing what is not an image."""

from __future__ import annotations

import io
from pathlib import Path

from dreamfactory_studio.core.errors import BadInput

MAX_PIXELS = 64_000_000


def read_image_file(path: Path | str) -> bytes:
    """The image at ``path`` re-encoded as PNG bytes; :class:`BadInput` when it is missing or not an image."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path).expanduser()
    if not path.is_file():
        raise BadInput(f"image file {path} does not exist.")
    try:
        with Image.open(path) as image:
            if image.width * image.height > MAX_PIXELS:
                raise BadInput(
                    f"{path} is {image.width}x{image.height}; images over 64 megapixels are refused."
                )
            image.load()
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, format="PNG")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise BadInput(
            f"{path} is not an image that can be read ({exc}); use a PNG, JPEG or WebP file."
        ) from None
    return buffer.getvalue()
