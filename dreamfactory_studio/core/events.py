"""Events a production reports as it goes. The CLI prints them; the window turns them into Qt signals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dreamfactory_studio.core.model import TranscriptMessage


@dataclass(frozen=True)
class RunPlanned:
    """A run is starting: the phases it will run, in order, and how many keyframes it will draw."""

    phases: tuple[str, ...]
    scenes: int


@dataclass(frozen=True)
class PhaseStarted:
    phase: str
    title: str
    rounds: int = 0
    """How many rounds the phase may talk for (0: not a conversation, e.g. the keyframes)."""


@dataclass(frozen=True)
class MessageStarted:
    phase: str
    role: str
    title: str
    source: str
    round: int = 0


@dataclass(frozen=True)
class TokenReceived:
    phase: str
    role: str
    text: str
    reasoning: bool = False
    """A reasoning model's thinking, shown apart from the answer."""


@dataclass(frozen=True)
class MessageFinished:
    message: TranscriptMessage
    title: str


@dataclass(frozen=True)
class PhaseFinished:
    phase: str
    status: str
    error: str = ""


@dataclass(frozen=True)
class SceneStarted:
    scene_id: str
    number: int
    what: str


@dataclass(frozen=True)
class SheetStarted:
    """A character's sheet is being drawn; its steps come as :class:`StepProgress` with the character's id."""

    character_id: str
    name: str


@dataclass(frozen=True)
class ModelLoading:
    message: str


@dataclass(frozen=True)
class StepProgress:
    scene_id: str
    step: int
    total: int


@dataclass(frozen=True)
class TakeMade:
    scene_id: str
    take_id: str
    score: float | None
    reason: str
    accepted: bool
    notes: tuple[str, ...] = ()
    """What the painter left out or could not do (its recipe's notes), said as the take is made."""


@dataclass(frozen=True)
class SceneFinished:
    scene_id: str
    number: int
    status: str
    message: str = ""


@dataclass(frozen=True)
class ExportProgress:
    """Progress of one stage of an export: ``narration``, ``clips``, ``video``, ``pdf``, ..."""

    stage: str
    done: int
    total: int
    message: str = ""


Event = (
    RunPlanned
    | PhaseStarted
    | MessageStarted
    | TokenReceived
    | MessageFinished
    | PhaseFinished
    | SceneStarted
    | SheetStarted
    | ModelLoading
    | StepProgress
    | TakeMade
    | SceneFinished
    | ExportProgress
)
Emit = Callable[[Event], None]


def ignore(event: Event) -> None:
    """An event sink that drops everything."""
