"""Screenplays in: Fountain and Final Draft become projects with one scene per heading, the writer's words kept
as the user's, the cast from cues and introductions; bad files give one clear message and leave nothing."""

from __future__ import annotations

import asyncio
import json

import pytest

from dreamfactory_studio.cli import main
from dreamfactory_studio.core import edits
from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.model import SCHEMA_VERSION
from dreamfactory_studio.core.new_project import new_project, new_project_from_text
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.screenplay import parse_heading
from dreamfactory_studio.production.frame_facts import scene_setting
from dreamfactory_studio.production.run_plan import RunRequest
from dreamfactory_studio.workspace import Workspace

from .film_projects import small_settings
from .paths import FIXTURES

PLAYS = FIXTURES / "screenplays"
HEADING_WORDS = {
    "INT",
    "EXT",
    "DAY",
    "NIGHT",
    "PATIO",
    "TRAILER",
    "POOL",
    "SHACK",
    "GARAGE",
    "MANSION",
    "POV",
}


def load(folder):
    with folder:
        return folder.load()


def test_the_public_sample_becomes_one_scene_per_heading_with_its_title_and_a_clean_cast(tmp_path):
    project = load(new_project(PLAYS / "brick-and-steel.fountain", tmp_path / "p"))
    assert project.title == "BRICK & STEEL: FULL RETIRED" and project.author == "Stu Maschwitz"
    assert project.source == "fountain"
    assert [s.title for s in project.scenes] == [
        "EXT. BRICK'S PATIO - DAY",
        "INT. TRAILER HOME - DAY",
        "EXT. BRICK'S POOL - DAY",
        "SNIPER SCOPE POV",
        "OPENING TITLES",
        "EXT. WOODEN SHACK - DAY",
        "INT. GARAGE - DAY",
        "EXT. PALATIAL MANSION - DAY",
    ]
    names = [c.name for c in project.characters]
    assert names == [
        "Brick Braddock",
        "Dick Steel",
        "Jack",
        "Dan",
        "Cognito",
        "Minion",
        "Extremely Handsome Man",
    ]
    assert not {w.strip("'S") for n in names for w in n.upper().split()} & HEADING_WORDS
    brick = project.characters[0]
    assert brick.description == "retired police detective"
    first = project.scenes[0]
    assert {project.character(i).name for i in first.characters} == {"Brick Braddock", "Dick Steel"}
    assert (
        first.setting.interior == "EXT"
        and first.setting.place == "BRICK'S PATIO"
        and first.setting.time == "DAY"
    )
    assert (
        first.dialogue[0].text == "Beer's ready!"
        and project.character(first.dialogue[0].character) is project.characters[1]
    )
    assert [line.parenthetical for line in first.dialogue if line.parenthetical] == ["beer raised"]
    # the centred titles are the scene's notes, the transitions nothing at all
    assert "BRICK BRADDOCK" in project.scenes[4].notes and not project.scenes[4].script
    assert not any("CUT TO" in s.script or "CUT TO" in s.title for s in project.scenes)


def test_the_spec_of_fountain_title_page_sections_notes_boneyard_dual_dialogue_and_extensions(tmp_path):
    project = load(new_project(PLAYS / "the-alley-cat.fountain", tmp_path / "p"))
    assert (project.title, project.author) == ("The Alley Cat", "Sam Newcomer")
    # FADE IN:, the section, the synopsis, the note and the boneyard's scene make no scene
    assert [s.title for s in project.scenes] == [
        "EXT. ALLEY BEHIND THE DINER - NIGHT",
        "FLASHBACK - MARLOWE'S KITCHEN",  # a forced heading
        "INT. DINER - DAY",
    ]
    alley, kitchen, diner = project.scenes
    assert alley.notes.split("\n") == [
        "ACT ONE",
        "Marlowe meets his match.",
        "Maybe the cat should be ginger.",
    ]
    assert "NOWHERE" not in json.dumps(project.model_dump(mode="json"))  # the boneyard is gone
    cast = {c.name: c for c in project.characters}
    # cues merged with their introductions: MARLOWE = Marlowe, JUNE = DETECTIVE JUNE PARK; the COOK is there
    assert list(cast) == ["Marlowe", "Detective June Park", "Cook"]
    assert cast["Detective June Park"].description == "40s, trench coat, red umbrella"
    assert cast["Cook"].description == "a giant with flour to the elbows"
    speakers = [(project.character(line.character).name, line.extension) for line in alley.dialogue]
    assert speakers == [
        ("Marlowe", ""),
        ("Detective June Park", ""),
        ("Marlowe", ""),
        ("Detective June Park", ""),
    ]
    assert alley.dialogue[0].parenthetical == "whispering"
    assert kitchen.dialogue[0].extension == "O.S." and diner.dialogue[0].voice_over
    assert "THE END" in kitchen.notes  # centred text
    # the screenplay has voice-over, so the voice-over is the narration; the rest is said in the picture
    assert (alley.narration, diner.narration) == ("", "Some cats choose you.")
    # the screenplay's, kept from the crew as the user's edits are, but not called the user's
    assert all(
        set(s.from_screenplay) >= {"title", "script", "dialogue", "setting", "characters"}
        and not s.user_edited
        for s in project.scenes
    )
    assert all(s.is_user_edited("dialogue") for s in project.scenes)
    assert project.request.scenes == 3


def test_final_draft_reads_styled_runs_dual_dialogue_and_the_title_page(tmp_path):
    project = load(new_project(PLAYS / "the-alley-cat.fdx", tmp_path / "p"))
    assert (project.title, project.author, project.source) == ("The Alley Cat", "Sam Newcomer", "fdx")
    assert [c.name for c in project.characters] == ["Marlowe", "Detective June Park", "Cook"]
    alley = project.scenes[0]
    assert alley.script.startswith("Rain. Marlowe (50s")  # three styled runs, one paragraph
    assert [line.text for line in alley.dialogue] == [
        "You followed me.",
        "Somebody had to.",
        "Go home, June.",
        "Not without the cat.",
    ]
    assert project.scenes[1].setting.heading == "INT. MARLOWE'S KITCHEN - DAY"


def test_a_pasted_fountain_screenplay_is_a_screenplay_too(tmp_path):
    text = (PLAYS / "the-alley-cat.fountain").read_text()
    project = load(new_project_from_text(text, tmp_path / "p", scenes=None))
    assert project.source == "fountain" and len(project.scenes) == 3


def test_headings_set_the_place_and_time_the_painter_and_monitor_use(tmp_path):
    project = load(new_project(PLAYS / "the-alley-cat.fountain", tmp_path / "p"))
    alley, kitchen, diner = project.scenes
    assert scene_setting(project, alley) == ("alley", "night")
    assert scene_setting(project, kitchen)[0] == "kitchen"
    assert scene_setting(project, diner) == ("room", "midday")  # INT., a place the sketches do not know


@pytest.mark.parametrize(
    "heading, expected",
    [
        ("EXT. ALLEY BEHIND THE DINER - NIGHT", ("EXT", "ALLEY BEHIND THE DINER", "NIGHT")),
        ("INT./EXT. CAR - MOVING", ("INT/EXT", "CAR - MOVING", "")),
        ("I/E TRAIN - DAWN", ("INT/EXT", "TRAIN", "DAWN")),
        ("INT. HOUSE - KITCHEN - CONTINUOUS #12A#", ("INT", "HOUSE - KITCHEN", "CONTINUOUS")),
        ("SNIPER SCOPE POV", ("", "SNIPER SCOPE POV", "")),
    ],
)
def test_scene_headings_split_into_interior_place_and_time(heading, expected):
    setting = parse_heading(heading)
    assert (setting.interior, setting.place, setting.time) == expected


def test_the_crew_runs_on_a_screenplay_and_keeps_the_writers_scenes(tmp_path):
    folder = new_project(PLAYS / "the-alley-cat.fountain", tmp_path / "p")
    before = folder.load()
    with Workspace(folder, settings=small_settings()) as workspace:
        asyncio.run(workspace.run(RunRequest(until="script")))
        after = workspace.project
    assert [(s.id, s.title, s.script, s.dialogue) for s in after.scenes] == [
        (s.id, s.title, s.script, s.dialogue) for s in before.scenes
    ]
    assert all(s.shot and s.camera for s in after.scenes)  # what the writer left, the crew filled
    assert [c.name for c in after.characters] == ["Marlowe", "Detective June Park", "Cook"]


def test_more_headings_than_asked_is_refused_unless_merged(tmp_path):
    with pytest.raises(BadInput, match="8 scene headings, more than --scenes 3; pass --merge-scenes"):
        new_project(PLAYS / "brick-and-steel.fountain", tmp_path / "p", scenes=3)
    assert not (tmp_path / "p").exists()
    project = load(
        new_project(PLAYS / "brick-and-steel.fountain", tmp_path / "q", scenes=3, merge_scenes=True)
    )
    assert len(project.scenes) == 3 and project.scenes[0].title == "EXT. BRICK'S PATIO - DAY"
    assert "merged: INT. TRAILER HOME - DAY" in project.scenes[0].notes


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("broken.fdx", b"<FinalDraft><Content><Paragraph>", "not well-formed XML"),
        ("page.fdx", b"<html><body>hello</body></html>", "not a Final Draft document (its root is <html>"),
        ("latin.fountain", "EXT. CAF\u00c9 - DAY\n\nZo\u00eb waits.\n".encode("latin-1"), "not UTF-8 text"),
        ("empty.fdx", b"<FinalDraft/>", "no <Content>"),
    ],
)
def test_bad_screenplays_give_one_clear_message_and_leave_nothing(tmp_path, capsys, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    assert main(["new", str(path), str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "p").exists()


def test_a_screenplay_with_no_headings_is_read_as_a_story(tmp_path, capsys):
    path = tmp_path / "notes.fountain"
    path.write_text("Title: Loose Ends\n\nMira walks to the harbour at dawn. The ferry is late.\n")
    assert main(["new", str(path), str(tmp_path / "p")]) == 0
    assert "read as a story" in capsys.readouterr().out
    project = load(ProjectFolder.open(tmp_path / "p"))
    assert project.source == "story" and not project.scenes


def test_the_cli_makes_and_edits_a_screenplay_scene(tmp_path, capsys):
    target = tmp_path / "p"
    assert main(["new", str(PLAYS / "the-alley-cat.fountain"), str(target)]) == 0
    assert "3 scenes and 3 characters (Marlowe, Detective June Park, Cook)" in capsys.readouterr().out
    dialogue = "June (V.O.): (softly) Some cats choose you.\nMarlowe: They do."
    assert (
        main(["edit", str(target), "--scene", "3", "--dialogue", dialogue, "--setting", "EXT. ROOF - DAWN"])
        == 0
    )
    assert main(["show", str(target)]) == 0
    out = capsys.readouterr().out
    assert "setting: EXT. ROOF - DAWN" in out
    assert "Detective June Park (V.O.): (softly) Some cats choose you." in out and "Marlowe: They do." in out
    assert main(["edit", str(target), "--scene", "3", "--dialogue", "no speaker here: "]) == 2
    assert "has no speaker" in capsys.readouterr().err


def test_dialogue_text_with_an_unknown_speaker_adds_them(tmp_path):
    project = load(new_project(PLAYS / "the-alley-cat.fountain", tmp_path / "p"))
    scene = project.scenes[0]
    edits.edit_scene(project, scene, dialogue="Waiter: Coffee?\n  More coffee?")
    assert project.character(scene.dialogue[0].character).name == "Waiter"
    assert scene.dialogue[0].text == "Coffee? More coffee?" and scene.is_user_edited("dialogue")


def test_a_version_2_project_opens_with_no_dialogue_and_its_setting_read_from_the_script(tmp_path, made):
    data = json.loads((made / "project.json").read_text())
    data["schema_version"] = 2
    for key in ("author", "source", "cut_scenes"):
        data.pop(key, None)
    for scene in data["scenes"]:
        for key in ("setting", "dialogue", "notes"):
            scene.pop(key, None)
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "project.json").write_text(json.dumps(data))
    project = load(ProjectFolder.open(tmp_path / "old"))
    assert project.schema_version == SCHEMA_VERSION
    assert all(s.setting is None and s.dialogue == [] for s in project.scenes)
