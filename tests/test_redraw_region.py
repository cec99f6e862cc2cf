"""Redraw a region in place (issue 30): a box of a take drawn again, the rest of the frame kept, as a new take
that records where it came from; from the command line and from the window, with the sketch renderer, SD 1.5
and FLUX.2 klein."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from PIL import Image

from dreamfactory_studio.backends.image.regions import FEATHER, laid_in, mask_of
from dreamfactory_studio.cli import main
from dreamfactory_studio.core.model import Box
from dreamfactory_studio.core.project_folder import ProjectFolder

BOX = "0.1,0.2,0.5,0.9"


@pytest.fixture
def small(monkeypatch):
    for key, value in (("KEYFRAMES_WIDTH", "96"), ("KEYFRAMES_HEIGHT", "64"), ("IMAGE_STEPS", "2")):
        monkeypatch.setenv(f"DREAMFACTORY_{key}", value)
    monkeypatch.setenv("DREAMFACTORY_COMPUTE_WORKER", "thread")  # the spies below see the pipeline's calls


def _load(project_dir):
    with ProjectFolder.open(project_dir, read_only=True) as folder:
        return folder.load(), folder


def _pixels(project_dir, take) -> np.ndarray:
    return np.asarray(Image.open(project_dir / take.image).convert("RGB"), dtype=int)


def assert_only_the_box_changed(project_dir, scene, box: Box) -> tuple:
    """The new take is the keyframe, made from the source take, which is kept; every pixel outside the box is the
    source's, and the inside changed."""
    new = scene.keyframe
    source = scene.take(new.recipe.region.source)
    before, after = _pixels(project_dir, source), _pixels(project_dir, new)
    assert before.shape == after.shape
    left, top, right, bottom = box.pixels(before.shape[1], before.shape[0])
    outside = np.ones(before.shape[:2], bool)
    outside[top:bottom, left:right] = False
    assert np.array_equal(before[outside], after[outside]), "a pixel outside the box changed"
    inner = (slice(top + FEATHER, bottom - FEATHER), slice(left + FEATHER, right - FEATHER))
    assert np.abs(before[inner] - after[inner]).sum() > 0, "nothing inside the box changed"
    return source, new


def test_the_mask_and_the_laying_in_keep_every_pixel_outside_the_box(tmp_path):
    box = Box(left=0.25, top=0.25, right=0.75, bottom=0.75)
    mask = np.asarray(mask_of(box, 160, 80, feather=FEATHER))
    assert mask[:20].max() == 0 and mask[:, :40].max() == 0 and mask[40, 80] == 255
    assert 0 < mask[21, 80] < 255, "the edge fades inside the box"
    source = Image.new("RGB", (160, 80), "navy")
    laid = np.asarray(laid_in(source, Image.new("RGB", (80, 40), "yellow"), box))
    assert (laid[:20] == (0, 0, 128)).all() and (laid[40, 80] == (255, 255, 0)).all()


def test_the_sketch_renderer_redraws_a_box_from_the_command_line(project_dir, small, capsys):
    before, _ = _load(project_dir)
    takes = len(before.scenes[1].takes)
    argv = ["take", str(project_dir), "--scene", "2", "--redraw", BOX, "--prompt", "a lantern in her hand"]
    assert main(argv) == 0, capsys.readouterr().err
    assert "redrew a region of scene 2's take" in capsys.readouterr().out
    project, _ = _load(project_dir)
    scene = project.scenes[1]
    assert len(scene.takes) == takes + 1
    source, new = assert_only_the_box_changed(
        project_dir, scene, Box(left=0.1, top=0.2, right=0.5, bottom=0.9)
    )
    assert source.id == before.scenes[1].selected_take and source == before.scenes[1].keyframe
    region = new.recipe.region
    assert (region.prompt, region.character, new.recipe.mode) == ("a lantern in her hand", "", "inpaint")
    assert main(["take", str(project_dir), "--scene", "2"]) == 0
    assert f"redrew 0.1,0.2,0.5,0.9 of take {source.id}" in capsys.readouterr().out


def test_sd15_redraws_a_box_held_to_a_characters_sheet(project_dir, sd15, small, monkeypatch, capsys):
    from diffusers import StableDiffusionInpaintPipeline

    calls = []
    real = StableDiffusionInpaintPipeline.__call__

    @functools.wraps(real)
    def spy(self, *args, **kwargs):
        calls.append(kwargs)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(StableDiffusionInpaintPipeline, "__call__", spy)
    project, _ = _load(project_dir)
    name = project.character(project.scenes[1].characters[0]).name
    argv = ["take", str(project_dir), "--scene", "2", "--redraw", BOX, "--character", name]
    argv += ["--image-backend", "diffusers", "--image-model", str(sd15)]
    assert main(argv) == 0, capsys.readouterr().err
    project, _ = _load(project_dir)
    scene = project.scenes[1]
    source, new = assert_only_the_box_changed(
        project_dir, scene, Box(left=0.1, top=0.2, right=0.5, bottom=0.9)
    )
    (given,) = calls
    assert given["mask_image"].size == given["image"].size == (96, 64)
    assert given["padding_mask_crop"] == 32 and given["prompt"].startswith(name)
    character = project.scenes[1].characters[0]
    assert new.recipe.region.character == character and set(new.identity) <= {character}
    assert new.backend == "diffusers StableDiffusionPipeline" and new.recipe.mode == "inpaint"


def test_flux2_klein_redraws_a_box_with_the_characters_sheet_as_its_reference(
    project_dir, flux2_klein, small, monkeypatch, capsys
):
    from diffusers import Flux2KleinInpaintPipeline

    calls = []
    real = Flux2KleinInpaintPipeline.__call__

    @functools.wraps(real)
    def spy(self, *args, **kwargs):
        calls.append(kwargs)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Flux2KleinInpaintPipeline, "__call__", spy)
    project, _ = _load(project_dir)
    character = project.character(project.scenes[1].characters[0])
    argv = ["take", str(project_dir), "--scene", "2", "--redraw", BOX, "--character", character.name]
    argv += [
        "--prompt",
        "her hand on the rail",
        "--image-backend",
        "diffusers",
        "--image-model",
        str(flux2_klein),
    ]
    assert main(argv) == 0, capsys.readouterr().err
    project, _ = _load(project_dir)
    source, new = assert_only_the_box_changed(
        project_dir, project.scenes[1], Box(left=0.1, top=0.2, right=0.5, bottom=0.9)
    )
    (given,) = calls
    sheet, base = given["image_reference"]  # the character's sheet, then the Base Frame
    assert given["prompt"].startswith(f"Picture 1 is {character.name}'s character sheet.")
    assert "her hand on the rail" in given["prompt"]
    assert [(r.kind, r.character) for r in new.recipe.references] == [
        ("identity", character.id),
        ("style", ""),
    ]
    assert new.recipe.references[0].image == character.sheet.image
    assert new.backend == "diffusers Flux2KleinPipeline" and new.recipe.region.source == source.id


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--redraw", "0.3,0.2,0.3,0.9"], "'0.3,0.2,0.3,0.9' is not a region"),
        (["--redraw", "0.1,0.2,1.4,0.9"], "'0.1,0.2,1.4,0.9' is not a region"),
        (["--redraw", BOX, "--character", "Nobody"], "there is no character 'Nobody'"),
        (["--redraw", BOX, "--take", "take-nope"], "scene 2 has no take 'take-nope'"),
        (["--character", "Tomas"], "--take, --character and --prompt go with --redraw"),
    ],
)
def test_a_bad_region_request_is_one_line_and_changes_nothing(project_dir, small, capsys, extra, said):
    before = (project_dir / "project.json").read_bytes()
    assert main(["take", str(project_dir), "--scene", "2", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert said in err and len(err.splitlines()) == 1, err
    assert (project_dir / "project.json").read_bytes() == before


def test_a_character_not_in_the_scene_is_refused(project_dir, small, capsys):
    project, _ = _load(project_dir)
    scene = project.scenes[1]
    absent = next((c for c in project.characters if c.id not in scene.characters), None)
    if absent is None:
        assert (
            main(["edit", str(project_dir), "--scene", "2", "--characters", project.characters[0].name]) == 0
        )
        absent = project.characters[-1]
    before = (project_dir / "project.json").read_bytes()
    assert main(["take", str(project_dir), "--scene", "2", "--redraw", BOX, "--character", absent.name]) == 2
    assert f"{absent.name} is not in scene 2" in capsys.readouterr().err
    assert (project_dir / "project.json").read_bytes() == before


def test_a_painter_that_cannot_redraw_says_so_and_keeps_the_project(project_dir, small, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    before, _ = _load(project_dir)
    argv = ["take", str(project_dir), "--scene", "2", "--redraw", BOX, "--image-backend", "openai"]
    assert main(argv) == 2
    assert "the OpenAI images painter does not redraw a region" in capsys.readouterr().err
    after, _ = _load(project_dir)
    assert after.scenes[1].takes == before.scenes[1].takes


def test_comfyui_redraws_with_its_inpaint_nodes_and_an_uploaded_mask(project_dir, small, capsys):
    from .comfy_server import FakeComfy

    with FakeComfy() as server:
        argv = ["take", str(project_dir), "--scene", "2", "--redraw", BOX, "--image-backend", "comfyui"]
        argv += ["--image-url", server.url, "--image-model", "sd_xl_base_1.0.safetensors"]
        assert main(argv) == 0, capsys.readouterr().err
        (graph,) = server.prompts
    kinds = [node["class_type"] for node in graph.values()]
    assert "VAEEncodeForInpaint" in kinds and "LoadImageMask" in kinds and "EmptyLatentImage" not in kinds
    assert any(name.startswith("region-mask") for name in server.uploads)
    project, _ = _load(project_dir)
    assert project.scenes[1].keyframe.recipe.mode == "inpaint"
    assert_only_the_box_changed(project_dir, project.scenes[1], Box(left=0.1, top=0.2, right=0.5, bottom=0.9))


def test_the_window_drags_a_box_and_redraws_it_as_one_undo_step(
    window, project_dir, loop, qtbot, monkeypatch
):
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtWidgets import QDialog

    from dreamfactory_studio.app.region_dialog import RedrawDialog

    from .studio_window import select, wait

    window.open_project(str(project_dir))
    select(window, 2)
    session = window.session
    source = session.project.scenes[1].keyframe

    def drag(self):
        self.show()
        picture = self.picker.picture_rect()
        start = QPoint(
            int(picture.left() + 0.1 * picture.width()), int(picture.top() + 0.2 * picture.height())
        )
        end = QPoint(int(picture.left() + 0.5 * picture.width()), int(picture.top() + 0.9 * picture.height()))
        qtbot.mousePress(self.picker, Qt.MouseButton.LeftButton, pos=start)
        qtbot.mouseMove(self.picker, end)
        qtbot.mouseRelease(self.picker, Qt.MouseButton.LeftButton, pos=end)
        assert self.redraw.isEnabled()
        self.prompt.setText("a lantern")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(RedrawDialog, "exec", drag)
    window.actions["redrawRegion"].trigger()
    assert wait(loop, window) is None
    scene = session.project.scenes[1]
    new = scene.keyframe
    assert (
        new.id != source.id
        and new.recipe.region.source == source.id
        and new.recipe.region.prompt == "a lantern"
    )
    box = new.recipe.region.box
    assert box.left == pytest.approx(0.1, abs=0.02) and box.bottom == pytest.approx(0.9, abs=0.02)
    assert_only_the_box_changed(project_dir, scene, box)
    window.actions["undo"].trigger()
    scene = session.project.scenes[1]
    assert scene.keyframe.id == source.id and new.id not in [t.id for t in scene.takes]


def test_a_cancelled_redraw_leaves_the_project_as_it_was(window, project_dir, sd15, loop, monkeypatch):
    from dreamfactory_studio.core.settings import save_settings

    from .film_projects import small_settings
    from .studio_window import select, wait

    settings = small_settings()
    settings.image.backend, settings.image.model, settings.image.steps = "diffusers", str(sd15), 200
    save_settings(settings)
    window.open_project(str(project_dir))
    select(window, 2)
    session = window.session
    before = session.project.model_copy(deep=True)
    steps = []

    def on_event(event):
        if type(event).__name__ == "StepProgress":
            steps.append(event)
            if len(steps) == 2:
                window.jobs.cancel()

    real = session._on_event

    def watch(event):
        on_event(event)
        real(event)

    monkeypatch.setattr(session, "_on_event", watch)
    scene_id = session.project.scenes[1].id
    window.jobs.start(
        "Redraw", lambda: session.redraw_region(scene_id, Box(left=0.1, top=0.2, right=0.5, bottom=0.9))
    )
    wait(loop, window)
    assert steps and len(steps) < 200
    assert session.project.scenes[1].takes == before.scenes[1].takes
    assert session.project.scenes[1].selected_take == before.scenes[1].selected_take
    assert not session.undo.canUndo()


def test_a_worker_killed_mid_redraw_leaves_the_project_as_it_was(window, project_dir, sd15, loop):
    import asyncio
    import contextlib
    import os
    import signal

    from dreamfactory_studio.core.settings import ImageSettings, KeyframeSettings, save_settings

    from .film_projects import small_settings
    from .studio_window import saved, select

    settings = small_settings()
    settings.image = ImageSettings(backend="diffusers", model=str(sd15), steps=40)
    settings.keyframes = KeyframeSettings(width=64, height=64)
    settings.compute.devices = ["cpu"]
    save_settings(settings)
    window.open_project(str(project_dir))
    scene = select(window, 2)
    before = scene.model_copy(deep=True)
    worker = window.session.workspace.backends.worker.workers[0]
    killed = []

    def kill_when_drawing(_changes):
        if worker.state.progress and worker.state.progress[0] >= 2 and not killed:
            killed.append(worker.pid)
            os.kill(worker.pid, signal.SIGKILL)

    window.session.changed.connect(kill_when_drawing)
    box = Box(left=0.1, top=0.2, right=0.5, bottom=0.9)
    window.jobs.start("Redraw", lambda: window.session.redraw_region(scene.id, box))
    with contextlib.suppress(BaseException):  # the redraw that fails
        loop.run_until_complete(window.jobs.current)
    loop.run_until_complete(asyncio.sleep(0.1))
    window.session.changed.disconnect(kill_when_drawing)
    assert killed, "the worker was killed mid-redraw"
    after = window.session.project.scenes[1]
    assert after.takes == before.takes and after.selected_take == before.selected_take
    assert saved(project_dir).scenes[1].takes == before.takes
    assert not window.session.undo.canUndo()


@pytest.mark.parametrize(
    "pipeline",
    [
        "FluxPipeline",
        "FluxKontextPipeline",
        "QwenImagePipeline",
        "ZImagePipeline",
        "StableDiffusion3Pipeline",
    ],
)
def test_each_family_redraws_through_its_own_inpaint_pipeline(
    pipeline, built, project_dir, small, monkeypatch, capsys
):
    import diffusers

    from dreamfactory_studio.backends.image.families import family_of

    inpaint = getattr(diffusers, family_of(pipeline).inpaint)
    calls = []
    real = inpaint.__call__

    @functools.wraps(real)
    def spy(self, *args, **kwargs):
        calls.append(kwargs)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(inpaint, "__call__", spy)
    argv = ["take", str(project_dir), "--scene", "2", "--redraw", BOX, "--prompt", "a lantern"]
    argv += ["--image-backend", "diffusers", "--image-model", str(built(pipeline))]
    assert main(argv) == 0, capsys.readouterr().err
    (given,) = calls
    assert given["mask_image"].size == given["image"].size and given["prompt"].endswith("a lantern")
    project, _ = _load(project_dir)
    new = project.scenes[1].keyframe
    assert new.backend == f"diffusers {pipeline}" and new.recipe.mode == "inpaint"
    assert_only_the_box_changed(project_dir, project.scenes[1], Box(left=0.1, top=0.2, right=0.5, bottom=0.9))


def test_a_family_without_an_inpaint_pipeline_says_so_and_changes_nothing(built, project_dir, small, capsys):
    before, _ = _load(project_dir)
    argv = ["take", str(project_dir), "--scene", "2", "--redraw", BOX]
    argv += ["--image-backend", "diffusers", "--image-model", str(built("ChromaPipeline"))]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "Chroma has no inpaint pipeline in diffusers, so it cannot redraw a region" in err
    assert len(err.splitlines()) == 1
    after, _ = _load(project_dir)
    assert after.scenes[1].takes == before.scenes[1].takes
