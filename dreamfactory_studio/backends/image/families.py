"""The diffusers families the studio draws with, keyed by the pipeline class a folder's ``model_index.json``
names: how each takes references, guidance and prompts, its default steps, its size multiple, its inpaint twin
and what the released model needs on a GPU.

A folder is read here before a weight is loaded (:func:`read_family`): a pipeline the studio cannot draw with
(a video or audio model, an unknown class, a folder without its component files) is one clear refusal.
Krita AI Diffusion's ``Arch`` (``is_edit``, ``supports_cfg``) is the model of this table.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from dreamfactory_studio.backends.image.clip_tokens import WINDOW
from dreamfactory_studio.core.errors import BadInput, BadModel
from dreamfactory_studio.core.reading import read_regular_file

ReferencesBy = Literal["ip-adapter", "pictures", "picture", "none"]
"""How references go in: IP-Adapter layers (SD 1.x, SDXL), a list of pictures, one picture, not at all."""
GuidanceBy = Literal["cfg", "true-cfg", "distilled", "none"]
"""``cfg``: classifier-free guidance with a negative prompt (``guidance_scale``); ``true-cfg``: the same through
``true_cfg_scale`` (Qwen-Image); ``distilled``: a guidance value the model was distilled on, no negative prompt
(FLUX.1 dev, FLUX.2); ``none``: a step-distilled model that takes no guidance."""


@dataclass(frozen=True)
class Variant:
    """A faster checkpoint of a family, told apart by its configs: its own steps and guidance."""

    name: str
    steps: int
    guidance: float
    guidance_by: GuidanceBy


@dataclass(frozen=True)
class Family:
    name: str
    pipelines: tuple[str, ...]
    """The pipeline classes in ``model_index.json`` that are this family (text-to-image or edit)."""
    references: ReferencesBy
    takes: int
    """The most reference pictures a call is given (0: none as pictures)."""
    guidance_by: GuidanceBy
    steps: int
    guidance: float
    size_multiple: int
    prompt_tokens: int
    """The tokens its text encoder reads (its ``max_sequence_length``); CLIP's window for SD 1.x and SDXL, whose
    longer prompts the studio encodes window by window."""
    vram_gb: float
    """The released model at bf16, all on the GPU, drawing 1024x1024 (about)."""
    offload_gb: float
    """The same with model CPU offload (about)."""
    activations_gb: float
    """What a 1024x1024 frame needs beyond the weights (about): the estimate for a folder adds it to its weights."""
    inpaint: str = ""
    """The inpaint pipeline built from the same components (``from_pipe``); empty: none."""
    needs: tuple[str, ...] = ()
    """Packages its pipeline imports beyond the GPU stack, each with why."""
    variant: Callable[[dict, dict, str], Variant | None] = field(default=lambda *_: None)
    """The faster checkpoint this folder is, from (``model_index.json``, the transformer's config, the folder's
    name), or None."""

    @property
    def is_edit(self) -> bool:
        return self.references in ("pictures", "picture")


def _klein(index: dict, _transformer: dict, _name: str) -> Variant | None:
    return Variant("FLUX.2 klein (step-distilled)", 4, 1.0, "none") if index.get("is_distilled") else None


def _schnell(_index: dict, transformer: dict, _name: str) -> Variant | None:
    if transformer.get("guidance_embeds") is False:
        return Variant("FLUX.1 schnell", 4, 0.0, "none")
    return None


def _turbo(_index: dict, _transformer: dict, name: str) -> Variant | None:
    return Variant("Z-Image Turbo", 9, 0.0, "none") if "turbo" in name.lower() else None


_QWEN_VL = ("torchvision",)  # transformers' Qwen2-VL processor cannot be made without its video processor

FAMILIES: tuple[Family, ...] = (
    Family("Stable Diffusion 1.x/2.x", ("StableDiffusionPipeline",), "ip-adapter", 0, "cfg", 25, 7.0, 8, WINDOW,
           3.5, 2.5, 1.0, "StableDiffusionInpaintPipeline"),
    Family("Stable Diffusion XL", ("StableDiffusionXLPipeline",), "ip-adapter", 0, "cfg", 30, 6.0, 8, WINDOW,
           9.0, 5.0, 1.5, "StableDiffusionXLInpaintPipeline"),
    Family("Stable Diffusion 3.5", ("StableDiffusion3Pipeline",), "none", 0, "cfg", 28, 4.5, 16, 256,
           28.0, 18.0, 2.0, "StableDiffusion3InpaintPipeline"),
    Family("FLUX.1", ("FluxPipeline",), "none", 0, "distilled", 28, 3.5, 16, 512,
           33.0, 24.0, 2.5, "FluxInpaintPipeline", variant=_schnell),
    Family("FLUX.1 Kontext", ("FluxKontextPipeline",), "picture", 1, "distilled", 28, 2.5, 16, 512,
           33.0, 24.0, 3.0, "FluxKontextInpaintPipeline"),
    Family("FLUX.2 klein", ("Flux2KleinPipeline", "Flux2KleinKVPipeline"), "pictures", 4, "cfg", 50, 4.0, 16, 512,
           17.0, 9.0, 3.0, "Flux2KleinInpaintPipeline", variant=_klein),
    Family("FLUX.2 dev", ("Flux2Pipeline",), "pictures", 6, "distilled", 50, 4.0, 16, 512,
           110.0, 66.0, 4.0),
    Family("Qwen-Image", ("QwenImagePipeline",), "none", 0, "true-cfg", 50, 4.0, 16, 512,
           58.0, 42.0, 3.0, "QwenImageInpaintPipeline"),
    Family("Qwen-Image-Edit", ("QwenImageEditPipeline",), "picture", 1, "true-cfg", 50, 4.0, 16, 512,
           58.0, 42.0, 3.5, "QwenImageEditInpaintPipeline", _QWEN_VL),
    Family("Qwen-Image-Edit-Plus", ("QwenImageEditPlusPipeline",), "pictures", 3, "true-cfg", 40, 4.0, 16, 512,
           58.0, 42.0, 4.0, "QwenImageEditInpaintPipeline", _QWEN_VL),
    Family("Z-Image", ("ZImagePipeline",), "none", 0, "cfg", 50, 4.0, 16, 512,
           22.0, 14.0, 2.0, "ZImageInpaintPipeline", variant=_turbo),
    Family("Z-Image Omni", ("ZImageOmniPipeline",), "pictures", 3, "cfg", 50, 4.0, 16, 512,
           22.0, 14.0, 3.0, "ZImageInpaintPipeline"),
    # ChromaInpaintPipeline (diffusers 0.42) reads a guidance_embeds that Chroma's transformer has not: no inpaint
    Family("Chroma", ("ChromaPipeline",), "none", 0, "cfg", 35, 5.0, 16, 512,
           30.0, 20.0, 2.5),
)  # fmt: skip

_BY_PIPELINE = {pipeline: family for family in FAMILIES for pipeline in family.pipelines}

NOT_PICTURES = (
    "Video",
    "Audio",
    "Music",
    "Speech",
    "Animate",
    "I2V",
    "T2V",
    "Wan",
    "LTX",
    "Mochi",
    "Hunyuan",
)
"""Words in a pipeline class's name that say it makes something other than a still picture."""


def family_of(pipeline: str) -> Family | None:
    """The family of a pipeline class name, or None when the studio does not draw with it."""
    return _BY_PIPELINE.get(pipeline)


def drawable() -> str:
    """The families the studio draws with, in words for a message."""
    return ", ".join(family.name for family in FAMILIES)


@dataclass(frozen=True)
class FoundFamily:
    """What a model folder is, read from its configs: the pipeline class, its family and variant."""

    pipeline: str
    family: Family
    variant: Variant | None
    components: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.variant.name if self.variant else self.family.name

    @property
    def steps(self) -> int:
        return self.variant.steps if self.variant else self.family.steps

    @property
    def guidance(self) -> float:
        return self.variant.guidance if self.variant else self.family.guidance

    @property
    def guidance_by(self) -> GuidanceBy:
        return self.variant.guidance_by if self.variant else self.family.guidance_by


def read_config(path: Path) -> dict:
    """A diffusers config file as a table (empty when it is not one); a clear refusal when it cannot be read."""
    try:
        data = json.loads(read_regular_file(path, 1_000_000, "a diffusers config"))
    except BadInput as exc:
        raise BadModel(str(exc)) from None
    except ValueError as exc:  # JSON, or text that is not UTF-8
        raise BadModel(f"{path} is not a readable config ({exc}).") from None
    return data if isinstance(data, dict) else {}


def found_for(pipeline: str) -> FoundFamily:
    """The family of a pipeline already loaded (a single-file checkpoint: SD 1.x or SDXL)."""
    family = family_of(pipeline)
    if family is None:
        raise BadModel(f"the studio does not draw with {pipeline}; it draws with {drawable()}.")
    return FoundFamily(pipeline, family, None, ())


def read_family(folder: Path) -> FoundFamily:
    """What the diffusers folder at ``folder`` holds, from its configs alone; a clear refusal when the studio
    cannot draw with it (a video or audio pipeline, an unknown class, a component folder missing)."""
    index = read_config(folder / "model_index.json")
    pipeline = str(index.get("_class_name") or "")
    family = family_of(pipeline)
    if family is None:
        if any(word.lower() in pipeline.lower() for word in NOT_PICTURES):
            raise BadModel(
                f"{folder.name} holds {pipeline}, which makes video or sound, not keyframes; set it as the clip "
                "model ([video] model) if it is an image-to-video model, and choose a picture model here. "
                f"The studio draws keyframes with {drawable()}."
            )
        raise BadModel(
            f"{folder.name} holds {pipeline or 'a pipeline with no _class_name'}, which the studio does not draw "
            f"with. It draws keyframes with {drawable()}, from a diffusers folder."
        )
    components = tuple(
        name
        for name, value in index.items()
        if not name.startswith("_") and isinstance(value, list) and len(value) == 2 and value[0]
    )
    missing = [name for name in components if not (folder / name).is_dir()]
    if missing:
        raise BadModel(
            f"{folder.name} is a {family.name} folder without {', '.join(f'{m}/' for m in missing)} "
            "(model_index.json names it); download the whole repository (`hf download REPO --local-dir "
            "FOLDER`) or point to a complete copy."
        )
    require_packages(family.name, family.needs, "transformers' Qwen2-VL processor imports it")
    configs = component_config(folder, "transformer")
    return FoundFamily(pipeline, family, family.variant(index, configs, folder.name), components)


def component_config(folder: Path, component: str) -> dict:
    """The config of one component of a diffusers folder (empty when it has none)."""
    path = folder / component / "config.json"
    return read_config(path) if path.is_file() else {}


def require_packages(what: str, needs: tuple[str, ...], why: str) -> None:
    """Refuse, saying what to install, when a package ``what``'s pipeline imports (``why``) is missing."""
    import importlib.util

    lacking = [name for name in needs if importlib.util.find_spec(name) is None]
    if lacking:
        raise BadModel(
            f"{what} needs {', '.join(lacking)}, which is not installed ({why}): pip install "
            f"{' '.join(lacking)}, the build that matches your torch."
        )
