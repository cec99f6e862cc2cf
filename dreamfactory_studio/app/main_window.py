"""The studio's main window: it assembles the timeline of scenes in the middle, the scene editor, the Base Frame
panel, the crew's chat and the story around it, the menus and toolbar made from the action table
(:mod:`.actions`, whose scene actions are in :mod:`.scene_actions`), the run controller (:mod:`.run_controller`)
and the opening dialogs (:mod:`.opening`), and keeps the life of an open project: open, save, autosave, close."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QUndoGroup
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from dreamfactory_studio.app import scene_actions
from dreamfactory_studio.app.actions import (
    make_actions,
    make_menus,
    make_toolbar,
    shortcut_rows,
    update_enabled,
)
from dreamfactory_studio.app.base_frame_panel import BaseFramePanel
from dreamfactory_studio.app.cast_panel import CastPanel
from dreamfactory_studio.app.chat_panes import ChatPanes
from dreamfactory_studio.app.decisions_panel import DecisionsPanel
from dreamfactory_studio.app.docks import make_docks
from dreamfactory_studio.app.help_dialogs import show_about, show_shortcuts
from dreamfactory_studio.app.jobs import Jobs
from dreamfactory_studio.app.notices import SketchNotice
from dreamfactory_studio.app.opening import open_project
from dreamfactory_studio.app.run_controller import RunController
from dreamfactory_studio.app.scene_editor import SceneEditor
from dreamfactory_studio.app.session import ProjectSession
from dreamfactory_studio.app.start_page import NewProjectDialog, StartPage
from dreamfactory_studio.app.state import ActionContext, StudioState
from dreamfactory_studio.app.status_line import backends_line
from dreamfactory_studio.app.thumbnails import Thumbnails
from dreamfactory_studio.app.timeline_view import SceneListModel, TimelineView
from dreamfactory_studio.app.workers_panel import WorkersPanel
from dreamfactory_studio.core.changes import Changes
from dreamfactory_studio.core.errors import StudioError, advised
from dreamfactory_studio.core.paths import config_dir
from dreamfactory_studio.core.recent import remember_project
from dreamfactory_studio.core.settings import Settings, load_settings
from dreamfactory_studio.workspace import Workspace

LAYOUT_VERSION = 2  # 2: the crew's chat and the decisions docks


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.session: ProjectSession | None = None
        self.model: SceneListModel | None = None
        self.settings: Settings | None = None
        """The settings, read once at the start and again after the settings dialog (None: unreadable)."""
        self.export_dialog = None
        self.animatic = None
        self.setWindowTitle("DreamFactory Studio")
        self.resize(1360, 860)

        self.thumbnails = Thumbnails(parent=self)
        self.jobs = Jobs(self)
        self.undo_group = QUndoGroup(self)
        self.state = StudioState(self.jobs)
        """What the actions see of the window, without Qt (:mod:`.state`), kept here as it changes."""
        self.context = ActionContext(self.state, self, parent=self)

        self.start = StartPage()
        self.start.newRequested.connect(self.new_project)
        self.start.openRequested.connect(self.choose_project)
        self.start.sampleRequested.connect(self.open_sample)
        self.start.recentChosen.connect(self.open_project)
        self.start.modelsRequested.connect(lambda: self.open_settings(models=True))
        self.timeline = TimelineView()
        self.timeline.activated.connect(lambda _index: self.scene_editor.script.setFocus())
        self.sketch_notice = SketchNotice()
        self.sketch_notice.modelsRequested.connect(lambda: self.open_settings(models=True))
        self.sketch_notice.dismissed.connect(
            lambda: self.window_settings().setValue("sketchNotice", "dismissed")
        )
        self.board = QWidget(objectName="board")
        board = QVBoxLayout(self.board)
        board.setContentsMargins(0, 0, 0, 0)
        board.addWidget(self.sketch_notice)
        board.addWidget(self.timeline, 1)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.start)
        self.pages.addWidget(self.board)
        self.setCentralWidget(self.pages)

        self.scene_editor = SceneEditor(self.thumbnails)
        self.scene_editor.regenerateRequested.connect(lambda scene_id: self.runs.regenerate(scene_id))
        context = self.context
        self.scene_editor.redrawRequested.connect(
            lambda take_id: scene_actions.redraw_region(context, take_id)
        )
        self.base_panel = BaseFramePanel()
        self.base_panel.pinSelectedRequested.connect(lambda: scene_actions.pin_base_frame(context))
        self.base_panel.redescribeRequested.connect(lambda: scene_actions.redescribe(context))
        self.cast_panel = CastPanel()
        self.cast_panel.drawRequested.connect(lambda character: scene_actions.draw_sheet(context, character))
        self.cast_panel.pinFromTakeRequested.connect(
            lambda character: scene_actions.sheet_from_take(context, character)
        )
        self.story = QPlainTextEdit(objectName="story", readOnly=True)
        self.decisions = DecisionsPanel()
        self.chat = ChatPanes()
        self.chat.directionGiven.connect(
            lambda phase, text: scene_actions.give_direction(context, phase, text)
        )
        self.docks = make_docks(
            self,
            scene=self.scene_editor,
            base=self.base_panel,
            cast=self.cast_panel,
            story=self.story,
            chat=self.chat,
            decisions=self.decisions,
            workers=WorkersPanel(self._pool, lambda: self.session is not None),
        )

        self.runs = context.runs = RunController(
            context, self.chat, self.statusBar(), self.offer_real_pictures
        )
        self.backends = QLabel(objectName="backends")
        self.statusBar().addPermanentWidget(self.backends)

        self.actions = make_actions(self, context, self.undo_group, self.timeline)
        self.state.stepping = self.window_settings().value("stopAfterPhase", "false") == "true"  # a new user
        self.actions["stopAfterPhase"].setChecked(self.state.stepping)  # runs to the end
        toggles = [dock.toggleViewAction() for dock in self.docks.values()]
        menus = make_menus(self, self.actions, {"&View:docks": toggles})
        self.recent_menu = menus["&File/Open &Recent"]
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        make_toolbar(self, self.actions)
        self.reload_settings()
        self._laid_out = self._restore_layout()
        self.update_actions()

    # -- layout and settings ------------------------------------------------------------------------------

    @staticmethod
    def window_settings() -> QSettings:
        return QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat)

    def remember_step(self, checked: bool) -> None:
        self.state.stepping = checked
        self.window_settings().setValue("stopAfterPhase", "true" if checked else "false")

    def _restore_layout(self) -> bool:
        """The docks as the user left them (their sizes too); False when nothing was stored."""
        stored = self.window_settings()
        geometry, state = stored.value("geometry"), stored.value("state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        return state is not None and self.restoreState(state, LAYOUT_VERSION)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._laid_out:
            # Dock sizes take only once the window has its size: the Crew pane gets a third of the height
            # (about fifteen lines at 800 px), the side docks room for their forms.
            self._laid_out = True
            horizontal, vertical = Qt.Orientation.Horizontal, Qt.Orientation.Vertical
            self.resizeDocks([self.docks["base"], self.docks["scene"]], [330, 430], horizontal)
            self.resizeDocks([self.docks["story"]], [max(220, self.height() // 3)], vertical)

    def _save_layout(self) -> None:
        stored = self.window_settings()
        stored.setValue("geometry", self.saveGeometry())
        stored.setValue("state", self.saveState(LAYOUT_VERSION))
        stored.sync()

    def offer_real_pictures(self) -> None:
        """After a storyboard drawn with sketches, say once how to get real pictures (until dismissed)."""
        session = self.session
        drawn = session is not None and any(scene.keyframe for scene in session.project.scenes)
        sketches = self.settings is not None and self.settings.image.backend == "sketch"
        dismissed = self.window_settings().value("sketchNotice", "") == "dismissed"
        self.sketch_notice.setVisible(drawn and sketches and not dismissed)

    def reload_settings(self) -> None:
        """Read the settings (at the start, and after they were changed): the status bar names the backends,
        and the open project's workspace rebuilds its backends if they changed."""
        try:
            self.settings = load_settings()
        except StudioError as exc:
            self.settings = None
            self.backends.setText(f"Settings: {exc}")
            return
        self.backends.setText(backends_line(self.settings))
        self.start.offer_models(self.settings.image.backend == "sketch")
        if self.session is not None:
            self.session.workspace.use_settings(self.settings)

    # -- opening and closing projects ---------------------------------------------------------------------

    def choose_project(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open Project")
        if path:
            self.open_project(path)

    def open_project(self, path: str, *, read_only: bool = False) -> bool:
        """Open a project folder; every problem gets a dialog that says what to do (:mod:`.opening`)."""
        if not self.close_project():
            return False
        opened = open_project(self, path, read_only=read_only)
        if opened is None:
            return False
        # The workspace reads the settings itself, once, when it first needs them.
        self._adopt(Workspace(opened.folder, opened.project), opened.recovered)
        return True

    def _adopt(self, workspace: Workspace, recovered: bool) -> None:
        session = ProjectSession(workspace, self)
        project = workspace.project
        self.session = self.state.session = session
        self.undo_group.addStack(session.undo)
        self.undo_group.setActiveStack(session.undo)
        if recovered:
            session.undo.resetClean()  # restored edits are unsaved until the user saves
        self.model = SceneListModel(session, self.thumbnails)
        self.timeline.setModel(self.model)
        self.timeline.selectionModel().currentChanged.connect(self._current_changed)
        self.timeline.selectionModel().selectionChanged.connect(self._selection_changed)
        self.model.modelReset.connect(self._selection_changed)
        session.changed.connect(self._changed)
        session.busyChanged.connect(self.update_actions)
        session.status.connect(self._show_status)
        session.saveFailed.connect(self._save_failed)
        session.undo.cleanChanged.connect(self._update_title)
        session.undo.indexChanged.connect(self.update_actions)
        self.story.setPlainText(project.story)
        self.chat.show_transcript(project.transcripts)
        self.chat.set_directions(project.directions)
        self.decisions.show_session(session)
        self.base_panel.show_session(session)
        self.cast_panel.show_session(session)
        self.pages.setCurrentWidget(self.board)
        if project.scenes:
            self.timeline.select_ids([project.scenes[0].id])
        else:
            self.scene_editor.show_scene(session, None)
            self.statusBar().showMessage("No scenes yet: press Run (F5) and the crew writes them.")
        if not workspace.read_only:
            remember_project(workspace.root)
        self._update_title()
        self.update_actions()

    def commit_fields(self) -> None:
        """Whatever is being typed in a panel becomes its edit now (before a run, a save or a close)."""
        session = self.session
        self.scene_editor.show_scene(session, self.scene_editor.scene_id if session else None)
        self.base_panel.show_session(session)
        self.cast_panel.show_session(session)
        self.decisions.show_session(session)

    def close_project(self) -> bool:
        """Close the open project, asking first about unsaved edits; False when the user keeps it open."""
        session = self.session
        if session is None:
            return True
        if self.jobs.running:
            self.runs.ask_to_stop(closing=False)
            return False
        self.commit_fields()
        if session.modified and not session.read_only:
            answer = QMessageBox.question(
                self,
                "Unsaved edits",
                f"Save the edits to “{session.project.title}” before closing?",
                QMessageBox.StandardButton.Save
                | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel,
            )
            if answer == QMessageBox.StandardButton.Cancel:
                return False
            if answer == QMessageBox.StandardButton.Save and not session.save():
                return False
            if answer == QMessageBox.StandardButton.Discard:
                session.folder.discard_autosave()
        self._discard_export()
        self.undo_group.removeStack(session.undo)
        self.timeline.setModel(None)
        session.undo.blockSignals(True)
        session.blockSignals(True)
        session.close()
        session.deleteLater()
        self.session = self.model = self.state.session = self.state.failed = None
        self._selection_changed()
        self.commit_fields()
        self.story.clear()
        self.chat.show_transcript([])
        self.chat.set_directions({})
        self.start.refresh()
        self.pages.setCurrentWidget(self.start)
        self._update_title()
        self.update_actions()
        return True

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if self.jobs.running:
            event.ignore()
            self.runs.ask_to_stop(closing=True)
            return
        if not self.close_project():
            event.ignore()
            return
        self._save_layout()
        self.thumbnails.stop()
        super().closeEvent(event)

    def new_project(self) -> None:
        dialog = NewProjectDialog((self.settings or Settings()).defaults, self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.folder is not None:
            root = dialog.folder.root
            dialog.folder.close()
            self.open_project(str(root))

    def open_sample(self) -> None:
        from dreamfactory_studio.workspace.sample import sample_project

        self.statusBar().showMessage("Making the sample project with the offline crew…")
        self.jobs.start(
            "Make the sample project",
            lambda: asyncio.to_thread(sample_project),
            lambda path: self.open_project(str(path)),
        )

    def save(self) -> None:
        if self.session is not None:
            self.commit_fields()
            if self.session.save():
                self.statusBar().showMessage(f"Saved {self.session.folder.root}", 4000)

    # -- keeping in step with the session -----------------------------------------------------------------

    def _update_title(self, *_args) -> None:
        if self.session is None:
            self.setWindowTitle("DreamFactory Studio")
            self.setWindowModified(False)
            return
        suffix = " (read-only)" if self.session.read_only else ""
        self.setWindowTitle(f"{self.session.project.title}{suffix}[*] — DreamFactory Studio")
        self.setWindowModified(self.session.modified)

    def current_scene_id(self) -> str | None:
        return self.state.current

    def _selection_changed(self, *_args) -> None:
        """The timeline's current scene and selection, into the state the actions read."""
        index = self.timeline.currentIndex() if self.model is not None else None
        self.state.current = index.data(SceneListModel.SceneIdRole) if index and index.isValid() else None
        self.state.selected = tuple(self.timeline.selected_ids()) if self.model is not None else ()
        self.update_actions()

    def _current_changed(self, current, _previous) -> None:
        self._selection_changed()
        self.scene_editor.show_scene(self.session, self.state.current)

    def _changed(self, changes: Changes) -> None:
        """What the window itself shows of an edit, an undo or a run: the selection, the title, the actions and
        the directions in the chat (the panels follow the session on their own)."""
        scenes = self.session.project.scenes if self.session else []
        if changes.order:
            if self.current_scene_id() is None and scenes:
                self.select_scene(scenes[0].id)  # the script phase wrote the first scenes: show one
            elif self.scene_editor.scene() is None:
                self.scene_editor.show_scene(self.session, self.current_scene_id())
        if changes.focus is not None:
            self.select_scene(changes.focus)
        if "directions" in changes.fields and self.session is not None:
            self.chat.set_directions(self.session.project.directions)
        self._update_title()
        self.update_actions()

    def _show_status(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def _save_failed(self, text: str) -> None:
        QMessageBox.warning(self, "Cannot save", text)

    def update_actions(self, *_args) -> None:
        state = self.state.window_state()
        update_enabled(self.actions, state)
        self.chat.set_editable(state.editable)

    # -- what the actions may ask (:class:`~.state.Views`) -------------------------------------------------

    def select_scene(self, scene_id: str) -> None:
        """Show ``scene_id`` in the timeline and the scene editor."""
        self.timeline.select_ids([scene_id])

    def select_scenes(self, scene_ids: list[str]) -> None:
        self.timeline.select_ids(scene_ids)

    def focus(self, view: str) -> None:
        widgets = {
            "timeline": self.timeline,
            "title": self.scene_editor.title,
            "script": self.scene_editor.script,
            "base_description": self.base_panel.description,
        }
        widgets[view].setFocus()

    def say(self, text: str, timeout_ms: int = 0) -> None:
        self.statusBar().showMessage(text, timeout_ms)

    def toggle_pin(self) -> None:
        self.scene_editor.toggle_pin()

    def import_take(self) -> None:
        self.scene_editor.import_image()

    def open_export(self) -> None:
        from dreamfactory_studio.app.export_dialog import JOB as EXPORT_JOB
        from dreamfactory_studio.app.export_dialog import ExportDialog

        if self.session is None:
            return
        if self.export_dialog is not None and self.jobs.running and self.jobs.what == EXPORT_JOB:
            self.export_dialog.dialog.open()  # the export under way
            return
        self.commit_fields()
        try:
            settings = self.session.workspace.settings
        except StudioError as exc:
            QMessageBox.warning(self, "Cannot export", advised(exc, "window"))
            return
        self._discard_export()
        self.export_dialog = ExportDialog(self.session, self.jobs, settings, self)
        self.export_dialog.dialog.open()

    def _pool(self):
        """The open project's workers, once its backends exist (the Workers view asks)."""
        return self.session.workspace.workers if self.session is not None else None

    def play_animatic(self) -> None:
        """Play the storyboard from the selected scene, in its own window."""
        from dreamfactory_studio.app.animatic import play

        self.animatic = play(self.context) or self.animatic

    def _discard_export(self) -> None:
        if self.export_dialog is not None:
            self.export_dialog.discard()
            self.export_dialog = None

    # -- dialogs ------------------------------------------------------------------------------------------

    def open_settings(self, models: bool = False) -> None:
        from dreamfactory_studio.app.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self)
        if models:
            dialog.show_models()
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.reload_settings()

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """Every action that has a shortcut, with its keys, as the Help list shows them."""
        return shortcut_rows(self.actions)

    def show_shortcuts(self) -> None:
        show_shortcuts(self, self.shortcut_rows())

    def show_about(self) -> None:
        show_about(self)

    def _fill_recent(self) -> None:
        from dreamfactory_studio.core.recent import recent_projects

        self.recent_menu.clear()
        for path in recent_projects():
            self.recent_menu.addAction(str(path), lambda p=str(path): self.open_project(p))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("No recent projects").setEnabled(False)
