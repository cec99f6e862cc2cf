"""Operations declared once (issue 35, part 3): ``core.operations`` is what the CLI's parser, the window's
action table and the session read; the CLI (numbers, names) and the window (ids) bind an operation one way."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys

import pytest

from dreamfactory_studio.app.actions import ACTIONS
from dreamfactory_studio.app.main_window import MainWindow
from dreamfactory_studio.app.state import RULES
from dreamfactory_studio.cli import build_parser, main
from dreamfactory_studio.cli.operation_options import chosen_operation
from dreamfactory_studio.core.model import Character, Project, Scene
from dreamfactory_studio.core.operations import OPERATIONS
from dreamfactory_studio.workspace import Workspace
from dreamfactory_studio.workspace.operations import bind, edit_of

from .paths import REPO


def project() -> Project:
    characters = [Character(name="Mira"), Character(name="Jonas")]
    scenes = [Scene(title=f"S{i}", characters=[characters[i % 2].id]) for i in range(5)]
    return Project(title="t", story="s", scenes=scenes, characters=characters)


@pytest.mark.parametrize("op", OPERATIONS.values(), ids=lambda op: op.id)
def test_each_operation_names_an_edit_that_takes_its_parameters(op):
    edit = edit_of(op.edit)
    parameters = inspect.signature(edit).parameters
    by_name = (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    takes_keywords = any(p.kind in by_name for p in parameters.values())
    for param in op.params:
        if param.kind == "values":
            assert takes_keywords, f"{op.id}: {edit.__name__} takes no values by name"
        else:
            assert param.name in parameters, f"{op.id}: {edit.__name__} has no parameter {param.name}"
    assert set(op.fixed) <= set(parameters)
    assert op.when in RULES and op.refused.startswith("Cannot")
    assert callable(getattr(edit, "touches", None)), f"{op.id}: its edit declares what it changes (@touches)"


@pytest.mark.parametrize("op", [op for op in OPERATIONS.values() if op.cli], ids=lambda op: op.id)
def test_the_cli_offers_each_operation_with_a_command_option(op, tmp_path):
    values = {"scene": "2", "scene_number": "2", "scene_numbers": "2", "position": "1", "number": "0.5"}
    argv = [op.command, str(tmp_path)]
    for param in op.params:
        if param.option and param.required:
            argv += [param.option, values.get(param.kind, "x")]
    if not any(p.option == op.option for p in op.params):
        argv.append(op.option)
    if op.command == "take" and "--scene" not in argv:
        argv += ["--scene", "2"]
    args = build_parser().parse_args(argv)
    chosen, given = chosen_operation(args, op.command)
    assert chosen is op
    assert all(given[p.name] is not None for p in op.params if p.option and p.required)


def test_an_action_that_does_an_operation_is_enabled_by_its_rule():
    for action in ACTIONS:
        if action.op:
            assert action.op in OPERATIONS and action.rule == (action.when or OPERATIONS[action.op].when)
        assert not action.rule or action.rule in RULES, action.id
        if isinstance(action.trigger, str):
            assert callable(getattr(MainWindow, action.trigger, None)), (
                f"{action.id}: the window has no {action.trigger}"
            )


def test_a_number_and_an_id_bind_the_same_call_and_the_same_words():
    p = project()
    second, fourth = p.scenes[1], p.scenes[3]
    by_id = bind("move_scenes", p, numbers=[second.id, fourth.id], to=1)
    by_number = bind("move_scenes", p, numbers=[2, 4], to=1)
    assert by_id.args[1:] == by_number.args[1:] == ([2, 4], 1)
    assert by_id.label == by_number.label == "Move 2 scenes to 1"
    mira = p.characters[0]
    assert bind("unpin_sheet", p, character=mira.id).args == bind("unpin_sheet", p, character="mira").args
    edit = bind("edit_scene", p, scene=2, values={"title": "T", "shot": "wide"})
    assert edit.label == "Edit title, shot of scene 2" and edit.kwargs == {"title": "T", "shot": "wide"}


def test_a_scene_or_character_that_is_not_there_is_refused_in_words():
    from dreamfactory_studio.core.errors import BadInput

    p = project()
    with pytest.raises(BadInput, match="no scene 9"):
        bind("pin_scene", p, scene=9)
    with pytest.raises(BadInput, match="no longer in the project"):
        bind("pin_scene", p, scene="scene-gone")
    with pytest.raises(BadInput, match="no character 'Zed'"):
        bind("pin_sheet", p, character="Zed", take_id="x")
    with pytest.raises(ValueError, match="takes no colour"):
        bind("pin_scene", p, scene=1, colour="red")


def test_the_cli_and_the_session_make_the_same_project(project_dir, tmp_path, qtbot):
    """The same operations from the command line and through the window's session leave equal projects."""
    import shutil

    from dreamfactory_studio.app.session import ProjectSession

    other = tmp_path / "other"
    shutil.copytree(project_dir, other)
    assert main(["scene", str(project_dir), "--move", "3", "--to", "1"]) == 0
    assert main(["pin", str(project_dir), "--scene", "2"]) == 0
    assert main(["edit", str(project_dir), "--scene", "1", "--title", "Moved first", "--camera", "pan"]) == 0

    workspace = Workspace.open(other)
    session = ProjectSession(workspace)
    try:
        scenes = session.project.scenes
        session.do("move_scenes", numbers=[scenes[2].id], to=1)
        session.do("pin_scene", scene=session.project.scenes[1].id)
        first = session.project.scenes[0].id
        session.do("edit_scene", scene=first, values={"title": "Moved first", "camera": "pan"})
        assert session.undo.count() == 3
        session.do("edit_scene", scene=first, values={"title": "Moved first"})
        assert session.undo.count() == 3, "an edit that changes nothing is no undo step"
        session.save()
    finally:
        session.close()
    cli, window = (Workspace.open(path, read_only=True) for path in (project_dir, other))
    try:
        shown = [
            [(s.id, s.title, s.camera, s.pinned, sorted(s.user_edited)) for s in w.project.scenes]
            for w in (cli, window)
        ]
        assert shown[0] == shown[1]
    finally:
        cli.close()
        window.close()


def test_the_window_state_and_the_declaration_load_no_qt():
    probe = (
        "import sys, dreamfactory_studio.app.state, dreamfactory_studio.core.operations;"
        "print('PySide6' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        check=True,
    )
    assert done.stdout.strip() == "False"
