"""Text drawn into pictures (panels, title cards, burned-in subtitles, PDF thumbnails): one font, one wrapper."""

from __future__ import annotations

from functools import lru_cache

from PIL import ImageFont

from dreamfactory_studio.core.paths import font_file


@lru_cache(maxsize=32)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The shipped DejaVu Sans at ``size`` pixels; Pillow's own font if the file is missing."""
    try:
        return ImageFont.truetype(str(font_file(bold)), size)
    except OSError:
        return ImageFont.load_default(size=size)


def wrap(text: str, face, width: float, max_lines: int | None = None) -> list[str]:
    """``text`` broken into lines no wider than ``width`` pixels; an ellipsis marks text cut at ``max_lines``."""
    words, rows, current = text.split(), [], ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if not current or face.getlength(candidate) <= width:
            current = candidate
        else:
            rows.append(current)
            current = word
    if current:
        rows.append(current)
    if max_lines is not None and len(rows) > max_lines:
        rows = rows[:max_lines]
        rows[-1] = rows[-1].rstrip(".,;:") + "…"
    return rows
