"""Where everything sits in the film: segments (title card, scenes, end card) in frames, narration, subtitles.

Times are whole frames, so the video, the audio and the subtitles agree to the frame. A crossfade overlaps
each segment with the one before it; the total is the sum of the segments less the overlaps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dreamfactory_studio.core.settings import ExportSettings
from dreamfactory_studio.export.film import ScenePlan

MAX_CUE_CHARS = 84  # two subtitle lines of 42 characters


@dataclass(frozen=True)
class Segment:
    """A stretch of picture: a ``title`` card, a ``scene`` or the ``end`` card."""

    kind: str
    first: int  # first frame
    frames: int
    overlap_in: int  # frames shared with the segment before (crossfade)
    plan: ScenePlan | None = None
    text: str = ""


@dataclass(frozen=True)
class SpokenLine:
    """A scene's narration audio placed on the timeline, cut at its scene's end."""

    scene_number: int
    start: float
    duration: float
    audio: object  # a Path, or None for timed silence


@dataclass(frozen=True)
class Cue:
    index: int
    start: float
    end: float
    text: str


@dataclass
class Timeline:
    fps: int
    segments: list[Segment]
    speech: list[SpokenLine] = field(default_factory=list)
    cues: list[Cue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def frames(self) -> int:
        last = self.segments[-1]
        return last.first + last.frames

    @property
    def duration(self) -> float:
        return self.frames / self.fps


def split_cues(text: str, limit: int = MAX_CUE_CHARS) -> list[str]:
    """Narration cut into subtitle-sized pieces: at sentence ends where possible, else between words."""
    sentences = [s for s in re.split(r"(?<=[.!?…])\s+", " ".join(text.split())) if s]
    pieces: list[str] = []
    for sentence in sentences:
        current = ""
        for word in sentence.split():
            candidate = f"{current} {word}".strip()
            if len(candidate) > limit and current:
                pieces.append(current)
                current = word
            else:
                current = candidate
        if current:
            if (
                pieces
                and len(pieces[-1]) + 1 + len(current) <= limit
                and not pieces[-1].endswith((".", "!", "?"))
            ):
                pieces[-1] = f"{pieces[-1]} {current}"
            else:
                pieces.append(current)
    return pieces


def build_timeline(
    plans: list[ScenePlan], settings: ExportSettings, fps: int, *, title: str = ""
) -> Timeline:
    """The film's timeline from its scenes, with the cards, the transition and the narration the settings ask for."""
    entries: list[tuple[str, int, ScenePlan | None, str]] = []
    card = max(1, round(settings.card_seconds * fps))
    if settings.title_card and title:
        entries.append(("title", card, None, title))
    entries += [("scene", max(1, round(plan.duration * fps)), plan, plan.title) for plan in plans]
    if settings.end_card:
        entries.append(("end", card, None, "The End"))

    fade = round(settings.crossfade * fps) if settings.transition == "crossfade" else 0
    segments: list[Segment] = []
    position = 0
    for kind, frames, plan, text in entries:
        overlap = 0
        if segments and fade:
            overlap = min(fade, segments[-1].frames // 2, frames // 2)
        first = position - overlap
        segments.append(Segment(kind, first, frames, overlap, plan, text))
        position = first + frames
    timeline = Timeline(fps, segments)
    _place_narration(timeline, settings)
    return timeline


def _place_narration(timeline: Timeline, settings: ExportSettings) -> None:
    fps = timeline.fps
    for segment in timeline.segments:
        plan = segment.plan
        if plan is not None and plan.dialogue:
            _place_dialogue(timeline, segment, settings)
        if plan is None or not plan.narration:
            continue
        start = (segment.first + segment.overlap_in) / fps + settings.padding / 2
        end_of_scene = (segment.first + segment.frames) / fps
        room = max(0.0, end_of_scene - start)
        if plan.spoken > room + 1 / fps:
            timeline.warnings.append(
                f"scene {plan.number}'s narration ({plan.spoken:.1f} s) is longer than the scene has room for "
                f"({room:.1f} s) and is cut; lengthen the scene or clear its set duration."
            )
        spoken = min(plan.spoken, room)
        timeline.speech.append(SpokenLine(plan.number, start, spoken, plan.audio))
        if not plan.dialogue:
            _add_cues(timeline, split_cues(plan.narration), start, spoken)


def _place_dialogue(timeline: Timeline, segment: Segment, settings: ExportSettings) -> None:
    """A scene's dialogue as its subtitles, spread over the scene (its lines are spoken in the picture, or
    some of them over it as the narration)."""
    fps = timeline.fps
    start = (segment.first + segment.overlap_in) / fps + settings.padding / 2
    end = (segment.first + segment.frames) / fps - settings.padding / 2
    pieces = [piece for line in segment.plan.dialogue for piece in split_cues(line)]
    _add_cues(timeline, pieces, start, max(end - start, 1 / fps))


def _add_cues(timeline: Timeline, pieces: list[str], start: float, length: float) -> None:
    weights = [len(piece) + 8 for piece in pieces]  # a short cue still needs time to be read
    at = start
    for piece, weight in zip(pieces, weights, strict=True):
        share = length * weight / sum(weights)
        timeline.cues.append(Cue(len(timeline.cues) + 1, at, at + share, piece))
        at += share
