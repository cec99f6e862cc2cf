"""The window's scene actions: insert, duplicate, delete and move scenes; pin the Base Frame; draw or pin a
character's sheet; redraw a region of a take; draw an end frame; re-describe the Base Frame; give a phase's crew
a direction. Each receives the :class:`~dreamfactory_studio.app.state.ActionContext` and does an operation
through the session, so it is one undoable step."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog

from dreamfactory_studio.app.base_frame_panel import DescriptionDiffDialog
from dreamfactory_studio.app.state import ActionContext
from dreamfactory_studio.app.widgets import perform


def insert_scene(ctx: ActionContext) -> None:
    """A new scene after the current one (at the end with none), its title ready to type."""
    session = ctx.session
    if session is None:
        return
    current = ctx.state.current
    number = session.number_of(current) + 1 if current else len(session.project.scenes) + 1
    if perform(ctx.parent, session, "insert_scene", number=number):  # the session shows the new scene
        ctx.views.focus("title")


def duplicate_scenes(ctx: ActionContext) -> None:
    """A copy of the last selected scene after it (the session shows it)."""
    if ctx.session is not None and ctx.state.selected:
        perform(ctx.parent, ctx.session, "duplicate_scene", number=ctx.state.selected[-1])


def delete_scenes(ctx: ActionContext) -> None:
    """Delete the selected scenes and select the one now in the first one's place."""
    session, ids = ctx.session, list(ctx.state.selected)
    if session is None or not ids:
        return
    first = session.number_of(ids[0])
    perform(ctx.parent, session, "delete_scenes", numbers=ids)
    scenes = session.project.scenes
    if scenes:
        ctx.views.select_scenes([scenes[min(first, len(scenes)) - 1].id])


def move_selected(ctx: ActionContext, step: int) -> None:
    """Move the selected scenes ``step`` places, keeping them selected."""
    session, ids = ctx.session, list(ctx.state.selected)
    if session is None or not ids:
        return
    first = session.number_of(ids[0])
    remaining = len(session.project.scenes) - len(ids)
    to = min(max(1, first + step), remaining + 1)
    if to != first and perform(ctx.parent, session, "move_scenes", numbers=ids, to=to):
        ctx.views.select_scenes(ids)


def pin_base_frame(ctx: ActionContext) -> None:
    """Pin the current scene's keyframe as the Base Frame."""
    if ctx.session is not None and ctx.state.current:
        perform(ctx.parent, ctx.session, "pin_base_frame", scene=ctx.state.current)


def draw_sheet(ctx: ActionContext, character_id: str) -> None:
    """Draw the character's sheet (again) as a job."""
    session = ctx.session
    if session is not None:
        name = session.project.character(character_id).name
        ctx.jobs.start(f"Draw {name}'s sheet", lambda: session.draw_sheet(character_id))


def sheet_from_take(ctx: ActionContext, character_id: str) -> None:
    """Pin the current scene's keyframe as the character's sheet."""
    if ctx.session is None or not ctx.state.current:
        ctx.views.say("Select the scene whose keyframe shows the character first.")
        return
    perform(ctx.parent, ctx.session, "sheet_from_take", character=character_id, scene=ctx.state.current)


def redraw_region(ctx: ActionContext, take_id: str | None = None) -> None:
    """Ask for a region of the current scene's keyframe (or ``take_id``) and redraw it in place as a job."""
    from PySide6.QtGui import QPixmap

    from dreamfactory_studio.app.region_dialog import RedrawDialog

    session, scene_id = ctx.session, ctx.state.current
    if session is None or not scene_id:
        ctx.views.say("Select the scene whose keyframe has a region to redraw first.")
        return
    scene = session.scene_by_id(scene_id)
    take = scene.take(take_id) if take_id else scene.keyframe
    if take is None:
        ctx.views.say("This scene has no keyframe yet: draw a take first.")
        return
    number = session.number_of(scene_id)
    pixmap = QPixmap(str(session.asset_file(take.image)))
    dialog = RedrawDialog(session.project, scene, take, pixmap, number, ctx.parent)
    if dialog.exec() != QDialog.DialogCode.Accepted or (asked := dialog.asked()) is None:
        return
    ctx.jobs.start(
        f"Redraw a region of scene {number}",
        lambda: session.redraw_region(
            scene_id, asked.box, take_id=take.id, character_id=asked.character, prompt=asked.prompt
        ),
    )


def draw_end_frame(ctx: ActionContext) -> None:
    """Draw the frame the current scene's clip ends on, as a job."""
    session, scene_id = ctx.session, ctx.state.current
    if session is None or not scene_id:
        ctx.views.say("Select the scene whose clip should end on a drawn frame first.")
        return
    number = session.number_of(scene_id)
    ctx.jobs.start(f"Draw the end frame of scene {number}", lambda: session.draw_end_frame(scene_id))


def redescribe(ctx: ActionContext) -> None:
    """Ask the monitor for a new Base Description and offer it beside the current one."""
    if ctx.session is not None:
        ctx.jobs.start(
            "Re-describe the Base Frame", ctx.session.redescribe, lambda text: _offer_description(ctx, text)
        )


def _offer_description(ctx: ActionContext, text: str) -> None:
    session = ctx.session
    if session is None:
        return
    current = session.project.base_description
    dialog = DescriptionDiffDialog(current.text, text, current.user_edited, ctx.parent)
    if dialog.exec() == QDialog.DialogCode.Accepted:
        perform(ctx.parent, session, "replace_base_description", text=text)


def give_direction(ctx: ActionContext, phase: str, text: str) -> None:
    """Give (or, with no text, take back) the user's direction to a phase's crew."""
    if ctx.session is not None and perform(ctx.parent, ctx.session, "set_direction", phase=phase, text=text):
        ctx.views.say(
            f"The {phase} crew will hear your direction in its next conversation."
            if text
            else f"The {phase} crew has no direction from you now.",
            6000,
        )
