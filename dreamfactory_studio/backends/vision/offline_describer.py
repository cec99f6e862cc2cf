"""The offline monitor: descriptions and judgements from facts measured on the image, no network, no model.

Measured: the dominant palette (k-means in OpenCV on a downsampled frame), brightness, contrast and where the
frame's visual weight sits. The descriptions join those facts to what the frame was asked to show (its
prompt, style and characters). Agreement with the Base Description is scored from the palette distance to the
Base Frame (in Lab), the brightness difference and the image memory's similarity.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from dreamfactory_studio.backends.vision import FrameContext, Verdict
from dreamfactory_studio.core.errors import BackendError

NAMES = {
    "black": (30, 30, 32),
    "charcoal": (70, 70, 76),
    "grey": (140, 140, 140),
    "silver": (196, 196, 200),
    "white": (240, 240, 236),
    "cream": (244, 236, 214),
    "beige": (214, 200, 176),
    "brown": (128, 88, 58),
    "ochre": (200, 150, 70),
    "orange": (230, 130, 50),
    "red": (196, 58, 48),
    "maroon": (110, 30, 40),
    "pink": (232, 142, 170),
    "magenta": (200, 50, 160),
    "purple": (120, 70, 150),
    "navy": (30, 45, 100),
    "blue": (62, 104, 182),
    "sky blue": (126, 170, 210),
    "slate blue": (84, 124, 156),
    "teal": (40, 130, 130),
    "green": (82, 150, 82),
    "olive": (120, 130, 60),
    "sage": (150, 170, 140),
    "yellow": (236, 196, 64),
    "gold": (210, 170, 60),
    "skin": (236, 204, 172),
}


@dataclass(frozen=True)
class ImageFacts:
    palette: tuple[tuple[tuple[int, int, int], float], ...]
    brightness: float
    contrast: float
    weight_x: float
    weight_y: float


def _load(path: Path):
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise BackendError(
            f"the image {path} cannot be read (missing or not an image); regenerate that take."
        )
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def measure(path: Path) -> ImageFacts:
    """The facts the offline monitor works from, measured once per file version (the Base Frame is judged
    against every keyframe, and a judged frame is described right after)."""
    stat = Path(path).stat() if Path(path).exists() else None
    return _measure(str(path), stat.st_mtime_ns if stat else 0, stat.st_size if stat else 0)


@lru_cache(maxsize=256)
def _measure(path: str, mtime_ns: int, size: int, clusters: int = 5) -> ImageFacts:
    import cv2

    rgb = _load(Path(path))
    small = cv2.resize(rgb, (64, 36), interpolation=cv2.INTER_AREA)
    samples = small.reshape(-1, 3).astype(np.float32)
    cv2.setRNGSeed(0)  # k-means++ seeding: the same frame always gives the same palette
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1.0)
    _, labels, centres = cv2.kmeans(samples, clusters, None, criteria, 2, cv2.KMEANS_PP_CENTERS)
    shares = np.bincount(labels.ravel(), minlength=clusters) / len(labels)
    order = np.argsort(-shares)
    palette = tuple((tuple(int(c) for c in centres[i]), float(shares[i])) for i in order if shares[i] > 0)
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    edges = np.abs(np.diff(gray, axis=1))[:-1, :] + np.abs(np.diff(gray, axis=0))[:, :-1]
    total = float(edges.sum()) or 1.0
    ys, xs = np.mgrid[0 : edges.shape[0], 0 : edges.shape[1]]
    return ImageFacts(
        palette=palette,
        brightness=float(gray.mean()),
        contrast=float(gray.std()),
        weight_x=float((edges * xs).sum() / total / max(1, edges.shape[1] - 1)),
        weight_y=float((edges * ys).sum() / total / max(1, edges.shape[0] - 1)),
    )


def colour_name(rgb: tuple[int, int, int]) -> str:
    return min(NAMES, key=lambda name: sum((a - b) ** 2 for a, b in zip(NAMES[name], rgb, strict=True)))


def _lab(rgb: tuple[int, int, int]) -> np.ndarray:
    import cv2

    pixel = np.array([[rgb]], dtype=np.uint8)
    return cv2.cvtColor(pixel, cv2.COLOR_RGB2LAB).astype(np.float32)[0, 0] * np.array([100 / 255, 1, 1])


def palette_distance(a: ImageFacts, b: ImageFacts, lightness: bool = True) -> float:
    """Share-weighted mean distance (Lab, roughly delta E) from each colour of ``a`` to the nearest of ``b``;
    without ``lightness``, of their hue and chroma only (a*, b*), as a scene lit for another hour is."""
    keep = slice(0, 3) if lightness else slice(1, 3)
    labs_b = [_lab(c)[keep] for c, _ in b.palette]
    return float(
        sum(share * min(np.linalg.norm(_lab(c)[keep] - lb) for lb in labs_b) for c, share in a.palette)
    )


HOUR_LIGHT = {"night": (0.0, 0.42), "dusk": (0.12, 0.62), "evening": (0.12, 0.62), "dawn": (0.15, 0.7)}
"""The brightness a frame of each hour should have (mean grey, 0 to 1); a day scene is held to the Base
Frame's."""


def _palette_words(facts: ImageFacts) -> str:
    named: dict[str, float] = {}
    for colour, share in facts.palette:
        name = colour_name(colour)
        named[name] = named.get(name, 0.0) + share
    return ", ".join(f"{name} ({share:.0%})" for name, share in sorted(named.items(), key=lambda kv: -kv[1]))


def _light_words(facts: ImageFacts) -> str:
    level = "bright" if facts.brightness > 0.66 else "dim" if facts.brightness < 0.33 else "mid-toned"
    contrast = (
        "high contrast"
        if facts.contrast > 0.28
        else "soft contrast"
        if facts.contrast < 0.12
        else "moderate contrast"
    )
    return f"{level}, {contrast}"


def _composition(facts: ImageFacts) -> str:
    horizontal = "left" if facts.weight_x < 0.42 else "right" if facts.weight_x > 0.58 else "centre"
    vertical = "upper" if facts.weight_y < 0.42 else "lower" if facts.weight_y > 0.58 else "middle"
    return f"the visual weight sits {vertical} {horizontal}"


def _cast(context: FrameContext) -> str:
    return "; ".join(f"{c.name}: {c.description}" if c.description else c.name for c in context.characters)


class OfflineDescriber:
    """The monitor without a model: measured facts plus the frame's own prompt."""

    label = "offline describer"

    async def describe_base(self, image: Path, context: FrameContext) -> str:
        facts = await asyncio.to_thread(measure, image)
        lines = [
            f"Style: {context.style or 'as in the Base Frame'}"
            + (f"; palette {context.palette}" if context.palette else "")
            + ".",
            f"Measured palette: {_palette_words(facts)}.",
            f"Lighting: {context.lighting + '; ' if context.lighting else ''}{_light_words(facts)}.",
        ]
        if context.characters:
            lines.append(f"Characters, each the same wherever they appear: {_cast(context)}.")
        lines.append(f"Places: {context.place or 'as in the Base Frame'}.")
        return "\n".join(lines)

    async def describe(self, image: Path, context: FrameContext) -> str:
        facts = await asyncio.to_thread(measure, image)
        cast = f" Characters: {', '.join(c.name for c in context.characters)}." if context.characters else ""
        return (
            f"Scene {context.scene_number}: {context.script[:220]}{cast} Palette {_palette_words(facts)}; "
            f"{_light_words(facts)}; {_composition(facts)}."
        )

    async def review_base(self, image: Path, context: FrameContext) -> Verdict:
        facts = await asyncio.to_thread(measure, image)
        problems = []
        if facts.brightness < 0.12:
            problems.append("it is too dark to read; ask for brighter lighting")
        if facts.brightness > 0.95:
            problems.append("it is washed out; ask for deeper tones")
        if facts.contrast < 0.04:
            problems.append("it is almost flat; ask for clearer shapes")
        score = max(0.0, 1.0 - 0.4 * len(problems))
        reason = (
            "; ".join(problems) or f"a clear frame: {_light_words(facts)}, palette {_palette_words(facts)}"
        )
        return Verdict(round(score, 3), reason)

    async def judge(
        self,
        image: Path,
        base_description: str,
        base_image: Path,
        similarity: float,
        context: FrameContext | None = None,
    ) -> Verdict:
        """The palette's distance to the Base Frame, the light and the image memory's similarity. A scene at
        night, dusk or dawn is held to its own hour: its colours are compared without their lightness, and its
        brightness to what that hour should look like, so a correct evening scene is not drift."""
        facts, base = await asyncio.to_thread(lambda: (measure(image), measure(base_image)))
        hour = HOUR_LIGHT.get(context.time if context else "")
        distance = palette_distance(facts, base, lightness=hour is None)
        palette_score = math.exp(-distance / 30.0)
        if hour is None:
            light_score = max(0.0, 1.0 - 2.5 * abs(facts.brightness - base.brightness))
            light = f"brightness {facts.brightness:.2f} against {base.brightness:.2f}"
        else:
            low, high = hour
            off = max(0.0, low - facts.brightness, facts.brightness - high)
            light_score = max(0.0, 1.0 - 2.5 * off)
            light = (
                f"brightness {facts.brightness:.2f}, {'right' if off == 0 else 'wrong'} for {context.time}"
            )
        score = 0.45 * palette_score + 0.2 * light_score + 0.35 * max(0.0, similarity)
        verdict = "close to" if score >= 0.7 else "near" if score >= 0.5 else "drifting from"
        return Verdict(
            round(float(score), 3),
            f"{verdict} the Base Frame: palette delta E {distance:.0f}, {light}, memory similarity {similarity:.2f}",
        )
