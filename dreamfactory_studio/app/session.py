"""An open project in the window: the Qt side of a :class:`~dreamfactory_studio.workspace.Workspace`, with its
undo stack, its autosave and the one ``changed`` signal every view listens to.

Every edit goes through :meth:`ProjectSession.do`, which binds one of the operations the CLI offers too
(``core.operations``), and :meth:`ProjectSession.apply`, which runs its edit, snapshots for undo exactly what the edit declares it touches, and emits that record after the edit and
after each undo and redo. Edits live in memory and in the autosave until saved; a crash leaves them in the
autosave, offered back on the next open.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from dreamfactory_studio.app.undo import Change
from dreamfactory_studio.core.changes import PROJECT_FIELDS, Changes, declared
from dreamfactory_studio.core.errors import BadInput, StudioError
from dreamfactory_studio.core.events import (
    Emit,
    Event,
    ModelLoading,
    PhaseFinished,
    SceneFinished,
    SceneStarted,
    SheetStarted,
    StepProgress,
    TakeMade,
)
from dreamfactory_studio.core.model import Box, Project, Scene
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.project_state import Snapshot
from dreamfactory_studio.production.run_plan import RunPlan, RunRequest
from dreamfactory_studio.workspace import Workspace
from dreamfactory_studio.workspace.operations import bind

log = logging.getLogger(__name__)

AUTOSAVE_DELAY_MS = 1500


@dataclass
class Activity:
    """What a job is doing to a scene right now (not saved): drawing, with progress, or failed."""

    progress: float | None = None
    error: str = ""


class ProjectSession(QObject):
    changed = Signal(object)
    """A :class:`~dreamfactory_studio.core.changes.Changes`: what an edit, an undo, a redo or a run touched
    (scenes still present, fields, order, the scene to show). Every view filters it for what it shows."""
    busyChanged = Signal(bool)
    status = Signal(str)
    saveFailed = Signal(str)

    def __init__(self, workspace: Workspace, parent: QObject | None = None):
        super().__init__(parent)
        self.workspace = workspace
        self.undo = QUndoStack(self)
        self.activity: dict[str, Activity] = {}
        self.busy = False
        self._drawing: str | None = None  # the scene a run is drawing now
        self._autosave = QTimer(self, singleShot=True, interval=AUTOSAVE_DELAY_MS)
        self._autosave.timeout.connect(self.autosave_now)

    # -- state ------------------------------------------------------------------------------------------

    @property
    def folder(self) -> ProjectFolder:
        return self.workspace.folder

    @property
    def project(self) -> Project:
        return self.workspace.project

    @property
    def read_only(self) -> bool:
        return self.workspace.read_only

    @property
    def modified(self) -> bool:
        return not self.undo.isClean()

    def asset_file(self, relative: str) -> str:
        """The file of one of the project's assets, as Qt wants it (joined, not resolved: this runs in paint)."""
        return str(self.folder.root / relative)

    def scene_by_id(self, scene_id: str) -> Scene:
        return self.project.scene(scene_id)

    def number_of(self, scene_id: str) -> int:
        return self.project.scene_number(scene_id)

    # -- saving -----------------------------------------------------------------------------------------

    def save(self) -> bool:
        """Write the project; a failure is reported and the edits stay in memory and the autosave."""
        if self.read_only:
            return False
        try:
            self.workspace.save()
        except StudioError as exc:
            self.saveFailed.emit(str(exc))
            return False
        self._autosave.stop()
        self.undo.setClean()
        return True

    def autosave_now(self) -> None:
        if self.read_only or not self.modified:
            return
        try:
            self.folder.autosave(self.project)
        except (StudioError, OSError) as exc:
            self.status.emit(f"Autosave failed: {exc}")

    def close(self) -> None:
        """Stop the autosave and close the workspace (its GPU worker and the project's lock)."""
        self._autosave.stop()
        self.workspace.close()

    # -- edits ------------------------------------------------------------------------------------------

    def _check_editable(self, what: str = "edit") -> None:
        if self.read_only:
            raise BadInput(f"the project is open read-only; reopen it normally to {what}.")
        if self.busy:
            raise BadInput(f"a job is running on this project; wait for it or cancel it, then {what}.")

    def apply(self, text: str, edit: Callable, *args, merge_key: object = None, **kwargs):
        """Make one undoable edit: ``edit(*args, **kwargs)`` is one of ``core.edits`` (or another edit that
        declares what it changes with ``@touches``). Exactly the parts it declares are snapshotted for undo; a
        refused edit (:class:`BadInput`) changes nothing and is raised for the window to show. An edit that
        makes a scene shows it after undo and redo. Edits with one ``merge_key`` in a row are one undo step."""
        self._check_editable()
        changes = declared(edit, *args, **kwargs)
        before = Snapshot.of(self.project, changes)
        try:
            result = edit(*args, **kwargs)
        except BaseException:
            before.restore(self.project)
            raise
        if before.matches(self.project):
            return result  # nothing changed (the same text typed again): no undo step
        if isinstance(result, Scene):
            changes = changes.with_focus(result.id)
        self._push(text, before, changes, merge_key)
        return result

    def _push(self, text: str, before: Snapshot, changes: Changes, merge_key: object = None) -> None:
        after = before.after(self.project)
        self.undo.push(Change(text, self.project, before, after, changes, self._changed, merge_key=merge_key))

    def _changed(self, change: Change) -> None:
        present = {s.id for s in self.project.scenes}
        record = change.changes
        self.changed.emit(
            Changes(
                frozenset(i for i in change.scene_ids if i in present),
                record.fields,
                record.order,
                record.focus if record.focus in present else None,
            )
        )
        if not self.read_only:
            self._autosave.start()

    def do(self, op_id: str, *, merge_key: object = None, **values):
        """Make operation ``op_id`` of :data:`~dreamfactory_studio.core.operations.OPERATIONS` one undoable edit:
        ``values`` by its parameters' names (scene and character ids), bound to the project as the CLI binds
        them (:func:`~dreamfactory_studio.workspace.operations.bind`), then :meth:`apply`. A refused operation
        raises :class:`BadInput` and changes nothing."""
        bound = bind(op_id, self.project, self.folder, **values)
        return self.apply(bound.label, bound.edit, *bound.args, merge_key=merge_key, **bound.kwargs)

    async def draw_sheet(self, character_id: str) -> None:
        """Draw a character's sheet again with the crew and the painter: one undo step; every sheet drawn stays
        among the character's takes."""
        self._check_editable("draw a sheet")
        character = self.project.character(character_id)
        touched = Changes.of(fields=["characters"])
        before = Snapshot.of(self.project, touched)
        self.workspace.save()
        self._set_busy(True)
        try:
            await self.workspace.draw_sheets([character.name], emit=self._on_event)
        finally:
            self._set_busy(False)
            if not before.matches(self.project):
                self._push(f"Draw {character.name}'s sheet", before, touched)
                self._emit(touched)
            self.undo.setClean()

    async def redraw_region(
        self, scene_id: str, box: Box, *, take_id: str | None = None, character_id: str = "", prompt: str = ""
    ) -> None:
        """Draw a region of a take again in place as a new take, the scene's keyframe: one undo step; the source
        take is kept as it was, and a cancelled or failed redraw changes nothing."""
        self._check_editable("redraw a region")
        scene = self.scene_by_id(scene_id)
        character = self.project.character(character_id).name if character_id else None
        self.workspace.region_to_redraw(scene, take_id, character)  # a bad request is refused before any work
        touched = Changes.of(scenes=[scene_id], focus=scene_id)
        before = Snapshot.of(self.project, touched)
        self.workspace.save()
        self._set_busy(True)
        try:
            await self.workspace.redraw_region(
                scene, box, take_id=take_id, character=character, prompt=prompt, emit=self._on_event
            )
        finally:
            self._set_busy(False)
            if not before.matches(self.project):
                self._push(f"Redraw a region of scene {self.number_of(scene_id)}", before, touched)
                self._emit(touched)
            self.undo.setClean()

    async def draw_end_frame(self, scene_id: str) -> None:
        """Draw the frame a scene's clip ends on and pin it as its end frame: one undo step."""
        self._check_editable("draw an end frame")
        scene = self.scene_by_id(scene_id)
        touched = Changes.of(scenes=[scene_id], focus=scene_id)
        before = Snapshot.of(self.project, touched)
        self.workspace.save()
        self._set_busy(True)
        try:
            await self.workspace.draw_end_frame(scene, emit=self._on_event)
        finally:
            self._set_busy(False)
            if not before.matches(self.project):
                self._push(f"Draw the end frame of scene {self.number_of(scene_id)}", before, touched)
                self._emit(touched)
            self.undo.setClean()

    # -- jobs -------------------------------------------------------------------------------------------

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.busyChanged.emit(busy)

    def plan(self, request: RunRequest) -> RunPlan:
        """The steps ``request`` takes on this project now (a bad request is refused here, as BadInput)."""
        return self.workspace.plan(request)

    async def run(self, plan: RunPlan, *, emit: Emit | None = None, label: str = "") -> list[str]:
        """Carry out ``plan`` on the workspace, whose GPU worker keeps a loaded model between runs.

        The project is saved first, and the production saves after every step, so a failure or cancel keeps all
        that finished. The whole run is one undo step (``label``, else the plan's title) over what the plan
        declares it touches; every image it drew stays in the assets. A scene whose drawing failed keeps its
        error on its card. ``emit`` gets every event too."""
        self._check_editable("run the crew")

        def on_event(event: Event) -> None:
            self._on_event(event)
            if emit is not None:
                emit(event)

        touched = plan.touches(self.project)
        before = Snapshot.of(self.project, touched)
        self.workspace.save()  # from here on the production saves as it goes
        self.undo.setClean()
        self._set_busy(True)
        try:
            return await self.workspace.run(plan, emit=on_event)
        except StudioError as exc:
            if self._drawing is not None:
                self.activity[self._drawing] = Activity(error=str(exc))
            raise
        finally:
            drawn = list(self.activity)
            self.activity = {i: Activity(error=a.error) for i, a in self.activity.items() if a.error}
            self._drawing = None
            self._set_busy(False)
            if not before.matches(self.project):  # a run cancelled before it changed anything leaves no step
                self._push(label or plan.title, before, touched)
            elif drawn:
                self._emit(Changes.of(i for i in drawn if i in {s.id for s in self.project.scenes}))
            self.undo.setClean()  # the production saved the project as it went

    async def export(self, options, *, emit: Emit | None = None):
        """Export the film as the CLI's ``export`` does (``options``: an ``ExportOptions``). The project is
        saved first; the narration and clips the export makes are kept in it, so exporting again after one edit
        renders that scene alone."""
        from dreamfactory_studio.core.events import ignore

        self._check_editable("export (clips are kept in it)")
        self.workspace.save()
        self.undo.setClean()
        self._set_busy(True)
        try:
            return await self.workspace.export(options, emit=emit or ignore)
        finally:
            self._set_busy(False)
            self.undo.setClean()  # the exporter saved its clips and narration into the project

    async def redescribe(self) -> str:
        """The monitor's new Base Description of the Base Frame (nothing is changed until it is accepted)."""
        self._set_busy(True)
        try:
            return await self.workspace.describe()
        finally:
            self._set_busy(False)

    def _emit(self, changes: Changes) -> None:
        self.changed.emit(changes)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, SceneStarted):
            self._drawing = event.scene_id
            self.activity[event.scene_id] = Activity(progress=0.0)
            self._emit(Changes.of([event.scene_id]))
            self.status.emit(f"Scene {event.number}: drawing the {event.what}…")
        elif isinstance(event, SheetStarted):
            self.status.emit(f"Drawing {event.name}'s sheet…")
        elif isinstance(event, StepProgress):
            if event.scene_id not in {s.id for s in self.project.scenes}:
                return  # a character's sheet: the run's progress bar shows it
            self.activity.setdefault(event.scene_id, Activity()).progress = event.step / max(event.total, 1)
            self._emit(Changes.of([event.scene_id]))
        elif isinstance(event, TakeMade):
            self._emit(Changes.of([event.scene_id]))
            if event.notes:  # what the painter left out, where the user looks while it draws
                self.status.emit(f"Scene {self.number_of(event.scene_id)}: {event.notes[0]}")
        elif isinstance(event, SceneFinished):
            self._drawing = None
            self.activity.pop(event.scene_id, None)
            first = ["base_frame", "base_description"] if event.number == 1 else []
            self._emit(Changes.of([event.scene_id], first))
        elif isinstance(event, PhaseFinished) and event.status == "done" and event.phase != "keyframes":
            # a text phase may write the scenes and any decision anew
            self._emit(Changes.of((s.id for s in self.project.scenes), PROJECT_FIELDS, order=True))
        elif isinstance(event, ModelLoading):
            self.status.emit(event.message)
