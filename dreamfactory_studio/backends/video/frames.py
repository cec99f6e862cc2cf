"""A model's frames made into the export's: spread over the clip's length and fitted to the export size."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from dreamfactory_studio.backends.video.camera_move import cover


def retime(frames: np.ndarray, count: int) -> Iterator[np.ndarray]:
    """``count`` frames spread evenly over ``frames``, each blended from its two nearest neighbours."""
    last = len(frames) - 1
    for index in range(count):
        position = index * last / max(1, count - 1)
        low = int(position)
        high = min(last, low + 1)
        weight = position - low
        yield frames[low] if weight < 1e-6 else frames[low] * (1 - weight) + frames[high] * weight


def fit(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """The frame cropped to the export's aspect and scaled to its size."""
    import cv2

    image = cover(image, width, height)
    if image.shape[:2] == (height, width):
        return image
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_CUBIC)
