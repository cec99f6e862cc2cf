"""What one run of the production does: the request the CLI's ``run`` options and the window's run controls
make, and the plan :func:`plan` turns it into once. Performing, progress and time left, "what comes next" and
retry-after-failure all read that one plan. Light enough to import where the window starts."""

from __future__ import annotations

from dataclasses import dataclass

from dreamfactory_studio.core.changes import Changes
from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.events import RunPlanned
from dreamfactory_studio.core.model import PHASES, PhaseState, Project
from dreamfactory_studio.core.scene_ids import scene_ids_from

KEYFRAMES = "keyframes"
RUN_FIELDS = ("task", "style", "outline", "characters", "base_frame", "base_description", "phases")
"""What a run of the crew may change besides the scenes."""


@dataclass(frozen=True)
class RunRequest:
    """One run of the production, as the CLI's ``run`` options and the window's run controls ask for it:
    the phases not done yet up to ``until`` (all of them when None); or the one ``phase`` again; or the
    keyframes from the scene whose id is ``from_scene`` on (that scene ``only``). ``step`` runs only the next
    phase not done, so that the person can edit before going on. Scenes are ids: a person's scene number is
    turned into one where the CLI reads it."""

    until: str | None = None
    step: bool = False
    phase: str | None = None
    from_scene: str | None = None
    only: bool = False
    overwrite_edits: bool = False


@dataclass(frozen=True)
class Step:
    """One step of a plan: a text phase, or the keyframes of some scenes."""

    phase: str
    scene_ids: tuple[str, ...] = ()
    """Keyframes: the scenes to draw, in order; empty when the run writes the script first."""
    estimate: int = 0
    """Keyframes: how many will be drawn, as far as can be told before the script is written."""
    only: bool = False
    """Keyframes: draw the first of ``scene_ids`` alone (a new take), not the scenes after it."""
    overwrite_edits: bool = False

    @property
    def keyframes(self) -> bool:
        return self.phase == KEYFRAMES

    @property
    def from_scene(self) -> str | None:
        """Keyframes: the id of the first scene to draw (None: from scene 1, after the script)."""
        return self.scene_ids[0] if self.keyframes and self.scene_ids else None


@dataclass(frozen=True)
class RunPlan:
    """The steps one run will take, in order, and the words the window and the CLI say about it."""

    steps: tuple[Step, ...]
    title: str
    start: str | None = None
    """The scene the run was asked to start from (``--from-scene``, ``--scene``, a retry), if any."""

    @property
    def phases(self) -> tuple[str, ...]:
        return tuple(step.phase for step in self.steps)

    @property
    def keyframes(self) -> int:
        """How many keyframes the run will draw."""
        return sum(step.estimate for step in self.steps if step.keyframes)

    def announce(self) -> RunPlanned:
        """The event that tells progress what is coming."""
        return RunPlanned(self.phases, self.keyframes)

    def touches(self, project: Project) -> Changes:
        """What the run may change, for its undo step: for a new take of one scene, that scene (shown after
        undo and redo) and the Base Frame and Description; else every scene, the decisions and the order."""
        if len(self.steps) == 1 and self.steps[0].keyframes and self.steps[0].only:
            step = self.steps[0]
            fields = ["base_frame", "base_description", "characters"]  # a missing sheet is drawn first
            return Changes.of(step.scene_ids, fields, focus=step.from_scene)
        return Changes.of((s.id for s in project.scenes), RUN_FIELDS, order=True)

    def retry(self, project: Project, failed_scene: str | None) -> RunPlan:
        """What Retry runs after this plan failed: the keyframes from the scene that failed (that scene alone
        when this plan drew one scene), or the same plan again (a text phase goes on from where its
        conversation stopped)."""
        if failed_scene is None or failed_scene not in {s.id for s in project.scenes}:
            return self
        only = any(step.only for step in self.steps)
        return keyframes_plan(project, failed_scene, only=only)

    @staticmethod
    def following(project: Project) -> str | None:
        """The first phase not done yet once a run has ended: what the person's next Run does."""
        return next((p for p in PHASES if project.phases[p].status != "done"), None)


def keyframes_plan(project: Project, scene_id: str, *, only: bool = False) -> RunPlan:
    """Draw the keyframes from scene ``scene_id`` on (that scene ``only``), as ``run --from-scene``/``--scene``
    and the window's new take ask."""
    ids = scene_ids_from(project, scene_id, only)
    number = project.scene_number(scene_id)
    words = f"Redraw scene {number}" if only else f"Keyframes from scene {number}"
    return RunPlan((Step(KEYFRAMES, ids, len(ids), only=only),), words, start=ids[0])


def plan(request: RunRequest, project: Project, text_phases: list[str], scene_count: int) -> RunPlan:
    """Turn ``request`` into the steps it takes on ``project``; ``text_phases`` are the crew's phases in order
    and ``scene_count`` the scenes a script will have."""
    if request.from_scene is not None:
        return keyframes_plan(project, request.from_scene, only=request.only)
    order = [*text_phases, KEYFRAMES]
    if request.phase is not None:
        if request.phase not in order:
            raise BadInput(f"unknown phase '{request.phase}'; the phases are {', '.join(order)}.")
        phases = [request.phase]
    else:
        if request.until is not None and request.until not in order:
            raise BadInput(f"unknown phase '{request.until}'; the phases are {', '.join(order)}.")
        upto = order[: order.index(request.until) + 1] if request.until else order
        phases = [p for p in upto if project.phases.get(p, PhaseState()).status != "done"]
        if request.step:
            phases = phases[:1]
    steps = []
    for name in phases:
        if name != KEYFRAMES:
            steps.append(Step(name, overwrite_edits=request.overwrite_edits))
        elif "script" in phases or not project.scenes:
            steps.append(Step(KEYFRAMES, estimate=scene_count))
        else:
            ids = tuple(s.id for s in project.scenes)
            steps.append(Step(KEYFRAMES, ids, len(ids)))
    return RunPlan(tuple(steps), _title(request))


def _title(request: RunRequest) -> str:
    if request.phase is not None:
        return f"Run the {request.phase} phase"
    if request.step:
        return "Run the next phase"
    return f"Run up to the {request.until} phase" if request.until else "Run all phases"
