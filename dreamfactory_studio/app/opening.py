"""Opening a project in the window, with a dialog for every problem that says what to do and overwrites
nothing: a locked project can be opened read-only, a damaged one restored from its last good autosave, and
unsaved edits a crash left in the autosave are offered back."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QMessageBox, QWidget

from dreamfactory_studio.core.errors import DamagedProject, ProjectLocked, StudioError, as_user_error
from dreamfactory_studio.core.model import Project
from dreamfactory_studio.core.project_folder import ProjectFolder


@dataclass
class Opened:
    folder: ProjectFolder
    project: Project
    recovered: bool
    """The project holds edits restored from the autosave, not saved yet."""


def open_project(parent: QWidget, path: str, *, read_only: bool = False) -> Opened | None:
    """Open and load the project at ``path``, asking the person where something is wrong; None when it is not
    opened (the reason was shown, or the person chose not to)."""
    try:
        folder = ProjectFolder.open(path, read_only=read_only)
    except OSError as exc:
        QMessageBox.warning(parent, "Cannot open the project", str(as_user_error(exc) or exc))
        return None
    except ProjectLocked as exc:
        answer = QMessageBox.question(parent, "Project in use", f"{exc}\n\nOpen it read-only?")
        if answer == QMessageBox.StandardButton.Yes:
            return open_project(parent, path, read_only=True)
        return None
    except StudioError as exc:
        QMessageBox.warning(parent, "Cannot open the project", str(exc))
        return None
    try:
        project, recovered = _load(parent, folder)
    except (StudioError, OSError, RecursionError) as exc:
        folder.close()
        if not isinstance(exc, DamagedProject) or exc.autosave is None:
            QMessageBox.warning(parent, "Cannot open the project", str(as_user_error(exc) or exc))
        return None
    except BaseException:
        folder.close()
        raise
    if project is None:
        folder.close()
        return None
    return Opened(folder, project, recovered)


def _load(parent: QWidget, folder: ProjectFolder) -> tuple[Project | None, bool]:
    """The project to show, and whether it holds recovered edits not yet saved."""
    try:
        project = folder.load()
    except DamagedProject as exc:
        if exc.autosave is None:
            raise
        if folder.read_only:
            QMessageBox.warning(parent, "The project is damaged", f"{exc}\n\nOpen it normally to restore it.")
            return None, False
        answer = QMessageBox.question(
            parent,
            "The project is damaged",
            f"{exc}\n\nRestore the last good autosave now? The damaged file is kept beside it.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return None, False
        return folder.recover(), False
    newer = None if folder.read_only else folder.newer_autosave()
    if newer is not None and newer.modified > project.modified:
        answer = QMessageBox.question(
            parent,
            "Unsaved edits found",
            f"“{project.title}” has edits from {newer.modified.astimezone():%Y-%m-%d %H:%M} that were "
            "never saved (the studio closed without saving). Restore them?",
        )
        if answer == QMessageBox.StandardButton.Yes:
            newer.transcripts = project.transcripts
            return newer, True
        folder.autosave(project)  # the user chose the saved state: the autosave follows it
    return project, False
