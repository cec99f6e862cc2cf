"""The graphs the studio sends to ComfyUI, in its API format (``{id: {"class_type", "inputs", "_meta"}}``), and a
user's own workflow filled in.

A keyframe: checkpoint, the present characters' LoRAs, the prompt and negative prompt, an empty latent (or the
continuity frame encoded, for image-to-image; or a take and a mask, for a region redrawn), the IP-Adapter chain (``ComfyUI_IPAdapter_plus``: the Base Frame
and the previous frames as style, each character's sheet held to its box by a mask), the sampler with the take's
seed and steps, decode and save. A clip: Stable Video Diffusion's image-only checkpoint, its conditioning, the
sampler and the frames saved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from dreamfactory_studio.core.errors import BadInput

SIZE_MULTIPLE = 8
IP_ADAPTER_NODES = ("IPAdapterAdvanced", "IPAdapterModelLoader", "CLIPVisionLoader")
STUDIO_TITLES = {
    "studio:prompt": "the prompt (a CLIPTextEncode's text)",
    "studio:negative": "the negative prompt",
    "studio:seed": "the take's seed (a sampler's seed or noise_seed)",
    "studio:size": "the size (an EmptyLatentImage's width and height)",
    "studio:reference": "the Base Frame or the previous keyframe (a LoadImage)",
    "studio:output": "the image to keep (a SaveImage)",
}


def model_size(width: int, height: int) -> tuple[int, int]:
    """A size ComfyUI's latents take: whole multiples of 8 (the result is scaled to the size asked)."""
    return max(64, width // SIZE_MULTIPLE * SIZE_MULTIPLE), max(64, height // SIZE_MULTIPLE * SIZE_MULTIPLE)


@dataclass
class Graph:
    """A graph being built: nodes by id, each output addressed as ``[id, index]``."""

    nodes: dict[str, dict] = field(default_factory=dict)

    def add(self, class_type: str, title: str = "", **inputs) -> str:
        node_id = str(len(self.nodes) + 1)
        self.nodes[node_id] = {
            "class_type": class_type,
            "inputs": inputs,
            "_meta": {"title": title or class_type},
        }
        return node_id


@dataclass(frozen=True)
class Conditioning:
    """One reference as the graph takes it: the uploaded image's name, its weight, its mask's name (or ""),
    and whether it is style (the look) or identity (a character)."""

    image: str
    weight: float
    style: bool
    mask: str = ""


@dataclass(frozen=True)
class KeyframeRecipe:
    checkpoint: str
    prompt: str
    negative: str
    seed: int
    steps: int
    cfg: float
    width: int
    height: int
    loras: tuple[tuple[str, float], ...] = ()
    start_image: str = ""
    """An uploaded image to start from (image-to-image); empty: an empty latent."""
    denoise: float = 1.0
    mask: str = ""
    """An uploaded mask (white: redraw) over ``start_image``: only that region is drawn again (inpainting)."""
    references: tuple[Conditioning, ...] = ()
    ip_adapter: str = ""
    clip_vision: str = ""


def keyframe_graph(recipe: KeyframeRecipe) -> Graph:
    graph = Graph()
    checkpoint = graph.add("CheckpointLoaderSimple", ckpt_name=recipe.checkpoint)
    model, clip, vae = [checkpoint, 0], [checkpoint, 1], [checkpoint, 2]
    for name, weight in recipe.loras:
        lora = graph.add(
            "LoraLoader", model=model, clip=clip, lora_name=name, strength_model=weight, strength_clip=weight
        )
        model, clip = [lora, 0], [lora, 1]
    if recipe.references and recipe.ip_adapter:
        adapter = graph.add("IPAdapterModelLoader", ipadapter_file=recipe.ip_adapter)
        vision = graph.add("CLIPVisionLoader", clip_name=recipe.clip_vision)
        for reference in recipe.references:
            image = graph.add("LoadImage", image=reference.image)
            inputs = dict(
                model=model,
                ipadapter=[adapter, 0],
                image=[image, 0],
                clip_vision=[vision, 0],
                weight=reference.weight,
                weight_type="style transfer" if reference.style else "linear",
                combine_embeds="concat",
                start_at=0.0,
                end_at=1.0,
                embeds_scaling="V only",
            )
            if reference.mask:
                inputs["attn_mask"] = [graph.add("LoadImageMask", image=reference.mask, channel="red"), 0]
            model = [graph.add("IPAdapterAdvanced", **inputs), 0]
    positive = graph.add("CLIPTextEncode", "studio:prompt", text=recipe.prompt, clip=clip)
    negative = graph.add("CLIPTextEncode", "studio:negative", text=recipe.negative, clip=clip)
    if recipe.start_image:
        start = graph.add("LoadImage", "studio:reference", image=recipe.start_image)
        scaled = graph.add(
            "ImageScale",
            image=[start, 0],
            upscale_method="lanczos",
            width=recipe.width,
            height=recipe.height,
            crop="center",
        )
        if recipe.mask:
            mask = graph.add("LoadImageMask", image=recipe.mask, channel="red")
            latent = graph.add(
                "VAEEncodeForInpaint", pixels=[scaled, 0], vae=vae, mask=[mask, 0], grow_mask_by=6
            )
        else:
            latent = graph.add("VAEEncode", pixels=[scaled, 0], vae=vae)
    else:
        latent = graph.add(
            "EmptyLatentImage", "studio:size", width=recipe.width, height=recipe.height, batch_size=1
        )
    sampled = graph.add(
        "KSampler",
        "studio:seed",
        model=model,
        seed=recipe.seed,
        steps=recipe.steps,
        cfg=recipe.cfg,
        sampler_name="euler",
        scheduler="normal",
        positive=[positive, 0],
        negative=[negative, 0],
        latent_image=[latent, 0],
        denoise=recipe.denoise,
    )
    decoded = graph.add("VAEDecode", samples=[sampled, 0], vae=vae)
    graph.add("SaveImage", "studio:output", images=[decoded, 0], filename_prefix="dreamfactory")
    return graph


@dataclass(frozen=True)
class ClipRecipe:
    checkpoint: str
    image: str
    seed: int
    steps: int
    frames: int
    width: int
    height: int
    motion: int


def clip_graph(recipe: ClipRecipe) -> Graph:
    """Stable Video Diffusion through ComfyUI's own nodes (``ImageOnlyCheckpointLoader``, ...)."""
    graph = Graph()
    checkpoint = graph.add("ImageOnlyCheckpointLoader", ckpt_name=recipe.checkpoint)
    image = graph.add("LoadImage", "studio:reference", image=recipe.image)
    conditioning = graph.add(
        "SVD_img2vid_Conditioning",
        clip_vision=[checkpoint, 1],
        init_image=[image, 0],
        vae=[checkpoint, 2],
        width=recipe.width,
        height=recipe.height,
        video_frames=recipe.frames,
        motion_bucket_id=recipe.motion,
        fps=7,
        augmentation_level=0.0,
    )
    guided = graph.add("VideoLinearCFGGuidance", model=[checkpoint, 0], min_cfg=1.0)
    sampled = graph.add(
        "KSampler",
        "studio:seed",
        model=[guided, 0],
        seed=recipe.seed,
        steps=recipe.steps,
        cfg=2.5,
        sampler_name="euler",
        scheduler="karras",
        positive=[conditioning, 0],
        negative=[conditioning, 1],
        latent_image=[conditioning, 2],
        denoise=1.0,
    )
    decoded = graph.add("VAEDecode", samples=[sampled, 0], vae=[checkpoint, 2])
    graph.add("SaveImage", "studio:output", images=[decoded, 0], filename_prefix="dreamfactory-clip")
    return graph


def read_workflow(path: Path | str) -> dict:
    """A workflow saved from ComfyUI in API format; :class:`BadInput` for anything else."""
    path = Path(path).expanduser()
    try:
        workflow = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(
            f"the ComfyUI workflow {path} does not exist; set image.workflow to a saved workflow."
        ) from None
    except (OSError, ValueError) as exc:
        raise BadInput(f"the ComfyUI workflow {path} is not readable JSON ({exc}).") from None
    if isinstance(workflow, dict) and "nodes" in workflow and "links" in workflow:
        raise BadInput(
            f"{path.name} is a workflow as the ComfyUI editor saves it, not in API format: open it in ComfyUI and "
            "use Workflow ▸ Export (API) (or Save (API Format) with dev mode on)."
        )
    if not isinstance(workflow, dict) or not all(
        isinstance(n, dict) and "class_type" in n for n in workflow.values()
    ):
        raise BadInput(
            f"{path.name} is not a ComfyUI workflow in API format (nodes with class_type and inputs)."
        )
    if not titled(workflow, "studio:prompt"):
        raise BadInput(
            f"{path.name} has no node titled 'studio:prompt', so the studio cannot put its prompt in. Title the "
            "nodes it fills: " + "; ".join(f"{t}: {what}" for t, what in STUDIO_TITLES.items()) + "."
        )
    return workflow


def titled(workflow: dict, title: str) -> list[str]:
    return [
        i for i, n in workflow.items() if str(n.get("_meta", {}).get("title", "")).strip().lower() == title
    ]


def fill_workflow(workflow: dict, recipe: KeyframeRecipe) -> dict:
    """The user's workflow with the studio's prompt, negative prompt, seed, size and reference put into the
    nodes titled for them; the rest of it as they made it."""
    graph = json.loads(json.dumps(workflow))
    values = {
        "studio:prompt": {"text": recipe.prompt},
        "studio:negative": {"text": recipe.negative},
        "studio:seed": {"seed": recipe.seed, "noise_seed": recipe.seed},
        "studio:size": {"width": recipe.width, "height": recipe.height},
        "studio:reference": {
            "image": recipe.start_image or (recipe.references[0].image if recipe.references else "")
        },
    }
    for title, inputs in values.items():
        for node_id in titled(graph, title):
            node_inputs = graph[node_id].setdefault("inputs", {})
            for name, value in inputs.items():
                if (name in node_inputs or len(inputs) == 1) and value != "":
                    node_inputs[name] = value
    return graph
