"""GPU memory a user can choose (issue 29, part 4): the estimate from a folder's own weights before loading,
a refusal that says what to change, offload and quantization as settings."""

from __future__ import annotations

import json
import math
import struct

import pytest

from dreamfactory_studio.backends.image.families import read_family
from dreamfactory_studio.backends.image.memory_plan import (
    GIB,
    MemoryPlan,
    check_fits,
    parameters,
    plan,
    quantization_config,
)
from dreamfactory_studio.core.errors import BadModel
from dreamfactory_studio.core.settings import ImageSettings, Settings, VideoSettings


def _safetensors(path, shapes: dict[str, list[int]]) -> None:
    """A safetensors file whose header names tensors of these shapes (the data is not read by the plan)."""
    header, offset = {}, 0
    for name, shape in shapes.items():
        size = 2 * math.prod(shape)
        header[name] = {"dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + bytes(offset))


def test_the_estimate_counts_each_components_parameters_at_the_load_precision(flux2_klein):
    from safetensors import safe_open

    found = read_family(flux2_klein)
    made = plan(flux2_klein, found, 2, 1024, 1024, "none")
    for component in ("transformer", "text_encoder", "vae"):
        expected = 0
        for file in (flux2_klein / component).glob("*.safetensors"):
            with safe_open(file, "pt") as opened:
                expected += sum(math.prod(opened.get_slice(k).get_shape()) for k in opened.keys())  # noqa: SIM118 (not a dict)
        assert made.weights[component] == 2 * expected, component
    assert made.frame == int(found.family.activations_gb * GIB)
    quarter = plan(flux2_klein, found, 2, 512, 512, "nf4")
    assert quarter.frame == made.frame // 4
    assert (
        quarter.weights["vae"] == made.weights["vae"]
    )  # only the transformer and text encoder are quantized
    assert quarter.weights["transformer"] < made.weights["transformer"] * 0.3


def test_a_variants_copy_is_not_counted_twice(tmp_path):
    _safetensors(tmp_path / "diffusion_pytorch_model.safetensors", {"a": [10, 10]})
    _safetensors(tmp_path / "diffusion_pytorch_model.fp16.safetensors", {"a": [10, 10]})
    assert parameters(tmp_path) == 100
    (tmp_path / "diffusion_pytorch_model.safetensors").unlink()
    _safetensors(tmp_path / "diffusion_pytorch_model.bf16.safetensors", {"a": [10, 10]})
    assert parameters(tmp_path) == 100  # only variants: the first one's


def test_a_load_that_will_not_fit_is_refused_with_what_would():
    made = MemoryPlan({"transformer": 8 * GIB, "text_encoder": 8 * GIB, "vae": GIB // 4}, 3 * GIB)
    assert made.need("none") > made.need("model") > made.need("group")
    check_fits(made, "none", 24 * GIB, "FLUX.2 klein")  # fits: nothing said
    with pytest.raises(BadModel) as refused:
        check_fits(made, "none", 12 * GIB, "FLUX.2 klein")
    said = str(refused.value)
    assert "FLUX.2 klein model needs about 19.2 GB" in said and "has 12.0 GB free" in said
    assert 'offload = "model" (about 11.0 GB)' in said and 'offload = "group" (about 3.5 GB)' in said
    with pytest.raises(BadModel, match='with offload = "model".*offload = "group"'):
        check_fits(made, "model", 6 * GIB, "FLUX.2 klein")


def test_quantization_is_a_setting_that_says_what_it_needs():
    assert quantization_config("none", "cpu", None, ("transformer",)) is None
    with pytest.raises(BadModel, match='quantize = "nf4" needs a CUDA GPU.*runs on cpu'):
        quantization_config("nf4", "cpu", None, ("transformer",))
    try:
        import bitsandbytes  # noqa: F401
    except ImportError:
        with pytest.raises(
            BadModel, match=r'needs the bitsandbytes package: pip install "dreamfactory-studio\[quantize\]"'
        ):
            quantization_config("int8", "cuda", None, ("transformer",))


def test_offload_is_one_setting_and_old_settings_still_read():
    assert ImageSettings().offload == "none"
    assert ImageSettings(offload="group").offload == "group"
    assert ImageSettings.model_validate({"cpu_offload": True}).offload == "model"
    assert ImageSettings.model_validate({"cpu_offload": False}).offload == "none"
    assert VideoSettings.model_validate({"cpu_offload": True}).offload == "model"
    assert (
        Settings.model_validate({"image": {"cpu_offload": True, "vae_tiling": True}}).image.offload == "model"
    )
    with pytest.raises(ValueError):
        ImageSettings(offload="sometimes")


def test_offload_and_tiling_reach_the_pipeline_on_cpu_as_a_plain_move(flux2_klein):
    from dreamfactory_studio.backends.image.diffusers_backend import DiffusersBackend

    made = DiffusersBackend(
        ImageSettings(
            backend="diffusers", model=str(flux2_klein), device="cpu", offload="group", vae_tiling=True
        )
    )
    made.load(lambda _m: None)  # on the CPU there is nothing to offload to: the pipeline is simply there
    assert made.text2img.device.type == "cpu" and made.text2img.vae.use_tiling
