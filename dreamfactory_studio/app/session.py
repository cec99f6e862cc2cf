"""An open project in the window: its folder, its undo stack, its autosave, and every edit the window makes.

Each edit goes through :meth:`ProjectSession.change`, which runs one of ``core.edits`` (the functions the CLI
uses) and pushes the parts it touched onto the undo stack. Edits live in memory and in the autosave until
saved; a crash leaves them in the autosave, offered back on the next open.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from dreamfactory_studio.app.undo import Change
from dreamfactory_studio.core import edits
from dreamfactory_studio.core.errors import BadInput, StudioError
from dreamfactory_studio.core.events import (
    Emit,
    Event,
    ModelLoading,
    PhaseFinished,
    SceneFinished,
    SceneStarted,
    StepProgress,
    TakeMade,
)
from dreamfactory_studio.core.model import Project, Scene, TranscriptMessage
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.project_state import Snapshot
from dreamfactory_studio.core.settings import load_settings

log = logging.getLogger(__name__)

AUTOSAVE_DELAY_MS = 1500
RUN_FIELDS = ("task", "style", "outline", "characters", "base_frame", "base_description", "phases")
"""What a run of the crew may change besides the scenes: one undo step puts them back."""


@dataclass
class Activity:
    """What a job is doing to a scene right now (not saved): drawing, with progress, or failed."""

    progress: float | None = None
    error: str = ""


class ProjectSession(QObject):
    scenesChanged = Signal(list)  # ids of scenes whose content changed
    orderChanged = Signal()  # scenes moved, added or removed
    projectChanged = Signal()  # Base Frame, Base Description, style, characters
    focusScene = Signal(str)  # the scene an undo or redo touched, to show it
    busyChanged = Signal(bool)
    status = Signal(str)
    saveFailed = Signal(str)

    def __init__(self, folder: ProjectFolder, project: Project, parent: QObject | None = None):
        super().__init__(parent)
        self.folder = folder
        self.project = project
        self.undo = QUndoStack(self)
        self.activity: dict[str, Activity] = {}
        self.busy = False
        self.resume: dict[str, list[TranscriptMessage]] = {}  # conversations a lost connection cut off
        self._drawing: str | None = None  # the scene a run is drawing now
        self._worker = None
        self._autosave = QTimer(self, singleShot=True, interval=AUTOSAVE_DELAY_MS)
        self._autosave.timeout.connect(self.autosave_now)

    # -- state ------------------------------------------------------------------------------------------

    @property
    def read_only(self) -> bool:
        return self.folder.read_only

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
            self.folder.save(self.project)
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
        self._autosave.stop()
        if self._worker is not None:
            self._worker.shutdown()
            self._worker = None
        self.folder.close()

    # -- edits ------------------------------------------------------------------------------------------

    def change(
        self,
        text: str,
        apply: Callable[[], object],
        *,
        scenes: tuple[str, ...] | list[str] = (),
        fields: tuple[str, ...] = (),
        order: bool = False,
        focus: str | Callable[[object], str] | None = None,
        merge_key: object = None,
    ):
        """Make one undoable edit: ``apply()`` changes the project through ``core.edits``. A refused edit
        (:class:`BadInput`) changes nothing and is raised for the window to show. ``focus`` names the scene to
        show after undo or redo (or makes it from ``apply``'s result)."""
        if self.read_only:
            raise BadInput("the project is open read-only; reopen it normally to edit.")
        if self.busy:
            raise BadInput("a job is running on this project; wait for it or cancel it, then edit.")
        before = Snapshot.capture(self.project, scenes=scenes, fields=fields, order=order)
        try:
            result = apply()
        except BaseException:
            before.restore(self.project)
            raise
        self._push(text, before, focus(result) if callable(focus) else focus, merge_key)
        return result

    def _push(self, text: str, before: Snapshot, focus: str | None, merge_key: object = None) -> None:
        after = before.after(self.project)
        self.undo.push(
            Change(text, self.project, before, after, self._changed, focus=focus, merge_key=merge_key)
        )

    def _changed(self, change: Change) -> None:
        if change.reorders:
            self.orderChanged.emit()
        present = {s.id for s in self.project.scenes}
        live = [i for i in change.scene_ids if i in present]
        if live:
            self.scenesChanged.emit(live)
        if change.fields:
            self.projectChanged.emit()
        if change.focus in present:
            self.focusScene.emit(change.focus)
        if not self.read_only:
            self._autosave.start()

    def edit_scene(self, scene_id: str, *, merge_key: object = None, **values) -> list[str]:
        return self._scene_edit(
            f"Edit {', '.join(values)} of scene {{n}}",
            scene_id,
            lambda s: edits.edit_scene(self.project, s, **values),
            fields=("characters",) if "characters" in values else (),  # a new name adds a character
            merge_key=merge_key,
        )

    def insert_scene(self, number: int) -> str:
        scene = self.change(
            f"Insert scene {number}",
            lambda: edits.insert_scene(self.project, number),
            order=True,
            focus=lambda made: made.id,
        )
        return scene.id

    def duplicate_scene(self, scene_id: str) -> str:
        number = self.number_of(scene_id)
        copy = self.change(
            f"Duplicate scene {number}",
            lambda: edits.duplicate_scene(self.project, number),
            order=True,
            focus=lambda made: made.id,
        )
        return copy.id

    @staticmethod
    def _scenes_label(numbers: list[int]) -> str:
        return f"scene {numbers[0]}" if len(numbers) == 1 else f"{len(numbers)} scenes"

    def delete_scenes(self, scene_ids: list[str]) -> None:
        numbers = [self.number_of(i) for i in scene_ids]
        self.change(
            f"Delete {self._scenes_label(numbers)}",
            lambda: edits.delete_scenes(self.project, numbers),
            scenes=scene_ids,
            order=True,
        )

    def move_scenes(self, scene_ids: list[str], to: int) -> None:
        """Move scenes so that the first lands at position ``to`` (1-based, among the scenes not moving)."""
        numbers = [self.number_of(i) for i in scene_ids]
        self.change(
            f"Move {self._scenes_label(numbers)} to {to}",
            lambda: edits.move_scenes(self.project, numbers, to),
            order=True,
            focus=scene_ids[0],
        )

    def _scene_edit(
        self,
        text: str,
        scene_id: str,
        apply: Callable[[Scene], object],
        *,
        fields=(),
        merge_key: object = None,
    ):
        """One undoable edit of one scene; ``{n}`` in ``text`` becomes the scene's number."""
        scene = self.scene_by_id(scene_id)
        return self.change(
            text.format(n=self.number_of(scene_id)),
            lambda: apply(scene),
            scenes=[scene_id],
            fields=fields,
            focus=scene_id,
            merge_key=merge_key,
        )

    def select_take(self, scene_id: str, take_id: str) -> None:
        self._scene_edit("Choose a take for scene {n}", scene_id, lambda s: edits.select_take(s, take_id))

    def delete_take(self, scene_id: str, take_id: str) -> None:
        self._scene_edit(
            "Delete a take of scene {n}", scene_id, lambda s: edits.delete_take(self.project, s, take_id)
        )

    def pin_scene(self, scene_id: str, pinned: bool = True) -> None:
        self._scene_edit(
            ("Pin" if pinned else "Unpin") + " the keyframe of scene {n}",
            scene_id,
            lambda s: edits.pin_scene(s, pinned=pinned),
        )

    def import_take(self, scene_id: str, file: Path | str) -> None:
        from dreamfactory_studio.production.imports import import_take

        self._scene_edit(
            "Import an image into scene {n}",
            scene_id,
            lambda s: import_take(self.folder, self.project, s, file),
        )

    def pin_base_frame(self, scene_id: str, take_id: str | None = None) -> None:
        self._scene_edit(
            "Pin the Base Frame from scene {n}",
            scene_id,
            lambda s: edits.pin_base_frame(self.project, s, take_id),
            fields=("base_frame",),
        )

    def import_base_frame(self, file: Path | str) -> None:
        from dreamfactory_studio.production.imports import import_base_frame

        first = edits.find_scene(self.project, 1)
        self._scene_edit(
            "Import the Base Frame",
            first.id,
            lambda _s: import_base_frame(self.folder, self.project, file),
            fields=("base_frame",),
        )

    def unpin_base_frame(self) -> None:
        self.change(
            "Unpin the Base Frame", lambda: edits.unpin_base_frame(self.project), fields=("base_frame",)
        )

    def edit_base_description(self, text: str, *, merge_key: object = None) -> None:
        if text == self.project.base_description.text:
            return
        self.change(
            "Edit the Base Description",
            lambda: edits.edit_base_description(self.project, text),
            fields=("base_description",),
            merge_key=merge_key,
        )

    def replace_base_description(self, text: str) -> None:
        self.change(
            "Take the monitor's Base Description",
            lambda: edits.replace_base_description(self.project, text),
            fields=("base_description",),
        )

    # -- jobs -------------------------------------------------------------------------------------------

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.busyChanged.emit(busy)

    def worker(self):
        """The GPU worker that keeps a loaded model between jobs of this session."""
        if self._worker is None:
            from dreamfactory_studio.production.gpu_worker import GpuWorker

            self._worker = GpuWorker()
        return self._worker

    async def run(self, request, *, emit: Emit | None = None, label: str = "") -> list[str]:
        """Run the production as ``request`` (a ``RunRequest``) asks, on this session's GPU worker.

        The project is saved first, and the production saves as it goes, so a failure or cancel keeps all
        that finished. The whole run is one undo step (``label``); every image it drew stays in the assets.
        A scene whose drawing failed keeps its error on its card. ``emit`` gets every event too."""
        from dreamfactory_studio.production.chain_runner import Production

        if self.read_only:
            raise BadInput("the project is open read-only; reopen it normally to run the crew.")
        if self.busy:
            raise BadInput("a job is already running on this project; wait for it or cancel it.")

        def on_event(event: Event) -> None:
            self._on_event(event)
            if emit is not None:
                emit(event)

        production = Production.from_settings(
            self.folder,
            self.project,
            load_settings(),
            emit=on_event,
            worker=self.worker(),
            resume=self.resume,
        )
        if request.only and request.from_scene is not None:
            scene_id = edits.find_scene(self.project, request.from_scene).id
            before = Snapshot.capture(
                self.project, scenes=[scene_id], fields=("base_frame", "base_description")
            )
        else:
            scene_id = None
            ids = [s.id for s in self.project.scenes]
            before = Snapshot.capture(self.project, scenes=ids, fields=RUN_FIELDS, order=True)
        self.folder.save(self.project)  # from here on the production saves as it goes
        self.undo.setClean()
        self._set_busy(True)
        try:
            return await production.perform(request)
        except StudioError as exc:
            if self._drawing is not None:
                self.activity[self._drawing] = Activity(error=str(exc))
            raise
        finally:
            touched = list(self.activity)
            self.activity = {i: Activity(error=a.error) for i, a in self.activity.items() if a.error}
            self._drawing = None
            self._set_busy(False)
            if not before.matches(self.project):  # a run cancelled before it changed anything leaves no step
                self._push(label or request.describe(), before, scene_id)
            elif touched:
                self.scenesChanged.emit([i for i in touched if i in {s.id for s in self.project.scenes}])
            self.undo.setClean()  # the production saved the project as it went

    async def export(self, options, *, emit: Emit | None = None):
        """Export the film as the CLI's ``export`` does (``options``: an ``ExportOptions``). The project is
        saved first; the narration and clips the export makes are kept in it, so exporting again after one edit
        renders that scene alone."""
        from dreamfactory_studio.core.events import ignore
        from dreamfactory_studio.export.exporter import export_project

        if self.read_only:
            raise BadInput(
                "the project is open read-only; reopen it normally to export (clips are kept in it)."
            )
        if self.busy:
            raise BadInput("a job is already running on this project; wait for it or cancel it.")
        settings = load_settings()
        self.folder.save(self.project)
        self.undo.setClean()
        self._set_busy(True)
        try:
            return await export_project(
                self.folder, self.project, settings, options, emit=emit or ignore, worker=self.worker()
            )
        finally:
            self._set_busy(False)
            self.undo.setClean()  # the exporter saved its clips and narration into the project

    def edit_style(self, *, merge_key: object = None, **values) -> None:
        """Change the style decision (style, palette, lighting); it becomes the user's."""
        self.change(
            "Edit the style",
            lambda: edits.edit_style(self.project, **values),
            fields=("style",),
            merge_key=merge_key,
        )

    def edit_outline(self, text: str, *, merge_key: object = None) -> None:
        if text != self.project.outline:
            self.change(
                "Edit the outline",
                lambda: edits.edit_outline(self.project, text),
                fields=("outline",),
                merge_key=merge_key,
            )

    def edit_character(self, name: str, *, merge_key: object = None, **values) -> None:
        """Change a character's look or name, or add one by a new name."""
        self.change(
            f"Edit the character {name}",
            lambda: edits.edit_character(self.project, name, **values),
            fields=("characters",),
            merge_key=merge_key,
        )

    def set_direction(self, phase: str, text: str) -> None:
        """The person's word to a phase's crew, for its next conversation (one undo step)."""
        self.change(
            f"Direct the {phase} phase",
            lambda: edits.set_direction(self.project, phase, text),
            fields=("directions",),
        )

    async def redescribe(self) -> str:
        """The monitor's new Base Description of the Base Frame (nothing is changed until it is accepted)."""
        from dreamfactory_studio.backends.vision import make_monitor
        from dreamfactory_studio.production.keyframes import describe_base_frame

        self._set_busy(True)
        try:
            return await describe_base_frame(self.folder, self.project, make_monitor(load_settings()))
        finally:
            self._set_busy(False)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, SceneStarted):
            self._drawing = event.scene_id
            self.activity[event.scene_id] = Activity(progress=0.0)
            self.scenesChanged.emit([event.scene_id])
            self.status.emit(f"Scene {event.number}: drawing the {event.what}…")
        elif isinstance(event, StepProgress):
            self.activity.setdefault(event.scene_id, Activity()).progress = event.step / max(event.total, 1)
            self.scenesChanged.emit([event.scene_id])
        elif isinstance(event, TakeMade):
            self.scenesChanged.emit([event.scene_id])
        elif isinstance(event, SceneFinished):
            self._drawing = None
            self.activity.pop(event.scene_id, None)
            self.scenesChanged.emit([event.scene_id])
            if event.number == 1:
                self.projectChanged.emit()  # the Base Frame and the Base Description
        elif isinstance(event, PhaseFinished) and event.status == "done" and event.phase != "keyframes":
            self.orderChanged.emit()  # a text phase may write the scenes anew
            self.projectChanged.emit()
        elif isinstance(event, ModelLoading):
            self.status.emit(event.message)
