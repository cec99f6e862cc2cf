"""Events a production reports as it goes. The CLI prints them; the window turns them into Qt signals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dreamfactory_studio.core.model import TranscriptMessage


@dataclass(frozen=True)
class PhaseStarted:
    phase: str
    title: str


@dataclass(frozen=True)
class MessageStarted:
    phase: str
    role: str
    title: str
    source: str


@dataclass(frozen=True)
class TokenReceived:
    phase: str
    role: str
    text: str


@dataclass(frozen=True)
class MessageFinished:
    message: TranscriptMessage
    title: str


@dataclass(frozen=True)
class PhaseFinished:
    phase: str
    status: str
    error: str = ""


Event = PhaseStarted | MessageStarted | TokenReceived | MessageFinished | PhaseFinished
Emit = Callable[[Event], None]


def ignore(event: Event) -> None:
    """An event sink that drops everything."""
