"""Helpers for driving the studio window in tests, as a user would."""

from __future__ import annotations

import asyncio

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


def wait(loop, window):
    """Wait for the window's job, whatever its end; return the exception it raised (or None)."""
    task = window.jobs.current
    try:
        loop.run_until_complete(task)
    except BaseException as exc:  # noqa: BLE001 (a cancel or a failure is what some tests want)
        loop.run_until_complete(asyncio.sleep(0))
        return exc
    loop.run_until_complete(asyncio.sleep(0))  # the job's done-callbacks
    return None
