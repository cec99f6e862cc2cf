"""The offline clip: a slow pan, tilt or zoom over the keyframe, rendered with OpenCV at the export size.

The move is chosen from the camera direction, then the shot type, then the scene's action. Each frame is one
affine warp of the keyframe with a sub-pixel offset along an eased path, so the motion is smooth (no rounding
to whole pixels, no jitter) and starts and ends gently.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dreamfactory_studio.backends.image import Cancelled, GenerationCancelled, StepSink
from dreamfactory_studio.backends.video import ENDS_FREE, ClipRequest
from dreamfactory_studio.backends.video.ffmpeg import FrameWriter

RENDER_VERSION = "camera-1"


@dataclass(frozen=True)
class Move:
    """A camera move: ``kind`` is push_in, pull_out, pan_left, pan_right, tilt_up, tilt_down or drift."""

    kind: str
    amount: float = 1.0


_CAMERA_WORDS = [
    (r"push(es|ing)? in|dolly in|zoom(s|ing)? in|move in|close in|creep", "push_in"),
    (r"pull(s|ing)? (back|out)|zoom(s|ing)? out|dolly (back|out)|widen|reveal", "pull_out"),
    (r"pan(s|ning)? left|left to right", "pan_left"),
    (r"pan(s|ning)? right|right to left|\bpan\b|pans|panning", "pan_right"),
    (r"tilt(s|ing)? up|crane up|boom up|rise|rising", "tilt_up"),
    (r"tilt(s|ing)? down|crane down|boom down|descend", "tilt_down"),
    (r"static|locked|still|fixed", "drift"),
]
_ACTION_WORDS = [
    (
        r"\b(runs?|racing|races|chases?|flees|drives?|sails?|rides?|walks?|follows?|carr(y|ies)|rolls?|drifts?)\b",
        "pan",
    ),
    (r"\b(looks? up|climbs?|rises|lifts?|soars?|flies)\b", "tilt_up"),
    (r"\b(falls?|sinks?|looks? down|kneels?|drops?)\b", "tilt_down"),
]


def choose_move(shot: str, camera: str, action: str, number: int = 1) -> Move:
    """The move for a scene: what the camera direction says, else what suits the shot, else the action."""
    camera_text, shot_text = camera.lower(), shot.lower()
    side = "pan_right" if number % 2 else "pan_left"
    if re.search(r"track|follow|dolly", camera_text) and not re.search(r"dolly (in|out|back)", camera_text):
        return Move(side, 1.0)
    for pattern, kind in _CAMERA_WORDS:
        if re.search(pattern, camera_text):
            slow = 0.7 if "slow" in camera_text else 1.0
            return Move(kind, 0.5 if kind == "drift" else slow)
    if re.search(r"close|insert|detail", shot_text):
        return Move("push_in", 0.8)
    if re.search(r"wide|establishing|long|aerial|extreme", shot_text):
        return Move(side, 0.8)
    for pattern, kind in _ACTION_WORDS:
        if re.search(pattern, action.lower()):
            return Move(side if kind == "pan" else kind, 0.8)
    return Move("drift", 1.0)


def ease(t: float) -> float:
    """Smooth start and stop: a half cosine from 0 to 1."""
    return 0.5 - 0.5 * math.cos(math.pi * min(1.0, max(0.0, t)))


def _path(move: Move, p: float) -> tuple[float, float, float]:
    """Zoom (>= 1) and the view's centre offset in units of the slack, at eased progress ``p``."""
    a = move.amount
    if move.kind == "push_in":
        return 1.0 + 0.16 * a * p, 0.0, 0.0
    if move.kind == "pull_out":
        return 1.0 + 0.16 * a * (1 - p), 0.0, 0.0
    zoom = 1.0 + 0.14 * a
    travel = 2 * p - 1  # -1 .. 1 of the slack the zoom leaves
    if move.kind == "pan_right":
        return zoom, travel, 0.0
    if move.kind == "pan_left":
        return zoom, -travel, 0.0
    if move.kind == "tilt_up":
        return zoom, 0.0, -travel
    if move.kind == "tilt_down":
        return zoom, 0.0, travel
    return 1.02 + 0.05 * a * p, 0.25 * a * travel, 0.0  # drift: a slow creep that keeps a still frame alive


def view_at(move: Move, t: float) -> tuple[float, float, float]:
    """The camera's view at progress ``t`` (0..1): its zoom (1 or more) and its centre as fractions of the
    picture's width and height. The animatic draws the same move with it."""
    zoom, dx, dy = _path(move, ease(t))
    slack = (1 - 1 / zoom) / 2
    return zoom, 0.5 + dx * slack, 0.5 + dy * slack


def load_rgb(path) -> np.ndarray:
    """An image file as an RGB uint8 array; raises ``ValueError`` when it is not a readable image."""
    import cv2

    data = np.fromfile(str(path), dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise ValueError(f"{path} is not a readable image")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def cover(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """The image cropped to the output's aspect (centred) and, when much larger, reduced with area averaging."""
    import cv2

    h, w = image.shape[:2]
    target = width / height
    if w / h > target:
        crop = round(h * target)
        image = image[:, (w - crop) // 2 : (w - crop) // 2 + crop]
    else:
        crop = round(w / target)
        image = image[(h - crop) // 2 : (h - crop) // 2 + crop]
    limit = 1.4  # keep enough pixels for the zoom, no more
    if image.shape[1] > width * limit:
        size = (round(width * limit), round(height * limit))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(image)


def frame_at(source: np.ndarray, move: Move, t: float, width: int, height: int) -> np.ndarray:
    """The frame at progress ``t`` (0..1) of ``move`` over ``source`` (already cropped to the aspect)."""
    import cv2

    zoom, fx, fy = view_at(move, t)
    sh, sw = source.shape[:2]
    view_w, view_h = sw / zoom, sh / zoom
    cx, cy = fx * sw, fy * sh
    sx, sy = view_w / width, view_h / height
    # Maps output pixel centres to source coordinates (inverse map), in floating point: sub-pixel motion.
    matrix = np.array(
        [[sx, 0.0, cx - view_w / 2 + 0.5 * sx - 0.5], [0.0, sy, cy - view_h / 2 + 0.5 * sy - 0.5]],
        dtype=np.float64,
    )
    return cv2.warpAffine(
        source,
        matrix,
        (width, height),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REFLECT,
    )


class CameraMove:
    """Clips made offline by moving a virtual camera over the keyframe."""

    label = "camera move"

    def signature(self, request: ClipRequest) -> str:
        move = choose_move(request.shot, request.camera, request.action, request.number)
        return f"{RENDER_VERSION}:{move.kind}:{move.amount}"

    def load(self, on_progress: Callable[[str], None]) -> None:
        return None

    def unload(self) -> None:
        return None

    def generate(self, request: ClipRequest, on_step: StepSink, cancelled: Cancelled) -> list[str]:
        source = cover(load_rgb(request.image), request.width, request.height)
        move = choose_move(request.shot, request.camera, request.action, request.number)
        total = request.frame_count
        with FrameWriter(request.output, request.width, request.height, request.fps) as writer:
            for index in range(total):
                if cancelled():
                    raise GenerationCancelled("the clip was cancelled")
                writer.write(frame_at(source, move, index / max(1, total - 1), request.width, request.height))
                if index % 12 == 11 or index == total - 1:
                    on_step(index + 1, total)
        return [ENDS_FREE.format("the camera move")] if request.last_image else []
