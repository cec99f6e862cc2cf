"""Every diffusers family of today draws through the studio (issue 29): each called with the arguments its
pipeline takes, its own guidance and steps, the whole prompt given to its text encoder, references as pictures
for the edit models; seeds reproducible, cancel within a step, the same pixels in a worker process."""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import inspect
import json

import numpy as np
import pytest

from dreamfactory_studio.backends.image import GenerationCancelled, ImageRequest, Reference
from dreamfactory_studio.backends.image.diffusers_backend import DiffusersBackend
from dreamfactory_studio.backends.image.families import family_of, read_family
from dreamfactory_studio.cli import main
from dreamfactory_studio.core.errors import BadModel
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.settings import ImageSettings

from .tiny_families import BUILDS

NEEDS_TORCHVISION = pytest.mark.skipif(
    NO_TORCHVISION := importlib.util.find_spec("torchvision") is None,
    reason="transformers' Qwen2-VL processor needs torchvision, not installed here",
)
PIPELINES = [
    pytest.param(name, marks=NEEDS_TORCHVISION) if "Edit" in name and "Qwen" in name else name
    for name in BUILDS
]


def redraw_scene_2(project_dir, folder) -> list[str]:
    """The command that draws scene 2 again with the diffusers model at ``folder``."""
    return [
        "run",
        str(project_dir),
        "--scene",
        "2",
        "--image-backend",
        "diffusers",
        "--image-model",
        str(folder),
    ]


@pytest.fixture
def small(monkeypatch):
    for key, value in (("KEYFRAMES_WIDTH", "80"), ("KEYFRAMES_HEIGHT", "64"), ("IMAGE_STEPS", "2")):
        monkeypatch.setenv(f"DREAMFACTORY_{key}", value)
    monkeypatch.setenv("DREAMFACTORY_COMPUTE_WORKER", "thread")  # the spies below see the pipeline's calls


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_every_family_draws_a_take_through_the_studio_with_its_own_arguments(
    pipeline, built, project_dir, small, monkeypatch, capsys
):
    import diffusers

    folder = built(pipeline)
    family = family_of(pipeline)
    cls = getattr(diffusers, pipeline)
    calls, encoded = [], []
    real_call, real_encode = cls.__call__, cls.encode_prompt

    @functools.wraps(real_call)  # the same signature: the painter gives a pipeline only what its call takes
    def call(self, *args, **kwargs):
        calls.append(kwargs)
        return real_call(self, *args, **kwargs)

    @functools.wraps(real_encode)
    def encode(self, *args, **kwargs):
        encoded.append(kwargs.get("prompt", args[0] if args else None))
        return real_encode(self, *args, **kwargs)

    monkeypatch.setattr(cls, "__call__", call)
    monkeypatch.setattr(cls, "encode_prompt", encode)
    assert main(redraw_scene_2(project_dir, folder)) == 0, capsys.readouterr().err
    with ProjectFolder.open(project_dir, read_only=True) as project_folder:
        take = project_folder.load().scenes[1].keyframe
    recipe = take.recipe
    assert take.backend == f"diffusers {pipeline}"
    assert recipe.steps == 2 and recipe.guidance == family.guidance, recipe
    given = calls[-1]  # the monitor may ask for new seeds: the last call drew the kept take
    assert given["num_inference_steps"] == 2
    if family.guidance_by == "true-cfg":
        assert given["true_cfg_scale"] == family.guidance and given["negative_prompt"] == " "
    else:
        assert given["guidance_scale"] == family.guidance and "true_cfg_scale" not in given
    assert set(given) <= set(inspect.signature(real_call).parameters)
    # The whole prompt reached the text encoder: the take's prompt, after the words naming the pictures.
    assert given["prompt"] in encoded and given["prompt"].endswith(take.prompt)  # (then a CFG negative)
    cut = [note for note in recipe.notes if "its end was cut" in note]
    assert bool(cut) == (recipe.prompt_tokens > family.prompt_tokens), (recipe.prompt_tokens, recipe.notes)
    if family.is_edit:
        assert recipe.mode == "edit" and [r.kind for r in recipe.references][-1] == "style"
        pictures = given["image"] if isinstance(given["image"], list) else [given["image"]]
        assert len(pictures) == (len(recipe.references) if family.takes > 1 else 1)
        assert given["prompt"].startswith(("Picture 1 is ", "The picture shows, from left to right: "))
    else:
        assert recipe.mode == "text-to-image" and "image" not in given
        assert any("takes no reference pictures" in note for note in recipe.notes)


def _backend(folder) -> DiffusersBackend:
    made = DiffusersBackend(ImageSettings(backend="diffusers", model=str(folder), device="cpu"))
    made.load(lambda _m: None)
    return made


@pytest.mark.parametrize("pipeline", ["Flux2KleinPipeline", "ZImagePipeline", "QwenImagePipeline"])
def test_a_seed_draws_the_same_picture_and_cancel_stops_within_a_step(pipeline, built, tmp_path):
    from PIL import Image

    made = _backend(built(pipeline))
    sheet = tmp_path / "sheet.png"
    Image.new("RGB", (64, 96), "teal").save(sheet)
    request = ImageRequest(
        prompt="a ferry crosses the river in fog",
        seed=7,
        width=64,
        height=48,
        steps=3,
        references=[Reference("identity", sheet, "sheet", "c1", None, "Ana")],
    )
    first = np.asarray(made.generate(request, lambda *_: None, lambda: False).image)
    again = np.asarray(made.generate(request, lambda *_: None, lambda: False).image)
    assert np.array_equal(first, again)
    other = np.asarray(
        made.generate(ImageRequest(**{**request.__dict__, "seed": 8}), lambda *_: None, bool).image
    )
    assert not np.array_equal(first, other)
    steps = []
    with pytest.raises(GenerationCancelled):
        made.generate(request, lambda done, total: steps.append(done), lambda: bool(steps))
    assert steps == [1], "cancel is seen at the end of the step it was asked in"


def test_a_flux2_klein_take_in_a_worker_process_has_the_pixels_of_the_thread(built):
    import torch

    from dreamfactory_studio.backends.worker_process import ProcessWorker

    folder = built("Flux2KleinPipeline")
    request = ImageRequest(prompt="a ferry in fog", seed=3, width=64, height=48, steps=2)
    threads = torch.get_num_threads()
    torch.set_num_threads(
        1
    )  # as a cpu worker draws: with a fixed number of threads (the pixels depend on it)
    try:
        expected = np.asarray(_backend(folder).generate(request, lambda *_: None, lambda: False).image)
    finally:
        torch.set_num_threads(threads)
    worker = ProcessWorker("cpu")
    painter = DiffusersBackend(ImageSettings(backend="diffusers", model=str(folder), device="cpu"))
    try:
        drawn = asyncio.run(worker.generate(painter, request, lambda *_: None, lambda _m: None))
    finally:
        worker.shutdown()
    assert np.array_equal(np.asarray(drawn.image), expected)


def test_a_step_distilled_checkpoint_is_drawn_with_its_own_steps_and_no_guidance(built, tmp_path):
    import shutil

    folder = shutil.copytree(built("Flux2KleinPipeline"), tmp_path / "klein-4b-distilled")
    index = json.loads((folder / "model_index.json").read_text())
    (folder / "model_index.json").write_text(json.dumps({**index, "is_distilled": True}))
    found = read_family(folder)
    assert (found.name, found.steps, found.guidance, found.guidance_by) == (
        "FLUX.2 klein (step-distilled)",
        4,
        1.0,
        "none",
    )
    made = DiffusersBackend(ImageSettings(backend="diffusers", model=str(folder), device="cpu"))
    made.load(lambda _m: None)
    drawn = made.generate(ImageRequest(prompt="fog", seed=1, width=64, height=48), lambda *_: None, bool)
    assert (drawn.steps, drawn.guidance) == (4, 1.0)
    made.settings.steps, made.settings.guidance = 3, 2.5  # the settings win over the model's own
    drawn = made.generate(ImageRequest(prompt="fog", seed=1, width=64, height=48), lambda *_: None, bool)
    assert (drawn.steps, drawn.guidance) == (3, 2.5)


@pytest.mark.skipif(not NO_TORCHVISION, reason="torchvision is installed here")
def test_a_qwen_image_edit_folder_without_torchvision_says_what_to_install(tmp_path):
    folder = tmp_path / "qwen-image-edit-2509"
    folder.mkdir()
    (folder / "model_index.json").write_text(json.dumps({"_class_name": "QwenImageEditPlusPipeline"}))
    with pytest.raises(
        BadModel, match="Qwen-Image-Edit-Plus needs torchvision, which is not installed.*pip install"
    ):
        read_family(folder)


def test_a_pipeline_the_studio_cannot_draw_with_is_one_line_and_exit_2(project_dir, tmp_path, capsys):
    folder = tmp_path / "wan2.2-ti2v-5b"
    folder.mkdir()
    (folder / "model_index.json").write_text(json.dumps({"_class_name": "WanPipeline"}))
    with ProjectFolder.open(project_dir, read_only=True) as project_folder:
        before = project_folder.load().scenes[1].takes
    assert main(redraw_scene_2(project_dir, folder)) == 2
    err = capsys.readouterr().err.strip()
    assert "WanPipeline, which makes video or sound, not keyframes" in err and "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    with ProjectFolder.open(project_dir, read_only=True) as project_folder:
        scene = project_folder.load().scenes[1]
    assert scene.takes == before  # no take lost (the keyframes phase records why it failed)
