"""The image-to-video families the studio makes clips with, keyed by the pipeline class a folder's
``model_index.json`` names: whether a clip can end on a chosen frame, the frame-count rule, the native frame rate,
the size multiple, the prompt budget, default steps and guidance, what the released model needs on a GPU and the
packages its pipeline imports.

Whether a last frame is taken depends on the checkpoint as well as the pipeline: Wan 2.1 FLF2V needs one (its
transformer was trained on first-and-last pairs), Wan 2.2 I2V A14B takes one, Wan 2.1 I2V and Wan 2.2 TI2V-5B
cannot use one. :func:`read_video_family` reads that from the folder's configs before a weight is loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from dreamfactory_studio.backends.image.families import (
    component_config,
    family_of,
    read_config,
    require_packages,
)
from dreamfactory_studio.core.errors import BadModel

LastFrame = Literal["none", "optional", "required"]
"""How a model ends a clip: never on a chosen frame; on one when given; only on one (it needs it)."""
LastBy = Literal["", "last_image", "conditions"]
"""How a last frame goes in: Wan's and FramePack's ``last_image``, LTX's conditions at a frame index."""


@dataclass(frozen=True)
class VideoFamily:
    name: str
    pipelines: tuple[str, ...]
    last_frame: LastFrame
    last_by: LastBy
    frame_step: int
    """Frame counts are ``frame_step * k + 1`` (Wan 4, LTX 8); 0: a count fixed by the checkpoint (SVD)."""
    max_frames: int
    """The longest clip it makes in one go; a longer scene is made of segments chained on their last frames."""
    fps: int
    """The frame rate it was trained at: clips are made at it, then fitted to the film's."""
    size_multiple: int
    prompt_tokens: int
    """The tokens its text encoder reads; 0: it takes no prompt (SVD)."""
    steps: int
    guidance: float
    vram_gb: float
    """The released model at bf16, all on the GPU, a clip at its native size (about)."""
    offload_gb: float
    needs: tuple[str, ...] = ()
    """Packages its pipeline imports beyond the GPU stack."""
    variant: Callable[[dict, dict], tuple[str, LastFrame] | None] = field(default=lambda *_: None)
    """The checkpoint's own name and last-frame rule, from (``model_index.json``, the transformer's config)."""

    def frames_for(self, seconds: float, fixed: int = 0) -> int:
        """The legal frame count nearest ``seconds`` at the native rate (``fixed``: the checkpoint's own count,
        for a family whose count is fixed), at most :attr:`max_frames`."""
        if not self.frame_step:
            return fixed or self.max_frames
        wanted = max(1, round(seconds * self.fps))
        k = max(1, round((wanted - 1) / self.frame_step))
        return min(self.frame_step * k + 1, self.max_frames)


def _wan(index: dict, transformer: dict) -> tuple[str, LastFrame]:
    encoder = (index.get("image_encoder") or [None])[0]
    if encoder and transformer.get("pos_embed_seq_len"):
        return (
            "Wan 2.1 FLF2V",
            "required",
        )  # first-and-last-frame training: its image embeddings come in pairs
    if encoder:
        return "Wan 2.1 I2V", "none"  # one image embedding: a last frame would make a pair it cannot read
    if index.get("expand_timesteps"):
        return "Wan 2.2 TI2V", "none"  # the 5B model reads the first frame only
    return "Wan 2.2 I2V", "optional"  # A14B: the last frame goes into the conditioning latents


VIDEO_FAMILIES: tuple[VideoFamily, ...] = (
    VideoFamily("Stable Video Diffusion", ("StableVideoDiffusionPipeline",), "none", "", 0, 25, 7, 64, 0, 25, 3.0,
                10.0, 6.0),
    VideoFamily("Wan", ("WanImageToVideoPipeline",), "optional", "last_image", 4, 81, 16, 16, 512, 40, 5.0,
                66.0, 40.0, ("ftfy",), _wan),
    VideoFamily("LTX-Video", ("LTXConditionPipeline",), "optional", "conditions", 8, 257, 24, 32, 256, 40, 3.0,
                20.0, 12.0),
    VideoFamily("LTX-Video (first frame)", ("LTXImageToVideoPipeline",), "none", "", 8, 257, 24, 32, 128, 40, 3.0,
                20.0, 12.0),
    VideoFamily("SkyReels V2", ("SkyReelsV2ImageToVideoPipeline",), "optional", "last_image", 4, 97, 24, 16, 512,
                50, 5.0, 66.0, 40.0, ("ftfy",)),
    VideoFamily("HunyuanVideo FramePack", ("HunyuanVideoFramepackPipeline",), "optional", "last_image", 4, 129,
                30, 16, 256, 30, 6.0, 60.0, 30.0),
    VideoFamily("CogVideoX", ("CogVideoXImageToVideoPipeline",), "none", "", 8, 49, 8, 16, 226, 50, 6.0,
                26.0, 12.0),
)  # fmt: skip

_BY_PIPELINE = {pipeline: family for family in VIDEO_FAMILIES for pipeline in family.pipelines}


def video_family_of(pipeline: str) -> VideoFamily | None:
    return _BY_PIPELINE.get(pipeline)


@dataclass(frozen=True)
class FoundVideo:
    """What a video model folder is: the pipeline class, its family, its own name and last-frame rule."""

    pipeline: str
    family: VideoFamily
    name: str
    last_frame: LastFrame
    fixed_frames: int = 0
    """SVD: the frame count its UNet was trained on (14, or 25 for XT)."""


def read_video_family(folder: Path) -> FoundVideo:
    """What the diffusers folder at ``folder`` holds, from its configs alone; a clear refusal for a pipeline the
    studio does not make clips with, or a package its pipeline needs that is missing."""
    index = read_config(folder / "model_index.json")
    pipeline = str(index.get("_class_name") or "")
    family = video_family_of(pipeline)
    if family is None:
        known = ", ".join(f.name for f in VIDEO_FAMILIES)
        picture = family_of(pipeline)
        if picture is not None:
            raise BadModel(
                f"{folder.name} holds {pipeline}, a {picture.name} picture model, not an image-to-video pipeline; "
                f"set it as the painter ([image] model) and choose one of these for the clips: {known}."
            )
        raise BadModel(
            f"{folder.name} holds {pipeline or 'a pipeline with no _class_name'}, which the studio does not make "
            f"clips with; it takes image-to-video models: {known}."
        )
    require_packages(family.name, family.needs, "its pipeline cleans prompts with it")
    name, last = family.variant(index, component_config(folder, "transformer")) or (
        family.name,
        family.last_frame,
    )
    fixed = int(component_config(folder, "unet").get("num_frames") or 0)
    return FoundVideo(pipeline, family, name, last, fixed)
