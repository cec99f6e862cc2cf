"""Human checkpoints: stop after a phase, edit, go on; edits are kept; re-running marks later phases stale."""

from __future__ import annotations

import asyncio

import pytest

from dreamfactory_studio.backends.backend_set import Backends
from dreamfactory_studio.backends.llm.offline_writer import OfflineWriter
from dreamfactory_studio.cli import main
from dreamfactory_studio.core import edits
from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.model import Project
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.settings import Settings
from dreamfactory_studio.production.crew_config import load_crew
from dreamfactory_studio.production.run import Production

from .paths import SAMPLE_STORY, STORIES


@pytest.fixture
def folder(tmp_path):
    story = (SAMPLE_STORY).read_text()
    with ProjectFolder.create(tmp_path / "p", Project(title="Ferry", story=story)) as folder:
        yield folder


class RecordingWriter(OfflineWriter):
    """The offline writer, keeping the system prompt of every turn it is asked."""

    prompts: list[tuple[str, str]] = []

    async def complete(self, messages, turn, on_token=None):
        self.prompts.append((turn.phase, messages[0].content))
        return await super().complete(messages, turn, on_token)


def run(folder, until=None, phase=None, **kw):
    production = Production(
        folder, folder.load(), Backends(llm=RecordingWriter(), painter=None, monitor=None), **kw
    )
    if phase:
        asyncio.run(production.run_phase(phase))
        return [phase]
    return asyncio.run(production.run(until=until))


def test_stop_after_a_phase_edit_and_the_next_phase_uses_the_edit(folder):
    assert run(folder, until="style") == ["task", "style"]
    project = folder.load()
    assert project.phases["story"].status == "pending" and not project.scenes
    edits.edit_style(project, style="oil painting", palette="umber and gold")
    folder.save(project)
    assert run(folder, until="story") == ["story"]
    project = folder.load()
    assert project.style.style == "oil painting" and project.style.user_edited == ["palette", "style"]
    story_prompts = [prompt for phase, prompt in RecordingWriter.prompts if phase == "story"]
    assert story_prompts and all("Style: oil painting; umber and gold" in p for p in story_prompts)
    assert run(folder, until="story") == []


def test_user_edits_survive_a_rerun_unless_asked(folder):
    run(folder, until="script")
    project = folder.load()
    scene = edits.find_scene(project, 3)
    edits.edit_scene(project, scene, script="Amara fights the engine by lantern light.", duration=9.5)
    edits.edit_character(project, "Tomas", description="a small old man in a grey overcoat")
    folder.save(project)

    run(folder, phase="story")
    project = folder.load()
    assert project.phases["script"].status == "stale", "re-running an early phase marks later ones stale"
    assert project.character(edits.character_named(project, "Tomas").id).description.startswith(
        "a small old man"
    )
    run(folder, phase="script")
    project = folder.load()
    third = project.scenes[2]
    assert third.script == "Amara fights the engine by lantern light." and third.duration == 9.5
    assert third.user_edited == ["duration", "script"] and third.id == scene.id
    assert project.scenes[3].user_edited == [] and len(project.scenes) == 10

    asyncio.run(
        Production(folder, project, Backends(llm=OfflineWriter())).run_phase("script", overwrite_edits=True)
    )
    assert folder.load().scenes[2].script.startswith("Midway across")


def test_keyframes_need_a_painter_and_a_script(folder):
    with pytest.raises(BadInput, match="script is not written yet"):
        asyncio.run(Production(folder, folder.load(), Backends(Settings())).run_keyframes())
    with pytest.raises(BadInput, match="no painter or monitor"):
        run(folder)
    assert folder.load().phases["script"].status == "done"


def test_the_cli_stops_edits_and_goes_on(tmp_path, capsys):
    project = str(tmp_path / "cli")
    assert main(["new", str(STORIES / "lantern-maker.txt"), project, "--scenes", "5"]) == 0
    assert main(["run", project, "--until", "story", "--quiet"]) == 0
    assert main(["edit", project, "--character", "Wei", "--description", "a boy in a yellow raincoat"]) == 0
    assert main(["edit", project, "--direction", "script", "Open on the rain."]) == 0
    assert main(["run", project, "--until", "script"]) == 0
    out = capsys.readouterr().out
    assert "Screenwriter (offline writer):" in out and "done: script" in out
    assert main(["edit", project, "--scene", "2", "--narration", "Wei arrives, soaked."]) == 0
    assert main(["show", project]) == 0
    shown = capsys.readouterr().out
    assert "narration: Wei arrives, soaked." in shown and "[yours: narration]" in shown
    assert "character: Wei (yours): a boy in a yellow raincoat" in shown
    assert main(["edit", project, "--scene", "9", "--script", "x"]) == 2
    assert "there is no scene 9; the project has scenes 1 to 5" in capsys.readouterr().err
    assert main(["edit", project]) == 2
    assert main(["run", project, "--until", "script"]) == 0
    assert "nothing to do" in capsys.readouterr().out


def test_crew_files_are_overridden_by_user_and_project_files(folder, user_dirs):
    (user_dirs / "config" / "crew").mkdir(parents=True)
    (user_dirs / "config" / "crew" / "roles.toml").write_text('[roles.director]\ntitle = "Auteur"\n')
    (folder.root / "crew").mkdir()
    (folder.root / "crew" / "chain.toml").write_text('crew = "large"\n')
    crew = load_crew(folder.root)
    assert crew.roles["director"].title == "Auteur" and crew.roles["director"].job.startswith(
        "You are the Movie"
    )
    assert crew.rounds("style") == 5
    assert load_crew().rounds("style") == 2


@pytest.mark.parametrize(
    "name, text, words",
    [
        ("roles.toml", '[roles.ceo]\ntitle = "CEO\n', "roles.toml is not valid TOML.*line 2"),
        (
            "roles.toml",
            "[roles.ceo]\ntitle = 5\n",
            r"roles.toml, line 2: roles.ceo.title: Input should be a valid string",
        ),
        (
            "phases.toml",
            '[phases.task]\nprompt = "Hello {nme}"\n',
            r"phases.toml, line 2: .*unknown placeholder \{nme\}",
        ),
        ("phases.toml", '[phases.task]\nuser = "janitor"\n', "unknown role 'janitor'"),
        ("chain.toml", 'order = ["task", "dance"]\n', "unknown phase 'dance'"),
    ],
)
def test_a_malformed_crew_file_names_the_file_and_line(folder, name, text, words):
    (folder.root / "crew").mkdir()
    (folder.root / "crew" / name).write_text(text)
    with pytest.raises(BadInput, match=words):
        load_crew(folder.root)


def test_long_mode_and_the_large_crew(folder):
    assert run(folder, until="task", mode="long", crew_preset="large") == ["task"]
    assert folder.load().task.scenes == 30 and folder.load().task.mode == "long"
    with pytest.raises(BadInput, match="unknown mode or crew"):
        Production(folder, folder.load(), Backends(llm=OfflineWriter()), mode="epic")


def test_a_direction_reaches_the_next_conversation_of_its_phase(folder):
    run(folder, until="story")
    project = folder.load()
    edits.set_direction(project, "script", "Open on the rain.")
    folder.save(project)
    RecordingWriter.prompts.clear()
    run(folder, until="script")
    script_prompts = [p for phase, p in RecordingWriter.prompts if phase == "script"]
    assert script_prompts and all("(a person) says: Open on the rain." in p for p in script_prompts)
    with pytest.raises(BadInput, match="unknown phase 'music'"):
        edits.set_direction(project, "music", "x")
