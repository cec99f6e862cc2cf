"""The studio's main window: the project's story and scenes.

This is the minimal window of the foundation; the timeline, editors and docks come with the studio window issue.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QSplitter,
)

from dreamfactory_studio.core.errors import StudioError
from dreamfactory_studio.core.model import Project
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.settings import load_settings


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.folder: ProjectFolder | None = None
        self.project: Project | None = None
        self.setWindowTitle("DreamFactory Studio")
        self.resize(1200, 760)

        self.scenes = QListWidget()
        self.scenes.setObjectName("scenes")
        self.story = QPlainTextEdit()
        self.story.setReadOnly(True)
        self.story.setObjectName("story")
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.scenes)
        splitter.addWidget(self.story)
        splitter.setSizes([700, 500])
        self.placeholder = QLabel("Open a project (Ctrl+O) or make one with `dreamfactory-studio new`.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(self.placeholder)
        self._splitter = splitter

        menu = self.menuBar().addMenu("&File")
        open_action = QAction("&Open Project…", self, shortcut=QKeySequence.StandardKey.Open)
        open_action.triggered.connect(self._choose_project)
        menu.addAction(open_action)
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        menu.addAction(quit_action)
        self._show_backends()

    def _show_backends(self) -> None:
        try:
            settings = load_settings()
        except StudioError as exc:
            self.statusBar().showMessage(str(exc))
            return
        llm = f"{settings.llm.base_url} ({settings.llm.model})" if settings.llm.base_url else "offline writer"
        image = (
            settings.image.backend
            if settings.image.backend != "diffusers"
            else f"diffusers {settings.image.model}"
        )
        self.statusBar().showMessage(f"LLM: {llm}    Images: {image}")

    def _choose_project(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open Project")
        if path:
            self.open_project(path)

    def open_project(self, path: str, *, read_only: bool = False) -> bool:
        """Open a project folder; a problem is shown in a dialog and nothing is changed."""
        try:
            folder = ProjectFolder.open(path, read_only=read_only)
            try:
                project = folder.load()
            except BaseException:
                folder.close()
                raise
        except StudioError as exc:
            QMessageBox.warning(self, "Cannot open project", str(exc))
            return False
        if self.folder:
            self.folder.close()
        self.folder, self.project = folder, project
        self._show_project()
        return True

    def _show_project(self) -> None:
        project = self.project
        assert project is not None
        suffix = " (read-only)" if self.folder and self.folder.read_only else ""
        self.setWindowTitle(f"{project.title}{suffix} — DreamFactory Studio")
        self.story.setPlainText(project.story)
        self.scenes.clear()
        for number, scene in enumerate(project.scenes, start=1):
            self.scenes.addItem(f"{number}. {scene.title or scene.script[:60]}")
        if not project.scenes:
            self.scenes.addItem("No scenes yet: run the crew with `dreamfactory-studio run PROJECT`.")
        self.setCentralWidget(self._splitter)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if self.folder:
            self.folder.close()
            self.folder = None
        super().closeEvent(event)
