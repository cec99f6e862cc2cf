"""The cast without a model: sheets drawn with the sketch renderer, every present character's sheet among the
references, layouts, likeness to the sheets, the cast edits from the CLI, and prompts fitted to CLIP's window."""

from __future__ import annotations

import asyncio
import json
import shutil

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from pydantic import ValidationError

from dreamfactory_studio.backends.backend_set import Backends
from dreamfactory_studio.backends.image.clip_tokens import count_tokens
from dreamfactory_studio.backends.llm.prompt_writing import fit_prompt
from dreamfactory_studio.backends.vision.identity import identity_score
from dreamfactory_studio.cli import main
from dreamfactory_studio.core import edits
from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.model import SCHEMA_VERSION, Box, Character, Project, Scene
from dreamfactory_studio.core.new_project import new_project
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.settings import KeyframeSettings, Settings
from dreamfactory_studio.production import cast
from dreamfactory_studio.production.frame_facts import prompt_facts
from dreamfactory_studio.production.run import Production

from .paths import STORIES

THREE = STORIES / "three-friends.txt"


def small(**keyframes) -> Settings:
    return Settings(keyframes=KeyframeSettings(width=320, height=180, **keyframes))


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """The three-character story, written and drawn offline."""
    root = tmp_path_factory.mktemp("cast") / "kite"
    new_project(THREE, root, scenes=6).close()
    with ProjectFolder.open(root) as folder:
        made = Production(folder, folder.load(), Backends(small()))
        asyncio.run(made.run())
        made.backends.close()
    return root


def copy(drawn, tmp_path):
    shutil.copytree(drawn, tmp_path / "kite")
    return tmp_path / "kite"


def test_every_character_gets_a_sheet_and_every_take_is_held_to_the_sheets_of_those_in_it(drawn):
    with ProjectFolder.open(drawn, read_only=True) as folder:
        project = folder.load()
        names = {c.name for c in project.characters}
        assert {"Mira", "Jonas", "Ravi"} <= names
        for character in project.characters:
            sheet = character.sheet
            assert sheet and sheet.source == "generated" and not sheet.pinned_by_user
            assert sheet.take_id in {t.id for t in character.takes}
            image = Image.open(folder.asset_path(sheet.image))
            assert image.height == 180 and image.width < image.height, "a full-figure sheet is upright"
        several = 0
        for scene in project.scenes:
            present = [project.character(i) for i in scene.characters]
            for take in scene.takes:
                assert {c.sheet.image for c in present} <= set(take.references)
                assert set(take.identity) == {c.id for c in present}
            if len(present) > 1:
                several += 1
                assert [p.character for p in scene.layout] == scene.characters
                boxes = [p.box for p in scene.layout]
                assert all(a.right <= b.left + 1e-9 for a, b in zip(boxes, boxes[1:], strict=False))
        assert several >= 2, "the story has scenes with several characters"
        said = [m.text for m in project.transcripts if m.role == "monitor" and "'s sheet, take" in m.text]
        assert len(said) == sum(len(c.takes) for c in project.characters)


def test_the_likeness_falls_when_a_sheet_is_swapped_for_another_characters(drawn):
    """Told by colours (no CLIP, no faces): in medium shots and closer; in a wide shot the sketch's figures are a
    few pixels tall, too small for their colours to tell them apart reliably."""
    with ProjectFolder.open(drawn, read_only=True) as folder:
        project = folder.load()
        sheets = {c.id: folder.asset_path(c.sheet.image) for c in project.characters}

        def rest(character_id):
            return tuple(path for other, path in sheets.items() if other != character_id)

        compared = 0
        for scene in (s for s in project.scenes if s.shot != "wide"):
            boxes = {p.character: p.box for p in scene.layout}
            frame = folder.asset_path(scene.keyframe.image)
            for character_id in scene.characters:
                own = identity_score(
                    frame, boxes.get(character_id), sheets[character_id], others=rest(character_id)
                )
                assert (
                    own == scene.keyframe.identity[character_id]
                    or abs(own - scene.keyframe.identity[character_id]) < 1e-3
                )
                for other, sheet in sheets.items():
                    if other not in scene.characters:
                        swapped = identity_score(frame, boxes.get(character_id), sheet, others=rest(other))
                        assert swapped < own
                        compared += 1
        assert compared >= 3


def test_a_low_likeness_draws_a_new_seed_like_drift_and_says_why(drawn, tmp_path):
    root = copy(drawn, tmp_path)
    with ProjectFolder.open(root) as folder:
        project = folder.load()
        mira = edits.character_named(project, "Mira")
        other = edits.character_named(project, "Jonas")
        mira.sheet = other.sheet.model_copy(update={"pinned_by_user": True})  # Mira's sheet is now Jonas
        folder.save(project)
        number = next(n for n, s in enumerate(project.scenes, 1) if s.characters == [mira.id])
        made = Production(folder, folder.load(), Backends(small(retries=1, threshold=0.0)))
        asyncio.run(made.run_keyframes((made.project.scenes[number - 1].id,), only=True))
        made.backends.close()
        project = folder.load()
    scene = project.scenes[number - 1]
    assert len(scene.takes) == 3, "the first take and one retry, both unlike the sheet"
    assert all(t.identity[mira.id] < 0.35 for t in scene.takes[1:])
    said = [m.text for m in project.transcripts if f"Scene {number}, take" in m.text][-2:]
    assert "Mira drawn unlike their sheet; a new seed is tried" in said[0]
    assert "no tries are left" in said[1]


def test_the_sample_project_has_a_cast_with_sheets():
    from dreamfactory_studio.workspace.sample import sample_project

    root = sample_project()
    with ProjectFolder.open(root, read_only=True) as folder:
        project = folder.load()
        assert project.characters and all(c.sheet for c in project.characters)
        assert all(folder.asset_path(c.sheet.image).is_file() for c in project.characters)


def test_the_cast_command_lists_imports_crops_pins_and_sets_loras(drawn, tmp_path, capsys):
    from safetensors.numpy import save_file

    root = str(copy(drawn, tmp_path))
    assert main(["cast", root]) == 0
    listed = capsys.readouterr().out
    assert "Mira: a tall girl in a green raincoat" in listed and "(generated)" in listed
    picture = tmp_path / "mira.png"
    Image.new("RGB", (60, 120), (40, 160, 60)).save(picture)
    assert main(["cast", root, "--character", "mira", "--import", str(picture)]) == 0
    assert main(["cast", root, "--character", "Ravi", "--from-scene", "1", "--box", "0,0,0.5,1"]) == 0
    lora = tmp_path / "mira-lora.safetensors"
    import numpy as np

    save_file({"lora_unet_down.lora_down.weight": np.zeros((2, 2), np.float32)}, str(lora))
    assert (
        main(
            ["cast", root, "--character", "Mira", "--lora", str(lora), "--trigger", "m1ra", "--weight", "0.7"]
        )
        == 0
    )
    with ProjectFolder.open(root, read_only=True) as folder:
        project = folder.load()
        mira, ravi = (edits.character_named(project, n) for n in ("Mira", "Ravi"))
        assert mira.sheet.source == "imported" and mira.sheet.pinned_by_user
        assert Image.open(folder.asset_path(mira.sheet.image)).size == (60, 120)
        assert ravi.sheet.source == "take" and Image.open(folder.asset_path(ravi.sheet.image)).size == (
            160,
            180,
        )
        assert mira.lora.trigger == "m1ra" and mira.lora.weight == 0.7
        generated = next(t.id for t in ravi.takes if t.backend != "crop")
    assert main(["cast", root, "--character", "Ravi", "--pin", generated]) == 0
    assert main(["cast", root, "--character", "Ravi", "--unpin"]) == 0
    assert main(["cast", root, "--character", "Mira", "--no-lora"]) == 0
    with ProjectFolder.open(root, read_only=True) as folder:
        project = folder.load()
        ravi = edits.character_named(project, "Ravi")
        assert ravi.sheet.take_id == generated and not ravi.sheet.pinned_by_user
        assert edits.character_named(project, "Mira").lora is None
    capsys.readouterr()
    assert main(["cast", root, "--character", "Mira", "--draw"]) == 0
    assert "drew Mira's sheet again" in capsys.readouterr().out
    with ProjectFolder.open(root, read_only=True) as folder:
        mira = edits.character_named(folder.load(), "Mira")
        assert mira.sheet.source == "generated" and len(mira.takes) == 3, (
            "the imported sheet is kept as a take"
        )


def test_a_pinned_or_imported_sheet_is_kept_by_a_full_run_and_an_unpinned_one_drawn_again(drawn, tmp_path):
    root = copy(drawn, tmp_path)
    picture = tmp_path / "jonas.png"
    Image.new("RGB", (50, 100), (230, 190, 40)).save(picture)
    assert main(["cast", str(root), "--character", "Jonas", "--import", str(picture)]) == 0
    with ProjectFolder.open(root) as folder:
        before = {c.name: (c.sheet.image, len(c.takes)) for c in folder.load().characters}
        made = Production(folder, folder.load(), Backends(small()))
        asyncio.run(made.run_keyframes())
        made.backends.close()
        after = {c.name: (c.sheet.image, len(c.takes)) for c in folder.load().characters}
    assert after["Jonas"] == before["Jonas"], "the user's sheet is theirs"
    assert after["Mira"][1] > before["Mira"][1], "a crew's sheet is drawn again with the Base Frame"


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--character", "Nobody", "--unpin"], "there is no character 'Nobody'"),
        (["--unpin"], "say which character with --character NAME"),
        (["--character", "Mira", "--import", "/nowhere.png"], "nowhere.png"),
        (["--character", "Mira", "--lora", "/tmp/style.ckpt"], "not a .safetensors file"),
        (["--character", "Mira", "--lora", "/nowhere.safetensors"], "there is no LoRA file at"),
        (["--character", "Mira", "--pin", "take-nope"], "Mira has no sheet take 'take-nope'"),
        (["--character", "Mira", "--from-scene", "1", "--box", "0.6,0,0.2,1"], "is not a layout box"),
        (["--character", "Mira", "--from-scene", "1", "--take", "take-nope"], "has no take 'take-nope'"),
    ],
)
def test_bad_cast_input_is_one_line_and_changes_nothing(drawn, tmp_path, capsys, arguments, message):
    root = copy(drawn, tmp_path)
    before = (root / "project.json").read_bytes()
    assert main(["cast", str(root), *arguments]) != 0
    assert message in capsys.readouterr().err
    assert (root / "project.json").read_bytes() == before


def test_a_layout_from_the_cli_is_the_users_and_refuses_what_is_not_in_the_scene(drawn, tmp_path, capsys):
    root = copy(drawn, tmp_path)
    with ProjectFolder.open(root, read_only=True) as folder:
        project = folder.load()
        number, scene = next(
            (n, s)
            for n, s in enumerate(project.scenes, 1)
            if 2 <= len(s.characters) < len(project.characters)
        )
        names = [project.character(i).name for i in scene.characters[:2]]
        absent = next(c.name for c in project.characters if c.id not in scene.characters)
    layout = f"{names[0]}=0.5,0.2,1,1;{names[1]}=0,0.2,0.5,1"
    assert main(["edit", str(root), "--scene", str(number), "--layout", layout]) == 0
    assert main(["edit", str(root), "--scene", str(number), "--layout", f"{absent}=0,0,1,1"]) != 0
    assert f"{absent} is not in this scene" in capsys.readouterr().err
    with ProjectFolder.open(root) as folder:
        made = Production(folder, folder.load(), Backends(small()))
        asyncio.run(made.run_keyframes((made.project.scenes[number - 1].id,), only=True))
        made.backends.close()
        scene = folder.load().scenes[number - 1]
    assert scene.is_user_edited("layout") and scene.layout[0].box.left == 0.5, "the art director keeps it"


def test_a_version_1_document_names_no_layout_and_a_layout_naming_a_stranger_is_a_problem():
    project = Project(title="t", story="s", characters=[Character(id="char-a", name="A")])
    scene = Scene(characters=["char-a"])
    project.scenes.append(scene)
    scene.layout = cast.side_by_side(["char-a", "char-b"])
    assert "unknown characters (char-b)" in project.problems()[0]


# -- layout boxes ---------------------------------------------------------------------------------------


fractions = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@given(fractions, fractions, fractions, fractions, st.integers(16, 2048), st.integers(16, 2048))
def test_a_box_is_valid_only_with_area_and_its_pixels_lie_in_the_frame(
    left, top, right, bottom, width, height
):
    try:
        box = Box(left=left, top=top, right=right, bottom=bottom)
    except ValidationError:
        assert right - left < 0.02 or bottom - top < 0.02
        return
    x0, y0, x1, y1 = box.pixels(width, height)
    assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height


@given(st.integers(2, 8), st.lists(st.sampled_from(["left", "centre", "right", "foreground", "background"])))
def test_layouts_place_every_character_inside_the_frame(count, words):
    characters = [Character(id=f"char-{i}", name=f"Name{i}") for i in range(count)]
    text = "LAYOUT: " + "; ".join(f"Name{i} {w}" for i, w in enumerate(words[:count]))
    placements = cast.parse_layout(text, characters)
    assert [p.character for p in placements] == [c.id for c in characters]
    for placement in placements:
        box = placement.box
        assert 0 <= box.left < box.right <= 1 + 1e-9 and 0 <= box.top < box.bottom <= 1
    assert cast.parse_layout(text, characters[:1]) == [], "one character needs no box"


def test_parse_layout_rejects_boxes_outside_the_frame():
    project = Project(title="t", story="s", characters=[Character(id="char-a", name="Ada")])
    scene = Scene(characters=["char-a"])
    with pytest.raises(BadInput, match="is not a layout box"):
        edits.parse_layout(project, scene, "Ada=0.5,0,1.4,1")


# -- prompts that fit ------------------------------------------------------------------------------------


def test_the_shipped_clip_tokenizer_is_clips_own():
    from dreamfactory_studio.backends.image.clip_tokens import clip_tokenizer

    assert clip_tokenizer()("a photo of a cat").input_ids == [49406, 320, 1125, 539, 320, 2368, 49407]
    assert len(clip_tokenizer()) == 49408


def test_prompts_are_counted_as_clip_splits_them_without_transformers():
    """count_tokens is pure Python (the packaged app has no transformers) and agrees with CLIP's tokenizer."""
    import re

    from dreamfactory_studio.backends.image.clip_tokens import clip_tokenizer

    texts = [s for f in STORIES.glob("*.txt") for s in re.split(r"(?<=[.!?])\s+", f.read_text()) if s.strip()]
    texts += ["Mira's kite_2!! (34%) — naïve café, 1990s; don't", "  slate-blue\ncoat:  70s  "]
    tokenizer = clip_tokenizer()
    for text in texts:
        assert count_tokens(text) == len(
            tokenizer(text, add_special_tokens=False, verbose=False).input_ids
        ), text


def test_a_prompt_is_fitted_to_the_budget_most_important_first():
    action = "Mira lets her red kite go above the windmill while Jonas laughs"
    looks = "Mira (a tall girl in a green raincoat); Jonas (a small boy in a yellow sweater)"
    style = "ink wash storyboard keyframe, black ink, warm grey and one accent of vermilion " * 3
    prompt = fit_prompt([(action, True), (looks, True), (style, False), ("colours silver, grey", True)], 75)
    assert count_tokens(prompt) <= 75
    assert prompt.startswith(action) and looks in prompt and "ink wash" not in prompt
    assert prompt.endswith("colours silver, grey."), "an essential part is never dropped"
    long_look = "Mira (" + "a tall girl in a green raincoat with a red kite, " * 6 + ")"
    over = fit_prompt([(action, True), (long_look, True), (style, False)], 75)
    assert long_look in over and count_tokens(over) > 75, "kept whole past the budget: encoded in windows"
    assert fit_prompt([(action, True), (style, False)], None).count("ink wash") == 3


def test_the_offline_crew_writes_keyframe_prompts_most_important_first_for_clips_window(drawn):
    """With a painter whose encoder reads 75 tokens, the action and the looks open every prompt, the style words
    that do not fit are left out, and what the Base Description fixes is kept whole (in a second window)."""
    from dreamfactory_studio.backends.llm import TurnInfo
    from dreamfactory_studio.backends.llm.offline_writer import OfflineWriter

    with ProjectFolder.open(drawn, read_only=True) as folder:
        project = folder.load()
    writer = OfflineWriter()
    lengths = []
    for scene in project.scenes:
        facts = prompt_facts(project, scene, budget=75)
        turn = TurnInfo("keyframes", "prompt", "art_director", "reply", 1, project, 6, extra=facts)
        answer = writer.write(turn)
        prompt = answer.split("<INFO>", 1)[1].split("\nLAYOUT:")[0].strip()
        lengths.append(count_tokens(prompt))
        assert "%" not in prompt and "Continuing from" not in prompt
        looks = facts["characters"]
        assert prompt.startswith(
            " ".join(scene.script.split()).rstrip(".") + ". " + (looks + "." if looks else "")
        )
        assert "colours " in prompt, "the Base Description's colours are never dropped"
    assert max(lengths) <= 150 and min(lengths) > 20, lengths


def test_the_take_list_shows_likeness_and_the_recipe(drawn, capsys):
    assert main(["take", str(drawn), "--scene", "1"]) == 0
    out = capsys.readouterr().out
    assert "likeness to the sheets: Mira" in out and "references: none used" in out


def test_project_json_round_trips_the_cast(drawn):
    data = json.loads((drawn / "project.json").read_text())
    assert data["schema_version"] == SCHEMA_VERSION
    assert all("sheet" in c and "lora" in c for c in data["characters"])
