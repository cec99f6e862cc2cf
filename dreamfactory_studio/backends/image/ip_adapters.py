"""Several reference images at once through IP-Adapters, each for what it is.

Two adapters are loaded: the first carries the look of the film (the Base Frame, K(t-1) and the image memory's
neighbours) through the style layers alone, the way InstantStyle does, so that the palette and the rendering
carry over without the Base Frame's composition; the second carries each present character's sheet through
every layer, masked to the character's layout box (diffusers' ``IPAdapterMaskProcessor``), so that two
characters in one frame do not blend. Each image has its own scale, set on the attention processors directly.
Embeddings are computed once per image file and cached.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from dreamfactory_studio.backends.image import Reference
from dreamfactory_studio.backends.image.files import open_reference
from dreamfactory_studio.core.errors import BackendError
from dreamfactory_studio.core.model import Box

STYLE_KINDS = ("style", "continuity", "memory")
FULL_FRAME = Box(left=0.0, top=0.0, right=1.0, bottom=1.0)


@dataclass
class Plan:
    """The images each adapter gets, with their scales and masks, and what was left out and why."""

    style: list[tuple[Reference | None, float]] = field(default_factory=list)
    identity: list[tuple[Reference | None, float, Box]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def used(self) -> list[tuple[Reference, float]]:
        pairs = [(r, s) for r, s in self.style] + [(r, s) for r, s, _ in self.identity]
        return [(r, s) for r, s in pairs if r is not None and s > 0]


def plan(references: list[Reference], scales: dict[str, float], max_identities: int) -> Plan:
    """Which reference goes to which adapter at which scale; an adapter with nothing gets a neutral image at 0."""
    made = Plan()
    for reference in references:
        if reference.kind in STYLE_KINDS:
            made.style.append((reference, scales[reference.kind]))
    identities = [r for r in references if r.kind == "identity"]
    for reference in identities[:max_identities]:
        box = reference.box if len(identities) > 1 and reference.box is not None else FULL_FRAME
        made.identity.append((reference, scales["identity"], box))
    for reference in identities[max_identities:]:
        made.notes.append(
            f"the sheet of {reference.character or reference.path.name} was left out: the identity adapter "
            f"takes {max_identities} characters at once ([image] max_identities)"
        )
    if len(identities) > 1 and any(r.box is None for r in identities[:max_identities]):
        made.notes.append("a character had no layout box, so their sheet was held to the whole frame")
    if not made.style:
        made.style.append((None, 0.0))
    if not made.identity:
        made.identity.append((None, 0.0, FULL_FRAME))
    return made


def style_layer(unet) -> str:
    """The attention layer InstantStyle found to carry style: the middle attention of the first up block that
    has attentions (``up_blocks.0.attentions.1`` in SDXL, ``up_blocks.1.attentions.1`` in SD 1.x)."""
    for index, block in enumerate(unet.up_blocks):
        attentions = getattr(block, "attentions", None)
        if attentions:
            return f"up_blocks.{index}.attentions.{1 if len(attentions) > 1 else 0}."
    return ""


class Adapters:
    """A pipeline's two IP-Adapters, their cached image embeddings and their scales."""

    def __init__(self, pipe, style_file: Path, identity_file: Path | None, style_only: bool):
        self.pipe = pipe
        self.style_only = style_only
        self._embeds: dict[tuple[str, bool], tuple] = {}
        files = [style_file, identity_file or style_file]
        for file in files:
            if not file.is_file() or file.suffix != ".safetensors":
                raise BackendError(
                    f"no IP-Adapter at {file}; expected a .safetensors file with an image_encoder/ folder beside "
                    "it."
                )
        try:
            pipe.load_ip_adapter(
                [str(f.parent) for f in files],
                subfolder=["", ""],
                weight_name=[f.name for f in files],
                image_encoder_folder="image_encoder",
                local_files_only=True,
            )
        except (ValueError, OSError, KeyError, RuntimeError) as exc:
            raise BackendError(
                f"the IP-Adapters {', '.join(sorted({f.name for f in files}))} do not fit this model ({exc}). An "
                "IP-Adapter is made for one base model (SD 1.5 or SDXL), and both must use the same image encoder."
            ) from None
        self.layer = style_layer(pipe.unet) if style_only else ""

    def clear(self) -> None:
        self._embeds.clear()

    def _embed(self, image_path: Path | None, adapter: int, device):
        """One image's (positive, negative) embeddings for an adapter, cached by the file's content."""
        from diffusers.models.embeddings import ImageProjection
        from PIL import Image

        layer = self.pipe.unet.encoder_hid_proj.image_projection_layers[adapter]
        hidden = not isinstance(layer, ImageProjection)
        key = (hashlib.sha256(image_path.read_bytes()).hexdigest() if image_path else "neutral", hidden)
        if key not in self._embeds:
            image = (
                open_reference(image_path) if image_path else Image.new("RGB", (224, 224), (128, 128, 128))
            )
            self._embeds[key] = self.pipe.encode_image(image, device, 1, hidden)
        return self._embeds[key]

    def arguments(self, made: Plan, width: int, height: int, guidance: bool, device) -> dict:
        """The pipeline's keyword arguments for this plan: embeddings, masks and (as a side effect) the scales."""
        import torch
        from diffusers.image_processor import IPAdapterMaskProcessor

        embeds = []
        for adapter, images in enumerate(([r for r, _ in made.style], [r for r, _, _ in made.identity])):
            pairs = [self._embed(r.path if r else None, adapter, device) for r in images]
            positive = torch.cat([p for p, _ in pairs])[None]
            negative = torch.cat([n for _, n in pairs])[None]
            embeds.append(torch.cat([negative, positive]) if guidance else positive)
        masks = []
        for boxes in ([FULL_FRAME] * len(made.style), [b for _, _, b in made.identity]):
            drawn = [_mask(box, width, height) for box in boxes]
            masks.append(
                IPAdapterMaskProcessor()
                .preprocess(drawn, height=height, width=width)
                .reshape(1, len(drawn), height, width)
            )
        self._scale([s for _, s in made.style], [s for _, s, _ in made.identity])
        return dict(ip_adapter_image_embeds=embeds, cross_attention_kwargs={"ip_adapter_masks": masks})

    def _scale(self, style: list[float], identity: list[float]) -> None:
        from diffusers.models.attention_processor import IPAdapterAttnProcessor, IPAdapterAttnProcessor2_0

        for name, processor in self.pipe.unet.attn_processors.items():
            if isinstance(processor, (IPAdapterAttnProcessor, IPAdapterAttnProcessor2_0)):
                carries_style = not self.layer or name.startswith(self.layer)
                processor.scale = [style if carries_style else [0.0] * len(style), identity]


def _mask(box: Box, width: int, height: int):
    from PIL import Image, ImageDraw

    mask = Image.new("L", (width, height), 0)
    ImageDraw.Draw(mask).rectangle(box.pixels(width, height), fill=255)
    return mask
