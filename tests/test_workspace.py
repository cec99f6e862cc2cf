"""The seams under both front ends: the workspace and its backends, the run plan, and edits that declare what
they change."""

from __future__ import annotations

import asyncio
import inspect

import pytest

from dreamfactory_studio.backends.backend_set import Backends
from dreamfactory_studio.core import edits
from dreamfactory_studio.core.changes import Changes, declared
from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.settings import save_settings
from dreamfactory_studio.production import imports
from dreamfactory_studio.production.run_plan import RunRequest
from dreamfactory_studio.workspace import Workspace

from .film_projects import small_settings
from .paths import SAMPLE_STORY

NOT_EDITS = {"find_scene", "character_named", "parse_box", "parse_layout", "speaker"}  # lookups and parsers


def test_every_edit_declares_what_it_changes():
    for module in (edits, imports):
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module.__name__ and not name.startswith("_") and name not in NOT_EDITS:
                assert callable(getattr(function, "touches", None)), f"{module.__name__}.{name}"


def test_declared_changes_come_from_the_arguments_before_the_edit(project_dir):
    with Workspace.open(project_dir, settings=small_settings()) as workspace:
        project = workspace.project
        first, second = project.scenes[0], project.scenes[1]
        assert declared(edits.edit_scene, project, second, script="x") == Changes.of(
            [second.id], focus=second.id
        )
        assert declared(edits.edit_scene, project, second, characters=["Ann"]).fields == {"characters"}
        assert declared(edits.delete_scenes, project, [1, 2]) == Changes.of([first.id, second.id], order=True)
        moved = declared(edits.move_scenes, project, [2], 1)
        assert moved.order and moved.focus == second.id and not moved.scenes
        assert declared(edits.unpin_base_frame, project).fields == {"base_frame"}
        assert project.scenes[1].script != "x", "declaring changes nothing"
    with pytest.raises(ValueError, match="not a project field"):
        Changes.of(fields=["script"])


def test_backends_are_made_once_and_again_only_when_the_settings_change():
    settings = small_settings()
    with Backends(settings) as backends:
        assert backends.painter is backends.painter and backends.llm is backends.llm
        assert backends.with_settings(settings.model_copy(deep=True)) is backends
        changed = settings.model_copy(deep=True)
        changed.keyframes.width = 640
        other = backends.with_settings(changed)
        assert (
            other is not backends
            and other.worker is backends.worker
            and other.painter is not backends.painter
        )
    with pytest.raises(TypeError, match="not a backend"):
        Backends(settings, paintr=None)


def test_a_workspace_reads_the_settings_once_and_stops_its_worker_when_closed(project_dir, monkeypatch):
    save_settings(small_settings())
    from dreamfactory_studio.workspace import workspace as module

    reads = []
    real = module.load_settings
    monkeypatch.setattr(module, "load_settings", lambda: reads.append(1) or real())
    with Workspace.open(project_dir) as workspace:
        assert reads == [], "nothing is read before it is needed"
        second, third = (s.id for s in workspace.project.scenes[1:3])
        asyncio.run(workspace.run(RunRequest(from_scene=second, only=True)))
        asyncio.run(workspace.run(RunRequest(from_scene=third, only=True)))
        pool = workspace.backends.worker
        worker = pool.local  # the sketch renderer draws on the in-process thread: no process is started
        assert worker._thread is not None and worker._thread.is_alive()
        assert all(w.pid is None for w in pool.workers)
    assert reads == [1]
    assert not worker._thread.is_alive(), "closing the workspace stopped the GPU worker"
    with ProjectFolder.open(project_dir):
        pass  # and let go of the project's lock


def test_a_plan_carries_scene_ids_so_a_reorder_after_planning_draws_the_planned_scene(project_dir):
    with Workspace.open(project_dir, settings=small_settings()) as workspace:
        project = workspace.project
        planned = project.scenes[2].id
        plan = workspace.plan(RunRequest(from_scene=planned, only=True))
        assert plan.phases == ("keyframes",) and plan.keyframes == 1 and plan.start == planned
        assert plan.title == "Redraw scene 3" and plan.touches(project).scenes == {planned}
        edits.move_scenes(project, [3], 4)  # scene 3 is now scene 4
        takes = {s.id: len(s.takes) for s in project.scenes}
        ran = asyncio.run(workspace.run(plan))
        assert ran == ["keyframes of scenes 4"]
        grown = [s.id for s in project.scenes if len(s.takes) > takes[s.id]]
        assert grown == [planned]


def test_plans_for_each_request(project_dir):
    with Workspace.open(project_dir, settings=small_settings()) as workspace:
        project = workspace.project
        ids = tuple(s.id for s in project.scenes)
        assert workspace.plan(RunRequest()).steps == (), "everything is done"
        again = workspace.plan(RunRequest(phase="keyframes"))
        assert again.steps[0].scene_ids == ids and again.title == "Run the keyframes phase"
        tail = workspace.plan(RunRequest(from_scene=ids[1]))
        assert tail.steps[0].scene_ids == ids[1:] and tail.keyframes == len(ids) - 1
        project.phases["style"].status = "stale"
        stepped = workspace.plan(RunRequest(step=True))
        assert stepped.phases == ("style",) and stepped.announce().phases == ("style",)
        whole = workspace.plan(RunRequest(until="keyframes"))
        assert whole.phases == ("style",), "only what is not done"
        assert whole.retry(project, ids[2]).steps[0].scene_ids == ids[2:], "retry from the failed scene"
        assert whole.retry(project, None) is whole, "a text phase goes on where it stopped"
        with pytest.raises(BadInput, match="no longer in the project"):
            workspace.plan(RunRequest(from_scene="scene-cut-long-ago"))
        with pytest.raises(BadInput, match="there is no scene 9"):
            edits.find_scene(project, 9)  # a person's number is read at the CLI's edge
        with pytest.raises(BadInput, match="unknown phase"):
            workspace.plan(RunRequest(until="premiere"))


def test_a_sample_stopped_half_way_leaves_nothing_half_made_and_is_made_again(monkeypatch):
    from dreamfactory_studio.core.paths import data_dir
    from dreamfactory_studio.workspace import sample

    real = Workspace.run

    async def stopped(self, *args, **kwargs):
        raise KeyboardInterrupt  # the studio killed while the crew draws

    monkeypatch.setattr(Workspace, "run", stopped)
    with pytest.raises(KeyboardInterrupt):
        sample.sample_project()
    place = data_dir() / "samples" / "the-last-ferry"
    assert not place.exists(), "no half-made sample where the studio opens it"
    monkeypatch.setattr(Workspace, "run", real)
    made = sample.sample_project()
    with ProjectFolder.open(made, read_only=True) as folder:
        project = folder.load()
    assert made == place and all(s.keyframe for s in project.scenes)
    assert not list(place.parent.glob(".the-last-ferry.making-*")), "the stopped maker's folder is gone"


def test_a_step_draws_every_scene_it_names_and_no_other(project_dir):
    """Issue 35: scene ids from end to end; a step's ids beyond the first were computed and never used."""
    from dreamfactory_studio.production.run_plan import KEYFRAMES, RunPlan, Step

    with Workspace.open(project_dir, settings=small_settings()) as workspace:
        project = workspace.project
        second, fourth = project.scenes[1].id, project.scenes[3].id
        takes = {s.id: len(s.takes) for s in project.scenes}
        ran = asyncio.run(workspace.run(RunPlan((Step(KEYFRAMES, (second, fourth), 2),), "Two scenes")))
        assert ran == ["keyframes of scenes 2, 4"]
        assert [s.id for s in project.scenes if len(s.takes) > takes[s.id]] == [second, fourth]


def test_one_production_serves_planning_and_performing_until_the_crew_changes(project_dir):
    """Issue 35: planning and performing each built a Production and read the crew's files again."""
    with Workspace.open(project_dir, settings=small_settings()) as workspace:
        first = workspace.production()
        assert workspace.production() is first
        workspace.plan(RunRequest())
        assert workspace.production() is first
        crew = project_dir / "crew"
        crew.mkdir(exist_ok=True)
        (crew / "chain.toml").write_text('mode = "short"\n')
        assert workspace.production() is not first, "an edited crew is read again"


def test_no_script_is_said_with_each_front_ends_own_advice(tmp_path, capsys):
    from dreamfactory_studio.cli import main
    from dreamfactory_studio.core.errors import ScriptNotWritten, advised

    assert "F5" in advised(ScriptNotWritten(), "window") and "`run" not in advised(
        ScriptNotWritten(), "window"
    )
    assert main(["new", str(SAMPLE_STORY), str(tmp_path / "p")]) == 0
    assert main(["run", str(tmp_path / "p"), "--scene", "2"]) == 2
    error = capsys.readouterr().err
    assert "no scenes yet" in error and "run PROJECT --until script" in error
