"""Helpers for driving the studio window in tests, as a user would."""

from __future__ import annotations

from dreamfactory_studio.app.main_window import MainWindow
from dreamfactory_studio.core.model import Project, Scene
from dreamfactory_studio.core.project_folder import ProjectFolder


def saved(root) -> Project:
    with ProjectFolder.open(root, read_only=True) as folder:
        return folder.load()


def select(window: MainWindow, number: int) -> Scene:
    scene = window.session.project.scenes[number - 1]
    window.timeline.select_ids([scene.id])
    assert window.scene_editor.scene_id == scene.id
    return scene


def type_into(field, text: str) -> None:
    """Replace a field's text the way typing does, then leave the field (which commits it)."""
    field.widget.setFocus()
    field.widget.selectAll()
    if hasattr(field.widget, "insertPlainText"):
        field.widget.insertPlainText(text)
    else:
        field.widget.insert(text)
    field.commit()
    field.run += 1
