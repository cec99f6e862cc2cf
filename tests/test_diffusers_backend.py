"""The diffusers backend on tiny random SD-1.5- and SDXL-shaped pipelines saved to disk and loaded by the real
code path: text-to-image, image-to-image, IP-Adapter, seeds, progress, cancel, bad models, the GPU worker."""

from __future__ import annotations

import asyncio
import json

import pytest
from PIL import Image

from dreamfactory_studio.backends.gpu_worker import GpuWorker
from dreamfactory_studio.backends.image import GenerationCancelled, ImageRequest, Reference
from dreamfactory_studio.backends.image.diffusers_backend import DiffusersBackend
from dreamfactory_studio.cli import main
from dreamfactory_studio.core.errors import BackendError
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.settings import ImageSettings

from .paths import STORIES
from .tiny_models import build_ip_adapter, build_sd15, build_sdxl


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    sd15, sdxl = build_sd15(root / "sd15"), build_sdxl(root / "sdxl")
    return {"sd15": sd15, "sdxl": sdxl, "ip": build_ip_adapter(root / "ip-adapter", sd15), "root": root}


def backend(path, **settings) -> DiffusersBackend:
    made = DiffusersBackend(ImageSettings(backend="diffusers", model=str(path), **settings))
    made.load(lambda message: None)
    return made


def draw(made, seed=3, steps=4, references=(), strength=0.5, cancel_at=None, kind="style", continuous=False):
    events = []
    request = ImageRequest(
        prompt="a ferry in fog at dawn",
        seed=seed,
        width=64,
        height=64,
        steps=steps,
        references=[r if isinstance(r, Reference) else Reference(kind, r) for r in references],
        strength=strength,
        continuous=continuous,
    )
    drawn = made.generate(
        request,
        lambda done, total: events.append((done, total)),
        lambda: cancel_at is not None and len(events) >= cancel_at,
    )
    return drawn.image, events


@pytest.mark.parametrize("kind", ["sd15", "sdxl"])
def test_text_to_image_seeds_and_one_progress_event_per_step(models, kind):
    made = backend(models[kind])
    assert made.label.startswith("diffusers StableDiffusion") and made.device == "cpu"
    first, events = draw(made, seed=3, steps=4)
    assert first.size == (64, 64) and events == [(1, 4), (2, 4), (3, 4), (4, 4)]
    again, _ = draw(made, seed=3, steps=4)
    other, _ = draw(made, seed=4, steps=4)
    assert first.tobytes() == again.tobytes(), "the same seed gives identical pixels"
    assert first.tobytes() != other.tobytes()


@pytest.mark.parametrize("kind", ["sd15", "sdxl"])
def test_image_to_image_from_a_reference_shares_the_loaded_components(models, kind, tmp_path):
    made = backend(models[kind])
    assert made.img2img.unet is made.text2img.unet, "from_pipe: no second load"
    reference = tmp_path / "ref.png"
    Image.new("RGB", (64, 64), (200, 40, 40)).save(reference)
    image, events = draw(
        made, references=[reference], strength=0.5, steps=4, kind="continuity", continuous=True
    )
    assert image.size == (64, 64) and events == [(1, 2), (2, 2)]
    plain, _ = draw(made)
    assert image.tobytes() != plain.tobytes()


def test_ip_adapter_from_a_local_path_with_cached_reference_embeddings(models, tmp_path):
    made = backend(models["sd15"], ip_adapter=str(models["ip"]))
    reference = tmp_path / "base.png"
    Image.new("RGB", (64, 64), (30, 160, 60)).save(reference)
    without, _ = draw(made)
    with_ref, _ = draw(made, references=[reference])
    again, _ = draw(made, references=[reference])
    assert with_ref.tobytes() != without.tobytes() and with_ref.tobytes() == again.tobytes()
    assert len(made.adapters._embeds) == 2, "the neutral embedding and the reference's, each computed once"


def test_cancel_at_step_2_stops_there(models):
    made = backend(models["sd15"])
    with pytest.raises(GenerationCancelled):
        draw(made, steps=6, cancel_at=2)
    _, events = draw(made, steps=3)
    assert events[-1] == (3, 3), "the backend stays usable after a cancel"


def test_bad_models_give_clear_messages(models, tmp_path):
    with pytest.raises(
        BackendError, match=f"no model folder at {tmp_path / 'missing'}; expected a diffusers folder"
    ):
        backend(tmp_path / "missing")
    (tmp_path / "plain").mkdir()
    with pytest.raises(BackendError, match="has no model_index.json"):
        backend(tmp_path / "plain")
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "model_index.json").write_text(json.dumps({"_class_name": "TeleportPipeline"}))
    with pytest.raises(
        BackendError, match="odd holds TeleportPipeline, .* draws keyframes with .*FLUX.2 klein"
    ):
        backend(tmp_path / "odd")
    (tmp_path / "wan").mkdir()
    (tmp_path / "wan" / "model_index.json").write_text(json.dumps({"_class_name": "WanImageToVideoPipeline"}))
    with pytest.raises(BackendError, match=r"WanImageToVideoPipeline, which makes video .*\[video\] model"):
        backend(tmp_path / "wan")
    (tmp_path / "half").mkdir()
    index = {"_class_name": "Flux2KleinPipeline", "vae": ["diffusers", "AutoencoderKLFlux2"]}
    index["transformer"] = ["diffusers", "Flux2Transformer2DModel"]
    (tmp_path / "half" / "model_index.json").write_text(json.dumps(index))
    (tmp_path / "half" / "vae").mkdir()
    with pytest.raises(BackendError, match="half is a FLUX.2 klein folder without transformer/"):
        backend(tmp_path / "half")
    with pytest.raises(BackendError, match="not in the Hugging Face cache.*hf download someone/nothing-here"):
        backend("someone/nothing-here")
    with pytest.raises(BackendError, match="no IP-Adapter at"):
        backend(models["sd15"], ip_adapter=str(tmp_path / "nope.safetensors"))
    made = backend(models["sd15"])
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(BackendError, match="is damaged or not an image"):
        draw(made, references=[broken], kind="continuity", continuous=True)


def test_out_of_memory_fails_the_job_cleanly_and_the_worker_stays_usable(models):
    import torch

    made = DiffusersBackend(ImageSettings(backend="diffusers", model=str(models["sd15"])))
    worker = GpuWorker()
    request = ImageRequest(prompt="fog", seed=1, width=64, height=64, steps=2)

    async def go():
        await worker.generate(made, request, lambda *a: None, lambda m: None)
        real = made.text2img

        def exhausted(**kwargs):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

        made.text2img = exhausted
        with pytest.raises(
            BackendError,
            match=r"out of GPU memory drawing 64x64 with Stable Diffusion 1.x/2.x. In \[image\] set offload",
        ):
            await worker.generate(made, request, lambda *a: None, lambda m: None)
        made.text2img = real
        return await worker.generate(made, request, lambda *a: None, lambda m: None)

    assert asyncio.run(go()).image.size == (64, 64)
    assert worker.loads == 1, "loaded once, kept across jobs"
    other = DiffusersBackend(ImageSettings(backend="diffusers", model=str(models["sdxl"])))
    asyncio.run(worker.generate(other, request, lambda *a: None, lambda m: None))
    assert worker.loads == 2 and made.text2img is None, "a model change unloads the old model"
    worker.shutdown()


def test_the_cli_draws_every_take_through_diffusers(models, tmp_path, monkeypatch, capsys):
    for key, value in {"STEPS": "2", "WIDTH": "64", "HEIGHT": "64"}.items():
        monkeypatch.setenv(f"DREAMFACTORY_{'IMAGE' if key == 'STEPS' else 'KEYFRAMES'}_{key}", value)
    project = str(tmp_path / "p")
    assert main(["new", str(STORIES / "robot-garden.txt"), project, "--scenes", "3"]) == 0
    assert main(["run", project, "--image-model", str(models["sd15"])]) == 0
    assert "loading: loading sd15" in capsys.readouterr().out
    with ProjectFolder.open(project) as folder:
        loaded = folder.load()
        takes = [take for scene in loaded.scenes for take in scene.takes]
        assert takes and all(t.backend == "diffusers StableDiffusionPipeline" for t in takes)
        assert all(t.model == str(models["sd15"]) for t in takes)
        assert all(Image.open(folder.asset_path(t.image)).size == (64, 64) for t in takes)


def test_vae_tiling_and_precision_options_reach_the_pipeline(models):
    import torch

    made = backend(models["sd15"], vae_tiling=True, precision="float32", device="cpu", offload="model")
    assert made.text2img.vae.use_tiling
    assert made.text2img.unet.dtype == torch.float32
    image, events = draw(made, steps=2)
    assert image.size == (64, 64) and len(events) == 2


def test_without_the_gpu_stack_the_diffusers_backends_say_how_to_get_it(
    models, monkeypatch, capsys, tmp_path
):
    """The packaged app leaves torch out: choosing a diffusers model there gives one clear line, exit 1."""
    import importlib.util

    from dreamfactory_studio.backends.video.diffusers_video import DiffusersVideo
    from dreamfactory_studio.backends.vision.clip_embedder import ClipEmbedder
    from dreamfactory_studio.core.settings import VideoSettings

    monkeypatch.setenv("DREAMFACTORY_COMPUTE_WORKER", "thread")  # torch is hidden from this process only
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a)
    )
    for make in (
        lambda: DiffusersBackend(ImageSettings(backend="diffusers", model=str(models["sd15"]))).load(print),
        lambda: DiffusersVideo(VideoSettings(backend="diffusers", model=str(models["sd15"]))).load(print),
        lambda: ClipEmbedder(tmp_path),
    ):
        with pytest.raises(BackendError, match="needs torch, which this installation .* does not have"):
            make()
    story = tmp_path / "s.txt"
    story.write_text((STORIES / "robot-garden.txt").read_text())
    assert main(["new", str(story), str(tmp_path / "p"), "--scenes", "2"]) == 0
    code = main(
        ["run", str(tmp_path / "p"), "--image-backend", "diffusers", "--image-model", str(models["sd15"])]
    )
    assert code == 1 and "the diffusers painter needs torch" in capsys.readouterr().err


def test_a_pipeline_is_given_only_the_arguments_its_call_takes():
    from diffusers import Flux2KleinPipeline, StableDiffusionPipeline

    from dreamfactory_studio.backends.image.diffusers_backend import accepted_arguments

    asked = {
        "prompt": "a lighthouse",
        "negative_prompt": "text",
        "guidance_scale": 4.0,
        "num_inference_steps": 4,
    }
    kept, left_out = accepted_arguments(Flux2KleinPipeline, asked)
    assert left_out == ["negative_prompt"] and kept == {
        k: v for k, v in asked.items() if k != "negative_prompt"
    }
    assert (
        accepted_arguments(Flux2KleinPipeline, {**asked, "negative_prompt": None})[1] == []
    )  # nothing to say
    assert accepted_arguments(StableDiffusionPipeline, asked) == (asked, [])


def test_the_family_tables_prompt_budgets_are_the_pipelines_own():
    import inspect

    import diffusers

    from dreamfactory_studio.backends.image.clip_tokens import WINDOW
    from dreamfactory_studio.backends.image.families import FAMILIES

    for family in FAMILIES:
        for name in family.pipelines:
            parameter = inspect.signature(getattr(diffusers, name).__call__).parameters.get(
                "max_sequence_length"
            )
            # CLIP's window for SD 1.x and SDXL, which take no max_sequence_length; T5, Qwen, Mistral theirs
            assert family.prompt_tokens == (parameter.default if parameter else WINDOW), name
