"""The painters of today: a multi-reference edit model (FLUX.2 klein) draws every keyframe through the studio,
given each present character's sheet and the Base Frame as pictures of their own, in the order its prompt names
and its take records (issue 29)."""

from __future__ import annotations

import functools
import json

import pytest

from dreamfactory_studio.backends.image import ImageRequest, Reference
from dreamfactory_studio.backends.image.reference_images import pictures
from dreamfactory_studio.cli import main
from dreamfactory_studio.core.project_folder import ProjectFolder


@pytest.fixture
def small(monkeypatch):
    for key, value in (("KEYFRAMES_WIDTH", "64"), ("KEYFRAMES_HEIGHT", "64"), ("IMAGE_STEPS", "2")):
        monkeypatch.setenv(f"DREAMFACTORY_{key}", value)
    monkeypatch.setenv("DREAMFACTORY_COMPUTE_WORKER", "thread")  # the spy below sees the pipeline's calls


def test_a_flux2_klein_folder_draws_every_keyframe_with_the_cast_and_the_base_frame_as_pictures(
    project_dir, flux2_klein, small, monkeypatch, capsys
):
    from diffusers import Flux2KleinPipeline

    calls = []
    real = Flux2KleinPipeline.__call__

    @functools.wraps(real)  # the same signature: the painter gives a pipeline only what its call takes
    def spy(self, *args, **kwargs):
        calls.append({"prompt": kwargs.get("prompt"), "images": list(kwargs.get("image") or [])})
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Flux2KleinPipeline, "__call__", spy)
    argv = ["run", str(project_dir), "--from-scene", "1", "--image-backend", "diffusers"]
    assert main([*argv, "--image-model", str(flux2_klein)]) == 0, capsys.readouterr().err
    with ProjectFolder.open(project_dir, read_only=True) as folder:
        project = folder.load()
        names = {c.id: c.name for c in project.characters}
        sheets = {c.id: c.sheet.image for c in project.characters if c.sheet}
        base = project.base_frame.image
        for number, scene in enumerate(project.scenes, 1):
            take = scene.keyframe
            assert take.backend == "diffusers Flux2KleinPipeline", take.backend
            recipe = take.recipe
            kinds = [r.kind for r in recipe.references]
            if number > 1:  # scene 1 draws the Base Frame itself
                assert recipe.mode == "edit" and "style" in kinds, (number, recipe)
                present = [c for c in scene.characters if c in sheets]
                given = [r.character for r in recipe.references if r.kind == "identity"]
                assert given == present[: 4 - 1]  # the Base Frame kept before a fourth character
                assert [r.image for r in recipe.references if r.kind == "style"] == [base]
    # The pipeline was given those pictures in the recorded order, each named in the prompt by its place.
    drawn = [c for c in calls if c["images"]]
    assert drawn, "no keyframe was given reference pictures"
    for call in drawn:
        assert call["prompt"].startswith("Picture 1 is ")
        for n in range(1, len(call["images"]) + 1):
            assert f"Picture {n} is " in call["prompt"]
    mentioned = " ".join(c["prompt"] for c in drawn)
    assert any(f"{name}'s character sheet" in mentioned for name in names.values())
    assert "Picture" in mentioned and "the Base Frame" in mentioned


def test_pictures_keep_the_continuity_and_base_frame_before_a_last_character(tmp_path):
    from PIL import Image

    files = []
    for name in ("previous", "base", "a", "b", "c", "d"):
        files.append(tmp_path / f"{name}.png")
        Image.new("RGB", (32, 16), "grey").save(files[-1])
    previous, base, *sheets = files
    references = [Reference("style", base, "base"), Reference("continuity", previous, "previous")]
    references += [
        Reference("identity", path, path.stem, path.stem, None, path.stem.upper()) for path in sheets
    ]
    request = ImageRequest(prompt="p", seed=1, width=64, height=64, references=references, continuous=True)
    made = pictures(request, 4)
    assert [r.asset for r in made.used] == ["previous", "a", "b", "base"]
    assert [r.asset for r in made.left_out] == ["c", "d"]
    assert (
        made.naming.startswith("Picture 1 is the previous frame")
        and "Picture 2 is A's character sheet" in made.naming
    )
    sheet = pictures(request, 1)  # a model of one picture gets them side by side
    # each 32x16 picture enlarged to a shortest side of 64 (FLUX.2 refuses smaller), then four side by side
    assert len(sheet.images) == 1 and sheet.images[0].size == (4 * 128, 64)
    assert sheet.naming.startswith("The picture shows, from left to right: the previous frame")


def test_the_take_says_what_was_left_out_and_show_json_records_the_order(
    project_dir, flux2_klein, small, capsys
):
    with ProjectFolder.open(project_dir, read_only=True) as folder:
        everyone = ",".join(c.name for c in folder.load().characters if c.sheet)
    assert main(["edit", str(project_dir), "--scene", "3", "--characters", everyone]) == 0  # four with sheets
    assert main(["run", str(project_dir), "--from-scene", "2", "--image-model", str(flux2_klein)]) == 0
    said = capsys.readouterr().out
    assert said.count("note: FLUX.2 klein takes 4 pictures; left out") == 1, said  # as it is drawn, once
    assert main(["show", str(project_dir), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    sheets = {c["id"] for c in shown["characters"] if c["sheet"]}
    crowded = 0
    for scene in shown["scenes"][1:]:
        recipe = next(t for t in scene["takes"] if t["id"] == scene["selected_take"])["recipe"]
        assert recipe["mode"] == "edit"
        present = [c for c in scene["characters"] if c in sheets]
        given = [r["character"] for r in recipe["references"] if r["kind"] == "identity"]
        assert given == present[:3] and recipe["references"][-1]["kind"] == "style"
        if len(present) > 3:  # four present and the Base Frame: the fourth is left out, and said
            crowded += 1
            assert any("takes 4 pictures; left out" in note for note in recipe["notes"]), recipe["notes"]
    assert crowded, "scene 3 has four characters with sheets"


def test_the_window_draws_a_take_on_a_flux2_klein_folder_with_its_references(
    window, project_dir, flux2_klein, loop
):
    from dreamfactory_studio.core.settings import save_settings

    from .film_projects import small_settings
    from .studio_window import select, wait

    settings = small_settings()
    settings.image.backend, settings.image.model, settings.image.steps = "diffusers", str(flux2_klein), 2
    settings.keyframes.width = settings.keyframes.height = 64
    save_settings(settings)
    window.open_project(str(project_dir))
    select(window, 2)
    window.actions["regenerate"].trigger()
    assert wait(loop, window) is None
    scene = window.session.project.scenes[1]
    recipe = scene.keyframe.recipe
    assert scene.keyframe.backend == "diffusers Flux2KleinPipeline"
    assert recipe.mode == "edit" and recipe.steps == 2
    assert [r.kind for r in recipe.references] == ["identity"] * (len(recipe.references) - 1) + ["style"]
