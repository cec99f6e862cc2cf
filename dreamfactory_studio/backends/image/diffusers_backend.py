"""Keyframes from a local diffusers checkpoint.

The model is a folder as ``save_pretrained`` writes it, an id already in the Hugging Face cache, or a single
``.safetensors`` checkpoint (SD 1.x, SDXL; :mod:`.checkpoints`): nothing is downloaded. Text-to-image and
image-to-image share one set of loaded components (``from_pipe``). The device is chosen automatically (CUDA,
MPS, CPU), half precision on a GPU; model CPU offload and VAE tiling are options.

With an IP-Adapter configured, every reference conditions the image, each for what it is (:mod:`.ip_adapters`):
the Base Frame, K(t-1) and the memory's neighbours through the style layers, each character's sheet through
identity, masked to their layout box. Image-to-image from K(t-1) is kept for a continuous shot. The characters'
LoRAs are loaded per scene (:mod:`.loras`). Prompts longer than CLIP's window are encoded whole
(:mod:`.prompt_encoding`). Seeds go through a CPU ``torch.Generator``, so a take is reproduced exactly on any
device. Weights are read from safetensors only, and remote code is never run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from dreamfactory_studio.backends.gpu_stack import require_gpu_stack
from dreamfactory_studio.backends.image import Cancelled, Drawn, GenerationCancelled, ImageRequest, StepSink
from dreamfactory_studio.backends.image.checkpoints import PICKLED, load_single_file
from dreamfactory_studio.backends.image.clip_tokens import WINDOW, count_tokens
from dreamfactory_studio.backends.image.families import FoundFamily, drawable, found_for, read_family
from dreamfactory_studio.backends.image.files import open_reference
from dreamfactory_studio.backends.image.memory_plan import (
    check_fits,
    place,
    plan,
    quantization_config,
    weights_variant,
)
from dreamfactory_studio.backends.image.reference_images import called, pictures
from dreamfactory_studio.core import collector
from dreamfactory_studio.core.errors import BackendError, BadModel
from dreamfactory_studio.core.settings import ImageSettings

log = logging.getLogger(__name__)

LAYOUT = (
    "a diffusers folder (model_index.json and its component folders) in safetensors, "
    "or a single .safetensors checkpoint of SD 1.x or SDXL"
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


def _call_parameters(pipeline: type):
    import inspect

    return inspect.signature(pipeline.__call__).parameters


def accepted_arguments(pipeline: type, arguments: dict) -> tuple[dict, list[str]]:
    """The ``arguments`` a pipeline class's ``__call__`` takes, and the names of those it does not take (FLUX.2
    klein has no ``negative_prompt``; a pipeline without image-to-image no ``strength``). Empty values are left
    out without a word."""
    parameters = _call_parameters(pipeline)
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return arguments, []
    kept = {k: v for k, v in arguments.items() if k in parameters}
    return kept, [k for k, v in arguments.items() if k not in parameters and v is not None]


def quiet_libraries() -> None:
    """Silence diffusers' and transformers' console progress bars: they would garble the CLI and mean nothing
    in the window, where progress comes through the step callback."""
    import transformers
    from diffusers.utils import logging as diffusers_logging

    diffusers_logging.disable_progress_bar()
    diffusers_logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()


def load_pipeline(loader, path: Path, device: str, precision: str, what: str, **options):
    """``loader.from_pretrained(path)`` the safe way (safetensors, local files, no remote code), quietly, on the
    device and precision the settings ask for (``options``: more of ``from_pretrained``'s, such as a
    quantization config); return the pipeline, its device and its dtype."""
    quiet_libraries()
    device = pick_device(device)
    dtype = pick_dtype(precision, device)
    try:
        pipe = loader.from_pretrained(
            path, dtype=dtype, use_safetensors=True, local_files_only=True, **options
        )
    except (ValueError, OSError, KeyError, AttributeError, TypeError, ImportError) as exc:
        # AttributeError: a model_index.json naming a class diffusers does not have (a newer or foreign pipeline)
        raise BadModel(f"the model at {path} cannot be loaded ({exc}); {what}") from None
    if hasattr(pipe, "set_progress_bar_config"):
        pipe.set_progress_bar_config(disable=True)
    return pipe, device, dtype


def release_memory() -> None:
    """Give back what unloaded pipelines held, on the GPU too."""
    import torch

    collector.collect()  # on the window's thread when it owns collection (why: core.collector)
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def tokens_read(pipe, prompt: str) -> int:
    """The prompt's length in the tokens of the pipeline's long text encoder (T5, Qwen, Mistral: the last
    tokenizer it has), with the chat template around it where the pipeline counts that in its budget."""
    tokenizer = next(
        (t for name in ("tokenizer_3", "tokenizer_2", "tokenizer") if (t := getattr(pipe, name, None))), None
    )
    if tokenizer is None:
        return count_tokens(prompt)
    if getattr(tokenizer, "chat_template", None) and type(pipe).__name__.startswith(("Flux2", "ZImage")):
        messages = [{"role": "user", "content": prompt}]
        prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return len(tokenizer(prompt, add_special_tokens=True)["input_ids"])


def budget_before_load(model: str) -> int:
    """The prompt budget of the model a painter will load, from its folder's configs, so the first prompt is
    written to it; CLIP's window where the folder cannot be read (its load will say why)."""
    try:
        path = Path(model).expanduser()
        if path.suffix.lower() in (".safetensors", *PICKLED):
            return WINDOW
        return read_family(resolve_model(model)).family.prompt_tokens
    except BadModel:
        return WINDOW


def multiple_of(size: int, multiple: int) -> int:
    return max(multiple, size // multiple * multiple)


class DiffusersBackend:
    """A diffusers pipeline of one of the :mod:`.families`, and its image-to-image twin, loaded once."""

    prompt_budget = WINDOW

    def __init__(self, settings: ImageSettings):
        self.settings = settings
        self.model_id = settings.model
        self.label = "diffusers"
        self.text2img = None
        self.img2img = None
        self.found: FoundFamily | None = None
        self.device = ""
        self.adapters = None
        self.loras = None
        self.inpaint = None
        self.prompt_budget = budget_before_load(settings.model)

    def load(self, on_progress: Callable[[str], None]) -> None:
        require_gpu_stack("the diffusers painter")
        import diffusers

        s = self.settings
        single = Path(s.model).expanduser()
        if single.suffix.lower() in (".safetensors", *PICKLED):
            on_progress(f"loading {single.name}")
            quiet_libraries()
            self.device = pick_device(s.device)
            dtype = pick_dtype(s.precision, self.device)
            config = Path(s.single_file_config).expanduser() if s.single_file_config else None
            pipe = load_single_file(single, dtype, config)
            pipe.set_progress_bar_config(disable=True)
            name, self.found = single.name, found_for(type(pipe).__name__)
        else:
            path = resolve_model(s.model)
            self.found = read_family(path)
            on_progress(f"loading {path.name} ({self.found.name})")
            device = pick_device(s.device)
            dtype = pick_dtype(s.precision, device)
            if device.startswith("cuda"):
                import torch

                free = torch.cuda.mem_get_info(torch.device(device))[0]
                made = plan(path, self.found, dtype.itemsize, 1024, 1024, s.quantize)
                check_fits(made, s.offload, free, self.found.name)
            quantized = quantization_config(s.quantize, device, dtype, self.found.components)
            what = f"the studio draws with {drawable()}, from {LAYOUT}."
            pipe, self.device, dtype = load_pipeline(
                getattr(diffusers, self.found.pipeline),
                path,
                s.device,
                s.precision,
                what,
                **({"quantization_config": quantized} if quantized else {}),
                **({"variant": variant} if (variant := weights_variant(path)) else {}),
            )
            name = path.name
        self.label = f"diffusers {type(pipe).__name__}"
        self.prompt_budget = self.found.family.prompt_tokens
        family = self.found.family
        if s.ip_adapter and family.references == "ip-adapter":
            from dreamfactory_studio.backends.image.ip_adapters import Adapters

            identity = Path(s.identity_adapter).expanduser() if s.identity_adapter else None
            self.adapters = Adapters(pipe, Path(s.ip_adapter).expanduser(), identity, s.style_only)
        place(pipe, self.device, s.offload)
        if s.vae_tiling and hasattr(pipe, "vae"):
            pipe.vae.enable_tiling()
        self.img2img = (
            None  # an edit model edits the previous frame itself; without a twin, shots start afresh
        )
        if not family.is_edit:
            from diffusers import AutoPipelineForImage2Image

            try:
                self.img2img = AutoPipelineForImage2Image.from_pipe(pipe)
                self.img2img.set_progress_bar_config(disable=True)
            except (ValueError, KeyError):
                pass
        self.text2img = pipe
        if hasattr(pipe, "load_lora_weights"):
            from dreamfactory_studio.backends.image.loras import Loras

            self.loras = Loras(pipe)
        on_progress(f"{name} ready on {self.device} ({str(dtype).removeprefix('torch.')}, {self.found.name})")

    def unload(self) -> None:
        self.text2img = self.img2img = self.inpaint = self.adapters = self.loras = None
        release_memory()

    def _scales(self) -> dict[str, float]:
        s = self.settings
        return {
            "style": s.style_scale,
            "continuity": s.continuity_scale,
            "memory": s.memory_scale,
            "identity": s.identity_scale,
        }

    def _guidance(self, request: ImageRequest, drawn: Drawn) -> dict:
        """The guidance arguments as the family takes them, recorded on ``drawn``."""
        found = self.found
        drawn.steps = request.steps or self.settings.steps or found.steps
        drawn.guidance = request.guidance or self.settings.guidance or found.guidance
        arguments = {"num_inference_steps": drawn.steps}
        negative = request.negative_prompt
        if found.guidance_by == "true-cfg":
            # Qwen-Image guides only when a negative prompt is given; a blank one is its makers' default.
            arguments.update(true_cfg_scale=drawn.guidance, negative_prompt=negative or " ")
        elif found.guidance_by == "cfg":
            arguments.update(guidance_scale=drawn.guidance, negative_prompt=negative or None)
        else:
            arguments.update(guidance_scale=drawn.guidance)
            if negative:
                drawn.notes.append(
                    f"{found.name} is guidance-distilled and takes no negative prompt; left out"
                )
        return arguments

    def _inpainter(self):
        """The family's inpaint pipeline, made once from the loaded components."""
        family = self.found.family
        if not family.inpaint:
            raise BadModel(
                f"{family.name} has no inpaint pipeline in diffusers, so it cannot redraw a region; draw a new "
                "take instead, or redraw with another model."
            )
        if self.inpaint is None:
            import diffusers

            self.inpaint = getattr(diffusers, family.inpaint).from_pipe(self.text2img)
            self.inpaint.set_progress_bar_config(disable=True)
        return self.inpaint

    def _region(
        self, request: ImageRequest, pipe, arguments: dict, drawn: Drawn, width: int, height: int
    ) -> str:
        """The inpaint arguments for ``request``'s region; the prompt, after the words naming its pictures."""
        from dreamfactory_studio.backends.image.regions import CONTEXT, mask_of

        region = request.region
        source = open_reference(region.source).convert("RGB").resize((width, height))
        arguments.update(
            image=source, mask_image=mask_of(region.box, width, height), width=width, height=height
        )
        if "padding_mask_crop" in _call_parameters(type(pipe)):
            arguments.update(padding_mask_crop=CONTEXT)  # the box and its surroundings at full resolution
        drawn.mode = "inpaint"
        prompt = request.prompt
        takes = _call_parameters(type(pipe)).get("image_reference") and self.found.family.takes
        if takes and request.references:
            made = pictures(request, takes)
            arguments.update(image_reference=made.images if takes > 1 else made.images[0])
            drawn.used += [(reference, 1.0) for reference in made.used]
            prompt = f"{made.naming} {prompt}"
        return prompt

    def generate(self, request: ImageRequest, on_step: StepSink, cancelled: Cancelled) -> Drawn:
        import torch

        from dreamfactory_studio.backends.image.prompt_encoding import encode_prompt, encodes_itself

        if self.text2img is None:
            raise BackendError("the diffusers model is not loaded.")
        generator = torch.Generator("cpu").manual_seed(request.seed)

        def step_end(pipe, step: int, timestep, tensors: dict) -> dict:
            on_step(step + 1, pipe.num_timesteps)
            if cancelled():
                raise GenerationCancelled("cancelled")
            return tensors

        drawn = Drawn(image=None)
        pipe = self.text2img
        family = self.found.family
        width = multiple_of(request.width, family.size_multiple)
        height = multiple_of(request.height, family.size_multiple)
        arguments = dict(self._guidance(request, drawn), generator=generator, callback_on_step_end=step_end)
        prompt = request.prompt
        continuity = request.of_kind("continuity")
        if request.region is not None:
            pipe = self._inpainter()
            prompt = self._region(request, pipe, arguments, drawn, width, height)
        elif family.is_edit and request.references:
            made = pictures(request, family.takes)
            arguments.update(
                width=width, height=height, image=made.images if family.takes > 1 else made.images[0]
            )
            if "max_area" in _call_parameters(type(pipe)):
                arguments.update(max_area=width * height)  # Kontext: else a megapixel whatever the frame
            prompt = f"{made.naming} {prompt}"
            drawn.mode = "edit"
            drawn.used += [(reference, 1.0) for reference in made.used]
            if made.left_out:
                drawn.notes.append(
                    f"{family.name} takes {family.takes} picture{'s' if family.takes > 1 else ''}; left out: "
                    + ", ".join(called(r) for r in made.left_out)
                )
        elif request.continuous and continuity and self.img2img is not None:
            pipe = self.img2img
            start = open_reference(continuity[0].path).resize((width, height))
            arguments.update(image=start, strength=request.strength)
            drawn.mode, drawn.strength = "image-to-image", request.strength
            drawn.used.append((continuity[0], request.strength))
        else:
            arguments.update(width=width, height=height)
            if request.continuous and continuity:
                drawn.notes.append(
                    "this model has no image-to-image twin, so the continuous shot starts afresh"
                )
        if self.loras is not None:
            drawn.loras, notes = self.loras.apply(request.loras)
            drawn.notes += notes
        elif request.loras:
            drawn.notes.append(f"{type(pipe).__name__} takes no LoRAs; drawn without them")
        if self.adapters is not None:
            from dreamfactory_studio.backends.image.ip_adapters import plan as adapter_plan

            made = adapter_plan(request.references, self._scales(), self.settings.max_identities)
            arguments.update(self.adapters.arguments(made, width, height, drawn.guidance > 1, self.device))
            drawn.used += made.used
            drawn.notes += made.notes
        elif request.references and not drawn.used:
            drawn.notes.append(
                "no IP-Adapter is set, so the references were not used ([image] ip_adapter)"
                if family.references == "ip-adapter"
                else f"{family.name} takes no reference pictures; drawn from the prompt alone"
            )
        if drawn.mode == "edit" and request.of_kind("memory"):
            drawn.notes.append("the image memory's neighbours go to IP-Adapter painters only; not given here")
        try:
            if encodes_itself(pipe):
                encoded = encode_prompt(pipe, prompt, request.negative_prompt, pipe._execution_device)
                arguments.pop("negative_prompt", None)
                arguments.update(encoded.arguments)
                drawn.prompt_tokens, drawn.prompt_chunks = encoded.tokens, encoded.windows
            else:
                arguments.update(prompt=prompt)
                drawn.prompt_tokens = tokens_read(pipe, prompt)
                if drawn.prompt_tokens > self.prompt_budget:
                    drawn.notes.append(
                        f"the prompt is {drawn.prompt_tokens} tokens and {type(pipe).__name__} reads "
                        f"{self.prompt_budget}: its end was cut"
                    )
            arguments, left_out = accepted_arguments(type(pipe), arguments)
            drawn.notes += [
                f"{type(pipe).__name__} takes no {name.replace('_', ' ')}; it was left out"
                for name in left_out
            ]
            drawn.image = pipe(**arguments).images[0]
        except (
            ValueError
        ) as exc:  # the pipeline refused what it was given (a size, a picture, a channel count)
            raise BackendError(f"{type(pipe).__name__} could not draw this take: {exc}") from None
        except torch.OutOfMemoryError:
            if self.adapters is not None:
                self.adapters.clear()
            release_memory()
            quantize = ', quantize = "nf4"' if "transformer" in self.found.components else ""
            raise BackendError(
                f"out of GPU memory drawing {width}x{height} with {self.found.name}. In [image] set offload = "
                f'"model" or "group", vae_tiling = true{quantize}, or draw smaller; the model stays loaded.'
            ) from None
        if drawn.image.size != (request.width, request.height):
            drawn.notes.append(
                f"drawn at {drawn.image.width}x{drawn.image.height} ({family.name} draws in multiples of "
                f"{family.size_multiple}) and scaled to the frame"
            )
            drawn.image = drawn.image.resize((request.width, request.height))
        return drawn
