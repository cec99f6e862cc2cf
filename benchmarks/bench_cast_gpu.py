"""What holding a keyframe to its cast costs: SDXL at 1024x1024, 25 steps, our diffusers painter drawing a bare
frame against one with the Base Frame through the style layer, two characters' sheets masked to their boxes and
one character's LoRA, each part alone and all together.

Everything is full size with random weights, built from the published shapes and saved to disk as a user's
would be: SDXL base (``bench_diffusers_gpu.build``), an IP-Adapter with SDXL's attention sizes and a ViT-H image
encoder (the ``_vit-h`` and Plus adapters' encoder), and a rank-16 LoRA on the UNet's attention made with peft.

Run on a GPU:   .venv/bin/python benchmarks/bench_cast_gpu.py
On the CPU, to check it runs (tiny models, no meaningful timings):   ... bench_cast_gpu.py --tiny --device cpu
Target (issue 18): style + two identities + masks + one LoRA at most 15% over the bare call.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

VIT_H = dict(
    hidden_size=1280, intermediate_size=5120, num_hidden_layers=32, num_attention_heads=16, patch_size=14
)


def ip_adapter(folder: Path, pipeline: Path, vision: dict, projection: int) -> Path:
    """IP-Adapter weights for the UNet at ``pipeline`` (random, the layout ``load_ip_adapter`` reads) with a
    CLIP vision encoder of ``vision``'s shape in ``image_encoder/`` beside them."""
    import torch
    from diffusers import UNet2DConditionModel
    from safetensors.torch import save_file
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    unet = UNet2DConditionModel.from_pretrained(pipeline / "unet")
    cross, channels = unet.config.cross_attention_dim, list(unet.config.block_out_channels)
    tensors, key = {}, 1
    for name in unet.attn_processors:
        if name.endswith("attn1.processor"):
            continue
        block = int(name.split(".")[1]) if not name.startswith("mid_block") else -1
        hidden = (
            channels[-1]
            if block < 0
            else list(reversed(channels))[block]
            if name.startswith("up_blocks")
            else channels[block]
        )
        tensors[f"ip_adapter.{key}.to_k_ip.weight"] = torch.randn(hidden, cross, dtype=torch.float16) * 0.02
        tensors[f"ip_adapter.{key}.to_v_ip.weight"] = torch.randn(hidden, cross, dtype=torch.float16) * 0.02
        key += 2
    tensors["image_proj.proj.weight"] = torch.randn(cross * 4, projection, dtype=torch.float16) * 0.02
    tensors["image_proj.proj.bias"] = torch.zeros(cross * 4, dtype=torch.float16)
    tensors["image_proj.norm.weight"] = torch.ones(cross, dtype=torch.float16)
    tensors["image_proj.norm.bias"] = torch.zeros(cross, dtype=torch.float16)
    folder.mkdir(parents=True, exist_ok=True)
    save_file(tensors, folder / "ip-adapter.safetensors")
    encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(**vision, projection_dim=projection))
    encoder.half().save_pretrained(folder / "image_encoder", safe_serialization=True)
    return folder / "ip-adapter.safetensors"


def lora(folder: Path, pipeline: Path, rank: int) -> Path:
    import torch
    from diffusers import StableDiffusionXLPipeline, UNet2DConditionModel
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    unet = UNet2DConditionModel.from_pretrained(pipeline / "unet")
    unet.add_adapter(
        LoraConfig(
            r=rank,
            lora_alpha=rank,
            target_modules=["to_q", "to_k", "to_v", "to_out.0"],
            init_lora_weights=False,
        )
    )
    layers = {k: v.to(torch.float16) for k, v in get_peft_model_state_dict(unet).items()}
    StableDiffusionXLPipeline.save_lora_weights(folder, unet_lora_layers=layers, safe_serialization=True)
    return folder / "pytorch_lora_weights.safetensors"


def main() -> None:
    import torch
    from PIL import Image

    from dreamfactory_studio.backends.image import ImageRequest, LoraWeights, Reference
    from dreamfactory_studio.backends.image.diffusers_backend import DiffusersBackend
    from dreamfactory_studio.core.model import Box
    from dreamfactory_studio.core.settings import ImageSettings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--tiny", action="store_true", help="tiny models, to check the script on a CPU")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp())
    if args.tiny:
        from tests.tiny_models import TINY_VIT, build_sdxl

        pipeline = build_sdxl(root / "sdxl")
        adapter = ip_adapter(root / "ip", pipeline, dict(TINY_VIT, patch_size=4), 32)
        args.size, args.steps, args.runs = 64, 2, 2
    else:
        from bench_diffusers_gpu import build

        pipeline = root / "sdxl"
        build("sdxl", pipeline, args.device)
        adapter = ip_adapter(root / "ip", pipeline, VIT_H, 1024)
    weights = lora(root / "lora", pipeline, 4 if args.tiny else 16)
    precision = "float16" if args.device == "cuda" else "float32"
    painter = DiffusersBackend(
        ImageSettings(
            backend="diffusers",
            model=str(pipeline),
            ip_adapter=str(adapter),
            device=args.device,
            precision=precision,
        )
    )
    plain = DiffusersBackend(
        ImageSettings(backend="diffusers", model=str(pipeline), device=args.device, precision=precision)
    )
    painter.load(print)
    plain.load(print)
    pictures = []
    for index, colour in enumerate(((90, 120, 200), (40, 160, 60), (230, 190, 40))):
        pictures.append(root / f"ref{index}.png")
        Image.new("RGB", (512, 512), colour).save(pictures[-1])
    style = [Reference("style", pictures[0], "base")]
    identities = [
        Reference("identity", pictures[1], "a", "char-a", Box(left=0, top=0.1, right=0.5, bottom=1)),
        Reference("identity", pictures[2], "b", "char-b", Box(left=0.5, top=0.1, right=1, bottom=1)),
    ]
    loras = [LoraWeights(weights, 0.8, "", "char-a")]
    cases = {
        "bare (no IP-Adapter loaded)": (plain, [], []),
        "IP-Adapter loaded, no reference": (painter, [], []),
        "style (Base Frame, style layer)": (painter, style, []),
        "two identities, masked": (painter, identities, []),
        "one LoRA": (plain, [], loras),
        "style + two identities + masks + LoRA": (painter, style + identities, loras),
    }

    def sync() -> None:
        if args.device == "cuda":
            torch.cuda.synchronize()

    def call(made, references, with_loras) -> float:
        request = ImageRequest(
            prompt="Mira and Jonas fly a red kite above the windmill at sunset",
            seed=7,
            width=args.size,
            height=args.size,
            steps=args.steps,
            guidance=5.0,
            references=references,
            loras=with_loras,
        )
        sync()
        start = time.perf_counter()
        made.generate(request, lambda d, t: None, lambda: False)
        sync()
        return time.perf_counter() - start

    for case in cases.values():
        call(*case)  # warm-up: kernels, embeddings cached
    # Each case runs its rounds in a row, as consecutive scenes of one cast would; a LoRA is loaded for the
    # first of them (a scene after one its character is not in loads it again: "LoRA loaded anew" below).
    times: dict[str, list[float]] = {name: [] for name in cases}
    for name, case in cases.items():
        for _ in range(args.runs):
            times[name].append(call(*case))
    reload = []
    for _ in range(args.runs):
        call(plain, [], [])
        reload.append(call(plain, [], loras))
    times["one LoRA, loaded anew (after a scene without it)"] = reload
    bare = statistics.median(times["bare (no IP-Adapter loaded)"])
    device = torch.cuda.get_device_name() if args.device == "cuda" else "cpu"
    print(
        f"\n{device}, torch {torch.__version__}, SDXL {args.size}x{args.size}, {args.steps} steps, {args.runs} runs"
    )
    print("| keyframe | median | min | over bare |")
    print("|---|---|---|---|")
    for name, series in times.items():
        median = statistics.median(series)
        print(
            f"| {name} | {median * 1000:.0f} ms | {min(series) * 1000:.0f} ms | {100 * (median / bare - 1):+.1f}% |"
        )


if __name__ == "__main__":
    main()
