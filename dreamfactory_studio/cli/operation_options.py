"""The CLI's side of the operations declared in :mod:`dreamfactory_studio.core.operations`: the options that
choose one (``scene --move K ... --to J``, ``take --select ID``, ``cast --lora FILE``) and the values they take are
made from the declaration, and the chosen one is bound and done as the window's session does it."""

from __future__ import annotations

import argparse

from dreamfactory_studio.core.operations import Operation, Param, operations_of

_INTEGERS = ("scene", "scene_number", "scene_numbers", "position")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be 1 or more")
    return value


def _dest(option: str) -> str:
    return option.lstrip("-").replace("-", "_")


def _argument(param: Param) -> dict:
    given: dict = {"dest": _dest(param.option), "help": param.help or None}
    if param.metavar:
        given["metavar"] = param.metavar
    if param.kind in _INTEGERS:
        given["type"] = positive_int
    elif param.kind == "number":
        given["type"] = float
    if param.kind == "scene_numbers":
        given["nargs"] = "+"
    if param.choices:
        given["choices"] = param.choices
    return given


def _chooser(op: Operation) -> Param | None:
    return next((p for p in op.params if p.option == op.option), None)


def add_operation_options(
    parser: argparse.ArgumentParser, command: str, group: argparse._MutuallyExclusiveGroup
) -> None:
    """Add to ``group`` the option that chooses each of ``command``'s operations and to ``parser`` the options
    their other values come from (each once, however many operations share it)."""
    have = {option for action in parser._actions for option in action.option_strings}
    for op in operations_of(command):
        chooser = _chooser(op)
        if chooser is None:
            group.add_argument(op.option, dest=_dest(op.option), action="store_true", help=op.help)
        else:
            group.add_argument(op.option, **_argument(chooser))
        have.add(op.option)
        for param in op.params:
            if param.option and param.option not in have:
                parser.add_argument(param.option, **_argument(param))
                have.add(param.option)


def chosen_operation(args: argparse.Namespace, command: str) -> tuple[Operation, dict] | None:
    """The operation the command line chose, with its values by parameter name; None when it chose none."""
    for op in operations_of(command):
        if getattr(args, _dest(op.option), None) not in (None, False):
            values = {p.name: getattr(args, _dest(p.option), None) for p in op.params if p.option}
            return op, values
    return None


def run_operation(workspace, op_id: str, **values) -> tuple[object, str]:
    """Operation ``op_id`` done on the workspace's project, bound as the window's session binds it: what the
    edit returned, and the line that says what was done."""
    from dreamfactory_studio.workspace.operations import bind

    bound = bind(op_id, workspace.project, workspace.folder, **values)
    result = bound()
    return result, bound.done(result)


def do_chosen(args: argparse.Namespace, command: str, workspace) -> str | None:
    """Do the operation the command line chose on ``workspace`` and save; the line that says what was done, or
    None when it chose none."""
    from dreamfactory_studio.core.errors import BadInput

    picked = chosen_operation(args, command)
    if picked is None:
        return None
    op, values = picked
    for param in op.params:
        if param.option and param.required and values.get(param.name) is None:
            raise BadInput(f"{op.option} needs {param.option} {param.metavar or param.name.upper()}.")
    _, said = run_operation(workspace, op.id, **values)
    workspace.save()
    return said
