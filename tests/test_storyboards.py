"""The offline crew's storyboards, measured on every fixture story against what a person read in them: whole
scenes, the right people in them, different looks for different stories."""

from __future__ import annotations

import asyncio
import json

import pytest

from dreamfactory_studio.backends.backend_set import Backends
from dreamfactory_studio.backends.llm.offline_writer import OfflineWriter
from dreamfactory_studio.core.model import Project
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.story_reading.analysis import sentences
from dreamfactory_studio.production.run import Production

from .paths import STORIES

TRUTH = {k: v for k, v in json.loads((STORIES / "cast.json").read_text()).items() if not k.startswith("_")}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Every fixture story through the offline crew's text phases, at its default scene count."""
    made = {}
    for name in TRUTH:
        folder = ProjectFolder.create(
            tmp_path_factory.mktemp("boards") / "p", Project(title="t", story=(STORIES / name).read_text())
        )
        with folder:
            asyncio.run(Production(folder, folder.load(), Backends(llm=OfflineWriter())).run(until="script"))
            made[name] = folder.load()
    return made


def referred(name: str, project: Project):
    """For each scene: who a person reads in its sentences, and who the writer listed."""
    whole = [s.text for s in sentences((STORIES / name).read_text())]
    cast = {c.id: c.name.lower() for c in project.characters}
    for scene in project.scenes:
        wanted = {w for i, t in enumerate(whole) if t in scene.script for w in TRUTH[name].get(str(i), [])}
        yield scene, wanted, [cast[i] for i in scene.characters]


def test_scenes_are_whole_sentences_with_short_whole_titles(written):
    for name, project in written.items():
        for scene in project.scenes:
            assert scene.script[0].isupper() and scene.script.rstrip()[-1] in ".!?", (name, scene.script)
            assert not scene.script.rstrip().endswith(","), (name, scene.script)
            assert "…" not in scene.title and 1 <= len(scene.title.split()) <= 7, (name, scene.title)
            assert scene.title[0].isupper() and scene.title.split()[-1].lower() not in {
                "the",
                "a",
                "with",
                "of",
            }


def test_nine_in_ten_scenes_that_refer_to_a_character_list_them(written):
    total = covered = 0
    for name, project in written.items():
        for _scene, wanted, listed in referred(name, project):
            if wanted:
                total += 1
                covered += all(any(w.lower() in c for c in listed) for w in wanted)
    assert total >= 70 and covered / total >= 0.9, f"{covered} of {total}"


def test_different_stories_get_different_looks(written):
    styles = {p.style.style for p in written.values()}
    looks = {(p.style.style, p.style.palette, p.style.lighting) for p in written.values()}
    assert len(styles) >= 3 and len(looks) >= 6, looks


def test_looks_are_what_the_story_shows_not_a_sentence(written):
    for project in written.values():
        for character in project.characters:
            assert character.description != "" or character.name.startswith("the ")
            assert not character.description.startswith(character.name), character.description
    lin = next(c for c in written["lantern-maker.txt"].characters if c.name == "Grandmother Lin")
    assert lin.description.startswith("an old woman")
    ines = next(c for c in written["the-storm-keeper.txt"].characters if c.name == "Ines Duarte")
    assert "yellow oilskin jacket" in ines.description


def test_a_scene_lasts_on_its_card_what_it_lasts_in_the_film(made, tmp_path):
    """The crew's duration is the film's timing with the default settings and no voice: the card says what the
    PDF and the cut say."""
    import csv

    from dreamfactory_studio.export.exporter import ExportOptions
    from dreamfactory_studio.workspace import Workspace

    from .film_projects import copy_project, small_settings

    root = copy_project(made, tmp_path / "ferry")
    table = tmp_path / "cut.csv"
    with Workspace.open(root, settings=small_settings()) as workspace:
        asyncio.run(
            workspace.export(
                ExportOptions(output=tmp_path / "film.mp4", csv=table, title_card=False, end_card=False)
            )
        )
        cards = [s.duration for s in workspace.project.scenes]
        lengths = [workspace.scene_length(s) for s in workspace.project.scenes]
    with open(table, newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("kind", "scene") == "scene"]
    film = [float(r["duration"]) for r in rows][-len(cards) :]
    # The crew's planning hint already says what the film will give each scene, and the card says just that.
    assert all(abs(card - cut) < 0.06 for card, cut in zip(cards, film, strict=True)), (cards, film)
    assert film == pytest.approx(lengths, abs=0.001)


def test_the_offline_crew_talks_a_draft_a_concrete_critique_and_a_decision_that_follows_it(written):
    import re

    for name, project in written.items():
        script = [m for m in project.transcripts if m.phase == "script"]
        assert [m.role for m in script] == ["director", "screenwriter", "director", "screenwriter"], name
        draft, critique, final = script[1].text, script[2].text, script[3].text
        assert draft.startswith("Here is my draft") and "<INFO>" not in draft
        named = [int(n) for n in re.findall(r"scene (\d+) \(", critique)]
        assert critique.startswith("Not yet.") and named, (name, critique)
        for number in named:  # the decision takes the critic's framing for each scene named
            asked = re.search(rf"scene {number} \([^)]*\) as a ([\w-]+) shot, ([^;.]+)", critique)
            scene = project.scenes[number - 1]
            assert (scene.shot, scene.camera) == (asked.group(1), asked.group(2)), (name, number)
        assert "Done:" in final and "<INFO>" in final
        style = [m for m in project.transcripts if m.phase == "style"]
        assert len(style) == 4 and style[1].text.startswith("Here is my draft")


def test_a_large_crew_talks_as_long_as_its_rounds_allow(tmp_path):
    folder = ProjectFolder.create(
        tmp_path / "p", Project(title="t", story=(STORIES / "three-friends.txt").read_text())
    )
    with folder:
        production = Production(folder, folder.load(), Backends(llm=OfflineWriter()), crew_preset="large")
        asyncio.run(production.run(until="script"))
        project = folder.load()
    script = [m for m in project.transcripts if m.phase == "script"]
    assert len(script) == 2 * 4, "four rounds of two turns"
    assert script[-2].text == "That answers my notes. Write the decision." and "<INFO>" in script[-1].text
    assert sum("<INFO>" in m.text for m in script) == 1
