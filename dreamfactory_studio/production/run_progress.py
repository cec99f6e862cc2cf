"""How far a run is, from its events: the share done, what it is doing now, and about how long is left.

Each text phase counts as one step, split by its turns (two a round); each keyframe to draw counts as one step,
split by its image's diffusion steps. The time left is the time so far scaled by the share still to do, so it
is an estimate that settles as the run goes.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from dreamfactory_studio.core.events import (
    Event,
    MessageFinished,
    MessageStarted,
    ModelLoading,
    PhaseFinished,
    PhaseStarted,
    RunPlanned,
    SceneFinished,
    SceneStarted,
    SheetStarted,
    StepProgress,
    TokenReceived,
)

KEYFRAMES = "keyframes"
QUIET_SECONDS = 3.0
"""After this long without a word from the model asked, the status line says it is waiting (a local server
may be loading the model)."""


class RunProgress:
    """Feed it a run's events (it is an event sink); read :attr:`fraction`, :attr:`doing` and :meth:`remaining`."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.total = 0  # steps, known once the run says what it plans (:class:`RunPlanned`)
        self.clock = clock
        self.started = clock()
        self.finished = 0
        self.current = 0.0  # the share of the step under way
        self.doing = "Starting…"
        self.loading = ""
        self._phase_title = ""
        self._rounds = 0
        self._turns = 0
        self._asked: tuple[float, str] | None = None  # when the model now speaking was asked, and its name
        self._drawing = ""  # the scene (or character, for a sheet) whose steps come now
        self._sheet = ""

    @property
    def fraction(self) -> float:
        if self.total <= 0:
            return 0.0
        return min(1.0, (self.finished + self.current) / self.total)

    def remaining(self) -> float | None:
        """Seconds left, or None while too little is done to tell."""
        elapsed = self.clock() - self.started
        done = self.fraction
        if done < 0.02 or elapsed < 1.0:
            return None
        return elapsed * (1.0 - done) / done

    def status_line(self) -> str:
        """One line for a progress bar: what it is doing, the share done and the time left."""
        text = f"{self.loading or self.doing} · {self.fraction:.0%}"
        if self._asked is not None and (quiet := self.clock() - self._asked[0]) >= QUIET_SECONDS:
            text += f" · waiting for {self._asked[1]} ({quiet:.0f} s)"
        left = self.remaining()
        if left is not None:
            minutes, seconds = divmod(round(left), 60)
            text += f" · about {minutes}:{seconds:02d} left"
        return text

    def __call__(self, event: Event) -> None:
        if isinstance(event, MessageStarted) and event.source not in ("", "studio"):
            self._asked = (self.clock(), event.source)
        elif isinstance(event, (TokenReceived, MessageFinished, PhaseFinished)):
            self._asked = None  # words came (thinking counts), or the turn ended
        if isinstance(event, RunPlanned):
            phases = event.phases
            self.total = sum(1 for p in phases if p != KEYFRAMES) + (
                event.scenes if KEYFRAMES in phases else 0
            )
            self.started = self.clock()
        elif isinstance(event, PhaseStarted):
            self._phase_title, self._rounds, self._turns = event.title, event.rounds, 0
            self.current = 0.0
            self.doing = event.title
        elif isinstance(event, MessageStarted) and event.phase != KEYFRAMES and event.round:
            self._turns += 1
            self.current = min(0.95, self._turns / max(1, 2 * self._rounds))
            self.doing = f"{self._phase_title} · round {min(event.round, self._rounds)} of {self._rounds}"
            if event.round > self._rounds:
                self.doing = f"{self._phase_title} · the decision"
        elif isinstance(event, PhaseFinished) and event.phase != KEYFRAMES:
            if event.status == "done":
                self.finished += 1
            self.current = 0.0
        elif isinstance(event, SceneStarted):
            self.current = 0.0
            self._drawing, self._sheet = event.scene_id, ""
            self.doing = f"Scene {event.number}: drawing the {event.what}"
        elif isinstance(event, SheetStarted):
            # A sheet is drawn before its scene starts; it counts as part of that scene's step.
            self._drawing, self._sheet = event.character_id, event.name
            self.doing = f"Drawing {event.name}'s sheet"
        elif isinstance(event, ModelLoading):
            self.loading = f"Loading the model: {event.message}"
        elif isinstance(event, StepProgress):
            self.loading = ""
            if self._sheet and event.scene_id == self._drawing:
                self.doing = f"Drawing {self._sheet}'s sheet · step {event.step} of {event.total}"
            elif event.scene_id == self._drawing or not self._drawing:
                self.current = min(0.95, event.step / max(1, event.total))
        elif isinstance(event, SceneFinished):
            self.finished += 1
            self.current = 0.0
