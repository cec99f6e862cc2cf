"""Keyframes from a local diffusers checkpoint.

The model is a folder as ``save_pretrained`` writes it, or an id already in the Hugging Face cache: nothing is
downloaded. Text-to-image and image-to-image share one set of loaded components (``from_pipe``). The device
is chosen automatically (CUDA, MPS, CPU), half precision on a GPU; model CPU offload and VAE tiling are options.
With an IP-Adapter configured, the references condition the image through their CLIP embeddings, computed
once per reference and cached; without one, the first reference is the start of image-to-image at the set
strength. Seeds go through a CPU ``torch.Generator``, so a take is reproduced exactly on any device. Weights
are read from safetensors only, and remote code is never run.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

from dreamfactory_studio.backends.gpu_stack import require_gpu_stack
from dreamfactory_studio.backends.image import Cancelled, GenerationCancelled, ImageRequest, StepSink
from dreamfactory_studio.core.errors import BackendError, BadInput, BadModel
from dreamfactory_studio.core.settings import ImageSettings

log = logging.getLogger(__name__)

IP_ADAPTER_SCALE = 0.6
LAYOUT = (
    "a diffusers folder (model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/) in safetensors"
)


def resolve_model(
    model: str, *, layout: str = LAYOUT, setting: str = "--image-model", marker: str = "model_index.json"
) -> Path:
    """The local folder of a model given as a path or as a Hugging Face id already in the cache; ``marker`` is
    the file that folder must hold."""
    if not model:
        raise BadModel(
            f"no diffusers model is set; choose a checkpoint folder in the settings or pass {setting}."
        )
    path = Path(model).expanduser()
    looks_like_path = (
        path.is_absolute() or model.startswith((".", "~")) or path.exists() or model.count("/") != 1
    )
    if looks_like_path:
        if not path.is_dir():
            raise BadModel(f"no model folder at {path}; expected {layout}.")
    else:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError

        try:
            path = Path(snapshot_download(model, local_files_only=True))
        except (LocalEntryNotFoundError, OSError, ValueError):
            raise BadModel(
                f"the model '{model}' is not in the Hugging Face cache, and the studio never downloads while it "
                f"runs. Fetch it first (`hf download {model}`), or point to a local folder."
            ) from None
    if not (path / marker).is_file():
        raise BadModel(f"{path} is not such a model: it has no {marker}; expected {layout}.")
    return path


def pick_device(wanted: str) -> str:
    import torch

    if wanted != "auto":
        return wanted
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def pick_dtype(precision: str, device: str):
    import torch

    if precision != "auto":
        return getattr(torch, precision)
    if device == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float16 if device == "mps" else torch.float32


def quiet_libraries() -> None:
    """Silence diffusers' and transformers' console progress bars: they would garble the CLI and mean nothing
    in the window, where progress comes through the step callback."""
    import transformers
    from diffusers.utils import logging as diffusers_logging

    diffusers_logging.disable_progress_bar()
    diffusers_logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def load_pipeline(loader, path: Path, device: str, precision: str, what: str):
    """``loader.from_pretrained(path)`` the safe way (safetensors, local files, no remote code), quietly, on the
    device and precision the settings ask for; return the pipeline, its device and its dtype."""
    quiet_libraries()
    device = pick_device(device)
    dtype = pick_dtype(precision, device)
    try:
        pipe = loader.from_pretrained(path, dtype=dtype, use_safetensors=True, local_files_only=True)
    except (ValueError, OSError, KeyError, AttributeError, TypeError, ImportError) as exc:
        # AttributeError: a model_index.json naming a class diffusers does not have (a newer or foreign pipeline)
        raise BadModel(f"the model at {path} cannot be loaded ({exc}); {what}") from None
    if hasattr(pipe, "set_progress_bar_config"):
        pipe.set_progress_bar_config(disable=True)
    return pipe, device, dtype


def release_memory() -> None:
    """Give back what unloaded pipelines held, on the GPU too."""
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def place(pipe, device: str, cpu_offload: bool) -> None:
    """Move a pipeline to its device, or let accelerate offload it model by model to save GPU memory."""
    if cpu_offload and device != "cpu":
        pipe.enable_model_cpu_offload(device=device)
    else:
        pipe.to(device)


class DiffusersBackend:
    """A diffusers text-to-image pipeline and its image-to-image twin, loaded once."""

    def __init__(self, settings: ImageSettings):
        self.settings = settings
        self.model_id = settings.model
        self.label = "diffusers"
        self.text2img = None
        self.img2img = None
        self.device = ""
        self._ip_adapter = False
        self._embeds: dict[tuple[str, bool], object] = {}

    def load(self, on_progress: Callable[[str], None]) -> None:
        require_gpu_stack("the diffusers painter")
        path = resolve_model(self.settings.model)
        on_progress(f"loading {path.name}")
        from diffusers import AutoPipelineForImage2Image, AutoPipelineForText2Image

        pipe, self.device, dtype = load_pipeline(
            AutoPipelineForText2Image,
            path,
            self.settings.device,
            self.settings.precision,
            "the studio draws with the text-to-image pipelines diffusers' AutoPipeline knows (Stable Diffusion "
            f"1.x/2.x, SDXL, SD3, FLUX, ...), from {LAYOUT}.",
        )
        self.label = f"diffusers {type(pipe).__name__}"
        if self.settings.ip_adapter:
            self._load_ip_adapter(pipe, Path(self.settings.ip_adapter).expanduser())
        place(pipe, self.device, self.settings.cpu_offload)
        if self.settings.vae_tiling and hasattr(pipe, "vae"):
            pipe.vae.enable_tiling()
        try:
            self.img2img = AutoPipelineForImage2Image.from_pipe(pipe)
            self.img2img.set_progress_bar_config(disable=True)
        except ValueError:
            self.img2img = None  # a pipeline with no image-to-image twin: references go unused
        self.text2img = pipe
        on_progress(f"{path.name} ready on {self.device} ({str(dtype).removeprefix('torch.')})")

    def _load_ip_adapter(self, pipe, weights: Path) -> None:
        if not weights.is_file() or weights.suffix != ".safetensors":
            raise BackendError(
                f"no IP-Adapter at {weights}; expected a .safetensors file with an image_encoder/ folder beside it."
            )
        try:
            pipe.load_ip_adapter(
                str(weights.parent),
                subfolder="",
                weight_name=weights.name,
                image_encoder_folder="image_encoder",
                local_files_only=True,
            )
        except (ValueError, OSError, KeyError, RuntimeError) as exc:
            raise BackendError(f"the IP-Adapter at {weights} does not fit this model ({exc}).") from None
        self._ip_adapter = True

    def unload(self) -> None:
        self.text2img = self.img2img = None
        self._embeds.clear()
        release_memory()

    def _reference_embeds(self, reference: Path | None, guidance: bool):
        """The reference's IP-Adapter embeddings, computed once; None: a neutral grey frame (used at scale 0)."""
        from PIL import Image

        key = (hashlib.sha256(reference.read_bytes()).hexdigest() if reference else "neutral", guidance)
        if key not in self._embeds:
            image = _open_reference(reference) if reference else Image.new("RGB", (224, 224), (128, 128, 128))
            self._embeds[key] = self.text2img.prepare_ip_adapter_image_embeds(
                ip_adapter_image=[image],
                ip_adapter_image_embeds=None,
                device=self.device,
                num_images_per_prompt=1,
                do_classifier_free_guidance=guidance,
            )
        return self._embeds[key]

    def generate(self, request: ImageRequest, on_step: StepSink, cancelled: Cancelled):
        import torch

        if self.text2img is None:
            raise BackendError("the diffusers model is not loaded.")
        generator = torch.Generator("cpu").manual_seed(request.seed)

        def step_end(pipe, step: int, timestep, tensors: dict) -> dict:
            on_step(step + 1, pipe.num_timesteps)
            if cancelled():
                raise GenerationCancelled("cancelled")
            return tensors

        arguments = dict(
            prompt=request.prompt,
            negative_prompt=request.negative_prompt or None,
            num_inference_steps=request.steps,
            guidance_scale=request.guidance,
            generator=generator,
            callback_on_step_end=step_end,
        )
        pipe = self.text2img
        if self._ip_adapter:
            # An IP-Adapter UNet always wants image embeddings: with no reference, a neutral one at scale 0.
            reference = request.references[0] if request.references else None
            pipe.set_ip_adapter_scale(IP_ADAPTER_SCALE if reference else 0.0)
            arguments["ip_adapter_image_embeds"] = self._reference_embeds(reference, request.guidance > 1)
            arguments.update(width=request.width, height=request.height)
        elif request.references and self.img2img is not None:
            pipe = self.img2img
            start = _open_reference(request.references[0]).resize((request.width, request.height))
            arguments.update(image=start, strength=request.strength)
        else:
            arguments.update(width=request.width, height=request.height)
        try:
            return pipe(**arguments).images[0]
        except torch.OutOfMemoryError:
            self._embeds.clear()
            release_memory()
            raise BackendError(
                f"out of GPU memory drawing {request.width}x{request.height}. Turn on CPU offload or VAE tiling in "
                "the settings, or draw smaller; the model stays loaded."
            ) from None


def _open_reference(path: Path):
    from dreamfactory_studio.backends.image.files import open_image

    try:
        return open_image(path)
    except BadInput as exc:
        raise BackendError(
            f"the reference image {path} is damaged or not an image ({exc}); replace or redraw it."
        ) from None
