"""An operation of :data:`~dreamfactory_studio.core.operations.OPERATIONS` bound to a project: the edit to call,
its arguments and the undo step's words. The window's session and the CLI both bind here, so a scene named by
id (the window) or by number (the CLI's edge) and a character by id or by name reach the edit one way."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from dreamfactory_studio.core import edits
from dreamfactory_studio.core.model import Character, Project, Scene
from dreamfactory_studio.core.operations import OPERATIONS, Operation
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.scene_ids import find_scene, scene_with_id


@dataclass(frozen=True)
class Bound:
    """An operation ready to run: ``edit(*args, **kwargs)`` is what ``ProjectSession.apply`` snapshots around."""

    operation: Operation
    label: str
    edit: Callable
    args: tuple
    kwargs: dict = field(default_factory=dict)
    words: dict = field(default_factory=dict)

    def __call__(self):
        return self.edit(*self.args, **self.kwargs)

    def done(self, result=None) -> str:
        """The CLI's line for it, once done (``result``: what the edit returned)."""
        return self.operation.done.format(**self.words, result=result) if self.operation.done else self.label


def operation(op_id: str) -> Operation:
    try:
        return OPERATIONS[op_id]
    except KeyError:
        raise ValueError(f"no operation {op_id!r}") from None


@cache
def edit_of(path: str) -> Callable:
    """The function an operation names (``"module:function"`` under the package)."""
    module, name = path.split(":")
    return getattr(importlib.import_module(f"dreamfactory_studio.{module}"), name)


def _scene(project: Project, given: str | int) -> Scene:
    return find_scene(project, given) if isinstance(given, int) else scene_with_id(project, given)


def _character(project: Project, given: str) -> Character:
    for character in project.characters:
        if character.id == given:
            return character
    return edits.character_named(project, given)


def _scenes_words(numbers: list[int]) -> str:
    return f"scene {numbers[0]}" if len(numbers) == 1 else f"{len(numbers)} scenes"


def bind(op_id: str, project: Project, folder: ProjectFolder | None = None, **values) -> Bound:
    """Operation ``op_id`` with ``values`` (by parameter name) made into its edit's call on ``project``. A value
    left out is the edit's default; a scene or character that is not there is refused (:class:`BadInput`)."""
    op = operation(op_id)
    unknown = set(values) - {p.name for p in op.params}
    if unknown:
        raise ValueError(f"{op_id} takes no {', '.join(sorted(unknown))}")
    arguments: dict = {}
    words: dict = {}
    keywords: dict = {}
    for param in op.params:
        if param.name not in values or values[param.name] is None and not param.required:
            continue
        given = values[param.name]
        kind = param.kind
        if kind == "scene":
            scene = _scene(project, given)
            arguments[param.name], words[param.name] = scene, project.scene_number(scene.id)
        elif kind == "scene_number":
            number = project.scene_number(_scene(project, given).id)
            arguments[param.name] = words[param.name] = number
        elif kind == "scene_numbers":
            numbers = [project.scene_number(_scene(project, g).id) for g in given]
            arguments[param.name], words[param.name] = numbers, _scenes_words(numbers)
        elif kind == "character":
            character = _character(project, given)
            arguments[param.name], words[param.name] = character, character.name
        elif kind == "box":
            arguments[param.name] = edits.parse_box(given) if isinstance(given, str) else given
        elif kind == "values":
            keywords.update(given)
            words[param.name] = ", ".join(given)
        else:
            arguments[param.name] = words[param.name] = given
    arguments.update(op.fixed)
    edit = edit_of(op.edit)
    supplied = {"project": project, "folder": folder, **arguments}
    args, kwargs = [], dict(keywords)
    positional = True
    for name, parameter in inspect.signature(edit).parameters.items():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            continue
        if name not in supplied or supplied[name] is None and name == "folder":
            if parameter.default is inspect.Parameter.empty:
                raise ValueError(f"{op_id} needs {name}")
            positional = False  # the rest go by name, past the default left out
            continue
        if positional and parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD:
            args.append(supplied[name])
        else:
            kwargs[name] = supplied[name]
    return Bound(op, op.label.format(**words), edit, tuple(args), kwargs, words)
