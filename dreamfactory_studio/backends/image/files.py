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
def _opened(
    path: Path | str, data: bytes | None = None, error: type[Exception] = BadInput
) -> Iterator[Image.Image]:
    """The image file at ``path`` (or in ``data``, ``path`` naming it), its header read and its size checked
    before a pixel is decoded; whatever a decoder refuses, while opening or in the ``with`` body, becomes one
    ``error``."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    if data is None:
        path = Path(path).expanduser()
        if not path.is_file():
            raise error(f"image file {path} does not exist.")
    try:
        with warnings.catch_warnings():
            # Our own limit is lower than Pillow's, and says so in one line instead of a warning.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data) if data is not None else path)
        with opened as image:
            if image.width * image.height > MAX_PIXELS:
                raise error(f"{path} is {image.width}x{image.height}; images over 64 megapixels are refused.")
            yield image
    except Image.DecompressionBombError as exc:
        raise error(f"{path} is larger than 64 megapixels ({exc}); images that large are refused.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise error(
            f"{path} is not an image that can be read ({exc}); use a PNG, JPEG or WebP file."
        ) from None


def decode_image(data: bytes, source: str) -> Image.Image:
    """An image a server sent, decoded as RGB once its size is checked; :class:`BackendError` naming
    ``source`` when it is over 64 megapixels or cannot be read."""
    with _opened(source, data, BackendError) as image:
        return image.convert("RGB")


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
