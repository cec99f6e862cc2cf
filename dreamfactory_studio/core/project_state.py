"""Snapshots of the parts of a project an edit touches, so that the edit can be undone and redone.

A snapshot holds deep copies of the scenes it names and of top-level fields, and the order of the scenes by id.
Restoring puts copies back (the snapshot itself is never handed out), so one snapshot restores any number of
times. Undo is last-in first-out, so a scene that is not named is already as it was when the snapshot was taken.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dreamfactory_studio.core.changes import Changes
from dreamfactory_studio.core.model import Project, Scene


@dataclass
class Snapshot:
    scenes: dict[str, Scene] = field(default_factory=dict)
    fields: dict[str, object] = field(default_factory=dict)
    order: list[str] | None = None

    @classmethod
    def capture(
        cls,
        project: Project,
        *,
        scenes: tuple[str, ...] | list[str] = (),
        fields: tuple[str, ...] = (),
        order: bool = False,
    ) -> Snapshot:
        """Copy the named scenes (by id), the top-level fields and, with ``order``, the order of the scenes.
        A scene an edit removes must be named, so that restoring the order can bring it back."""
        wanted = set(scenes)
        return cls(
            scenes={s.id: s.model_copy(deep=True) for s in project.scenes if s.id in wanted},
            fields={name: _copy(getattr(project, name)) for name in fields},
            order=[s.id for s in project.scenes] if order else None,
        )

    @classmethod
    def of(cls, project: Project, changes: Changes) -> Snapshot:
        """Copy what an edit declares it touches (see :mod:`~dreamfactory_studio.core.changes`)."""
        return cls.capture(project, scenes=changes.scenes, fields=tuple(changes.fields), order=changes.order)

    def after(self, project: Project) -> Snapshot:
        """The snapshot of the same parts now that the edit is made (with the scenes it added), for redo."""
        named = set(self.scenes)
        if self.order is not None:
            named |= {s.id for s in project.scenes} - set(self.order)
        return Snapshot.capture(
            project, scenes=list(named), fields=tuple(self.fields), order=self.order is not None
        )

    def matches(self, project: Project) -> bool:
        """Whether the project still holds exactly what this snapshot holds (nothing was changed)."""
        return self.after(project) == self

    def restore(self, project: Project) -> None:
        for name, value in self.fields.items():
            setattr(project, name, _copy(value))
        current = {s.id: s for s in project.scenes}
        current.update({scene_id: s.model_copy(deep=True) for scene_id, s in self.scenes.items()})
        order = self.order if self.order is not None else [s.id for s in project.scenes]
        project.scenes[:] = [current[scene_id] for scene_id in order]


def _copy(value):
    if hasattr(value, "model_copy"):
        return value.model_copy(deep=True)
    if isinstance(value, list):
        return [_copy(item) for item in value]
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    return value
