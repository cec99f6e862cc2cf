"""The chat chain: the text phases in order, each saved as it ends, with human checkpoints between them.

A phase's decision is written into the project and saved at once; re-running a phase marks the later phases
stale without deleting anything. A failed or cancelled phase leaves the project's data as it was and keeps the
transcript of what was said.
"""

from __future__ import annotations

import asyncio

from dreamfactory_studio.backends.image import ImageBackend
from dreamfactory_studio.backends.llm import LLM
from dreamfactory_studio.backends.vision import Monitor
from dreamfactory_studio.backends.vision.clip_embedder import ClipEmbedder
from dreamfactory_studio.core.errors import BackendError, BadInput
from dreamfactory_studio.core.events import Emit, PhaseFinished, PhaseStarted, RunPlanned, ignore
from dreamfactory_studio.core.model import PHASES, PhaseState, Project, TranscriptMessage, now
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.settings import KeyframeSettings, Settings
from dreamfactory_studio.production.conversation import Conversation, PhaseFailed
from dreamfactory_studio.production.crew_config import Crew, load_crew
from dreamfactory_studio.production.gpu_worker import GpuWorker
from dreamfactory_studio.production.image_memory import ImageMemory
from dreamfactory_studio.production.keyframes import KeyframeDesigner
from dreamfactory_studio.production.phase_outputs import APPLY, prompt_values
from dreamfactory_studio.production.run_request import RunRequest


class Production:
    """Runs a project's phases with one LLM backend, saving to its folder after each phase."""

    def __init__(
        self,
        folder: ProjectFolder,
        project: Project,
        llm: LLM,
        *,
        crew: Crew | None = None,
        crew_preset: str | None = None,
        mode: str | None = None,
        emit: Emit = ignore,
        painter: ImageBackend | None = None,
        monitor: Monitor | None = None,
        worker: GpuWorker | None = None,
        keyframe_settings: KeyframeSettings | None = None,
        clip_model: str = "",
        resume: dict[str, list[TranscriptMessage]] | None = None,
    ):
        self.folder = folder
        self.project = project
        self.llm = llm
        self.crew = crew or load_crew(folder.root)
        self.crew_preset = crew_preset
        self.painter = painter
        self.monitor = monitor
        self.worker = worker or GpuWorker()
        self.keyframe_settings = keyframe_settings or KeyframeSettings()
        self.designer: KeyframeDesigner | None = None
        self.clip_model = clip_model
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
        Pass the same dict to the next production (the window keeps one per project) to retry."""

    @classmethod
    def from_settings(
        cls, folder: ProjectFolder, project: Project, settings: Settings, **kwargs
    ) -> Production:
        """A production with the LLM, painter and monitor the settings ask for."""
        from dreamfactory_studio.backends.image import make_image_backend
        from dreamfactory_studio.backends.llm import make_llm
        from dreamfactory_studio.backends.vision import make_monitor

        return cls(
            folder,
            project,
            make_llm(settings.llm),
            painter=make_image_backend(settings.image),
            monitor=make_monitor(settings),
            keyframe_settings=settings.keyframes,
            clip_model=settings.memory.clip_model,
            **kwargs,
        )

    @property
    def text_phases(self) -> list[str]:
        return list(self.crew.chain.order)

    def scene_count(self) -> int:
        if self.project.request.scenes:
            return self.project.request.scenes
        if self.project.task:
            return self.project.task.scenes
        return self.crew.chain.modes[self.mode].scenes

    def pending(self, until: str | None = None) -> list[str]:
        """The phases a plain ``run`` would do next, in order: those not done, up to ``until``."""
        order = [*self.text_phases, "keyframes"]
        if until is not None:
            if until not in order:
                raise BadInput(f"unknown phase '{until}'; the phases are {', '.join(order)}.")
            order = order[: order.index(until) + 1]
        return [name for name in order if self.project.phases.get(name, PhaseState()).status != "done"]

    def plan(self, request: RunRequest) -> tuple[list[str], int]:
        """The phases ``request`` will run, and how many keyframes it will draw (as far as can be told)."""
        if request.from_scene is not None:
            scenes = len(self.project.scenes) or self.scene_count()
            return ["keyframes"], 1 if request.only else max(0, scenes - request.from_scene + 1)
        phases = [request.phase] if request.phase else self.pending(request.until)
        if request.step:
            phases = phases[:1]
        drawn = 0
        if "keyframes" in phases:
            drawn = (
                self.scene_count()
                if "script" in phases or not self.project.scenes
                else len(self.project.scenes)
            )
        return phases, drawn

    async def perform(self, request: RunRequest) -> list[str]:
        """Carry out one :class:`RunRequest`; return what ran, in words."""
        phases, scenes = self.plan(request)
        self.emit(RunPlanned(tuple(phases), scenes))
        if request.from_scene is not None:
            drawn = await self.run_keyframes(request.from_scene, only=request.only)
            return [f"keyframes of scenes {', '.join(map(str, drawn))}"]
        if request.phase == "keyframes":
            await self.run_keyframes(1)
            return ["keyframes"]
        if request.phase is not None:
            await self.run_phase(request.phase, overwrite_edits=request.overwrite_edits)
            return [request.phase]
        if request.step:
            pending = self.pending(request.until)
            return await self.run(until=pending[0]) if pending else []
        return await self.run(until=request.until)

    async def run(self, until: str | None = None) -> list[str]:
        """Run every phase not done yet, in order, stopping after ``until``; return the phases run."""
        ran = []
        for name in self.pending(until):
            if name == "keyframes":
                await self.run_keyframes(1)
            else:
                await self.run_phase(name)
            ran.append(name)
        return ran

    async def run_keyframes(
        self, from_scene: int = 1, *, only: bool = False, script_only: bool = False
    ) -> list[int]:
        """The keyframe phase, from scene ``from_scene`` on (or that scene ``only``); saved scene by scene.
        ``script_only`` draws the ablation baseline instead (see :meth:`KeyframeDesigner.run_script_only`)."""
        if self.painter is None or self.monitor is None:
            raise BadInput("no painter or monitor was given for the keyframe phase.")
        if self.project.phases["script"].status not in ("done", "stale") or not self.project.scenes:
            raise BadInput(
                "the script is not written yet; run the script phase first (`run PROJECT --until script`)."
            )
        embedder = ClipEmbedder(self.clip_model) if self.clip_model else None
        self.designer = KeyframeDesigner(
            self.folder,
            self.project,
            llm=self.llm,
            crew=self.crew,
            painter=self.painter,
            monitor=self.monitor,
            worker=self.worker,
            settings=self.keyframe_settings,
            emit=self.emit,
            memory=ImageMemory(self.folder, embedder),
        )
        state = self.project.phases["keyframes"]
        self.emit(PhaseStarted("keyframes", "Keyframe Design"))
        try:
            if script_only:
                drawn = await self.designer.run_script_only()
            else:
                drawn = await self.designer.run(from_scene, only=only)
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
            llm=self.llm,
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
