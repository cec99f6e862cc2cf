"""How much GPU memory a diffusers folder will take, known before a weight is loaded: the parameters of each
component read from the safetensors headers, at the precision it will be loaded in, plus what the family needs
for a frame of the chosen size (:mod:`.families`); for each way of offloading.

When the estimate is more than the GPU has free, the load is refused with what to change, instead of an
out-of-memory error minutes into the load.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from dreamfactory_studio.backends.image.checkpoints import safetensors_header
from dreamfactory_studio.backends.image.families import FoundFamily
from dreamfactory_studio.core.errors import BadModel

GIB = 1024**3
GROUP_RESIDENT = 0.5 * GIB
"""What group offload keeps on the GPU besides the frame's work: a few layers and their streams (about)."""
QUANTIZED = {"none": 1.0, "int8": 0.5, "nf4": 0.28}
"""The share of a 16-bit weight's bytes that a quantized one takes (with its scales)."""
_VARIANT = re.compile(r"\.(fp16|bf16|fp32|fp8)[.-]")


@dataclass(frozen=True)
class MemoryPlan:
    """The bytes each component's weights take, and the frame's share, at one precision and size."""

    weights: dict[str, int]
    frame: int

    def need(self, offload: str) -> int:
        """GPU bytes needed with ``offload`` (none, model, group)."""
        if offload == "group":
            return self.frame + int(GROUP_RESIDENT)
        largest = max(self.weights.values(), default=0)
        return self.frame + (largest if offload == "model" else sum(self.weights.values()))


def parameters(folder: Path) -> int:
    """The number of parameters in a component folder's safetensors files (a variant's copy is not counted
    twice)."""
    files = sorted(folder.glob("*.safetensors"))
    plain = [f for f in files if not _VARIANT.search(f.name)]
    if not plain and files:  # only variants: count the first one's shards
        first = _VARIANT.search(files[0].name).group(1)
        plain = [f for f in files if _VARIANT.search(f.name).group(1) == first]
    total = 0
    for path in plain:
        for entry in safetensors_header(path).values():
            shape = entry.get("shape")
            if isinstance(shape, list) and all(isinstance(n, int) and n >= 0 for n in shape):
                total += math.prod(shape)
    return total


def weights_variant(folder: Path) -> str | None:
    """The variant a folder's weights are saved as (``fp16``, ``bf16``) when it has only that variant, as a
    download of the half-precision files leaves it; None when plain weights are there."""
    files = list(Path(folder).glob("*/*.safetensors"))
    if not files or any(not _VARIANT.search(f.name) for f in files):
        return None
    return _VARIANT.search(files[0].name).group(1)


def plan(
    folder: Path, found: FoundFamily, bytes_per: int, width: int, height: int, quantize: str
) -> MemoryPlan:
    """The memory plan of the diffusers folder at ``folder`` drawing ``width`` x ``height`` frames with weights
    of ``bytes_per`` bytes (2 for bf16/fp16); ``quantize`` shrinks the transformer and text encoders."""
    weights = {}
    for component in found.components:
        share = QUANTIZED[quantize] if component.startswith(("transformer", "text_encoder")) else 1.0
        weights[component] = int(parameters(folder / component) * bytes_per * share)
    frame = int(found.family.activations_gb * GIB * width * height / (1024 * 1024))
    return MemoryPlan(weights, frame)


def check_fits(made: MemoryPlan, offload: str, free: int, family: str) -> None:
    """Refuse a load that will not fit in ``free`` GPU bytes, saying what would."""
    need = made.need(offload)
    if need <= free:
        return
    gb = lambda n: f"{n / GIB:.1f} GB"  # noqa: E731
    ways = [
        f'offload = "{way}" (about {gb(made.need(way))})'
        for way in ("model", "group")
        if way != offload and made.need(way) < need
    ]
    change = "; ".join([*ways, 'quantize = "nf4" (with bitsandbytes)', "or a smaller frame"])
    raise BadModel(
        f'this {family} model needs about {gb(need)} of GPU memory with offload = "{offload}", and the GPU '
        f"has {gb(free)} free. In [image] set {change}."
    )


def place(pipe, device: str, offload: str) -> None:
    """Put a loaded pipeline on its device as ``offload`` says: all of it; each model moved in while it runs
    (model CPU offload); or layer by layer, the next one fetched on a side stream while one runs (group offload,
    the least GPU memory). On the CPU there is nothing to offload."""
    import torch

    if offload == "none" or device == "cpu":
        pipe.to(device)
    elif offload == "model":
        pipe.enable_model_cpu_offload(device=device)
    else:
        on_cuda = device.startswith("cuda")
        pipe.enable_group_offload(
            onload_device=torch.device(device), offload_type="leaf_level", use_stream=on_cuda
        )


def quantization_config(kind: str, device: str, dtype, components: tuple[str, ...]):
    """diffusers' quantization of the transformer and text encoders in 4 (``nf4``) or 8 (``int8``) bits through
    bitsandbytes, or None for ``none``; a clear refusal where it cannot run."""
    if kind == "none":
        return None
    if not device.startswith("cuda"):
        raise BadModel(
            f'quantize = "{kind}" needs a CUDA GPU (bitsandbytes), and this model runs on {device}; set quantize '
            'to "none" in [image].'
        )
    import importlib.util

    if importlib.util.find_spec("bitsandbytes") is None:
        raise BadModel(
            f'quantize = "{kind}" needs the bitsandbytes package: pip install "dreamfactory-studio[quantize]" '
            '(or set quantize to "none" in [image]).'
        )
    from diffusers.quantizers import PipelineQuantizationConfig

    if kind == "nf4":
        backend = "bitsandbytes_4bit"
        options = {"load_in_4bit": True, "bnb_4bit_quant_type": "nf4", "bnb_4bit_compute_dtype": dtype}
    else:
        backend, options = "bitsandbytes_8bit", {"load_in_8bit": True}
    return PipelineQuantizationConfig(
        quant_backend=backend,
        quant_kwargs=options,
        components_to_quantize=[c for c in components if c.startswith(("transformer", "text_encoder"))],
    )
