"""How like their character sheet a character is drawn in a frame.

The character is found by their layout box (the whole frame when they are alone in it) and the crop is
compared with their sheet: by face recognition when dlib's faces are installed and both show a face
(:mod:`.faces`), else by the cosine of CLIP image features when a CLIP model is configured, else by how
much of the colours that set the character apart from the rest of the cast the crop holds. Those are the hue and saturation bins of the sheet's coloured pixels
(its neutral ground and the ink fall out), which follow clothing, skin and hair; each counts as present when at
least :data:`PRESENT` of the crop has it, since the scene around the character fills the rest. 0 to 1.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from dreamfactory_studio.backends.image.files import open_image
from dreamfactory_studio.backends.vision.clip_embedder import ClipEmbedder
from dreamfactory_studio.core.model import Box

HUES, SATURATIONS = 36, 2
COLOURED = 20
"""The saturation (of 255) above which a pixel counts as coloured: low, so that fog or haze over a figure
still shows its colours."""
PRESENT = 0.005
"""The share of a crop a colour of the sheet must cover to count as there."""
COMMON = 0.15
"""The share of a frame past which a colour is the scene's, not a character's."""


def colour_shares(image) -> np.ndarray:
    """The share of all pixels in each hue and saturation bin of coloured pixels (greys, near-black left out)."""
    small = image.convert("RGB").resize((96, 96))
    hsv = np.asarray(small.convert("HSV"), dtype=np.int32).reshape(-1, 3)
    coloured = hsv[(hsv[:, 1] > COLOURED) & (hsv[:, 2] > 40)]
    bins = (coloured[:, 0] * HUES // 256) * SATURATIONS + (coloured[:, 1] - COLOURED - 1) * SATURATIONS // (
        255 - COLOURED
    )
    return np.bincount(bins, minlength=HUES * SATURATIONS).astype(np.float32) / len(hsv)


@lru_cache(maxsize=64)
def _file_shares(path: str, mtime_ns: int) -> np.ndarray:
    return colour_shares(open_image(Path(path)))


def sheet_shares(path: Path) -> np.ndarray:
    """A sheet file's colour shares, read once per file (every take compares its frame with the whole cast)."""
    return _file_shares(str(path), Path(path).stat().st_mtime_ns)


def _shares(image_or_shares) -> np.ndarray:
    return image_or_shares if isinstance(image_or_shares, np.ndarray) else colour_shares(image_or_shares)


def colour_likeness(crop, sheet, frame=None, others=()) -> float:
    """How much of the sheet's own colour (by share of its coloured pixels) the crop holds.

    Only what sets the character apart counts: a colour the ``others`` (the rest of the cast's sheets) have as
    much of (skin, say) tells nobody apart, and a colour that fills much of the whole ``frame`` (a blue sky
    against a blue scarf) is the scene's, counting less the more of the frame it covers and not at all past
    :data:`COMMON`. A sheet with nothing of its own is compared by all its colours. ``sheet`` and ``others``
    are images or their :func:`colour_shares`."""
    own = _shares(sheet)
    wanted = np.clip(own - np.max([_shares(o) for o in others], axis=0), 0.0, None) if others else own
    if frame is not None:
        wanted = wanted * np.clip(1.0 - colour_shares(frame) / COMMON, 0.0, 1.0)
    if float(wanted.sum()) == 0:
        wanted = own
    total = float(wanted.sum())
    if total == 0:
        return 0.0
    found = np.minimum(colour_shares(crop) / PRESENT, 1.0)
    return float((wanted / total) @ found)


def identity_score(
    frame: Path,
    box: Box | None,
    sheet: Path,
    embedder: ClipEmbedder | None = None,
    faces=None,
    others: tuple[Path, ...] = (),
) -> float:
    """How like ``sheet`` the region ``box`` of ``frame`` is (the whole frame with no box), 0 to 1; ``others``
    are the rest of the cast's sheets, against which the colours are told apart."""
    whole = open_image(frame)
    image = whole.crop(box.pixels(*whole.size)) if box is not None else whole
    if faces is not None and (likeness := faces.likeness(image, open_image(sheet))) is not None:
        return likeness
    if embedder is None:
        return colour_likeness(image, sheet_shares(sheet), whole, [sheet_shares(o) for o in others])
    return float(min(1.0, max(0.0, embedder.picture(image) @ embedder.picture(open_image(sheet)))))
