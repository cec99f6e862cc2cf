"""The window's scene actions: insert, duplicate, delete and move scenes; pin the Base Frame; draw or pin a
character's sheet; redraw a region of a take; re-describe the Base Frame; give a phase's crew a direction. Each goes through the session, so
it is one undoable step."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog

from dreamfactory_studio.app.base_frame_panel import DescriptionDiffDialog
from dreamfactory_studio.app.widgets import guarded

if TYPE_CHECKING:
    from dreamfactory_studio.app.main_window import MainWindow


def insert_scene(window: MainWindow) -> None:
    """A new scene after the selected one (at the end with none), its title ready to type."""
    if window.session is None:
        return
    current = window.current_scene_id()
    number = window.session.number_of(current) + 1 if current else len(window.session.project.scenes) + 1
    guarded(window, "Cannot insert a scene", lambda: window.select_scene(window.session.insert_scene(number)))
    window.scene_editor.title.setFocus()


def duplicate_scenes(window: MainWindow) -> None:
    """A copy of the last selected scene after it."""
    ids = window.timeline.selected_ids()
    if window.session is not None and ids:
        guarded(
            window,
            "Cannot duplicate the scene",
            lambda: window.select_scene(window.session.duplicate_scene(ids[-1])),
        )


def delete_scenes(window: MainWindow) -> None:
    """Delete the selected scenes and select the one now in the first one's place."""
    ids = window.timeline.selected_ids()
    if window.session is None or not ids:
        return
    first = window.session.number_of(ids[0])
    guarded(window, "Cannot delete", lambda: window.session.delete_scenes(ids))
    scenes = window.session.project.scenes
    if scenes:
        window.select_scene(scenes[min(first, len(scenes)) - 1].id)


def move_selected(window: MainWindow, step: int) -> None:
    """Move the selected scenes ``step`` places, keeping them selected."""
    ids = window.timeline.selected_ids()
    if window.session is None or not ids:
        return
    first = window.session.number_of(ids[0])
    remaining = len(window.session.project.scenes) - len(ids)
    to = min(max(1, first + step), remaining + 1)
    if to != first:
        guarded(window, "Cannot move", lambda: window.session.move_scenes(ids, to))
        window.timeline.select_ids(ids)


def pin_base_frame(window: MainWindow) -> None:
    """Pin the selected scene's keyframe as the Base Frame."""
    scene_id = window.current_scene_id()
    if window.session is not None and scene_id:
        guarded(window, "Cannot pin the Base Frame", lambda: window.session.pin_base_frame(scene_id))


def draw_sheet(window: MainWindow, character_id: str) -> None:
    """Draw the character's sheet (again) as a job."""
    session = window.session
    if session is not None:
        name = session.project.character(character_id).name
        window.jobs.start(f"Draw {name}'s sheet", lambda: session.draw_sheet(character_id))


def sheet_from_take(window: MainWindow, character_id: str) -> None:
    """Pin the selected scene's keyframe as the character's sheet."""
    scene_id = window.current_scene_id()
    if window.session is None or not scene_id:
        window.statusBar().showMessage("Select the scene whose keyframe shows the character first.")
        return
    guarded(window, "Cannot pin the sheet", lambda: window.session.sheet_from_take(character_id, scene_id))


def redraw_region(window: MainWindow, take_id: str | None = None) -> None:
    """Ask for a region of the selected scene's keyframe (or ``take_id``) and redraw it in place as a job."""
    from PySide6.QtGui import QPixmap

    from dreamfactory_studio.app.region_dialog import RedrawDialog

    session, scene_id = window.session, window.current_scene_id()
    if session is None or not scene_id:
        window.statusBar().showMessage("Select the scene whose keyframe has a region to redraw first.")
        return
    scene = session.scene_by_id(scene_id)
    take = scene.take(take_id) if take_id else scene.keyframe
    if take is None:
        window.statusBar().showMessage("This scene has no keyframe yet: draw a take first.")
        return
    number = session.number_of(scene_id)
    pixmap = QPixmap(str(session.asset_file(take.image)))
    dialog = RedrawDialog(session.project, scene, take, pixmap, number, window)
    if dialog.exec() != QDialog.DialogCode.Accepted or (asked := dialog.asked()) is None:
        return
    window.jobs.start(
        f"Redraw a region of scene {number}",
        lambda: session.redraw_region(
            scene_id, asked.box, take_id=take.id, character_id=asked.character, prompt=asked.prompt
        ),
    )


def draw_end_frame(window: MainWindow) -> None:
    """Draw the frame the selected scene's clip ends on, as a job."""
    session, scene_id = window.session, window.current_scene_id()
    if session is None or not scene_id:
        window.statusBar().showMessage("Select the scene whose clip should end on a drawn frame first.")
        return
    number = session.number_of(scene_id)
    window.jobs.start(f"Draw the end frame of scene {number}", lambda: session.draw_end_frame(scene_id))


def redescribe(window: MainWindow) -> None:
    """Ask the monitor for a new Base Description and offer it beside the current one."""
    if window.session is not None:
        window.jobs.start(
            "Re-describe the Base Frame",
            window.session.redescribe,
            lambda text: _offer_description(window, text),
        )


def _offer_description(window: MainWindow, text: str) -> None:
    session = window.session
    if session is None:
        return
    current = session.project.base_description
    dialog = DescriptionDiffDialog(current.text, text, current.user_edited, window)
    if dialog.exec() == QDialog.DialogCode.Accepted:
        guarded(window, "Cannot replace the Base Description", lambda: session.replace_base_description(text))


def give_direction(window: MainWindow, phase: str, text: str) -> None:
    """Give (or, with no text, take back) the user's direction to a phase's crew."""
    if window.session is not None and guarded(
        window, "Cannot give the direction", lambda: window.session.set_direction(phase, text)
    ):
        window.statusBar().showMessage(
            f"The {phase} crew will hear your direction in its next conversation."
            if text
            else f"The {phase} crew has no direction from you now.",
            6000,
        )
