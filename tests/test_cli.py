"""The command line: `new` on good and bad input, exit codes, one-line messages, nothing half-made."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from dreamfactory_studio import __version__
from dreamfactory_studio.cli import main
from dreamfactory_studio.core.model import SCHEMA_VERSION
from dreamfactory_studio.core.project_folder import ProjectFolder

from .paths import REPO, SAMPLE_STORY, STORIES


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """The real entry point in a subprocess, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "dreamfactory_studio", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        timeout=120,
    )


def test_version_and_help():
    done = run_cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"dreamfactory-studio {__version__}"
    for command in ("open", "new", "run", "export", "render", "evaluate", "recover"):
        helped = run_cli(command, "--help")
        assert helped.returncode == 0 and "usage: dreamfactory-studio " + command in helped.stdout


def test_new_makes_a_valid_project_from_the_ferry_story(tmp_path):
    done = run_cli("new", str(SAMPLE_STORY), str(tmp_path / "ferry"), "--scenes", "10")
    assert done.returncode == 0, done.stderr
    with ProjectFolder.open(tmp_path / "ferry") as folder:
        project = folder.load()
    assert project.title == "The Last Ferry"
    assert project.story.startswith("Captain Amara Okafor")
    assert project.request.scenes == 10
    assert json.loads((tmp_path / "ferry" / "project.json").read_text())["schema_version"] == SCHEMA_VERSION
    assert not (tmp_path / "ferry" / ".lock").exists()


def test_new_options(tmp_path, capsys):
    story = STORIES / "robot-garden.txt"
    assert (
        main(["new", str(story), str(tmp_path / "p"), "--style", "ink wash", "--title", "Gears & Roses"]) == 0
    )
    with ProjectFolder.open(tmp_path / "p") as folder:
        project = folder.load()
    assert (project.title, project.request.style) == ("Gears & Roses", "ink wash")
    # An existing empty folder is fine.
    (tmp_path / "empty").mkdir()
    assert main(["new", str(story), str(tmp_path / "empty")]) == 0


def _bad_inputs(tmp_path):
    (tmp_path / "blank.txt").write_text("   \n\t\n")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (tmp_path / "huge.txt").write_text("a very long story " * 20_000)
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    (tmp_path / "afile").write_text("x")
    good = str(STORIES / "lantern-maker.txt")
    return [
        ([str(tmp_path / "missing.txt"), "P"], "does not exist"),
        ([str(tmp_path), "P"], "is a folder"),
        ([str(tmp_path / "blank.txt"), "P"], "is empty"),
        ([str(tmp_path / "image.png"), "P"], "not a text file"),
        ([str(tmp_path / "huge.txt"), "P"], "the limit is 256 KiB"),
        ([good, str(tmp_path / "taken")], "already exists and is not empty"),
        ([good, str(tmp_path / "afile")], "already exists and is not empty"),
        ([good, "P", "--style", "  "], "--style is empty"),
    ]


def test_every_bad_input_exits_2_with_one_clear_line_and_leaves_nothing(tmp_path):
    for args, words in _bad_inputs(tmp_path):
        before = sorted(p.name for p in tmp_path.iterdir())
        target = args[1] if args[1] != "P" else str(tmp_path / "P")
        done = run_cli("new", args[0], target, *args[2:])
        assert done.returncode == 2, (args, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0], done.stderr
        assert "Traceback" not in done.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == before, "nothing half-made is left"
    assert (tmp_path / "taken" / "notes.txt").read_text() == "mine"


def test_scene_count_out_of_range(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["new", str(STORIES / "lantern-maker.txt"), str(tmp_path / "p"), "--scenes", "0"])
    assert exit_info.value.code == 2
    assert main(["new", str(STORIES / "lantern-maker.txt"), str(tmp_path / "p"), "--scenes", "501"]) == 2
    assert "between 1 and 500" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()


def test_bad_projects_exit_2(tmp_path, capsys):
    story = str(SAMPLE_STORY)
    assert main(["new", story, str(tmp_path / "p")]) == 0
    assert main(["export", str(tmp_path / "p"), str(tmp_path / "out.mp4")]) == 2
    assert "no scenes yet" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "plain").mkdir()
    assert main(["show", str(tmp_path / "plain")]) == 2
    assert "not a DreamFactory project" in capsys.readouterr().err


def test_a_damaged_project_is_reported_and_recovered_from_the_cli(tmp_path):
    story = str(SAMPLE_STORY)
    assert run_cli("new", story, str(tmp_path / "p")).returncode == 0
    (tmp_path / "p" / "project.json").write_text("{ broken")
    done = run_cli("evaluate", str(tmp_path / "p"))
    assert (
        done.returncode == 2 and "is damaged" in done.stderr and "dreamfactory-studio recover" in done.stderr
    )
    assert "Traceback" not in done.stderr
    recovered = run_cli("recover", str(tmp_path / "p"))
    assert recovered.returncode == 0, recovered.stderr
    assert "restored 'The Last Ferry'" in recovered.stdout
    assert list((tmp_path / "p").glob("project.json.damaged-*"))


def test_a_locked_project_is_refused_from_the_cli(tmp_path, capsys):
    assert main(["new", str(SAMPLE_STORY), str(tmp_path / "p")]) == 0
    with ProjectFolder.open(tmp_path / "p"):
        assert main(["recover", str(tmp_path / "p")]) == 2
    assert "open in another program" in capsys.readouterr().err


def test_unexpected_errors_exit_1_and_the_traceback_goes_to_the_log(tmp_path, monkeypatch, capsys, user_dirs):
    from dreamfactory_studio.cli import commands

    def boom(args):
        raise RuntimeError("something we did not foresee")

    monkeypatch.setitem(commands.COMMANDS, "evaluate", boom)
    assert main(["evaluate", "x"]) == 1
    err = capsys.readouterr().err
    assert "something we did not foresee" in err and "Traceback" not in err
    log = (user_dirs / "log" / "dreamfactory-studio.log").read_text()
    assert "Traceback" in log and "RuntimeError" in log


def test_the_studio_refuses_plainly_without_a_display(monkeypatch, capsys):
    monkeypatch.setattr(sys, "platform", "linux")
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    assert main(["open", "--sample"]) == 1
    assert "no display" in capsys.readouterr().err


def test_a_missing_x11_library_is_named_instead_of_a_qt_abort(monkeypatch, capsys):
    from dreamfactory_studio.app import studio

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(studio, "_missing_x11_library", lambda: "libxcb-icccm.so.4")
    assert main(["open"]) == 1
    err = capsys.readouterr().err
    assert "libxcb-icccm.so.4 is missing" in err and "apt-get install" in err


def test_show_transcript_takes_the_roles_as_the_window_names_them(project_dir, capsys):
    for name in ("Director", "art director", "Art Director", "director"):
        assert main(["show", str(project_dir), "--transcript", name]) == 0
        assert capsys.readouterr().out.strip()
    assert main(["show", str(project_dir), "--transcript", "Gaffer"]) != 0
    assert "no role 'Gaffer'; the roles are" in capsys.readouterr().err
