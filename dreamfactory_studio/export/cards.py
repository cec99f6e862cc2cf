"""Pictures the export draws itself: title and end cards, and burned-in subtitles."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from dreamfactory_studio.backends.lettering import font, wrap

CARD_BACKGROUND = (14, 16, 22)
CARD_TEXT = (236, 232, 220)


def card_frame(text: str, width: int, height: int, *, note: str = "") -> np.ndarray:
    """A dark card with ``text`` centred in bold and an optional smaller ``note`` under it."""
    image = Image.new("RGB", (width, height), CARD_BACKGROUND)
    draw = ImageDraw.Draw(image)
    face = font(max(12, height // 12), bold=True)
    lines = wrap(text, face, width * 0.8, 3)
    small = font(max(10, height // 30))
    line_height = round(face.size * 1.25)
    block = line_height * len(lines) + (round(small.size * 2) if note else 0)
    y = (height - block) / 2
    for line in lines:
        draw.text((width / 2, y), line, font=face, fill=CARD_TEXT, anchor="ma")
        y += line_height
    if note:
        draw.text((width / 2, y + small.size * 0.8), note, font=small, fill=(160, 160, 160), anchor="ma")
    return np.asarray(image)


class SubtitleOverlay:
    """One cue drawn once as white text on a translucent band near the bottom, blended onto frames."""

    def __init__(self, text: str, width: int, height: int):
        face = font(max(10, round(height * 0.045)))
        lines = wrap(text, face, width * 0.86, 2)
        line_height = round(face.size * 1.3)
        pad = round(face.size * 0.45)
        text_width = max(face.getlength(line) for line in lines)
        box_w, box_h = round(text_width + 2 * pad), line_height * len(lines) + 2 * pad
        patch = Image.new("RGBA", (box_w, box_h), (0, 0, 0, 150))
        draw = ImageDraw.Draw(patch)
        for row, line in enumerate(lines):
            draw.text(
                (box_w / 2, pad + row * line_height), line, font=face, fill=(255, 255, 255, 255), anchor="ma"
            )
        rgba = np.asarray(patch).astype(np.float32)
        self.rgb = rgba[..., :3]
        self.alpha = rgba[..., 3:4] / 255.0
        self.x = (width - box_w) // 2
        self.y = height - box_h - round(height * 0.06)

    def apply(self, frame: np.ndarray) -> np.ndarray:
        """``frame`` with the subtitle blended in (a copy; the clip's own frame is never changed)."""
        out = frame.copy()
        h, w = self.alpha.shape[:2]
        region = out[self.y : self.y + h, self.x : self.x + w].astype(np.float32)
        blended = region * (1 - self.alpha) + self.rgb * self.alpha
        out[self.y : self.y + h, self.x : self.x + w] = blended.astype(np.uint8)
        return out
