"""How long a scene lasts: one function for the card, ``show``, the PDF, the SRT, the film, the edit and the
animatic, for prose and screenplays alike.

A scene's *length* is the time from its first frame to the next scene's first frame: the length the user set,
else its narration as spoken (or as read, before it is spoken) or its dialogue as read, whichever is longer,
plus padding, and never under :data:`MIN_SECONDS`. Its *clip* runs one crossfade longer, under the next scene's
fade in. The crew's ``duration`` is a planning hint until the user sets it.
"""

from __future__ import annotations

import re

from dreamfactory_studio.core.model import Scene
from dreamfactory_studio.core.settings import ExportSettings

MIN_SECONDS = 2.0


def reading_seconds(text: str, words_per_second: float) -> float:
    """How long ``text`` takes to read aloud, at least :data:`MIN_SECONDS` when there is any text."""
    words = len(re.findall(r"\w+", text))
    return max(MIN_SECONDS, words / words_per_second) if words else 0.0


def overlap_seconds(settings: ExportSettings) -> float:
    """How long two clips overlap: the crossfade, when the transition is one."""
    return settings.crossfade if settings.transition == "crossfade" else 0.0


def text_length(narration: str, dialogue: str, settings: ExportSettings, words_per_second: float) -> float:
    """A scene's length from its words alone, before any is spoken."""
    spoken = max(reading_seconds(narration, words_per_second), reading_seconds(dialogue, words_per_second))
    return max(MIN_SECONDS, spoken + settings.padding)


def scene_length(scene: Scene, settings: ExportSettings, fps: int, words_per_second: float) -> float:
    """The scene's length in seconds, whole frames at ``fps`` (see the module's words)."""
    if scene.duration and scene.is_user_edited("duration"):
        seconds = scene.duration
    else:
        narration = scene.narration_audio
        spoken = narration.duration if narration else reading_seconds(scene.narration, words_per_second)
        said = reading_seconds(" ".join(line.text for line in scene.dialogue), words_per_second)
        seconds = max(MIN_SECONDS, max(spoken, said) + settings.padding)
    return _frames(seconds, fps)


def clip_seconds(scene: Scene, settings: ExportSettings, fps: int, words_per_second: float) -> float:
    """How long the scene's clip runs: its length and the crossfade it shares with the next scene."""
    return _frames(scene_length(scene, settings, fps, words_per_second) + overlap_seconds(settings), fps)


def _frames(seconds: float, fps: int) -> float:
    return max(1, round(seconds * fps)) / fps
