"""The headless engine under both front ends: one open project, its settings and its backends.

The CLI's commands parse, call a :class:`Workspace` and print; the window's session is its Qt side (undo,
autosave, signals). A workspace holds the project folder and the loaded project, the settings (loaded once,
unless given), and the :class:`~dreamfactory_studio.backends.backend_set.Backends` built from them, rebuilt
only when the settings change. It owns the GPU worker's life: closing the workspace stops it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from dreamfactory_studio.backends.backend_set import Backends
from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.events import Emit, ignore
from dreamfactory_studio.core.model import Box, Character, Evaluation, Project, Scene, Take, TranscriptMessage
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.settings import Settings, load_settings
from dreamfactory_studio.core.timing import scene_length
from dreamfactory_studio.production.run_plan import RunPlan, RunRequest

if TYPE_CHECKING:
    from dreamfactory_studio.export.editorial import EditReading
    from dreamfactory_studio.export.exporter import ExportOptions, ExportResult
    from dreamfactory_studio.production.run import Production


class Workspace:
    """One open project and what works on it: run, export, describe, evaluate. A context manager: leaving it
    stops the GPU worker and lets go of the project's lock."""

    def __init__(
        self,
        folder: ProjectFolder,
        project: Project | None = None,
        settings: Settings | None = None,
        *,
        backends: Backends | None = None,
    ):
        self.folder = folder
        self.project = project if project is not None else folder.load()
        self._settings = settings
        self._backends = backends
        self.resume: dict[str, list[TranscriptMessage]] = {}
        """Conversations a lost connection cut off, by phase: the next run of that phase goes on from there."""
        self._production: tuple[tuple, Production] | None = None

    @classmethod
    def open(
        cls, path: Path | str, *, read_only: bool = False, settings: Settings | None = None
    ) -> Workspace:
        """Open the project folder at ``path`` (taking its lock unless ``read_only``) and load it."""
        folder = ProjectFolder.open(path, read_only=read_only)
        try:
            return cls(folder, settings=settings)
        except BaseException:
            folder.close()
            raise

    # -- state --------------------------------------------------------------------------------------------

    @property
    def backends(self) -> Backends:
        """The backends of this workspace's settings, which are loaded on first use (once) unless given."""
        if self._backends is None:
            self._backends = Backends(self.settings)
        return self._backends

    @property
    def workers(self):
        """The pool the models draw on, once the backends are made (None before: nothing has drawn)."""
        return self._backends.worker if self._backends is not None else None

    @property
    def settings(self) -> Settings:
        """The settings, loaded once on first use; reading them makes no backend."""
        if self._backends is not None:
            return self._backends.settings
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    @property
    def root(self) -> Path:
        return self.folder.root

    @property
    def read_only(self) -> bool:
        return self.folder.read_only

    def use_settings(self, settings: Settings) -> None:
        """Work with changed settings from now on: the backends are rebuilt when they differ, on the same GPU
        worker (which keeps a loaded model the new settings still ask for)."""
        self._backends = self.backends.with_settings(settings) if self._backends else None
        self._settings = settings

    def save(self) -> None:
        self.folder.save(self.project)

    def scene_length(self, scene: Scene) -> float:
        """The scene's one length with this project's settings: what the card, ``show``, the PDF, the edit and
        the film all say (:func:`~dreamfactory_studio.core.timing.scene_length`)."""
        settings = self.settings
        return scene_length(scene, settings.export, settings.defaults.fps, settings.speech.words_per_second)

    # -- the production -----------------------------------------------------------------------------------

    def production(self, emit: Emit | None = None, **options) -> Production:
        """This workspace's production of its project (``options``: crew, crew_preset, mode): one, shared by
        planning, performing and the resume state, made again only when the options, the backends or the
        crew's files change. ``emit`` gets the events from now on; None (planning) leaves the one it has, so
        that a plan made during a run does not silence it."""
        from dreamfactory_studio.production.crew_config import crew_version
        from dreamfactory_studio.production.run import Production

        key = (
            tuple(sorted((k, id(v) if k == "crew" else v) for k, v in options.items())),
            id(self.project),
            id(self.backends),
            crew_version(self.folder.root) if "crew" not in options else (),
        )
        if self._production is None or self._production[0] != key:
            made = Production(self.folder, self.project, self.backends, resume=self.resume, **options)
            self._production = (key, made)
        production = self._production[1]
        if emit is not None:
            production.emit = emit
        return production

    def plan(self, request: RunRequest, **options) -> RunPlan:
        """The steps ``request`` takes on this project now."""
        return self.production(**options).plan(request)

    async def run(self, run: RunPlan | RunRequest, *, emit: Emit = ignore, **options) -> list[str]:
        """Carry out a plan (or a request, planned first); the production saves after every step, so a failure
        or a cancel keeps all that finished. Return what ran, in words."""
        return await self.production(emit, **options).perform(run)

    async def draw_sheets(self, names: list[str], *, emit: Emit = ignore) -> list[str]:
        """Draw these characters' sheets again with the crew and the painter; return the new sheets' assets."""
        from dreamfactory_studio.core.edits import character_named

        characters = [character_named(self.project, name) for name in names]
        takes = await self.production(emit).draw_sheets(characters)
        return [take.image for take in takes]

    def region_to_redraw(
        self, scene: Scene, take_id: str | None = None, character: str | None = None
    ) -> tuple[Take, Character | None]:
        """The take whose region is to be redrawn (the keyframe by default) and the character named for it;
        :class:`BadInput` when there is none, its picture is gone, or the character is not in the scene."""
        from dreamfactory_studio.core.edits import character_named

        number = self.project.scene_number(scene.id)
        if take_id:
            try:
                source = scene.take(take_id)
            except KeyError:
                ids = ", ".join(t.id for t in scene.takes) or "none"
                raise BadInput(f"scene {number} has no take '{take_id}' (takes: {ids}).") from None
        elif scene.keyframe is None:
            raise BadInput(f"scene {number} has no keyframe to redraw; draw it first or import an image.")
        else:
            source = scene.keyframe
        if not self.folder.asset_path(source.image).is_file():
            raise BadInput(f"take {source.id}'s picture {source.image} is missing; draw or import it again.")
        named = None
        if character:
            named = character_named(self.project, character)
            if named.id not in scene.characters:
                present = ", ".join(c.name for c in self.project.characters if c.id in scene.characters)
                raise BadInput(f"{named.name} is not in scene {number} (in it: {present or 'no one'}).")
        return source, named

    async def redraw_region(
        self,
        scene: Scene,
        box: Box,
        *,
        take_id: str | None = None,
        character: str | None = None,
        prompt: str = "",
        emit: Emit = ignore,
    ) -> Take:
        """Draw ``box`` of a take of ``scene`` again in place, as a new take that becomes the keyframe; the
        source take is kept as it was, and the project is saved."""
        source, named = self.region_to_redraw(scene, take_id, character)
        return await self.production(emit).redraw_region(scene, source, box, named, prompt)

    async def draw_end_frame(self, scene: Scene, *, emit: Emit = ignore) -> Take:
        """Draw the frame ``scene``'s clip ends on with the painter and pin it as its end frame; saved."""
        return await self.production(emit).draw_end_frame(scene)

    # -- the rest -----------------------------------------------------------------------------------------

    async def export(self, options: ExportOptions, *, emit: Emit = ignore) -> ExportResult:
        """Export the film; the narration and clips it makes are kept in the project, and it is saved."""
        from dreamfactory_studio.export.exporter import export_project

        return await export_project(self.folder, self.project, self.backends, options, emit=emit)

    def read_edit(self, path: Path) -> EditReading:
        """An editor's edit of this project's film, mapped onto its scenes; nothing is changed yet."""
        from dreamfactory_studio.export.editorial import read_edit

        media = {}
        for scene in self.project.scenes + [c.scene for c in self.project.cut_scenes]:
            asset = scene.clip.video if scene.clip else (scene.keyframe.image if scene.keyframe else None)
            if asset:
                media[scene.id] = self.folder.asset_path(asset)
        return read_edit(path, self.project, media, self.settings.defaults.fps)

    def conform(self, reading: EditReading, source: str) -> list[Scene]:
        """Apply an edit read by :meth:`read_edit` (the window does it through its session, as one undo step)."""
        from dreamfactory_studio.core.edits import conform_to_edit

        return conform_to_edit(self.project, reading.order, reading.durations, source)

    def describe_edit(self, reading: EditReading, cut: list[Scene] | None = None) -> str:
        """What an edit changes (or changed, with the scenes it ``cut``), in words."""
        from dreamfactory_studio.export.editorial import describe_edit

        return describe_edit(self.project, reading, cut)

    async def describe(self) -> str:
        """The monitor's new Base Description of the Base Frame; nothing is changed until it is accepted."""
        from dreamfactory_studio.production.frame_facts import describe_base_frame

        return await describe_base_frame(self.folder, self.project, self.backends.monitor)

    async def evaluate(
        self, reference: Path | None = None, *, say: Callable[[str], None] = lambda message: None
    ) -> Evaluation:
        """Score the project with the paper's metrics and keep the scores in it (saved)."""
        from dreamfactory_studio.eval.evaluate import Evaluator

        evaluator = Evaluator(self.settings, say, monitor=self.backends.monitor)
        self.project.evaluation = await evaluator.project(self.folder, self.project, reference)
        self.save()
        return self.project.evaluation

    # -- life ---------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the GPU worker (freeing its model) and let go of the project folder."""
        try:
            if self._backends is not None:
                self._backends.close()
        finally:
            self.folder.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()
