"""One undoable edit of the project: the parts it touched, before and after, as snapshots."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from dreamfactory_studio.core.changes import Changes
from dreamfactory_studio.core.project_state import Snapshot

MERGING = 1


class Change(QUndoCommand):
    """An edit already made to the project. ``redo`` after the first puts the after-state back; ``undo`` the
    before-state. ``changes`` is what the edit declared it touches; ``notify`` passes it on, after the edit and
    each undo and redo, so that the views redraw those parts. Edits with the same ``merge_key`` in a row merge
    into one step (typing in one field)."""

    def __init__(
        self,
        text: str,
        project,
        before: Snapshot,
        after: Snapshot,
        changes: Changes,
        notify: Callable[[Change], None],
        *,
        merge_key: object = None,
    ):
        super().__init__(text)
        self.project = project
        self.before, self.after = before, after
        self.changes = changes
        self.notify = notify
        self.merge_key = merge_key
        self._first = True

    @property
    def scene_ids(self) -> set[str]:
        return set(self.before.scenes) | set(self.after.scenes)

    def redo(self) -> None:
        if self._first:
            self._first = False
        else:
            self.after.restore(self.project)
        self.notify(self)

    def undo(self) -> None:
        self.before.restore(self.project)
        self.notify(self)

    def id(self) -> int:  # noqa: A003 (Qt's name)
        return MERGING if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt's name)
        if not isinstance(other, Change) or other.merge_key != self.merge_key:
            return False
        self.after = other.after
        self.changes = self.changes | other.changes
        return True
