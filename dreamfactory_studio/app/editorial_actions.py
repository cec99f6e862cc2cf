"""The window's side of the edit that comes back from an editor: read it, show what it changes, take it as one
undoable step; and putting cut scenes back."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from dreamfactory_studio.app.state import ActionContext
from dreamfactory_studio.app.widgets import perform
from dreamfactory_studio.core.errors import StudioError

EDIT_FILTER = "Edits (*.otio *.xml *.fcpxml *.edl);;All files (*)"


def import_edit(ctx: ActionContext, path: str | None = None) -> bool:
    """Ask for an edit file (unless given), show what it would change and take it if the user agrees."""
    session, window = ctx.session, ctx.parent
    if session is None:
        return False
    ctx.views.commit_fields()
    if path is None:
        path, _ = QFileDialog.getOpenFileName(
            window, "Take the edit back from", str(session.folder.root / "exports"), EDIT_FILTER
        )
        if not path:
            return False
    try:
        reading = session.workspace.read_edit(Path(path))
    except StudioError as exc:
        QMessageBox.warning(window, "Cannot read the edit", str(exc))
        return False
    summary = session.workspace.describe_edit(reading)
    if reading.unmatched:
        summary += "\n\nNot mapped:\n" + "\n".join(f"  {line}" for line in reading.unmatched)
    buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    answer = QMessageBox.question(
        window, "Take the edit?", f"{summary}\n\nUndo takes it back in one step.", buttons
    )
    if answer != QMessageBox.StandardButton.Yes:
        return False
    cut_before = len(session.project.cut_scenes)
    source = Path(path).name
    edit = {"order": reading.order, "durations": reading.durations, "source": source}
    if not perform(window, session, "conform", **edit):
        return False
    cut = len(session.project.cut_scenes) - cut_before
    message = f"Took the edit from {source}"
    if cut > 0:
        message += f"; {cut} scene(s) cut (Edit ▸ Restore Cut Scenes puts them back)"
    ctx.views.say(message, 8000)
    return True


def restore_cut(ctx: ActionContext) -> None:
    """Choose a cut scene (or all of them) and put it back where it was."""
    session, window = ctx.session, ctx.parent
    if session is None:
        return
    cuts = session.project.cut_scenes
    if not cuts:
        ctx.views.say("No scene has been cut.", 5000)
        return
    everything = f"All {len(cuts)} cut scenes"
    labels = [everything] + [f"{c.scene.title or 'Untitled'} (was scene {c.position})" for c in cuts]
    choice, ok = QInputDialog.getItem(window, "Restore Cut Scenes", "Put back:", labels, 0, False)
    if not ok:
        return
    ids = None if choice == everything else [cuts[labels.index(choice) - 1].scene.id]
    perform(window, session, "restore_scenes", scene_ids=ids)
