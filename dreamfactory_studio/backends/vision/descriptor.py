"""A small image descriptor for the image memory when no CLIP model is at hand.

It is a colour histogram (HSV, 8 x 4 x 4 bins) beside a 16 x 9 greyscale structure map, each L2-normalised
and then weighted 0.6 and 0.4, so the cosine of two descriptors rises with shared palette and layout. It is
not semantic: two frames of the same palette and composition match even if their subjects differ.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from dreamfactory_studio.backends.image.files import open_image

DESCRIPTOR = "hsv-hist-8x4x4+gray-16x9"


def image_descriptor(image: Image.Image | Path) -> np.ndarray:
    """The descriptor of an image, a unit-length float32 vector of 272 values."""
    if not isinstance(image, Image.Image):
        image = open_image(image)
    small = image.convert("RGB").resize((64, 36), Image.Resampling.BILINEAR)
    hsv = np.asarray(small.convert("HSV"), dtype=np.int32).reshape(-1, 3)
    bins = (hsv[:, 0] * 8 // 256) * 16 + (hsv[:, 1] * 4 // 256) * 4 + (hsv[:, 2] * 4 // 256)
    hist = np.bincount(bins, minlength=128).astype(np.float32)
    gray = np.asarray(small.convert("L").resize((16, 9), Image.Resampling.BILINEAR), dtype=np.float32).ravel()
    gray -= gray.mean()
    parts = []
    for part, weight in ((hist, 0.6), (gray, 0.4)):
        norm = float(np.linalg.norm(part))
        parts.append(part / norm * weight if norm else part)
    vector = np.concatenate(parts)
    return (vector / (np.linalg.norm(vector) or 1.0)).astype(np.float32)
