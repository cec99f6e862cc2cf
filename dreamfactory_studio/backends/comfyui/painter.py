"""Keyframes and clips drawn by the user's own ComfyUI server, with their checkpoints, LoRAs, IP-Adapter and
video nodes.

The painter reads what the server has once per connection (``/object_info``) and uses it: the cast's
references go through IP-Adapter where ``ComfyUI_IPAdapter_plus`` is installed, and where it is not the take is
drawn without them and says which pack would have held the characters (recorded on the take). A character's
LoRA is used when the server has a file of that name. A user's own workflow (API format) can replace the
studio's graph.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from pathlib import Path

from dreamfactory_studio.backends.comfyui.client import NODE_PACKS, ComfyClient, choices
from dreamfactory_studio.backends.comfyui.graphs import (
    IP_ADAPTER_NODES,
    ClipRecipe,
    Conditioning,
    KeyframeRecipe,
    clip_graph,
    fill_workflow,
    keyframe_graph,
    model_size,
    read_workflow,
)
from dreamfactory_studio.backends.image import (
    Cancelled,
    Drawn,
    GenerationCancelled,
    ImageRequest,
    LoraWeights,
    Reference,
    StepSink,
)
from dreamfactory_studio.backends.image.files import decode_image
from dreamfactory_studio.backends.video import ENDS_FREE, ClipRequest
from dreamfactory_studio.core.errors import BackendError, BadModel
from dreamfactory_studio.core.secrets import public_url
from dreamfactory_studio.core.settings import ImageSettings, VideoSettings

DEFAULT_STEPS, DEFAULT_CFG = 25, 7.0
"""What a ComfyUI checkpoint is drawn with when neither the request nor the settings say (an SD-like model)."""
SVD_STEPS, SVD_FRAMES = 25, 14
"""What ComfyUI's Stable Video Diffusion clip is made with when the settings leave it to the model."""

log = logging.getLogger(__name__)


def _png(path: Path, mask_box=None, size: tuple[int, int] | None = None) -> bytes:
    """An image file as PNG bytes; with ``mask_box``, a white box on black of ``size`` instead (a mask)."""
    from PIL import Image, ImageDraw

    if mask_box is not None:
        image = Image.new("RGB", size, "black")
        ImageDraw.Draw(image).rectangle(mask_box.pixels(*size), fill="white")
    else:
        from dreamfactory_studio.backends.image.files import open_reference

        image = open_reference(path)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class ComfyUIPainter:
    """The ``comfyui`` image backend."""

    def __init__(self, settings: ImageSettings):
        self.settings = settings
        self.client: ComfyClient | None = None
        self.model_id = settings.model or "the server's first checkpoint"
        self.label = f"ComfyUI {settings.model or ''}".strip()
        self.prompt_budget = None  # ComfyUI's CLIPTextEncode reads a long prompt whole, window by window
        self.workflow = None

    def load(self, on_progress: Callable[[str], None]) -> None:
        if self.client is not None:
            return
        client = ComfyClient(self.settings.base_url, self.settings.timeout, self.settings.job_timeout)
        info = client.object_info()
        missing = [n for n in ("CheckpointLoaderSimple", "KSampler", "SaveImage") if n not in info]
        if missing and not self.settings.workflow:
            raise BackendError(f"{client.base} lists no {', '.join(missing)} node: is it a ComfyUI server?")
        self.workflow = read_workflow(self.settings.workflow) if self.settings.workflow else None
        if not self.workflow:
            self.model_id = client.checkpoint(self.settings.model)
        self.label = (
            f"ComfyUI {self.model_id}"
            if not self.workflow
            else f"ComfyUI workflow {Path(self.settings.workflow).name}"
        )
        self.client = client
        on_progress(f"{self.label} ready at {client.base}")

    def unload(self) -> None:
        if self.client is not None:
            self.client.close()
        self.client = None

    def generate(self, request: ImageRequest, on_step: StepSink, cancelled: Cancelled) -> Drawn:
        from PIL import Image

        if self.client is None:
            self.load(lambda _m: None)
        client = self.client
        if cancelled():
            raise GenerationCancelled("cancelled")
        width, height = model_size(request.width, request.height)
        notes: list[str] = []
        used: list[tuple[Reference, float]] = []
        conditioning, start, denoise = self._references(request, width, height, used, notes)
        mask = ""
        if request.region is not None:
            if self.workflow is not None:
                raise BadModel(
                    "a region cannot be redrawn with your own ComfyUI workflow ([image] workflow); clear it to "
                    "redraw with the studio's graph, or draw a new take."
                )
            region = request.region
            start, denoise = client.upload(_png(region.source), f"{region.source.stem}.png"), 1.0
            mask = client.upload(_png(region.source, region.box, (width, height)), "region-mask.png")
        loras = self._loras(request.loras, notes)
        recipe = KeyframeRecipe(
            checkpoint=self.model_id,
            prompt=request.prompt,
            negative=request.negative_prompt,
            seed=request.seed % 2**63,
            steps=request.steps or self.settings.steps or DEFAULT_STEPS,
            cfg=request.guidance or self.settings.guidance or DEFAULT_CFG,
            width=width,
            height=height,
            loras=tuple((name, lora.weight) for name, lora in loras),
            start_image=start,
            denoise=denoise,
            mask=mask,
            references=tuple(conditioning),
            ip_adapter=self._choice("IPAdapterModelLoader", "ipadapter_file", self.settings.ip_adapter),
            clip_vision=self._choice("CLIPVisionLoader", "clip_name", ""),
        )
        graph = fill_workflow(self.workflow, recipe) if self.workflow else keyframe_graph(recipe).nodes
        result = client.run(graph, on_step, cancelled)
        images = result.images()
        if not images:
            raise BackendError(
                "ComfyUI finished the job without an image: the graph needs a SaveImage node (title it "
                "'studio:output' in your own workflow)."
            )
        from dreamfactory_studio.backends.comfyui.graphs import titled

        wanted = titled(graph, "studio:output")
        chosen = next(
            (result.outputs[i]["images"][0] for i in wanted if result.outputs.get(i, {}).get("images")),
            images[0],
        )
        image = decode_image(client.view(chosen), f"ComfyUI's image {chosen.get('filename', '')}")
        if image.size != (request.width, request.height):
            image = image.resize((request.width, request.height), Image.Resampling.LANCZOS)
        return Drawn(
            image,
            used=used,
            loras=[lora for _name, lora in loras],
            mode="inpaint" if mask else "image-to-image" if start else "text-to-image",
            strength=denoise if start and not mask else None,
            notes=notes,
        )

    def _choice(self, node: str, name: str, wanted: str) -> str:
        names = choices(self.client.object_info(), node, name)
        if wanted and Path(wanted).name in [Path(n).name for n in names]:
            return next(n for n in names if Path(n).name == Path(wanted).name)
        return names[0] if names else ""

    def _references(self, request: ImageRequest, width: int, height: int, used, notes):
        """Upload what the take is held to; the IP-Adapter conditioning, the start image and its denoise."""
        client = self.client
        start, denoise = "", 1.0
        if request.continuous and request.of_kind("continuity") and request.region is None:
            first = request.of_kind("continuity")[0]
            start = client.upload(_png(first.path), f"{first.path.stem}.png")
            denoise = request.strength
            used.append((first, request.strength))
        references = [r for r in request.references if not (start and r.kind == "continuity")]
        if not references:
            return [], start, denoise
        if self.workflow is not None:
            style = next((r for r in references if r.kind == "style"), references[0])
            if not start:
                used.append((style, 1.0))
            return (
                [Conditioning(client.upload(_png(style.path), f"{style.path.stem}.png"), 1.0, True)],
                start,
                denoise,
            )
        if not client.has(*IP_ADAPTER_NODES) or not self._choice(
            "IPAdapterModelLoader", "ipadapter_file", ""
        ):
            held = sorted({r.kind for r in references})
            notes.append(
                f"ComfyUI has no IP-Adapter ({NODE_PACKS['IPAdapter']} with an IP-Adapter model and a CLIP vision "
                f"model): the {', '.join(held)} references were not used, so the characters are held by words alone"
            )
            return [], start, denoise
        s = self.settings
        scales = {"style": s.style_scale, "continuity": s.continuity_scale, "memory": s.memory_scale}
        conditioning = []
        identities = 0
        for reference in references:
            if reference.kind == "identity":
                identities += 1
                if identities > s.max_identities:
                    notes.append(f"only {s.max_identities} character sheets are held in one frame")
                    continue
            scale = scales.get(reference.kind, s.identity_scale)
            name = client.upload(_png(reference.path), f"{reference.path.stem}.png")
            mask = ""
            if reference.kind == "identity" and reference.box is not None:
                mask = client.upload(
                    _png(reference.path, reference.box, (width, height)),
                    f"mask-{reference.character or 'x'}.png",
                )
            conditioning.append(Conditioning(name, scale, reference.kind != "identity", mask))
            used.append((reference, scale))
        return conditioning, start, denoise

    def _loras(self, loras: list[LoraWeights], notes: list[str]) -> list[tuple[str, LoraWeights]]:
        """The LoRAs the server has a file of (by name), with the server's name for each."""
        if not loras:
            return []
        names = choices(self.client.object_info(), "LoraLoader", "lora_name")
        found = []
        for lora in loras:
            match = next((n for n in names if Path(n.replace("\\", "/")).name == lora.path.name), None)
            if match is None:
                notes.append(
                    f"the LoRA {lora.path.name} is not on the ComfyUI server (put it in ComfyUI/models/loras)"
                )
            else:
                found.append((match, lora))
        return found


class ComfyUIVideo:
    """The ``comfyui`` video backend: the server's Stable Video Diffusion nodes, the frames fitted to the film."""

    def __init__(self, settings: VideoSettings, image: ImageSettings):
        self.settings = settings
        self.base_url = settings.base_url or image.base_url
        self.timeout = image.timeout
        self.job_timeout = image.job_timeout
        self.client: ComfyClient | None = None
        self.checkpoint = ""
        self.label = "ComfyUI video"

    def signature(self, request: ClipRequest) -> str:
        s = self.settings
        steps, frames = s.steps or SVD_STEPS, s.frames or SVD_FRAMES
        return f"comfyui-video:{public_url(self.base_url)}:{s.model}:{steps}:{frames}:{s.width}x{s.height}:{s.motion}:{request.seed}"

    def load(self, on_progress: Callable[[str], None]) -> None:
        if self.client is not None:
            return
        client = ComfyClient(self.base_url, self.timeout, self.job_timeout)
        if not client.has("ImageOnlyCheckpointLoader", "SVD_img2vid_Conditioning", "VideoLinearCFGGuidance"):
            raise BackendError(
                f"ComfyUI at {client.base} has no Stable Video Diffusion nodes (ImageOnlyCheckpointLoader, "
                "SVD_img2vid_Conditioning): update ComfyUI, or set video.backend to camera."
            )
        self.checkpoint = client.checkpoint(
            self.settings.model, "ImageOnlyCheckpointLoader", "video checkpoint"
        )
        self.client = client
        self.label = f"ComfyUI {self.checkpoint}"
        on_progress(f"{self.label} ready at {client.base}")

    def unload(self) -> None:
        if self.client is not None:
            self.client.close()
        self.client = None

    def generate(self, request: ClipRequest, on_step: StepSink, cancelled: Cancelled) -> list[str]:
        import numpy as np
        from PIL import Image

        from dreamfactory_studio.backends.video.camera_move import cover, load_rgb
        from dreamfactory_studio.backends.video.ffmpeg import FrameWriter
        from dreamfactory_studio.backends.video.frames import fit, retime

        if self.client is None:
            self.load(lambda _m: None)
        s = self.settings
        width, height = model_size(s.width, s.height)
        start = Image.fromarray(cover(load_rgb(request.image), width, height)).resize((width, height))
        buffer = io.BytesIO()
        start.save(buffer, format="PNG")
        name = self.client.upload(buffer.getvalue(), f"clip-{request.number:03d}.png")
        steps = s.steps or SVD_STEPS
        recipe = ClipRecipe(
            self.checkpoint,
            name,
            request.seed % 2**63,
            steps,
            s.frames or SVD_FRAMES,
            width,
            height,
            s.motion,
        )
        total = steps + 1  # and one for the frames fetched and encoded

        def step(done: int, _all: int) -> None:
            on_step(min(done, steps), total)

        result = self.client.run(clip_graph(recipe).nodes, step, cancelled)
        pictures = result.images()
        if not pictures:
            raise BackendError("ComfyUI made no frames for the clip; its console says why.")
        frames = np.stack(
            [np.asarray(decode_image(self.client.view(p), "a ComfyUI frame"), np.float32) for p in pictures]
        )
        with FrameWriter(request.output, request.width, request.height, request.fps) as writer:
            for frame in retime(frames, request.frame_count):
                if cancelled():
                    raise GenerationCancelled("cancelled")
                writer.write(fit(np.clip(frame, 0, 255).astype(np.uint8), request.width, request.height))
        on_step(total, total)
        return [ENDS_FREE.format("ComfyUI's Stable Video Diffusion")] if request.last_image else []
