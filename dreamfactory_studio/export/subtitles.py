"""Subtitles as SubRip (SRT)."""

from __future__ import annotations

from pathlib import Path

from dreamfactory_studio.core.atomic import atomic_write_text
from dreamfactory_studio.export.timeline import Cue

LINE_CHARS = 42


def srt_time(seconds: float) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{millis:03d}"


def two_lines(text: str, width: int = LINE_CHARS) -> str:
    """A cue longer than one subtitle line, broken at the space nearest its middle."""
    if len(text) <= width or " " not in text:
        return text
    middle = len(text) // 2
    spaces = [i for i, char in enumerate(text) if char == " "]
    cut = min(spaces, key=lambda i: abs(i - middle))
    return f"{text[:cut]}\n{text[cut + 1 :]}"


def srt_text(cues: list[Cue]) -> str:
    """The cues as an SRT document."""
    blocks = [
        f"{cue.index}\n{srt_time(cue.start)} --> {srt_time(cue.end)}\n{two_lines(cue.text)}\n" for cue in cues
    ]
    return "\n".join(blocks)


def write_srt(path: Path, cues: list[Cue]) -> Path:
    atomic_write_text(Path(path), srt_text(cues))
    return Path(path)
