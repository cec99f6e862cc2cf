"""The checkpoints users have: diffusers folders, single ``.safetensors`` files, and models folders.

A single file (the format ComfyUI, Automatic1111 and Krita AI use) is recognised by the names of its tensors,
read from the file's header without loading a weight, and loaded with diffusers' ``from_single_file`` against
the configs that ship in ``resources/checkpoints/`` (SD 1.x and SDXL), so nothing is fetched. Only safetensors
are read: a pickled ``.ckpt`` or ``.bin`` could run code, and is refused with a way out. A models folder (a
ComfyUI or Automatic1111 ``models/`` tree, or any folder) is listed by the same header reading.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

from dreamfactory_studio.core.errors import BadModel
from dreamfactory_studio.core.paths import resources_dir

PICKLED = (".ckpt", ".bin", ".pt", ".pth", ".pkl")
SINGLE_FILE = {
    "sd15": ("StableDiffusionPipeline", "Stable Diffusion 1.x"),
    "sdxl": ("StableDiffusionXLPipeline", "Stable Diffusion XL"),
}
UNSUPPORTED = {
    "sd2": "Stable Diffusion 2.x",
    "sdxl-refiner": "the SDXL refiner",
    "sd3": "Stable Diffusion 3",
    "flux": "FLUX",
}


def tensor_names(path: Path) -> list[str]:
    """The tensor names in a safetensors file, from its header alone (no weight is read)."""
    return list(safetensors_header(path))


def safetensors_header(path: Path) -> dict[str, dict]:
    """Each tensor's entry (``dtype``, ``shape``, ``data_offsets``) in a safetensors file, from its header
    alone."""
    try:
        with open(path, "rb") as file:
            size = struct.unpack("<Q", file.read(8))[0]
            if not 2 <= size <= 100_000_000:
                raise ValueError("header size out of range")
            header = json.loads(file.read(size))
    except RecursionError:
        raise BadModel(
            f"{path} is not a readable .safetensors file (its header nests far too deep)."
        ) from None
    except (OSError, ValueError, struct.error, UnicodeDecodeError) as exc:
        raise BadModel(f"{path} is not a readable .safetensors file ({exc}).") from None
    if not isinstance(header, dict):
        raise BadModel(f"{path} is not a readable .safetensors file (its header is not a table).")
    return {
        name: entry for name, entry in header.items() if name != "__metadata__" and isinstance(entry, dict)
    }


def kind_of(names: list[str]) -> str:
    """What a safetensors file holds: an architecture of checkpoint, ``lora``, ``ip-adapter`` or ``unknown``."""
    has = lambda prefix: any(n.startswith(prefix) for n in names)  # noqa: E731
    if has("conditioner.embedders.1.model."):
        return "sdxl"
    if has("conditioner.embedders.0.model."):
        return "sdxl-refiner"
    if has("cond_stage_model.model."):
        return "sd2"
    if has("cond_stage_model.transformer.") and has("model.diffusion_model."):
        return "sd15"
    if has("model.diffusion_model.joint_blocks.") or has("joint_blocks."):
        return "sd3"
    if has("double_blocks.") or has("model.diffusion_model.double_blocks."):
        return "flux"
    if has("image_proj.") and has("ip_adapter."):
        return "ip-adapter"
    if any("lora_" in n or ".lora." in n or "lora_A" in n or "lora_down" in n for n in names):
        return "lora"
    return "unknown"


def check_weights_file(path: Path, what: str) -> None:
    """Refuse a pickled or missing weights file with a message that says what to do."""
    if path.suffix.lower() in PICKLED:
        raise BadModel(
            f"{path.name} is a pickled {what} ({path.suffix}), which can run code when it is read; the studio "
            "reads .safetensors only. Most model pages offer a .safetensors download; or convert it once with a "
            "tool you trust."
        )
    if not path.is_file():
        raise BadModel(f"there is no {what} at {path}.")
    if path.suffix.lower() != ".safetensors":
        raise BadModel(
            f"{path.name} is not a .safetensors file; the studio reads {what}s in safetensors only."
        )


def single_file_architecture(path: Path) -> str:
    """``sd15`` or ``sdxl`` for a single-file checkpoint; a clear refusal for anything else."""
    check_weights_file(path, "checkpoint")
    kind = kind_of(tensor_names(path))
    if kind in SINGLE_FILE:
        return kind
    if kind in UNSUPPORTED:
        raise BadModel(
            f"{path.name} is a {UNSUPPORTED[kind]} checkpoint; the studio loads single files of Stable Diffusion "
            "1.x and SDXL. Use that model as a diffusers folder (model_index.json, unet/, ...) instead."
        )
    if kind == "lora":
        raise BadModel(f"{path.name} is a LoRA, not a checkpoint; set it on a character in the Cast panel.")
    if kind == "ip-adapter":
        raise BadModel(f"{path.name} is an IP-Adapter, not a checkpoint; set it as the IP-Adapter instead.")
    raise BadModel(
        f"{path.name} is a single file of an architecture the studio does not know (none of the tensors of "
        "Stable Diffusion 1.x or SDXL are in it). Choose an SD 1.5 or SDXL checkpoint, or a diffusers folder."
    )


def shipped_config(architecture: str) -> Path:
    return resources_dir() / "checkpoints" / architecture


def load_single_file(path: Path, dtype, config: Path | None = None):
    """A pipeline from a single-file checkpoint, with the shipped configs (or ``config``, a diffusers folder of
    configs for a checkpoint whose sizes differ) and the shipped CLIP tokenizer. Nothing is downloaded."""
    import diffusers
    from diffusers.loaders.single_file_utils import SingleFileComponentError

    from dreamfactory_studio.backends.image.clip_tokens import clip_tokenizer

    architecture = single_file_architecture(path)
    pipeline, name = SINGLE_FILE[architecture]
    folder = config or shipped_config(architecture)
    extra = {"tokenizer": clip_tokenizer()}
    if architecture == "sdxl":
        extra["tokenizer_2"] = clip_tokenizer("!")
    if architecture == "sd15":
        extra.update(safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    try:
        return getattr(diffusers, pipeline).from_single_file(
            str(path), config=str(folder), local_files_only=True, torch_dtype=dtype, **extra
        )
    except (
        ValueError,
        OSError,
        KeyError,
        RuntimeError,
        TypeError,
        AttributeError,
        SingleFileComponentError,
    ) as exc:
        raise BadModel(
            f"{path.name} looks like a {name} checkpoint but does not load with the {name} configs ({exc}). "
            "If it is a fine-tune with other sizes, set [image] single_file_config to a diffusers folder of its "
            "configs."
        ) from None


@dataclass
class ModelsFolder:
    """What a models folder holds, by kind: each a list of files (and diffusers folders for checkpoints)."""

    checkpoints: list[Path] = field(default_factory=list)
    loras: list[Path] = field(default_factory=list)
    ip_adapters: list[Path] = field(default_factory=list)
    refused: list[Path] = field(default_factory=list)
    """Pickled weights found there, which the studio will not read."""
    unreadable: list[Path] = field(default_factory=list)
    """``.safetensors`` files whose header cannot be read (damaged, cut short, or not safetensors at all)."""


def list_models(folder: Path, *, limit: int = 5000) -> ModelsFolder:
    """The checkpoints, LoRAs and IP-Adapters under ``folder``, recognised by their tensors' names."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise BadModel(f"there is no models folder at {folder}.")
    found = ModelsFolder()
    for seen, path in enumerate(sorted(folder.rglob("*"))):
        if seen >= limit:
            break
        if path.name == "model_index.json":
            found.checkpoints.append(path.parent)
        elif path.suffix.lower() in PICKLED and path.is_file():
            found.refused.append(path)
        elif path.suffix.lower() == ".safetensors" and path.is_file():
            try:
                kind = kind_of(tensor_names(path))
            except BadModel:
                found.unreadable.append(path)
                continue
            if kind in SINGLE_FILE:
                found.checkpoints.append(path)
            elif kind == "lora":
                found.loras.append(path)
            elif kind == "ip-adapter":
                found.ip_adapters.append(path)
    return found
