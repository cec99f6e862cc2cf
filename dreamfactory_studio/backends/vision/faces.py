"""Faces found and compared with dlib's face recognition network, when the optional ``faces`` extra is installed
(``dlib-bin`` and ``face_recognition_models``: real weights in the wheel, nothing downloaded at run time).

dlib's frontal face detector finds the faces, its five-point shape predictor aligns them, and its ResNet gives a
128-number descriptor per face; two photos of one person lie within 0.6 of each other. The evaluation's CSFD and
the monitor's likeness check use it when it is there (the CSFD of the DreamFactory paper is a face recognition
distance); without it they fall back to YuNet and CLIP, or to colours.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np

SAME_PERSON = 0.6
"""dlib's distance under which two descriptors are one person."""


def faces_installed() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("dlib", "face_recognition_models"))


def _models_folder() -> Path:
    # face_recognition_models' own helpers import pkg_resources, which new environments lack: find its files.
    spec = importlib.util.find_spec("face_recognition_models")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


class DlibFaces:
    """The largest face of an image: found, cropped, described."""

    name = "dlib face recognition (face_recognition_models)"

    def __init__(self):
        import dlib

        models = _models_folder()
        self._detect = dlib.get_frontal_face_detector()
        self._shape = dlib.shape_predictor(str(models / "shape_predictor_5_face_landmarks.dat"))
        self._describe = dlib.face_recognition_model_v1(
            str(models / "dlib_face_recognition_resnet_model_v1.dat")
        )

    def _largest(self, pixels: np.ndarray):
        found = self._detect(pixels, 1)
        return max(found, key=lambda r: r.width() * r.height()) if len(found) else None

    def crop(self, image):
        """The largest face as a PIL image with a margin, or None."""
        from PIL import Image

        from dreamfactory_studio.backends.image.files import open_image

        picture = open_image(image) if not isinstance(image, Image.Image) else image.convert("RGB")
        face = self._largest(np.asarray(picture))
        if face is None:
            return None
        margin = int(0.25 * max(face.width(), face.height()))
        return picture.crop(
            (
                max(0, face.left() - margin),
                max(0, face.top() - margin),
                min(picture.width, face.right() + margin),
                min(picture.height, face.bottom() + margin),
            )
        )

    def vector(self, image) -> np.ndarray | None:
        """The descriptor (128 numbers) of the largest face of a PIL image, or None with no face."""
        pixels = np.ascontiguousarray(np.asarray(image.convert("RGB")))
        face = self._largest(pixels)
        if face is None:
            return None
        return np.asarray(
            self._describe.compute_face_descriptor(pixels, self._shape(pixels, face)), np.float32
        )

    def likeness(self, a, b) -> float | None:
        """How alike the faces of two images are, 0 to 1 (0.4 at dlib's same-person distance), or None when
        either shows no face."""
        first, second = self.vector(a), self.vector(b)
        if first is None or second is None:
            return None
        return float(max(0.0, 1.0 - float(np.linalg.norm(first - second))))


@lru_cache(maxsize=1)
def installed_faces() -> DlibFaces | None:
    """dlib's faces when the extra is installed, else None."""
    return DlibFaces() if faces_installed() else None
