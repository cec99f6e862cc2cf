"""The start page (new from a story, open, recent, the sample) and the new-project dialog (``ui/new_project.ui``)."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dreamfactory_studio.app.forms import FormDialog
from dreamfactory_studio.app.look import icon
from dreamfactory_studio.core.errors import StudioError
from dreamfactory_studio.core.paths import data_dir
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.recent import recent_projects
from dreamfactory_studio.core.settings import Defaults


class StartPage(QWidget):
    newRequested = Signal()
    openRequested = Signal()
    sampleRequested = Signal()
    recentChosen = Signal(str)
    modelsRequested = Signal()
    machineSurveyed = Signal(object)
    """A survey of this machine, made off the window's thread (``nvidia-smi`` can take a moment)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("startPage")
        title = QLabel(
            "<h1>DreamFactory Studio</h1><p>Turn a story into a multi-scene film, with a crew of "
            "agents and you in charge.</p>"
        )
        title.setWordWrap(True)
        buttons = QVBoxLayout()
        for name, picture, text, signal in (
            ("newProject", "new", "New project from a story or screenplay…", self.newRequested),
            ("openProject", "open", "Open a project…", self.openRequested),
            ("openSample", "sample", "Open the sample project", self.sampleRequested),
        ):
            button = QPushButton(icon(picture), text, objectName=name)
            button.setMinimumHeight(36)
            button.clicked.connect(signal.emit)
            buttons.addWidget(button)
        buttons.addStretch()
        self.recent = QListWidget(objectName="recent")
        self.recent.itemActivated.connect(
            lambda item: self.recentChosen.emit(item.data(Qt.ItemDataRole.UserRole))
        )
        right = QVBoxLayout()
        right.addWidget(QLabel("<b>Recent projects</b>"))
        right.addWidget(self.recent)
        columns = QHBoxLayout()
        columns.addLayout(buttons, 1)
        columns.addLayout(right, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 32, 48, 32)
        self.models_line = QLabel(objectName="modelsLine", wordWrap=True, visible=False)
        self.models_line.linkActivated.connect(lambda _link: self.modelsRequested.emit())
        self.machineSurveyed.connect(self._offer_models)
        layout.addWidget(title)
        layout.addWidget(self.models_line)
        layout.addLayout(columns, 1)
        self.refresh()

    def offer_models(self, only_sketches: bool) -> None:
        """When only the sketch renderer is set up, say what this machine could draw with (surveyed in a thread)."""
        if not only_sketches:
            self.models_line.setVisible(False)
            return
        import threading

        from dreamfactory_studio.backends.machine import survey
        from dreamfactory_studio.backends.model_downloads import models_home

        def surveyed() -> None:
            machine = survey(models_home())
            with contextlib.suppress(RuntimeError):  # the window closed meanwhile
                self.machineSurveyed.emit(machine)

        threading.Thread(target=surveyed, daemon=True).start()

    def _offer_models(self, machine) -> None:
        from dreamfactory_studio.core.model_recipes import recipe, recommended

        tier, advised = recommended(machine.largest_gb)
        best = recipe(advised[0])
        gpu = f"a {machine.largest_gb:.0f} GB GPU" if machine.largest_gb else "no GPU"
        self.models_line.setText(
            f"Only the sketch renderer draws for now. This machine ({gpu}) can run {best.label} "
            f"({best.size_gb:.1f} GB): <a href='models'>get a model…</a>"
        )
        self.models_line.setVisible(True)

    def refresh(self) -> None:
        self.recent.clear()
        for path in recent_projects():
            item = QListWidgetItem(f"{path.name}   —   in {path.parent}")  # one line: the name first
            item.setToolTip(str(path))
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            self.recent.addItem(item)
        if not self.recent.count():
            item = QListWidgetItem("No recent projects yet.")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.recent.addItem(item)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "project"


class NewProjectDialog(FormDialog):
    """Asks for the story (pasted or from a file, a screenplay too), title, scene count, style and folder; makes
    the project. A screenplay's scene headings decide its scenes."""

    def __init__(self, defaults: Defaults, parent: QWidget | None = None):
        super().__init__("new_project", parent)
        self.folder: ProjectFolder | None = None
        self.screenplay: Path | None = None  # a Final Draft file, made into the project as a file
        f = self.find
        f("scenes").setValue(defaults.scenes)
        f("style").setCurrentText(defaults.style)
        f("loadStory").clicked.connect(self.load_story)
        f("chooseFolder").clicked.connect(self.choose_folder)
        f("title").textChanged.connect(self._suggest_folder)
        f("storyText").textChanged.connect(self._suggest_folder)
        f("buttonBox").accepted.connect(self.accept)
        f("buttonBox").rejected.connect(self.dialog.reject)
        self._folder_touched = False
        f("folder").textEdited.connect(lambda _t: setattr(self, "_folder_touched", True))
        self._suggest_folder()

    def _suggest_folder(self) -> None:
        if self._folder_touched:
            return
        from dreamfactory_studio.core.story import title_from

        title = self.find("title").text().strip() or title_from(self.find("storyText").toPlainText()[:400])
        base = data_dir() / "projects" / _slug(title)
        target, n = base, 2
        while target.exists():
            target, n = base.with_name(f"{base.name}-{n}"), n + 1
        self.find("folder").setText(str(target))

    def load_story(self, path: str | None = None) -> None:
        from dreamfactory_studio.core.screenplay import read_screenplay
        from dreamfactory_studio.core.story import read_story

        if not path:
            path, _ = QFileDialog.getOpenFileName(
                self.dialog,
                "Load a story or a screenplay",
                "",
                "Stories and screenplays (*.txt *.md *.fountain *.spmd *.fdx);;All files (*)",
            )
        if not path:
            return
        text = self.find("storyText")
        try:
            if Path(path).suffix.lower() == ".fdx":
                screenplay = read_screenplay(path)
                self.screenplay = Path(path)
                text.setPlainText(
                    f"Final Draft screenplay {Path(path).name}: '{screenplay.title}', "
                    f"{len(screenplay.scenes)} scenes, {len(screenplay.cast)} characters."
                )
                text.setReadOnly(True)
                if not self.find("title").text().strip():
                    self.find("title").setText(screenplay.title)
                return
            self.screenplay = None
            text.setReadOnly(False)
            text.setPlainText(read_story(path))
        except StudioError as exc:
            QMessageBox.warning(self.dialog, "Cannot load the story", str(exc))

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.dialog, "Where the project goes")
        if folder:
            self._folder_touched = True
            self.find("folder").setText(str(Path(folder) / _slug(self.find("title").text() or "project")))

    def accept(self) -> None:
        from dreamfactory_studio.core.new_project import new_project, new_project_from_text
        from dreamfactory_studio.core.screenplay import looks_like_fountain

        f = self.find
        story = f("storyText").toPlainText()
        screenplay = self.screenplay is not None or looks_like_fountain(story)
        options = dict(
            scenes=None if screenplay else f("scenes").value() or None,  # a screenplay's headings decide
            style=f("style").currentText().strip() or None,
            title=f("title").text().strip() or None,
        )
        folder = Path(f("folder").text().strip()).expanduser()
        try:
            if self.screenplay is not None:
                self.folder = new_project(self.screenplay, folder, **options)
            else:
                self.folder = new_project_from_text(story, folder, **options)
        except StudioError as exc:
            QMessageBox.warning(self.dialog, "Cannot make the project", str(exc))
            return
        self.dialog.accept()
