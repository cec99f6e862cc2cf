"""The CLI does what the window does on the same project: scenes, takes, re-describe, settings."""

from __future__ import annotations

import io

import pytest

from dreamfactory_studio.cli import main
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.settings import load_settings

from .film_projects import make_project
from .openai_server import png


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    return make_project(tmp_path_factory.mktemp("made") / "ferry", scenes=3)


def load(root):
    with ProjectFolder.open(root, read_only=True) as folder:
        return folder.load()


def test_scenes_move_insert_duplicate_delete(project_dir, capsys):
    ids = [s.id for s in load(project_dir).scenes]
    assert main(["scene", str(project_dir), "--move", "3", "--to", "1"]) == 0
    assert [s.id for s in load(project_dir).scenes] == [ids[2], ids[0], ids[1]]
    assert main(["scene", str(project_dir), "--duplicate", "2"]) == 0
    scenes = load(project_dir).scenes
    assert len(scenes) == 4 and scenes[2].script == scenes[1].script and scenes[2].id not in ids
    assert main(["scene", str(project_dir), "--insert", "5"]) == 0
    assert load(project_dir).scenes[4].script == ""
    assert main(["scene", str(project_dir), "--delete", "3", "5"]) == 0
    assert [s.id for s in load(project_dir).scenes] == [ids[2], ids[0], ids[1]]
    assert "the project has 3 scenes" in capsys.readouterr().out
    assert main(["scene", str(project_dir), "--move", "1"]) == 2
    assert main(["scene", str(project_dir), "--delete", "7"]) == 2
    assert "no scene 7" in capsys.readouterr().err


def test_takes_listed_chosen_imported_and_deleted(project_dir, tmp_path, capsys):
    picture = tmp_path / "mine.png"
    picture.write_bytes(png((80, 45)))
    assert main(["take", str(project_dir), "--scene", "2", "--import", str(picture)]) == 0
    scene = load(project_dir).scenes[1]
    imported = scene.takes[-1]
    assert scene.selected_take == imported.id and imported.backend == "imported"
    capsys.readouterr()
    assert main(["take", str(project_dir), "--scene", "2"]) == 0
    listing = [line for line in capsys.readouterr().out.splitlines() if not line.startswith("      ")]
    assert len(listing) == len(scene.takes) and listing[-1].startswith(f"* {imported.id}")
    assert main(["take", str(project_dir), "--scene", "2", "--select", scene.takes[0].id]) == 0
    assert main(["take", str(project_dir), "--scene", "2", "--delete", imported.id]) == 0
    assert imported.id not in [t.id for t in load(project_dir).scenes[1].takes]
    base_take = load(project_dir).base_frame.take_id
    assert main(["take", str(project_dir), "--scene", "1", "--delete", base_take]) == 2
    assert "Base Frame" in capsys.readouterr().err
    text = tmp_path / "words.png"
    text.write_text("not a picture")
    assert main(["take", str(project_dir), "--scene", "1", "--import", str(text)]) == 2
    assert "is not an image" in capsys.readouterr().err


def test_describe_shows_the_difference_and_applies_only_when_asked(project_dir, capsys):
    assert main(["edit", str(project_dir), "--base-description", "My words."]) == 0
    capsys.readouterr()
    assert main(["describe", str(project_dir)]) == 0
    out = capsys.readouterr().out
    assert "-My words." in out and "+Style:" in out and "add --apply" in out
    assert load(project_dir).base_description.text == "My words."
    assert main(["describe", str(project_dir), "--apply"]) == 0
    description = load(project_dir).base_description
    assert description.text.startswith("Style:") and not description.user_edited


def test_settings_set_preset_check_and_key(capsys, monkeypatch, openai_server):
    assert (
        main(["settings", "--preset", "ollama", "--set", "llm.model=llama3.2", "--set", "image.steps=30"])
        == 0
    )
    settings = load_settings()
    assert (settings.llm.base_url, settings.llm.model, settings.image.steps) == (
        "http://localhost:11434/v1",
        "llama3.2",
        30,
    )
    assert main(["settings", "--set", "image.steps=-1"]) == 2
    assert "image.steps cannot be '-1'" in capsys.readouterr().err
    assert main(["settings", "--set", "llm.colour=blue"]) == 2
    assert "[llm] has base_url" in capsys.readouterr().err
    assert main(["settings", "--preset", "nope"]) == 2
    assert "ollama" in capsys.readouterr().err
    assert (
        main(["settings", "--set", f"llm.base_url={openai_server.url}", "--set", "llm.model=test-model"]) == 0
    )
    openai_server.queue("OK")
    capsys.readouterr()
    assert main(["settings", "--check-llm"]) == 0
    assert "test-model @" in capsys.readouterr().out and openai_server.requests[-1]["max_tokens"] == 1
    assert main(["settings", "--set", "llm.model=gone"]) == 0
    assert main(["settings", "--check-llm"]) == 1
    assert "has no model 'gone'" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert main(["settings", "--store-key"]) == 2
    assert main(["settings"]) == 0
    assert 'model = "gone"' in capsys.readouterr().out


def test_run_a_phase_at_a_time_and_read_the_transcript(tmp_path, story_file, capsys):
    """The window's Run with "Stop After Each Phase", its Run One Phase and its chat panes, from the CLI."""
    root = tmp_path / "p"
    assert main(["new", str(story_file), str(root), "--scenes", "3"]) == 0
    assert main(["run", str(root), "--next", "--quiet"]) == 0
    assert [n for n, s in load(root).phases.items() if s.status == "done"] == ["task"]
    assert main(["run", str(root), "--until", "script", "--quiet"]) == 0
    assert main(["edit", str(root), "--direction", "keyframes", "Keep the lantern lit."]) == 0
    assert main(["run", str(root), "--phase", "keyframes", "--quiet"]) == 0
    project = load(root)
    assert all(s.keyframe for s in project.scenes) and project.phases["keyframes"].status == "done"
    capsys.readouterr()
    assert main(["show", str(root), "--transcript", "monitor"]) == 0
    out = capsys.readouterr().out
    assert "=== keyframes ===" in out and "Monitor (offline describer)" in out and "Base Description:" in out
    assert "Producer" not in out
    assert main(["show", str(root), "--transcript"]) == 0
    out = capsys.readouterr().out
    assert out.index("=== task ===") < out.index("=== script ===") < out.index("=== keyframes ===")
    assert main(["show", str(root), "--transcript", "nobody"]) == 2
    assert "the roles are" in capsys.readouterr().err
    assert main(["run", str(root), "--next", "--scene", "2"]) == 2
