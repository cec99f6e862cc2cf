"""First-and-last-frame clips through our video backend against a bare pipeline call.

Wan 2.1 FLF2V 14B (UMT5-XXL text encoder, CLIP ViT-H image encoder) and LTX-Video 2B (T5-XXL) are built at full
size from their published configs with random weights in bf16, directly on the GPU (nothing is downloaded or
written to disk). Our backend is given the built pipeline and its family, as its ``load`` leaves them, and makes
a clip from a first frame to a last frame; the bare call gets the same arguments. Paired rounds as
``bench_diffusers_gpu.py``: bare, ours, bare again. Then seconds of compute per second of clip, and the peak GPU
memory of one clip all on the GPU and with model CPU offload.

Run on a GPU:  .venv/bin/python benchmarks/bench_clips_gpu.py --arch wan2.1-flf2v-14b --arch ltx-video
Check that it runs (timings of tiny models mean nothing):  .venv/bin/python benchmarks/bench_clips_gpu.py --tiny --device cpu
Target (issue 31): our backend within 5% of the bare call (and its noise floor).
"""

from __future__ import annotations

import argparse
import statistics
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

ARCHS = {"wan2.1-flf2v-14b": "WanImageToVideoPipeline", "ltx-video": "LTXConditionPipeline"}
SIZES = {"wan2.1-flf2v-14b": (832, 480, 33), "ltx-video": (768, 512, 49)}
"""Width, height and frames of the clip each model makes in the benchmark (its native size; 2 s at its rate)."""


def full_size(arch: str, device: str):
    """The released architecture with random weights, in bf16 on ``device``."""
    import torch
    from diffusers import (
        AutoencoderKLLTXVideo,
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        LTXConditionPipeline,
        LTXVideoTransformer3DModel,
        WanImageToVideoPipeline,
        WanTransformer3DModel,
    )
    from transformers import (
        CLIPImageProcessor,
        CLIPVisionConfig,
        CLIPVisionModelWithProjection,
        T5Config,
        T5EncoderModel,
        UMT5Config,
        UMT5EncoderModel,
    )

    from tests.tiny_families import _t5_tokenizer

    xxl = dict(d_model=4096, d_ff=10240, d_kv=64, num_layers=24, num_heads=64, feed_forward_proj="gated-gelu")
    torch.set_default_dtype(torch.bfloat16)
    try:
        with torch.device(device):
            if arch == "ltx-video":
                return LTXConditionPipeline(
                    transformer=LTXVideoTransformer3DModel(),  # its defaults are the released 2B model's
                    vae=AutoencoderKLLTXVideo(),
                    scheduler=FlowMatchEulerDiscreteScheduler(),
                    text_encoder=T5EncoderModel(T5Config(vocab_size=32128, **xxl)),
                    tokenizer=_t5_tokenizer(),
                )
            transformer = WanTransformer3DModel(  # Wan-AI/Wan2.1-FLF2V-14B-720P-diffusers
                patch_size=(1, 2, 2),
                num_attention_heads=40,
                attention_head_dim=128,
                in_channels=36,
                out_channels=16,
                text_dim=4096,
                freq_dim=256,
                ffn_dim=13824,
                num_layers=40,
                cross_attn_norm=True,
                qk_norm="rms_norm_across_heads",
                eps=1e-6,
                image_dim=1280,
                added_kv_proj_dim=5120,
                rope_max_seq_len=1024,
                pos_embed_seq_len=257 * 2,
            )
            encoder = CLIPVisionModelWithProjection(
                CLIPVisionConfig(
                    hidden_size=1280,
                    intermediate_size=5120,
                    num_hidden_layers=32,
                    num_attention_heads=16,
                    image_size=224,
                    patch_size=14,
                    projection_dim=1024,
                    hidden_act="gelu",
                )
            )
            return WanImageToVideoPipeline(
                transformer=transformer,
                vae=AutoencoderKLWan(),
                scheduler=FlowMatchEulerDiscreteScheduler(shift=16.0),
                text_encoder=UMT5EncoderModel(UMT5Config(vocab_size=256384, **xxl)),
                tokenizer=_t5_tokenizer(),
                image_encoder=encoder,
                image_processor=CLIPImageProcessor(crop_size=224, size=224),
            )
    finally:
        torch.set_default_dtype(torch.float32)


def tiny(arch: str, device: str):
    from diffusers import DiffusionPipeline

    from tests.tiny_video_families import build_ltx_condition, build_wan

    build = build_wan if arch.startswith("wan") else build_ltx_condition
    folder = build(Path(tempfile.mkdtemp()) / arch)
    return DiffusionPipeline.from_pretrained(folder).to(device)


def measure(arch: str, device: str, steps: int, runs: int, use_tiny: bool) -> dict:
    import torch
    from PIL import Image

    from dreamfactory_studio.backends.video import ClipRequest
    from dreamfactory_studio.backends.video.diffusers_video import DiffusersVideo
    from dreamfactory_studio.backends.video.video_families import FoundVideo, video_family_of
    from dreamfactory_studio.core.settings import VideoSettings

    width, height, frames = (32, 32, 9) if use_tiny else SIZES[arch]
    pipe = tiny(arch, device) if use_tiny else full_size(arch, device)
    pipe.set_progress_bar_config(disable=True)
    family = video_family_of(type(pipe).__name__)
    settings = VideoSettings(backend="diffusers", width=width, height=height, steps=steps, frames=frames)
    ours = DiffusersVideo(settings)
    name = "Wan 2.1 FLF2V" if arch.startswith("wan") else family.name
    ours.pipe, ours.device = pipe, device
    ours.found = FoundVideo(
        type(pipe).__name__, family, name, "required" if arch.startswith("wan") else "optional"
    )
    folder = Path(tempfile.mkdtemp())
    Image.new("RGB", (width, height), (40, 60, 120)).save(folder / "first.png")
    Image.new("RGB", (width, height), (200, 160, 60)).save(folder / "last.png")
    seconds = frames / family.fps
    request = ClipRequest(
        image=folder / "first.png", output=folder / "clip.mp4", width=width, height=height, fps=family.fps,
        duration=seconds, prompt="the camera makes a slow push in. A ferry crosses the river in fog.",
        seed=7, last_image=folder / "last.png", clip_end="next",
    )  # fmt: skip

    def call_ours() -> None:
        ours.generate(request, lambda *_: None, lambda: False)

    bare_arguments = recorded_arguments(pipe, call_ours)  # the warm-up, and the arguments
    sync = synchroniser(device)

    def call_bare() -> None:
        pipe(**bare_arguments, generator=torch.Generator("cpu").manual_seed(7))

    call_bare()
    series = paired_rounds(call_bare, call_ours, runs, sync)
    peaks = peak_memory(pipe, device, call_ours)
    return {
        "series": series,
        "peaks": peaks,
        "seconds": seconds,
        "size": (width, height, frames),
        "name": name,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", action="append", choices=tuple(ARCHS))
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--tiny", action="store_true", help="the tests' tiny random models: check that it runs"
    )
    args = parser.parse_args()
    print(
        "| architecture (random weights, bf16) | size, frames, steps | bare call | our backend | overhead "
        "| bare vs itself (noise) | s per clip second | peak GPU memory: all / model offload | target |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for arch in args.arch or list(ARCHS):
        made = measure(arch, args.device, args.steps, args.runs, args.tiny)
        bare, ours = made["series"]["bare"], made["series"]["ours"]
        overhead, noise = overhead_and_noise(made["series"])
        width, height, frames = made["size"]
        peaks = made["peaks"]
        memory = f"{peaks['none']:.1f} / {peaks['model']:.1f} GB" if peaks else "(not on a GPU)"
        per_second = statistics.median(ours) / made["seconds"]
        print(
            f"| {arch} ({made['name']}) | {width}x{height}, {frames}, {args.steps} | {ms(bare)} | {ms(ours)} "
            f"| {100 * overhead:+.1f}% | {100 * noise:+.1f}% | {per_second:.1f} | {memory} | <= 5% |"
        )


if __name__ == "__main__":
    main()
