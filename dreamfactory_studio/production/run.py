"""The chat chain: the text phases in order, each saved as it ends, with human checkpoints between them.

A phase's decision is written into the project and saved at once; re-running a phase marks the later phases
stale without deleting anything. A failed or cancelled phase leaves the project's data as it was and keeps the
transcript of what was said.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from dreamfactory_studio.backends.backend_set import Backends
from dreamfactory_studio.core.errors import BackendError, BadInput, ScriptNotWritten
from dreamfactory_studio.core.events import Emit, PhaseFinished, PhaseStarted, ignore
from dreamfactory_studio.core.model import (
    PHASES,
    Box,
    Character,
    PhaseState,
    Project,
    Scene,
    Take,
    TranscriptMessage,
    now,
)
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.scene_ids import require_script
from dreamfactory_studio.production.conversation import Conversation, PhaseFailed
from dreamfactory_studio.production.crew_config import Crew, load_crew
from dreamfactory_studio.production.image_memory import ImageMemory
from dreamfactory_studio.production.keyframes import KeyframeDesigner
from dreamfactory_studio.production.phase_outputs import APPLY, prompt_values
from dreamfactory_studio.production.run_plan import RunPlan, RunRequest, Step, plan


class Production:
    """Runs a project's phases with one set of backends, saving to its folder after each phase and scene."""

    def __init__(
        self,
        folder: ProjectFolder,
        project: Project,
        backends: Backends,
        *,
        crew: Crew | None = None,
        crew_preset: str | None = None,
        mode: str | None = None,
        emit: Emit = ignore,
        resume: dict[str, list[TranscriptMessage]] | None = None,
    ):
        self.folder = folder
        self.project = project
        self.backends = backends
        self.crew = crew or load_crew(folder.root)
        self.crew_preset = crew_preset
        self.designer: KeyframeDesigner | None = None
        self.mode = mode or self.crew.chain.mode
        if self.mode not in self.crew.chain.modes or (
            crew_preset and crew_preset not in self.crew.chain.crews
        ):
            raise BadInput(
                f"unknown mode or crew; modes: {', '.join(self.crew.chain.modes)}; crews: {', '.join(self.crew.chain.crews)}."
            )
        self.emit = emit
        self.resume = resume if resume is not None else {}
        """Conversations a lost connection cut off, by phase; running the phase again goes on from there.
        Pass the same dict to the next production (a workspace keeps one per project) to retry."""

    @property
    def text_phases(self) -> list[str]:
        return list(self.crew.chain.order)

    def scene_count(self) -> int:
        if self.project.request.scenes:
            return self.project.request.scenes
        if self.project.task:
            return self.project.task.scenes
        return self.crew.chain.modes[self.mode].scenes

    def plan(self, request: RunRequest) -> RunPlan:
        """The steps ``request`` takes on this project, worked out once."""
        return plan(request, self.project, self.text_phases, self.scene_count())

    async def perform(self, run: RunPlan | RunRequest) -> list[str]:
        """Carry out a plan (or plan a request first), step by step, each saved as it ends; return what ran,
        in words."""
        run = run if isinstance(run, RunPlan) else self.plan(run)
        self.emit(run.announce())
        ran = []
        for step in run.steps:
            ran.append(await self.perform_step(step))
        return ran

    async def perform_step(self, step: Step) -> str:
        """One step of a plan; return what it did, in words."""
        if not step.keyframes:
            await self.run_phase(step.phase, overwrite_edits=step.overwrite_edits)
            return step.phase
        if not step.scene_ids:  # the script is written by this run: every scene it has
            await self.run_keyframes()
            return step.phase
        drawn = await self.run_keyframes(step.scene_ids, only=step.only)
        return f"keyframes of scenes {', '.join(map(str, drawn))}"

    async def run(self, until: str | None = None) -> list[str]:
        """Run every phase not done yet, in order, stopping after ``until``; return the phases run."""
        return await self.perform(RunRequest(until=until))

    async def run_keyframes(
        self, scene_ids: Sequence[str] = (), *, only: bool = False, script_only: bool = False
    ) -> list[int]:
        """The keyframe phase for these scenes, in order (every scene when none are given; ``only``: a new take
        of one scene); saved scene by scene. ``script_only`` draws the ablation baseline instead (see
        :meth:`KeyframeDesigner.run_script_only`). Returns the numbers of the scenes drawn."""
        require_script(self.project)
        if self.project.phases["script"].status not in ("done", "stale"):
            raise ScriptNotWritten()
        self.designer = self._designer()
        state = self.project.phases["keyframes"]
        self.emit(PhaseStarted("keyframes", "Keyframe Design"))
        try:
            if script_only:
                drawn = await self.designer.run_script_only()
            else:
                drawn = await self.designer.run(scene_ids, only=only)
        except asyncio.CancelledError:
            self.emit(PhaseFinished("keyframes", "cancelled"))
            raise
        except Exception as exc:
            self.project.phases["keyframes"] = state.model_copy(
                update={"status": "failed", "error": str(exc)}
            )
            self.folder.save(self.project)
            self.emit(PhaseFinished("keyframes", "failed", str(exc)))
            raise
        if all(scene.keyframe for scene in self.project.scenes):
            self.project.phases["keyframes"] = PhaseState(status="done", finished=now())
        self.folder.save(self.project)
        self.emit(PhaseFinished("keyframes", "done"))
        return drawn

    def _designer(self) -> KeyframeDesigner:
        backends = self.backends
        if backends.painter is None or backends.monitor is None:
            raise BadInput("no painter or monitor was given for the keyframe phase.")
        return KeyframeDesigner(
            self.folder,
            self.project,
            llm=backends.llm,
            crew=self.crew,
            painter=backends.painter,
            monitor=backends.monitor,
            worker=backends.worker,
            settings=backends.settings.keyframes,
            emit=self.emit,
            memory=ImageMemory(self.folder, backends.embedder),
        )

    async def draw_sheets(self, characters: list[Character]) -> list[Take]:
        """Draw these characters' sheets again (the crew's loop, as at the start of the keyframes); each new
        sheet replaces theirs, pinned or not, and every earlier one stays among their takes."""
        self.designer = self._designer()
        drawn = []
        try:
            for character in characters:
                drawn.append(await self.designer.draw_sheet(character))
                self.folder.save(self.project)
        finally:
            self.folder.save(self.project)
        return drawn

    async def redraw_region(
        self, scene: Scene, source: Take, box: Box, character: Character | None, prompt: str
    ) -> Take:
        """Draw ``box`` of ``source`` again in place (:meth:`TakeMaker.redraw`) and save; nothing is kept of a
        redraw that fails or is cancelled."""
        take = await self._designer().redraw(scene, source, box, character, prompt)
        self.folder.save(self.project)
        return take

    async def draw_end_frame(self, scene: Scene) -> Take:
        """Draw the frame the scene's clip ends on (:meth:`TakeMaker.draw_end_frame`) and save."""
        take = await self._designer().draw_end_frame(scene)
        self.folder.save(self.project)
        return take

    async def run_phase(self, name: str, *, overwrite_edits: bool = False) -> None:
        """Run one text phase (again), write its decision and save; later phases become stale."""
        if name not in self.crew.phases:
            raise BadInput(f"unknown phase '{name}'; the text phases are {', '.join(self.text_phases)}.")
        phase = self.crew.phases[name]
        previous = self.project.phases.get(name, PhaseState())
        conversation = Conversation(
            name=name,
            phase=phase,
            crew=self.crew,
            llm=self.backends.llm,
            project=self.project,
            scene_count=self.scene_count(),
            rounds=self.crew.rounds(name, self.crew_preset),
            prompt_values=prompt_values(self.project, name, self.scene_count()),
            emit=self.emit,
            replay=list(self.resume.pop(name, [])),
        )
        self.emit(PhaseStarted(name, phase.title, conversation.rounds))
        try:
            decision = await conversation.run()
        except PhaseFailed as exc:
            self._keep_transcript(
                conversation, previous.model_copy(update={"status": "failed", "error": str(exc)})
            )
            self.emit(PhaseFinished(name, "failed", str(exc)))
            raise
        except (asyncio.CancelledError, Exception) as exc:
            # Cancelled, or a backend failed: the data stays as it was; what was said is kept, and after a
            # lost connection or a server error a retry goes on from where the conversation stopped.
            if isinstance(exc, BackendError):
                self.resume[name] = list(conversation.messages)
            self._keep_transcript(conversation, previous)
            self.emit(
                PhaseFinished(
                    name, "cancelled" if isinstance(exc, asyncio.CancelledError) else "failed", str(exc)
                )
            )
            raise
        APPLY[phase.conclusion](self.project, decision, overwrite_edits)
        self.project.phases[name] = PhaseState(
            status="done",
            finished=now(),
            prompt_tokens=conversation.prompt_tokens,
            completion_tokens=conversation.completion_tokens,
        )
        later = PHASES[PHASES.index(name) + 1 :] if name in PHASES else []
        for other in later:
            state = self.project.phases.get(other)
            if state is not None and state.status == "done":
                state.status = "stale"
        self.project.transcripts.extend(conversation.new_messages)
        self.folder.save(self.project)
        self.emit(PhaseFinished(name, "done"))

    def _keep_transcript(self, conversation: Conversation, state: PhaseState) -> None:
        self.project.transcripts.extend(conversation.new_messages)
        self.project.phases[conversation.name] = state
        self.folder.save(self.project)
