"""Our diffusers backend against a bare pipeline call, on full-size architectures with random weights.

SD-Turbo (the SD 2.1 UNet, OpenCLIP-H text encoder) and SDXL base (two text encoders, 2.6B-parameter UNet) are
built from their published configs with random weights, saved with ``save_pretrained`` and loaded by our
backend exactly as a user's checkpoint is; the same shapes give the same cost as the real models.

Run on a GPU:  .venv/bin/python benchmarks/bench_diffusers_gpu.py --arch sd-turbo --arch sdxl
Target (issue 4): our backend within 5% of the bare call, same model, steps and size.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from paired_rounds import ms, overhead_and_noise, paired_rounds  # noqa: E402

SD2_UNET = dict(
    attention_head_dim=(5, 10, 20, 20),
    block_out_channels=(320, 640, 1280, 1280),
    cross_attention_dim=1024,
    down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    layers_per_block=2,
    sample_size=64,
    use_linear_projection=True,
)
SDXL_UNET = dict(
    attention_head_dim=(5, 10, 20),
    block_out_channels=(320, 640, 1280),
    cross_attention_dim=2048,
    down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
    up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
    transformer_layers_per_block=(1, 2, 10),
    addition_embed_type="text_time",
    addition_time_embed_dim=256,
    projection_class_embeddings_input_dim=2816,
    layers_per_block=2,
    sample_size=128,
    use_linear_projection=True,
)
VAE = dict(
    block_out_channels=(128, 256, 512, 512),
    down_block_types=("DownEncoderBlock2D",) * 4,
    up_block_types=("UpDecoderBlock2D",) * 4,
    latent_channels=4,
    layers_per_block=2,
    sample_size=512,
)


def text_config(hidden: int, layers: int, heads: int, act: str, projection: int | None = None):
    from transformers import CLIPTextConfig

    extra = {"projection_dim": projection} if projection else {}
    return CLIPTextConfig(
        vocab_size=49408,
        hidden_size=hidden,
        intermediate_size=hidden * 4,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        hidden_act=act,
        bos_token_id=49406,
        eos_token_id=49407,
        pad_token_id=49407,
        **extra,
    )


def build(arch: str, folder: Path, device: str) -> None:
    import torch
    from diffusers import (
        AutoencoderKL,
        EulerDiscreteScheduler,
        StableDiffusionPipeline,
        StableDiffusionXLPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    from tests.tiny_models import _tokenizer

    dtype = torch.float16 if device == "cuda" else torch.float32
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        timestep_spacing="trailing",
        steps_offset=1,
    )
    with torch.device(device):
        if arch == "sd-turbo":
            pipe = StableDiffusionPipeline(
                vae=AutoencoderKL(**VAE),
                text_encoder=CLIPTextModel(text_config(1024, 23, 16, "gelu")),
                tokenizer=_tokenizer(),
                unet=UNet2DConditionModel(**SD2_UNET),
                scheduler=scheduler,
                safety_checker=None,
                feature_extractor=None,
                requires_safety_checker=False,
            )
        else:
            pipe = StableDiffusionXLPipeline(
                vae=AutoencoderKL(**VAE),
                text_encoder=CLIPTextModel(text_config(768, 12, 12, "quick_gelu")),
                text_encoder_2=CLIPTextModelWithProjection(
                    text_config(1280, 32, 20, "gelu", projection=1280)
                ),
                tokenizer=_tokenizer(),
                tokenizer_2=_tokenizer(),
                unet=UNet2DConditionModel(**SDXL_UNET),
                scheduler=scheduler,
            )
    pipe.to(dtype=dtype)
    pipe.save_pretrained(folder, safe_serialization=True)
    del pipe


def measure(arch: str, device: str, steps: int, size: int, runs: int) -> dict[str, list[float]]:
    import torch
    from diffusers import AutoPipelineForText2Image

    from dreamfactory_studio.backends.image import ImageRequest
    from dreamfactory_studio.backends.image.diffusers_backend import DiffusersBackend
    from dreamfactory_studio.core.settings import ImageSettings

    folder = Path(tempfile.mkdtemp()) / arch
    build(arch, folder, device)
    dtype = torch.float16 if device == "cuda" else torch.float32
    ours = DiffusersBackend(
        ImageSettings(
            backend="diffusers",
            model=str(folder),
            device=device,
            precision="float16" if device == "cuda" else "float32",
            steps=steps,
        )
    )
    ours.load(lambda m: None)
    bare = AutoPipelineForText2Image.from_pretrained(folder, dtype=dtype, use_safetensors=True).to(device)
    bare.set_progress_bar_config(disable=True)
    request = ImageRequest(
        prompt="a ferry in fog at dawn", seed=7, width=size, height=size, steps=steps, guidance=5.0
    )

    def sync() -> None:
        if device == "cuda":
            torch.cuda.synchronize()

    def call_bare() -> None:
        bare(
            prompt=request.prompt,
            num_inference_steps=steps,
            width=size,
            height=size,
            guidance_scale=5.0,
            generator=torch.Generator("cpu").manual_seed(7),
        )

    def call_ours() -> None:
        ours.generate(request, lambda d, t: None, lambda: False)

    call_bare(), call_ours()  # warm-up: kernels, allocator, cuDNN autotuning
    # The bare call runs twice per round: the gap between its two series is the noise floor of this machine.
    series = paired_rounds(call_bare, call_ours, runs, sync)
    shutil.rmtree(folder.parent)
    return series


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", action="append", choices=("sd-turbo", "sdxl"))
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--size", type=int, default=0, help="default: 512 for sd-turbo, 1024 for sdxl")
    parser.add_argument("--runs", type=int, default=25)
    args = parser.parse_args()
    print(
        "| architecture (random weights) | device | size, steps | bare call | our backend | overhead "
        "| bare vs itself (noise) | target |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for arch in args.arch or ["sd-turbo"]:
        size = args.size or (512 if arch == "sd-turbo" else 1024)
        series = measure(arch, args.device, args.steps, size, args.runs)
        bare, ours = series["bare"], series["ours"]
        overhead, noise = overhead_and_noise(series)
        print(
            f"| {arch} | {args.device} | {size}x{size}, {args.steps} | {ms(bare)} | {ms(ours)} "
            f"| {100 * overhead:+.1f}% | {100 * noise:+.1f}% | <= 5% |"
        )


if __name__ == "__main__":
    main()
