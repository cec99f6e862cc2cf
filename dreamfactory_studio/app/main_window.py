"""The studio's main window: the timeline of scenes in the middle, the scene editor, the Base Frame panel, the
crew's chat and the story around it, the menus, toolbar and status bar with the run's progress, and the life of
an open project (open, recover, save, autosave, run, export, close)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QUndoGroup
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFileDialog,
    QFrame,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QScrollArea,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
)

from dreamfactory_studio.app.base_frame_panel import BaseFramePanel, DescriptionDiffDialog
from dreamfactory_studio.app.chat_panes import ChatPanes
from dreamfactory_studio.app.decisions_panel import DecisionsPanel
from dreamfactory_studio.app.jobs import Jobs
from dreamfactory_studio.app.look import icon
from dreamfactory_studio.app.scene_editor import SceneEditor
from dreamfactory_studio.app.session import ProjectSession
from dreamfactory_studio.app.start_page import NewProjectDialog, StartPage
from dreamfactory_studio.app.thumbnails import Thumbnails
from dreamfactory_studio.app.timeline import SceneListModel, TimelineView
from dreamfactory_studio.app.widgets import guarded
from dreamfactory_studio.core.errors import DamagedProject, ProjectLocked, StudioError
from dreamfactory_studio.core.events import Event, PhaseStarted
from dreamfactory_studio.core.model import PHASES, Project
from dreamfactory_studio.core.paths import config_dir
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.recent import remember_project
from dreamfactory_studio.core.settings import Settings, load_settings
from dreamfactory_studio.production.run_request import RunRequest

LAYOUT_VERSION = 2  # 2: the crew's chat and the decisions docks


def describe_backends(settings: Settings) -> str:
    """The status bar's line naming the active LLM and image backends."""
    llm = (
        f"{settings.llm.model or '?'} @ {settings.llm.base_url}"
        if settings.llm.base_url
        else "offline writer"
    )
    image = settings.image
    if image.backend == "diffusers":
        painter = f"diffusers {Path(image.model).name or image.model or '(no model set)'} on {image.device}"
    elif image.backend == "openai":
        painter = f"OpenAI images {image.model or ''}".strip()
    else:
        painter = "sketch renderer"
    monitor = (
        f"{settings.monitor.model} @ {settings.monitor.base_url}"
        if settings.monitor.base_url
        else "offline describer"
    )
    return f"LLM: {llm}   ·   Images: {painter}   ·   Monitor: {monitor}"


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.session: ProjectSession | None = None
        self.model: SceneListModel | None = None
        self._close_after_job = False
        self._run = None  # the RunRequest of the run under way
        self.failed_run = None  # what Retry runs after a run failed
        self.export_dialog = None
        self.run_progress = None  # its RunProgress
        self.setWindowTitle("DreamFactory Studio")
        self.resize(1360, 860)

        self.thumbnails = Thumbnails(parent=self)
        self.jobs = Jobs(self)
        self.undo_group = QUndoGroup(self)

        self.start = StartPage()
        self.start.newRequested.connect(self.new_project)
        self.start.openRequested.connect(self.choose_project)
        self.start.sampleRequested.connect(self.open_sample)
        self.start.recentChosen.connect(self.open_project)
        self.timeline = TimelineView()
        self.timeline.activated.connect(lambda _index: self.scene_editor.script.setFocus())
        self.pages = QStackedWidget()
        self.pages.addWidget(self.start)
        self.pages.addWidget(self.timeline)
        self.setCentralWidget(self.pages)

        self.scene_editor = SceneEditor(self.thumbnails)
        self.scene_editor.regenerateRequested.connect(self.regenerate)
        self.base_panel = BaseFramePanel()
        self.base_panel.pinSelectedRequested.connect(self.pin_base_frame)
        self.base_panel.redescribeRequested.connect(self.redescribe)
        self.story = QPlainTextEdit(objectName="story", readOnly=True)
        self.decisions = DecisionsPanel()
        self.chat = ChatPanes()
        self.chat.directionGiven.connect(self.give_direction)
        self.docks = {
            "scene": self._dock(
                "sceneDock", "Scene", self.scene_editor, Qt.DockWidgetArea.RightDockWidgetArea
            ),
            "base": self._dock(
                "baseFrameDock", "Base Frame", self.base_panel, Qt.DockWidgetArea.LeftDockWidgetArea
            ),
            "story": self._dock("storyDock", "Story", self.story, Qt.DockWidgetArea.BottomDockWidgetArea),
            "chat": self._dock("chatDock", "Crew", self.chat, Qt.DockWidgetArea.BottomDockWidgetArea),
            "decisions": self._dock(
                "decisionsDock", "Decisions", self.decisions, Qt.DockWidgetArea.LeftDockWidgetArea
            ),
        }
        self.tabifyDockWidget(self.docks["story"], self.docks["chat"])
        self.tabifyDockWidget(self.docks["base"], self.docks["decisions"])
        self.docks["base"].raise_()
        self.docks["chat"].raise_()

        self.backends = QLabel(objectName="backends")
        self.progress = QProgressBar(objectName="jobProgress", maximumWidth=420, textVisible=False)
        self.progress.setRange(0, 0)
        self._tick = QTimer(self, interval=100)  # the bar follows the run ten times a second, not per event
        self._tick.timeout.connect(self._show_run_progress)
        self.cancel_button = QToolButton(objectName="cancelJob", text="Cancel", icon=icon("cancel"))
        self.cancel_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.cancel_button.clicked.connect(self.jobs.cancel)
        for widget in (self.progress, self.cancel_button):
            widget.hide()
            self.statusBar().addPermanentWidget(widget)
        self.statusBar().addPermanentWidget(self.backends)
        self.jobs.started.connect(self._job_started)
        self.jobs.finished.connect(self._job_finished)

        self.actions: dict[str, QAction] = {}
        self._make_actions()
        self._make_menus()
        self.show_backends()
        horizontal, vertical = Qt.Orientation.Horizontal, Qt.Orientation.Vertical
        self.resizeDocks([self.docks["base"], self.docks["scene"]], [330, 430], horizontal)
        self.resizeDocks([self.docks["story"]], [190], vertical)
        self._restore_layout()
        self._update_actions()

    # -- building -----------------------------------------------------------------------------------------

    def _dock(self, name: str, title: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self, objectName=name)
        if not isinstance(widget, (QPlainTextEdit, ChatPanes)):
            # Scrolls rather than forcing its full height on the window, so the studio fits a laptop screen.
            scroller = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
            scroller.setWidget(widget)
            widget = scroller
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, name, text, slot, shortcut=None, picture=None, *, timeline=False, tip="") -> QAction:
        action = QAction(text, self, objectName=name)
        if picture:
            action.setIcon(icon(picture))
        if shortcut is not None:
            shortcuts = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        if tip:
            action.setStatusTip(tip)
        if timeline:
            # Keys such as Del or P act on scenes only where the timeline has focus, not while typing.
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.timeline.addAction(action)
        else:
            self.addAction(action)
        action.triggered.connect(slot)
        self.actions[name] = action
        return action

    def _make_actions(self) -> None:
        a = self._action
        std = QKeySequence.StandardKey
        a("new", "&New Project from a Story…", self.new_project, std.New, "new")
        a("open", "&Open Project…", self.choose_project, std.Open, "open")
        a("sample", "Open the &Sample Project", self.open_sample, None, "sample")
        a("save", "&Save", self.save, std.Save, "save")
        a("close", "&Close Project", self.close_project, std.Close)
        a("quit", "&Quit", self.close, std.Quit)
        undo = self.undo_group.createUndoAction(self, "&Undo")
        undo.setShortcuts(QKeySequence.keyBindings(std.Undo))
        undo.setIcon(icon("undo"))
        undo.setObjectName("undo")
        redo = self.undo_group.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        redo.setIcon(icon("redo"))
        redo.setObjectName("redo")
        for action in (undo, redo):
            self.addAction(action)
            self.actions[action.objectName()] = action
        a("insert", "&Insert Scene After", self.insert_scene, "Ins", "insert", timeline=True)
        a("duplicate", "D&uplicate Scene", self.duplicate_scenes, "Ctrl+D", "duplicate", timeline=True)
        a(
            "delete",
            "&Delete Scenes",
            self.delete_scenes,
            [QKeySequence.StandardKey.Delete, "Backspace"],
            "delete",
            timeline=True,
        )
        a(
            "earlier",
            "Move Scene &Earlier",
            lambda: self.move_selected(-1),
            "Ctrl+Shift+Left",
            "earlier",
            timeline=True,
        )
        a(
            "later",
            "Move Scene &Later",
            lambda: self.move_selected(+1),
            "Ctrl+Shift+Right",
            "later",
            timeline=True,
        )
        a("pin", "&Pin Keyframe", self.toggle_pin, "P", "pin", timeline=True)
        a("baseFrame", "Pin as &Base Frame", self.pin_base_frame, "B", "base-frame", timeline=True)
        a(
            "regenerate",
            "Draw a &New Take",
            lambda: self.regenerate(self.current_scene_id()),
            "Ctrl+R",
            "regenerate",
        )
        a("importTake", "&Import Image as Take…", self.scene_editor.import_image, "Ctrl+I", "import")
        a("run", "&Run", self.run_next, "F5", "run", tip="Run the phases not done yet (or only the next one)")
        step = a("stopAfterPhase", "&Stop After Each Phase", self._remember_step, "Ctrl+F5", "run-step")
        step.setCheckable(True)
        step.setChecked(self.window_settings().value("stopAfterPhase", "true") == "true")
        step.setStatusTip("Stop after each phase, so that you can edit before the crew goes on")
        for phase in PHASES:
            a(
                f"runPhase_{phase}",
                f"Run the {phase.capitalize()} Phase",
                lambda _c=False, p=phase: self.run_phase(p),
            )
        a(
            "rerunFrom",
            "Re-run Keyframes &From This Scene",
            self.rerun_from_selected,
            "Shift+F5",
            "run-from",
            tip="Keep the scenes before this one and draw this one and every later one again",
        )
        a(
            "retry",
            "Re&try the Failed Run",
            self.retry,
            "Ctrl+Shift+R",
            "regenerate",
            tip="Go on from where the failed run stopped (a scene, or the conversation so far)",
        )
        a("export", "&Export Film…", self.open_export, "Ctrl+Shift+E", "export")
        a("redescribe", "Re-&describe the Base Frame", self.redescribe, "Ctrl+Shift+D", "describe")
        a("editScript", "Edit the &Script", lambda: self.scene_editor.script.setFocus(), "Ctrl+E")
        a("focusTimeline", "Go to the &Timeline", lambda: self.timeline.setFocus(), "Ctrl+1")
        a("focusScene", "Go to the Scene &Editor", lambda: self.scene_editor.title.setFocus(), "Ctrl+2")
        a(
            "focusBase",
            "Go to the Base &Description",
            lambda: self.base_panel.description.setFocus(),
            "Ctrl+3",
        )
        a("cancelJob", "&Cancel the Running Job", self.jobs.cancel, "Esc", "cancel")
        a("settings", "S&ettings…", self.open_settings, "Ctrl+,", "settings")
        a("shortcuts", "&Keyboard Shortcuts", self.show_shortcuts, ["F1", "Ctrl+/"], "keyboard")
        a("about", "&About DreamFactory Studio", self.show_about)

    def _make_menus(self) -> None:
        bar = self.menuBar()
        act = self.actions
        file = bar.addMenu("&File")
        for name in ("new", "open", "sample"):
            file.addAction(act[name])
        self.recent_menu = file.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file.addSeparator()
        for name in ("save", "close"):
            file.addAction(act[name])
        file.addSeparator()
        file.addAction(act["settings"])
        file.addSeparator()
        file.addAction(act["quit"])
        edit = bar.addMenu("&Edit")
        for name in ("undo", "redo", None, "insert", "duplicate", "delete", None, "earlier", "later"):
            edit.addSeparator() if name is None else edit.addAction(act[name])
        scene = bar.addMenu("&Scene")
        for name in (
            "editScript",
            None,
            "pin",
            "baseFrame",
            "regenerate",
            "importTake",
            None,
            "redescribe",
            "cancelJob",
        ):
            scene.addSeparator() if name is None else scene.addAction(act[name])
        production = bar.addMenu("&Production")
        for name in ("run", "stopAfterPhase"):
            production.addAction(act[name])
        phases = production.addMenu("Run One &Phase")
        for phase in PHASES:
            phases.addAction(act[f"runPhase_{phase}"])
        for name in (None, "rerunFrom", "regenerate", "retry", None, "cancelJob", None, "export"):
            production.addSeparator() if name is None else production.addAction(act[name])
        file.insertAction(act["settings"], act["export"])
        view = bar.addMenu("&View")
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        for name in ("focusTimeline", "focusScene", "focusBase"):
            view.addAction(act[name])
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(act["shortcuts"])
        help_menu.addAction(act["about"])
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        for name in (
            "new",
            "open",
            "save",
            None,
            "undo",
            "redo",
            None,
            "insert",
            "duplicate",
            "delete",
            "earlier",
            "later",
            None,
            "pin",
            "baseFrame",
            "regenerate",
            "importTake",
            None,
            "run",
            "stopAfterPhase",
            "rerunFrom",
            "cancelJob",
            "export",
            None,
            "settings",
        ):
            toolbar.addSeparator() if name is None else toolbar.addAction(act[name])

    # -- layout -------------------------------------------------------------------------------------------

    @staticmethod
    def window_settings() -> QSettings:
        return QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat)

    def _restore_layout(self) -> None:
        stored = self.window_settings()
        geometry, state = stored.value("geometry"), stored.value("state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state, LAYOUT_VERSION)

    def _save_layout(self) -> None:
        stored = self.window_settings()
        stored.setValue("geometry", self.saveGeometry())
        stored.setValue("state", self.saveState(LAYOUT_VERSION))
        stored.sync()

    # -- the status bar -----------------------------------------------------------------------------------

    def show_backends(self) -> None:
        try:
            self.backends.setText(describe_backends(load_settings()))
        except StudioError as exc:
            self.backends.setText(f"Settings: {exc}")

    # -- opening and closing projects ---------------------------------------------------------------------

    def choose_project(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open Project")
        if path:
            self.open_project(path)

    def open_project(self, path: str, *, read_only: bool = False) -> bool:
        """Open a project folder. Every problem gets a dialog that says what to do, and nothing is overwritten:
        a locked project can be opened read-only, a damaged one restored from its last good autosave, and
        unsaved edits left by a crash are offered back."""
        if not self.close_project():
            return False
        try:
            folder = ProjectFolder.open(path, read_only=read_only)
        except ProjectLocked as exc:
            answer = QMessageBox.question(self, "Project in use", f"{exc}\n\nOpen it read-only?")
            return answer == QMessageBox.StandardButton.Yes and self.open_project(path, read_only=True)
        except StudioError as exc:
            QMessageBox.warning(self, "Cannot open the project", str(exc))
            return False
        try:
            project, recovered = self._load(folder)
        except StudioError as exc:
            folder.close()
            if not isinstance(exc, DamagedProject) or exc.autosave is None:
                QMessageBox.warning(self, "Cannot open the project", str(exc))
            return False
        except BaseException:
            folder.close()
            raise
        if project is None:
            folder.close()
            return False
        self._adopt(folder, project, recovered)
        return True

    def _load(self, folder: ProjectFolder) -> tuple[Project | None, bool]:
        """The project to show, and whether it holds recovered edits not yet saved."""
        try:
            project = folder.load()
        except DamagedProject as exc:
            if exc.autosave is None:
                raise
            if folder.read_only:
                QMessageBox.warning(
                    self, "The project is damaged", f"{exc}\n\nOpen it normally to restore it."
                )
                return None, False
            answer = QMessageBox.question(
                self,
                "The project is damaged",
                f"{exc}\n\nRestore the last good autosave now? The damaged file is kept beside it.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return None, False
            return folder.recover(), False
        newer = None if folder.read_only else folder.newer_autosave()
        if newer is not None and newer.modified > project.modified:
            answer = QMessageBox.question(
                self,
                "Unsaved edits found",
                f"“{project.title}” has edits from {newer.modified.astimezone():%Y-%m-%d %H:%M} that were "
                "never saved (the studio closed without saving). Restore them?",
            )
            if answer == QMessageBox.StandardButton.Yes:
                newer.transcripts = project.transcripts
                return newer, True
            folder.autosave(project)  # the user chose the saved state: the autosave follows it
        return project, False

    def _adopt(self, folder: ProjectFolder, project: Project, recovered: bool) -> None:
        session = ProjectSession(folder, project, self)
        self.session = session
        self.undo_group.addStack(session.undo)
        self.undo_group.setActiveStack(session.undo)
        if recovered:
            session.undo.resetClean()  # restored edits are unsaved until the user saves
        self.model = SceneListModel(session, self.thumbnails)
        self.timeline.setModel(self.model)
        self.timeline.selectionModel().currentChanged.connect(self._current_changed)
        self.timeline.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        session.scenesChanged.connect(self._scenes_changed)
        session.orderChanged.connect(self._order_changed)
        session.projectChanged.connect(self._project_changed)
        session.focusScene.connect(self._select)
        session.busyChanged.connect(self._refresh_panels)
        session.status.connect(self._show_status)
        session.saveFailed.connect(self._save_failed)
        session.undo.cleanChanged.connect(self._update_title)
        session.undo.indexChanged.connect(self._update_actions)
        self.story.setPlainText(project.story)
        self.chat.show_transcript(project.transcripts)
        self.chat.set_directions(project.directions)
        self.decisions.show_session(session)
        self.base_panel.show_session(session)
        self.pages.setCurrentWidget(self.timeline)
        if project.scenes:
            self.timeline.select_ids([project.scenes[0].id])
        else:
            self.scene_editor.show_scene(session, None)
            self.statusBar().showMessage("No scenes yet: run the crew (`dreamfactory-studio run PROJECT`).")
        if not folder.read_only:
            remember_project(folder.root)
        self._update_title()
        self._update_actions()

    def close_project(self) -> bool:
        """Close the open project, asking first about unsaved edits; False when the user keeps it open."""
        session = self.session
        if session is None:
            return True
        if self.jobs.running:
            answer = QMessageBox.question(
                self,
                "A job is running",
                f"“{self.jobs.what}” is running. Cancel it? Everything it finished is kept.",
            )
            if answer == QMessageBox.StandardButton.Yes:
                self.jobs.cancel()
            return False
        self.scene_editor.show_scene(session, None)  # commits a field being typed in
        self.base_panel.show_session(session)
        self.decisions.show_session(session)
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
        self.session = self.model = None
        self.scene_editor.show_scene(None, None)
        self.base_panel.show_session(None)
        self.story.clear()
        self.chat.show_transcript([])
        self.chat.set_directions({})
        self.decisions.show_session(None)
        self.start.refresh()
        self.pages.setCurrentWidget(self.start)
        self._update_title()
        self._update_actions()
        return True

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if self.jobs.running:
            event.ignore()
            answer = QMessageBox.question(
                self,
                "A job is running",
                f"“{self.jobs.what}” is running. Stop it and close? Everything it finished is saved.",
            )
            if answer == QMessageBox.StandardButton.Yes:
                self._close_after_job = True
                self.jobs.cancel()
            return
        if not self.close_project():
            event.ignore()
            return
        self._save_layout()
        self.thumbnails.stop()
        super().closeEvent(event)

    def new_project(self) -> None:
        try:
            defaults = load_settings().defaults
        except StudioError:
            defaults = Settings().defaults
        dialog = NewProjectDialog(defaults, self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.folder is not None:
            root = dialog.folder.root
            dialog.folder.close()
            self.open_project(str(root))

    def open_sample(self) -> None:
        from dreamfactory_studio.production.sample import sample_project

        self.statusBar().showMessage("Making the sample project with the offline crew…")
        self.jobs.start(
            "Make the sample project",
            lambda: asyncio.to_thread(sample_project),
            lambda path: self.open_project(str(path)),
        )

    def save(self) -> None:
        if self.session is not None:
            self.scene_editor.show_scene(self.session, self.scene_editor.scene_id)
            if self.session.save():
                self.statusBar().showMessage(f"Saved {self.session.folder.root}", 4000)

    # -- keeping the panels in step -----------------------------------------------------------------------

    def _update_title(self, *_args) -> None:
        if self.session is None:
            self.setWindowTitle("DreamFactory Studio")
            self.setWindowModified(False)
            return
        suffix = " (read-only)" if self.session.read_only else ""
        self.setWindowTitle(f"{self.session.project.title}{suffix}[*] — DreamFactory Studio")
        self.setWindowModified(self.session.modified)

    def current_scene_id(self) -> str | None:
        if self.model is None:
            return None
        index = self.timeline.currentIndex()
        return index.data(SceneListModel.SceneIdRole) if index.isValid() else None

    def _current_changed(self, current, _previous) -> None:
        scene_id = current.data(SceneListModel.SceneIdRole) if current.isValid() else None
        self.scene_editor.show_scene(self.session, scene_id)
        self._update_actions()

    def _scenes_changed(self, scene_ids: list[str]) -> None:
        if self.scene_editor.scene_id in scene_ids:
            self.scene_editor.reload()
        self.base_panel.reload()
        self._update_title()

    def _order_changed(self) -> None:
        scenes = self.session.project.scenes if self.session else []
        if self.current_scene_id() is None and scenes:
            self._select(scenes[0].id)  # the script phase wrote the first scenes: show one
        elif self.scene_editor.scene() is None:
            self.scene_editor.show_scene(self.session, self.current_scene_id())
        else:
            self.scene_editor.reload()
        self._update_actions()

    def _project_changed(self) -> None:
        self.decisions.reload()
        self.base_panel.reload()
        self.scene_editor.reload()
        if self.session is not None:
            self.chat.set_directions(self.session.project.directions)

    def _show_status(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def _save_failed(self, text: str) -> None:
        QMessageBox.warning(self, "Cannot save", text)

    def _refresh_panels(self, *_args) -> None:
        self.scene_editor.reload()
        self.base_panel.reload()
        self.decisions.reload()
        self._update_actions()

    def _update_actions(self, *_args) -> None:
        session = self.session
        open_ = session is not None
        editable = open_ and not session.read_only and not session.busy
        selected = bool(
            open_ and self.timeline.selectionModel() and self.timeline.selectionModel().hasSelection()
        )
        has_scene = self.current_scene_id() is not None
        for name in ("save", "close"):
            self.actions[name].setEnabled(open_ and (name == "close" or not session.read_only))
        for name in ("insert",):
            self.actions[name].setEnabled(editable)
        for name in ("duplicate", "delete", "earlier", "later"):
            self.actions[name].setEnabled(editable and selected)
        for name in ("pin", "baseFrame", "regenerate", "importTake", "editScript"):
            self.actions[name].setEnabled(editable and has_scene)
        self.actions["redescribe"].setEnabled(bool(editable and session.project.base_frame))
        self.actions["cancelJob"].setEnabled(self.jobs.running)
        for name in ["run", "export", *(f"runPhase_{p}" for p in PHASES)]:
            self.actions[name].setEnabled(editable)
        self.actions["rerunFrom"].setEnabled(editable and has_scene)
        self.actions["retry"].setEnabled(editable and self.failed_run is not None)
        self.chat.set_editable(editable)

    # -- scene actions ------------------------------------------------------------------------------------

    def insert_scene(self) -> None:
        if self.session is None:
            return
        current = self.current_scene_id()
        number = self.session.number_of(current) + 1 if current else len(self.session.project.scenes) + 1
        guarded(self, "Cannot insert a scene", lambda: self._select(self.session.insert_scene(number)))
        self.scene_editor.title.setFocus()

    def duplicate_scenes(self) -> None:
        ids = self.timeline.selected_ids()
        if self.session is not None and ids:
            guarded(
                self,
                "Cannot duplicate the scene",
                lambda: self._select(self.session.duplicate_scene(ids[-1])),
            )

    def delete_scenes(self) -> None:
        ids = self.timeline.selected_ids()
        if self.session is None or not ids:
            return
        first = self.session.number_of(ids[0])
        guarded(self, "Cannot delete", lambda: self.session.delete_scenes(ids))
        scenes = self.session.project.scenes
        if scenes:
            self._select(scenes[min(first, len(scenes)) - 1].id)

    def move_selected(self, step: int) -> None:
        ids = self.timeline.selected_ids()
        if self.session is None or not ids:
            return
        first = self.session.number_of(ids[0])
        remaining = len(self.session.project.scenes) - len(ids)
        to = min(max(1, first + step), remaining + 1)
        if to != first:
            guarded(self, "Cannot move", lambda: self.session.move_scenes(ids, to))
            self.timeline.select_ids(ids)

    def _select(self, scene_id: str) -> None:
        self.timeline.select_ids([scene_id])

    def toggle_pin(self) -> None:
        self.scene_editor.toggle_pin()

    def pin_base_frame(self) -> None:
        scene_id = self.current_scene_id()
        if self.session is not None and scene_id:
            guarded(self, "Cannot pin the Base Frame", lambda: self.session.pin_base_frame(scene_id))

    # -- jobs ---------------------------------------------------------------------------------------------

    def start_run(self, request: RunRequest, label: str = "") -> None:
        """Run the production as ``request`` asks, as the window's job, with the chat and progress following."""
        from dreamfactory_studio.production.run_progress import RunProgress

        session = self.session
        if session is None:
            return
        self.scene_editor.show_scene(session, self.scene_editor.scene_id)  # commits a field being typed in
        self.base_panel.show_session(session)
        self.decisions.show_session(session)
        self._run, self.failed_run = request, None
        self.run_progress = RunProgress()
        task = self.jobs.start(
            label or request.describe(),
            lambda: session.run(request, emit=self._run_event, label=label),
            self._run_done,
        )
        if task is None:
            self._run = self.run_progress = None
            return
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setMinimumWidth(300)
        self._show_run_progress()
        self._tick.start()

    def run_next(self) -> None:
        """Run: the phases not done yet, or only the next one when "Stop After Each Phase" is on."""
        self.start_run(RunRequest(step=self.actions["stopAfterPhase"].isChecked()))

    def run_phase(self, phase: str) -> None:
        self.start_run(RunRequest(phase=phase))

    def rerun_from_selected(self) -> None:
        scene_id = self.current_scene_id()
        if self.session is not None and scene_id is not None:
            self.start_run(RunRequest(from_scene=self.session.number_of(scene_id)))

    def regenerate(self, scene_id: str | None) -> None:
        if self.session is None or scene_id is None:
            return
        number = self.session.number_of(scene_id)
        self.start_run(RunRequest(from_scene=number, only=True), f"Draw a new take of scene {number}")

    def _remember_step(self, checked: bool) -> None:
        stored = self.window_settings()
        stored.setValue("stopAfterPhase", "true" if checked else "false")

    def _run_event(self, event: Event) -> None:
        self.chat.on_event(event)
        if self.run_progress is not None:
            self.run_progress(event)
        if isinstance(event, PhaseStarted):
            self.statusBar().showMessage(f"The crew is on the {event.title}…")

    def _show_run_progress(self) -> None:
        if self.run_progress is not None:
            self.progress.setValue(round(self.run_progress.fraction * 1000))
            self.progress.setFormat(self.run_progress.describe())

    def _run_done(self, ran: list[str]) -> None:
        """After a run went well (called after the job's end is shown): say where a stepped run stopped."""
        session = self.session
        if session is None or not self.actions["stopAfterPhase"].isChecked() or not ran:
            return
        following = next((p for p in PHASES if session.project.phases[p].status != "done"), None)
        if following is not None:
            self.statusBar().showMessage(
                f"Stopped after the {ran[-1]} phase: edit what you like, then Run (F5) to go on with the "
                f"{following} phase."
            )
        else:
            self.statusBar().showMessage(
                "Every phase is done: export the film (Ctrl+Shift+E), or re-run any scene or phase."
            )

    def _retry_request(self, request: RunRequest) -> RunRequest:
        """What Retry runs after ``request`` failed: from the scene that failed, or the same run again (a text
        phase goes on from where its conversation stopped)."""
        from dataclasses import replace

        session = self.session
        failed = [s for s in session.project.scenes if (a := session.activity.get(s.id)) and a.error]
        if failed:
            return replace(request, from_scene=session.number_of(failed[0].id), phase=None, step=False)
        return request

    def redescribe(self) -> None:
        if self.session is not None:
            self.jobs.start("Re-describe the Base Frame", self.session.redescribe, self._offer_description)

    def _offer_description(self, text: str) -> None:
        session = self.session
        if session is None:
            return
        current = session.project.base_description
        dialog = DescriptionDiffDialog(current.text, text, current.user_edited, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            guarded(
                self, "Cannot replace the Base Description", lambda: session.replace_base_description(text)
            )

    def _job_started(self, what: str) -> None:
        self.progress.show()
        self.cancel_button.show()
        self.statusBar().showMessage(f"{what}…")
        self._update_actions()

    def _job_finished(self, what: str, error: str) -> None:
        run, self._run, self.run_progress = self._run, None, None
        self._tick.stop()
        self.progress.hide()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setMinimumWidth(0)
        self.cancel_button.hide()
        self._update_actions()
        if run is not None and error:
            self.chat.stop()
        if run is not None and error and error != "cancelled":
            self.failed_run = self._retry_request(run)
            self._update_actions()
        if error == "cancelled":
            self.statusBar().showMessage(f"{what}: cancelled; everything finished before is kept.", 8000)
        elif error:
            self.statusBar().showMessage(f"{what}: failed: {error}")
            if run is not None and not self._close_after_job:
                self._offer_retry(what, error)
            elif not self._close_after_job:
                QMessageBox.warning(self, what, error)
        else:
            self.statusBar().showMessage(f"{what}: done.", 5000)
        if self._close_after_job:
            self._close_after_job = False
            QTimer.singleShot(0, self.close)

    def _offer_retry(self, what: str, error: str) -> None:
        retry = self.failed_run
        where = f" from scene {retry.from_scene}" if retry.from_scene else ""
        answer = QMessageBox.question(
            self,
            what,
            f"{error}\n\nEverything finished before this is kept. Retry{where}? (Later: Production → Retry.)",
            QMessageBox.StandardButton.Retry | QMessageBox.StandardButton.Close,
        )
        if answer == QMessageBox.StandardButton.Retry:
            self.retry()

    def retry(self) -> None:
        """Run the failed run again from where it stopped."""
        if self.failed_run is not None and not self.jobs.running:
            self.start_run(self.failed_run)

    def give_direction(self, phase: str, text: str) -> None:
        if self.session is not None and guarded(
            self, "Cannot give the direction", lambda: self.session.set_direction(phase, text)
        ):
            self.statusBar().showMessage(
                f"The {phase} crew will hear your direction in its next conversation."
                if text
                else f"The {phase} crew has no direction from you now.",
                6000,
            )

    def open_export(self) -> None:
        from dreamfactory_studio.app.export_dialog import JOB as EXPORT_JOB
        from dreamfactory_studio.app.export_dialog import ExportDialog

        if self.session is None:
            return
        if self.export_dialog is not None and self.jobs.running and self.jobs.what == EXPORT_JOB:
            self.export_dialog.dialog.open()  # the export under way
            return
        self.scene_editor.show_scene(self.session, self.scene_editor.scene_id)
        try:
            settings = load_settings()
        except StudioError as exc:
            QMessageBox.warning(self, "Cannot export", str(exc))
            return
        self._discard_export()
        self.export_dialog = ExportDialog(self.session, self.jobs, settings, self)
        self.export_dialog.dialog.open()

    def _discard_export(self) -> None:
        if self.export_dialog is not None:
            self.export_dialog.discard()
            self.export_dialog = None

    # -- dialogs ------------------------------------------------------------------------------------------

    def open_settings(self) -> None:
        from dreamfactory_studio.app.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.show_backends()

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """Every action that has a shortcut, with its keys, as the Help list shows them."""
        rows = []
        for action in self.actions.values():
            keys = ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts())
            if keys:
                rows.append((action.text().replace("&", "").rstrip("…"), keys))
        return rows

    def show_shortcuts(self) -> None:
        dialog = QDialog(self, objectName="shortcutsDialog")
        dialog.setWindowTitle("Keyboard Shortcuts")
        rows = self.shortcut_rows()
        table = QTableWidget(len(rows), 2, dialog)
        table.setHorizontalHeaderLabels(["Action", "Keys"])
        for row, (text, keys) in enumerate(rows):
            table.setItem(row, 0, QTableWidgetItem(text))
            table.setItem(row, 1, QTableWidgetItem(keys))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(table)
        layout.addWidget(buttons)
        dialog.resize(520, 560)
        dialog.exec()

    def show_about(self) -> None:
        from dreamfactory_studio import __version__

        QMessageBox.about(
            self,
            "About DreamFactory Studio",
            f"<b>DreamFactory Studio {__version__}</b><p>A storyboard editor that turns a story into a multi-scene "
            "film with a crew of LLM agents, after the DreamFactory paper. You stay in charge.</p>",
        )

    def _fill_recent(self) -> None:
        from dreamfactory_studio.core.recent import recent_projects

        self.recent_menu.clear()
        for path in recent_projects():
            self.recent_menu.addAction(str(path), lambda p=str(path): self.open_project(p))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("No recent projects").setEnabled(False)
