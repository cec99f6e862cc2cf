"""What an edit touches, declared once: the record the undo stack snapshots and every view filters on.

In the spirit of Anki's ``OpChanges``: an edit of :mod:`~dreamfactory_studio.core.edits` declares, from its
arguments and before it runs, which scenes, which top-level fields of the project and whether the order of the
scenes it may change (:func:`touches`). The window's session snapshots exactly those parts for undo and, after
the edit, undo or redo, emits the record so that each view redraws what concerns it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TypeVar

F = TypeVar("F", bound=Callable)

PROJECT_FIELDS = (
    "task",
    "style",
    "outline",
    "characters",
    "base_frame",
    "base_description",
    "directions",
    "phases",
    "evaluation",
    "cut_scenes",
    "user_edited",
)
"""The project's top-level fields an edit or a run may change besides its scenes."""


@dataclass(frozen=True)
class Changes:
    """The parts of a project one edit changed (or may change): scenes by id, top-level fields, the order."""

    scenes: frozenset[str] = field(default_factory=frozenset)
    fields: frozenset[str] = field(default_factory=frozenset)
    order: bool = False
    """Scenes were added, removed or moved."""
    focus: str | None = None
    """The scene to show after the edit, its undo or its redo."""

    @classmethod
    def of(
        cls,
        scenes: Iterable[str] = (),
        fields: Iterable[str] = (),
        *,
        order: bool = False,
        focus: str | None = None,
    ) -> Changes:
        unknown = set(fields) - set(PROJECT_FIELDS)
        if unknown:
            raise ValueError(f"not a project field: {', '.join(sorted(unknown))}")
        return cls(frozenset(scenes), frozenset(fields), order, focus)

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            self.scenes | other.scenes,
            self.fields | other.fields,
            self.order or other.order,
            self.focus or other.focus,
        )

    def with_focus(self, focus: str | None) -> Changes:
        return replace(self, focus=focus)


def touches(declare: Callable[..., Changes]) -> Callable[[F], F]:
    """Declare what an edit changes: ``declare`` takes the edit's own arguments and returns the
    :class:`Changes` it will make, before the edit runs (so that an undo snapshot can be taken of them)."""

    def mark(edit: F) -> F:
        edit.touches = declare  # type: ignore[attr-defined]
        return edit

    return mark


def declared(edit: Callable, *args, **kwargs) -> Changes:
    """What ``edit`` called with these arguments will change, as it declares with :func:`touches`."""
    declare = getattr(edit, "touches", None)
    if declare is None:
        raise TypeError(f"{getattr(edit, '__name__', edit)} does not declare what it changes (@touches)")
    return declare(*args, **kwargs)
