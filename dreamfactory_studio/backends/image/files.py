"""Opening image files, the one way every part of the studio does: a user's (a Base Frame, a keyframe, an
import) and the project's own. Oversized images and anything a decoder refuses become one :class:`BadInput`."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from dreamfactory_studio.core.errors import BackendError, BadInput

if TYPE_CHECKING:
    from PIL import Image

MAX_PIXELS = 64_000_000


@contextlib.contextmanager
def _opened(path: Path | str) -> Iterator[Image.Image]:
    """The image file at ``path``, its header read and its size checked; whatever a decoder refuses, while
    opening or in the ``with`` body, becomes one :class:`BadInput`."""
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
            yield image
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        raise BadInput(
            f"{path} is not an image that can be read ({exc}); use a PNG, JPEG or WebP file."
        ) from None


def open_image(path: Path | str) -> Image.Image:
    """The image at ``path``, decoded as RGB; :class:`BadInput` when it is missing, larger than 64
    megapixels, or not an image a decoder can read."""
    with _opened(path) as image:
        return image.convert("RGB")


def verify_image(path: Path | str) -> None:
    """Check that ``path`` holds an intact image, without decoding its pixels; :class:`BadInput` if not."""
    with _opened(path) as image:
        image.verify()


def read_image_file(path: Path | str) -> bytes:
    """The image at ``path`` re-encoded as PNG bytes; :class:`BadInput` as :func:`open_image` says."""
    buffer = io.BytesIO()
    open_image(path).save(buffer, format="PNG")
    return buffer.getvalue()


def open_reference(path: Path):
    """A reference image for a painter, as RGB; a damaged one is a :class:`BackendError` that says what to do."""
    try:
        return open_image(path)
    except BadInput as exc:
        raise BackendError(
            f"the reference image {path} is damaged or not an image ({exc}); replace or redraw it."
        ) from None
