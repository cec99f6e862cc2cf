"""Opening image files, the one way every part of the studio does: a user's (a Base Frame, a keyframe, an
import) and the project's own. Oversized images and anything a decoder refuses become one :class:`BadInput`."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from dreamfactory_studio.core.errors import BadInput

if TYPE_CHECKING:
    from PIL import Image

MAX_PIXELS = 64_000_000


def open_image(path: Path | str, *, mode: str | None = "RGB") -> Image.Image:
    """The image at ``path``, decoded (and converted to ``mode`` unless None); :class:`BadInput` when it is
    missing, larger than 64 megapixels, or not an image a decoder can read."""
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
            return image.convert(mode) if mode else image.copy()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        raise BadInput(
            f"{path} is not an image that can be read ({exc}); use a PNG, JPEG or WebP file."
        ) from None


def read_image_file(path: Path | str) -> bytes:
    """The image at ``path`` re-encoded as PNG bytes; :class:`BadInput` as :func:`open_image` says."""
    buffer = io.BytesIO()
    open_image(path).save(buffer, format="PNG")
    return buffer.getvalue()
