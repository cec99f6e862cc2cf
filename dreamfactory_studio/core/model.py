"""The project model: everything a production makes, as validated, JSON-serialisable data.

The order of scenes is their position in :attr:`Project.scenes`; a scene's number is that position plus one.
Fields a person changed by hand are named in the owner's ``user_edited`` list, and no agent overwrites them.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from dreamfactory_studio.core.model_base import AssetPath, _Editable, _Model, new_id, now
from dreamfactory_studio.core.takes import (  # noqa: F401 - the project's parts, importable from here too
    MIN_BOX,
    Box,
    Fraction,
    Lora,
    Placement,
    Recipe,
    Redrawn,
    Take,
    UsedLora,
    UsedReference,
)

SCHEMA_VERSION = 3

STYLES = ("anime", "illustration", "origami", "oil painting", "realism", "cyberpunk", "ink wash")
PHASES = ("task", "style", "story", "script", "keyframes")

PhaseStatus = Literal["pending", "running", "done", "failed", "stale"]
MAX_SCENE_SECONDS = 600.0
"""The longest a scene may last (ten minutes); an export of a longer one would be a mistake, not a film."""
MAX_FILM_SECONDS = 6 * 3600.0
Seconds = Annotated[float, Field(gt=0, le=MAX_SCENE_SECONDS, allow_inf_nan=False)]
PhaseName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
"""A phase's name, which names its transcript file: letters, digits, ``_`` and ``-`` only."""


class Character(_Editable):
    id: str = Field(default_factory=lambda: new_id("char"))
    name: str
    description: str = ""
    sheet: CharacterSheet | None = None
    takes: list[Take] = Field(default_factory=list, description="every sheet drawn or imported")
    lora: Lora | None = None


class Clip(_Model):
    """The rendered clip of a scene, cached by a hash of its keyframe and render settings."""

    video: AssetPath
    settings_hash: str
    duration: Seconds
    ends_on: str = Field(
        default="", description="the picture the clip was made to end on; empty: it ends free"
    )
    prompt: str = Field(default="", description="the motion the clip was asked for")


class Narration(_Model):
    """A scene's narration as spoken, cached by a hash of its text and the speech settings.

    ``audio`` is empty when the narration is timed silence (no speech backend): ``duration`` then comes from
    reading speed."""

    audio: AssetPath | None = None
    settings_hash: str
    duration: float = Field(ge=0, le=MAX_SCENE_SECONDS, allow_inf_nan=False)
    backend: str = ""


INTERIORS = ("INT", "EXT", "INT/EXT")


class Setting(_Model):
    """Where and when a scene happens, as a screenplay's scene heading says: ``EXT. ALLEY - NIGHT``."""

    interior: Literal["", "INT", "EXT", "INT/EXT"] = ""
    place: str = ""
    time: str = Field(default="", description="the time of day as written: DAY, NIGHT, DAWN, LATER...")

    @property
    def heading(self) -> str:
        """The setting as a scene heading."""
        head = f"{self.interior}. {self.place}".strip(". ") if self.interior else self.place
        return f"{head} - {self.time}" if self.time else head

    @property
    def words(self) -> str:
        """The setting as a prompt says it: ``exterior, alley behind the diner, night``."""
        inside = {"INT": "interior", "EXT": "exterior", "INT/EXT": "interior and exterior"}.get(
            self.interior, ""
        )
        return ", ".join(p for p in (inside, self.place.lower(), self.time.lower()) if p)


class DialogueLine(_Model):
    """One speech of a scene: who says it (a character's id), how (V.O., O.S.; a parenthetical), and what."""

    character: str = Field(description="the speaker's character id")
    text: str = Field(min_length=1)
    extension: str = Field(default="", description="V.O., O.S., O.C.; empty for on screen")
    parenthetical: str = ""
    dual: bool = Field(
        default=False, description="said at the same time as the line beside it (dual dialogue)"
    )

    @property
    def voice_over(self) -> bool:
        return self.extension.replace(".", "").upper() in {"VO", "V/O"}


class Scene(_Editable):
    id: str = Field(default_factory=lambda: new_id("scene"))
    title: str = ""
    script: str = ""
    narration: str = ""
    setting: Setting | None = Field(
        default=None, description="from the scene heading; None: read from the script"
    )
    dialogue: list[DialogueLine] = Field(default_factory=list)
    notes: str = Field(default="", description="the writer's notes, sections and synopses; never drawn")
    shot: str = ""
    camera: str = ""
    characters: list[str] = Field(default_factory=list, description="ids of the characters present")
    layout: list[Placement] = Field(
        default_factory=list, description="who stands where; empty: one character, or not laid out yet"
    )
    duration: Seconds | None = Field(default=None, description="seconds; None: timed by the narration")
    takes: list[Take] = Field(default_factory=list)
    selected_take: str | None = None
    pinned: bool = False
    stale: bool = False
    keyframe_description: str = Field(
        default="", description="the monitor's description C(t) of the keyframe"
    )
    from_screenplay: list[str] = Field(
        default_factory=list,
        description="fields the screenplay wrote: the writer's, kept from the crew as the user's edits are",
    )
    end_frame: str | None = Field(
        default=None, description="the take the scene's clip ends on, when it ends on its own frame"
    )
    clip_end: Literal["", "free", "next", "own"] = Field(
        default="", description="where this scene's clip ends; empty: as the export says ([video] clip_end)"
    )
    clip: Clip | None = None
    narration_audio: Narration | None = None

    def is_user_edited(self, field: str) -> bool:
        """Whether the crew must leave ``field`` alone: the user set it, or the screenplay wrote it."""
        return field in self.user_edited or field in self.from_screenplay

    def named_characters(self) -> list[str]:
        """The ids of every character the scene names: its cast, its layout and its dialogue's speakers."""
        ids = [
            *self.characters,
            *(p.character for p in self.layout),
            *(line.character for line in self.dialogue),
        ]
        return list(dict.fromkeys(ids))

    def take(self, take_id: str) -> Take:
        for take in self.takes:
            if take.id == take_id:
                return take
        raise KeyError(take_id)

    @property
    def keyframe(self) -> Take | None:
        """The selected take, the scene's keyframe."""
        return self.take(self.selected_take) if self.selected_take else None


class CutScene(_Model):
    """A scene taken out of the film (by an edit that came back from an editor), kept so it can be restored."""

    scene: Scene
    position: int = Field(ge=1, description="the scene's number when it was cut")
    reason: str = ""
    cut: datetime = Field(default_factory=now)


class Request(_Model):
    """What the user asked for when the project was made; the Task Definition phase honours it."""

    scenes: int | None = Field(default=None, ge=1, le=500)
    style: str = ""


class TaskDecision(_Editable):
    mode: Literal["short", "long"] = "short"
    scenes: int = Field(ge=1, le=500)
    audience: str = ""
    aspect: str = "16:9"
    duration_target: float | None = Field(
        default=None, gt=0, le=MAX_FILM_SECONDS, allow_inf_nan=False, description="seconds"
    )
    notes: str = ""


class StyleDecision(_Editable):
    style: str = Field(min_length=1)
    palette: str = ""
    lighting: str = ""
    notes: str = ""


class BaseFrame(_Model):
    """The pinned first keyframe that every later keyframe is held to."""

    image: AssetPath
    source: Literal["generated", "take", "imported"]
    take_id: str | None = None
    pinned_by_user: bool = False


class CharacterSheet(BaseFrame):
    """A character's reference image, that every keyframe they are in is held to; ``source`` "take" is a crop
    of a take."""


class BaseDescription(_Model):
    """What must never change across scenes, written by the monitor or by the user."""

    text: str = ""
    user_edited: bool = False


class PhaseState(_Model):
    status: PhaseStatus = "pending"
    finished: datetime | None = None
    error: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0


class TranscriptMessage(_Model):
    phase: PhaseName
    role: str
    text: str
    source: str = Field(
        default="", description="who produced the words: a model, the offline writer, the user"
    )
    time: datetime = Field(default_factory=now)
    reasoning: str = Field(default="", description="a reasoning model's thinking; never sent back to it")


class Evaluation(_Model):
    """The scores of the last ``evaluate``: overall, per scene (by scene id), and what could not be computed."""

    created: datetime = Field(default_factory=now)
    overall: dict[str, float | str] = Field(default_factory=dict)
    scenes: dict[str, dict[str, float | str | None]] = Field(default_factory=dict)
    unavailable: dict[str, str] = Field(default_factory=dict, description="metric -> why it was not computed")
    warnings: list[str] = Field(default_factory=list)
    models: dict[str, str] = Field(
        default_factory=dict, description="what measured: CLIP, face detector, ..."
    )
    drift_threshold: float = 0.6

    def drifting(self, scene_id: str) -> bool:
        """Whether the scene's keyframe strays from the Base Frame more than the threshold allows."""
        value = self.scenes.get(scene_id, {}).get("base_similarity")
        return isinstance(value, float) and value < self.drift_threshold

    def drift(self, scene_id: str, keyframe: str) -> float | None:
        """The similarity of a drifting scene's keyframe to the Base Frame, if ``keyframe`` (an asset) is the
        one that was scored; else None (no drift, or a keyframe drawn since)."""
        scores = self.scenes.get(scene_id, {})
        if scores.get("keyframe") != keyframe or not self.drifting(scene_id):
            return None
        return scores["base_similarity"]


def _phase_states() -> dict[str, PhaseState]:
    return {name: PhaseState() for name in PHASES}


class Project(_Editable):
    """A whole production. ``transcripts`` is kept in ``transcripts/`` beside ``project.json``."""

    schema_version: int = SCHEMA_VERSION
    id: str = Field(default_factory=lambda: new_id("project"))
    title: str
    story: str
    author: str = ""
    source: Literal["story", "fountain", "fdx"] = Field(
        default="story",
        description="what the project was made from: prose, or a screenplay whose scenes it keeps",
    )
    created: datetime = Field(default_factory=now)
    modified: datetime = Field(default_factory=now)
    request: Request = Field(default_factory=Request)
    task: TaskDecision | None = None
    style: StyleDecision | None = None
    outline: str = ""
    characters: list[Character] = Field(default_factory=list)
    scenes: list[Scene] = Field(default_factory=list)
    base_frame: BaseFrame | None = None
    base_description: BaseDescription = Field(default_factory=BaseDescription)
    phases: dict[str, PhaseState] = Field(default_factory=_phase_states)
    directions: dict[str, str] = Field(default_factory=dict, description="the user's word to a phase's crew")
    transcripts: list[TranscriptMessage] = Field(default_factory=list)
    evaluation: Evaluation | None = None
    cut_scenes: list[CutScene] = Field(default_factory=list, description="scenes an edit cut, to restore")

    def scene(self, scene_id: str) -> Scene:
        for scene in self.scenes:
            if scene.id == scene_id:
                return scene
        raise KeyError(scene_id)

    def scene_number(self, scene_id: str) -> int:
        """The 1-based position of a scene in the film."""
        for index, scene in enumerate(self.scenes):
            if scene.id == scene_id:
                return index + 1
        raise KeyError(scene_id)

    def character(self, character_id: str) -> Character:
        for character in self.characters:
            if character.id == character_id:
                return character
        raise KeyError(character_id)

    def asset_paths(self) -> set[str]:
        """Every asset the project refers to."""
        paths: set[str] = set()
        if self.base_frame:
            paths.add(self.base_frame.image)
        scenes = self.scenes + [cut.scene for cut in self.cut_scenes]
        takes = [t for c in self.characters for t in c.takes] + [t for s in scenes for t in s.takes]
        paths.update(c.sheet.image for c in self.characters if c.sheet)
        for take in takes:
            paths.add(take.image)
            paths.update(take.references)
            if take.recipe:
                paths.update(r.image for r in take.recipe.references)
        for scene in scenes:
            if scene.clip:
                paths.add(scene.clip.video)
            if scene.narration_audio and scene.narration_audio.audio:
                paths.add(scene.narration_audio.audio)
        return paths

    def problems(self) -> list[str]:
        """What a hand-edited or damaged project holds that the studio never writes: ids used twice, scenes
        naming characters or takes that do not exist. Empty for a sound project."""
        found: list[str] = []
        groups = [("scene", [s.id for s in self.scenes]), ("character", [c.id for c in self.characters])]
        groups += [("take", [t.id for t in s.takes]) for s in self.scenes]  # a scene finds its takes by id
        for what, ids in groups:
            twice = sorted(i for i, n in Counter(ids).items() if n > 1)
            if twice:
                found.append(f"the {what} id{'s' if len(twice) > 1 else ''} {', '.join(twice)} is used twice")
        cast = {c.id for c in self.characters}
        for number, scene in enumerate(self.scenes, 1):
            unknown = [i for i in scene.named_characters() if i not in cast]
            if unknown:
                found.append(f"scene {number} names unknown characters ({', '.join(unknown)})")
            if scene.selected_take and scene.selected_take not in {t.id for t in scene.takes}:
                found.append(
                    f"scene {number}'s keyframe is take {scene.selected_take}, which it does not have"
                )
            if scene.end_frame and scene.end_frame not in {t.id for t in scene.takes}:
                found.append(f"scene {number}'s end frame is take {scene.end_frame}, which it does not have")
        return found
