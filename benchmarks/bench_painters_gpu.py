"""The painters of today through our backend against a bare pipeline call, with the same reference pictures.

FLUX.2 klein 4B, Qwen-Image-Edit-2509 and Z-Image (Turbo's 6B transformer) are built at full size from their
published configs with random weights in bf16, directly on the GPU (nothing is downloaded, nothing written to
disk: a 20B Qwen-Image-Edit would need 54 GB of it). Our backend is given the built pipeline and its family, as
its ``load`` leaves them, and draws a 1024x1024 keyframe from a character sheet and the Base Frame (the edit
models) or from the prompt alone (Z-Image); the bare call gets the same arguments from the same prompt. Paired
rounds as ``bench_diffusers_gpu.py``: bare, ours, bare again. Then the peak GPU memory of one keyframe with
everything on the GPU and with model CPU offload.

Run on a GPU:  .venv/bin/python benchmarks/bench_painters_gpu.py --arch flux2-klein-4b --arch qwen-image-edit-plus --arch z-image
Check that it runs (timings of tiny models mean nothing):  .venv/bin/python benchmarks/bench_painters_gpu.py --tiny --device cpu
Target (issue 29): our backend within 5% of the bare call (and its noise floor).
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from paired_rounds import (  # noqa: E402
    ms,
    overhead_and_noise,
    paired_rounds,
    peak_memory,
    recorded_arguments,
    synchroniser,
)

PIPELINES = {
    "flux2-klein-4b": "Flux2KleinPipeline",
    "qwen-image-edit-plus": "QwenImageEditPlusPipeline",
    "z-image": "ZImagePipeline",
}
QWEN3_4B = dict(
    hidden_size=2560,
    intermediate_size=9728,
    num_hidden_layers=36,
    num_attention_heads=32,
    num_key_value_heads=8,
    head_dim=128,
    vocab_size=151936,
    max_position_embeddings=40960,
    rope_theta=1000000.0,
)


def full_size(arch: str, device: str):
    """The released architecture with random weights, in bf16 on ``device``."""
    import torch
    from diffusers import (
        AutoencoderKL,
        AutoencoderKLFlux2,
        AutoencoderKLQwenImage,
        FlowMatchEulerDiscreteScheduler,
        Flux2KleinPipeline,
        Flux2Transformer2DModel,
        QwenImageEditPlusPipeline,
        QwenImageTransformer2DModel,
        ZImagePipeline,
        ZImageTransformer2DModel,
    )
    from transformers import Qwen3Config, Qwen3ForCausalLM, Qwen3Model

    from tests.tiny_families import _qwen_tokenizer, qwen_vl_tokenizer

    torch.set_default_dtype(torch.bfloat16)
    try:
        with torch.device(device):
            if arch == "flux2-klein-4b":  # diffusers' scripts/convert_flux2_to_diffusers.py, klein-4b
                transformer = Flux2Transformer2DModel(
                    patch_size=1,
                    in_channels=128,
                    num_layers=5,
                    num_single_layers=20,
                    attention_head_dim=128,
                    num_attention_heads=24,
                    joint_attention_dim=7680,
                    timestep_guidance_channels=256,
                    mlp_ratio=3.0,
                    axes_dims_rope=(32, 32, 32, 32),
                    rope_theta=2000,
                    eps=1e-6,
                    guidance_embeds=False,
                )
                return Flux2KleinPipeline(
                    scheduler=FlowMatchEulerDiscreteScheduler(),
                    vae=AutoencoderKLFlux2(),
                    text_encoder=Qwen3ForCausalLM(Qwen3Config(**QWEN3_4B)),
                    tokenizer=_qwen_tokenizer(),
                    transformer=transformer,
                )
            if arch == "z-image":
                transformer = ZImageTransformer2DModel()  # its defaults are the released 6B model's
                vae = AutoencoderKL(
                    in_channels=3,
                    out_channels=3,
                    down_block_types=["DownEncoderBlock2D"] * 4,
                    up_block_types=["UpDecoderBlock2D"] * 4,
                    block_out_channels=[128, 256, 512, 512],
                    layers_per_block=2,
                    latent_channels=16,
                    scaling_factor=0.3611,
                    shift_factor=0.1159,
                    use_quant_conv=False,
                    use_post_quant_conv=False,
                )
                return ZImagePipeline(
                    scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0),
                    vae=vae,
                    text_encoder=Qwen3Model(Qwen3Config(**QWEN3_4B)),
                    tokenizer=_qwen_tokenizer(),
                    transformer=transformer,
                )
            from transformers import (
                Qwen2_5_VLConfig,
                Qwen2_5_VLForConditionalGeneration,
                Qwen2VLImageProcessorPil,
                Qwen2VLProcessor,
            )

            tokenizer, vision_ids = qwen_vl_tokenizer()
            config = Qwen2_5_VLConfig(  # Qwen2.5-VL-7B-Instruct
                text_config=dict(
                    hidden_size=3584,
                    intermediate_size=18944,
                    num_hidden_layers=28,
                    num_attention_heads=28,
                    num_key_value_heads=4,
                    vocab_size=152064,
                    rope_theta=1000000.0,
                    rope_scaling={"mrope_section": [16, 24, 24], "rope_type": "default", "type": "default"},
                ),
                vision_config=dict(
                    depth=32, hidden_size=1280, intermediate_size=3420, num_heads=16, out_hidden_size=3584
                ),
                vocab_size=152064,
                **vision_ids,
            )
            return QwenImageEditPlusPipeline(
                scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0),
                vae=AutoencoderKLQwenImage(),
                text_encoder=Qwen2_5_VLForConditionalGeneration(config),
                tokenizer=tokenizer,
                processor=Qwen2VLProcessor(image_processor=Qwen2VLImageProcessorPil(), tokenizer=tokenizer),
                transformer=QwenImageTransformer2DModel(),  # its defaults are the released 20B model's
            )
    finally:
        torch.set_default_dtype(torch.float32)


def tiny(arch: str, device: str):
    from diffusers import DiffusionPipeline

    from tests import tiny_families

    build = {
        "flux2-klein-4b": tiny_families.build_flux2_klein,
        "qwen-image-edit-plus": functools.partial(tiny_families.build_qwen_image, edit_plus=True),
        "z-image": tiny_families.build_z_image,
    }[arch]
    folder = build(Path(tempfile.mkdtemp()) / arch)
    return DiffusionPipeline.from_pretrained(folder).to(device)


def ours_with(pipe, device: str, steps: int):
    """Our backend holding ``pipe`` as its ``load`` leaves a folder of that family."""
    from dreamfactory_studio.backends.image.diffusers_backend import DiffusersBackend
    from dreamfactory_studio.backends.image.families import found_for
    from dreamfactory_studio.core.settings import ImageSettings

    ours = DiffusersBackend(ImageSettings(backend="diffusers", device=device, steps=steps))
    ours.text2img, ours.found, ours.device = pipe, found_for(type(pipe).__name__), device
    ours.prompt_budget = ours.found.family.prompt_tokens
    ours.label = f"diffusers {type(pipe).__name__}"
    return ours


def measure(arch: str, device: str, steps: int, size: int, runs: int, use_tiny: bool) -> dict:
    import torch
    from PIL import Image

    from dreamfactory_studio.backends.image import ImageRequest, Reference

    pipe = tiny(arch, device) if use_tiny else full_size(arch, device)
    pipe.set_progress_bar_config(disable=True)
    ours = ours_with(pipe, device, steps)
    folder = Path(tempfile.mkdtemp())
    Image.new("RGB", (768, 1024), "teal").save(folder / "sheet.png")
    Image.new("RGB", (1024, 576), "grey").save(folder / "base.png")
    references = []
    if ours.found.family.is_edit:
        references = [
            Reference("identity", folder / "sheet.png", "sheet", "amara", None, "Amara"),
            Reference("style", folder / "base.png", "base"),
        ]
    request = ImageRequest(
        prompt="Amara steers the ferry through fog at dawn, the far bank a grey line", seed=7, width=size,
        height=size, references=references,
    )  # fmt: skip

    # The bare call: the arguments our backend gives the pipeline, recorded once, then called directly.
    def call_ours() -> None:
        ours.generate(request, lambda *_: None, lambda: False)

    bare_arguments = recorded_arguments(pipe, call_ours)  # the warm-up, and the arguments
    sync = synchroniser(device)

    def call_bare() -> None:
        pipe(**bare_arguments, generator=torch.Generator("cpu").manual_seed(7))

    call_bare()
    series = paired_rounds(call_bare, call_ours, runs, sync)
    peaks = peak_memory(pipe, device, call_ours)
    return {"series": series, "peaks": peaks, "pictures": len(references), "family": ours.found.name}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", action="append", choices=tuple(PIPELINES))
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--tiny", action="store_true", help="the tests' tiny random models: check that it runs"
    )
    args = parser.parse_args()
    size = 64 if args.tiny else args.size
    print(
        "| architecture (random weights, bf16) | pictures | size, steps | bare call | our backend | overhead "
        "| bare vs itself (noise) | peak GPU memory: all / model offload | target |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for arch in args.arch or list(PIPELINES):
        made = measure(arch, args.device, args.steps, size, args.runs, args.tiny)
        bare, ours = made["series"]["bare"], made["series"]["ours"]
        overhead, noise = overhead_and_noise(made["series"])
        peaks = made["peaks"]
        memory = f"{peaks['none']:.1f} / {peaks['model']:.1f} GB" if peaks else "(not on a GPU)"
        print(
            f"| {arch} ({made['family']}) | {made['pictures']} | {size}x{size}, {args.steps} | {ms(bare)} "
            f"| {ms(ours)} | {100 * overhead:+.1f}% | {100 * noise:+.1f}% | {memory} | <= 5% |"
        )


if __name__ == "__main__":
    main()
