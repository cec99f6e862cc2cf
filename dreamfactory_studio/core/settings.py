"""User settings: ``settings.toml`` in the user config folder, overridden by ``DREAMFACTORY_*`` variables.

An environment variable ``DREAMFACTORY_<SECTION>_<KEY>`` (e.g. ``DREAMFACTORY_LLM_BASE_URL``) wins over the
file. API keys are never stored here or in a project: they come from ``OPENAI_API_KEY`` or the OS keyring.
"""

from __future__ import annotations

import logging
import os
import tomllib
from pathlib import Path
from typing import Literal, get_args
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dreamfactory_studio.core.atomic import atomic_write_text
from dreamfactory_studio.core.backend_registry import names
from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.paths import config_dir
from dreamfactory_studio.core.secrets import keep_url_credentials

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.toml"
ENV_PREFIX = "DREAMFACTORY_"


PAINTERS, VIDEOS, VOICES = names("painter"), names("video"), names("speech")
"""The values of ``[image] backend``, ``[video] backend`` and ``[speech] backend``, from the registry."""


ClipEnd = Literal["free", "next", "own"]
"""Where a clip ends: where the model takes it, on the next scene's keyframe, or on the scene's own end frame."""
Offload = Literal["none", "model", "group"]
"""Where a local model's weights wait while they are not at work: all on the GPU; on the CPU, each model moved
in while it runs (model CPU offload); on the CPU, layer by layer (group offload: the least GPU memory)."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    @model_validator(mode="before")
    @classmethod
    def _old_offload(cls, data):
        """Settings written before ``offload`` said ``cpu_offload = true`` for model CPU offload."""
        if isinstance(data, dict) and "cpu_offload" in data:
            data = dict(data)
            if data.pop("cpu_offload") in (True, "true", "1") and "offload" not in data:
                data["offload"] = "model"
        return data

    @field_validator("base_url", check_fields=False)
    @classmethod
    def _address(cls, value: str) -> str:
        """A server's address: empty, or an http(s) URL that parses (never echoed: it may hold a password)."""
        value = value.strip()
        if not value:
            return value
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises for a port that is not a number
        except ValueError as exc:
            raise ValueError(
                f"the address is not a URL ({exc}); give one like http://127.0.0.1:11434/v1"
            ) from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("give an http:// or https:// address, such as http://127.0.0.1:11434/v1")
        return value


class LLMSettings(_Section):
    base_url: str = Field(default="", description="an OpenAI-compatible endpoint; empty: the offline writer")
    model: str = ""
    timeout: float = Field(
        default=110.0,
        gt=0,
        description="seconds to reach the server and for its first word (a model loading)",
    )
    answer_timeout: float = Field(
        default=600.0, gt=0, description="seconds an answer may take once its first word came"
    )
    max_retries: int = Field(default=3, ge=0, le=10)
    stream: bool = Field(
        default=True, description="stream answers token by token; off for servers that stream badly"
    )


class ImageSettings(_Section):
    backend: Literal[PAINTERS] = "sketch"  # type: ignore[valid-type]
    model: str = Field(
        default="",
        description="a diffusers folder or a cached Hugging Face id; an OpenAI image model; a ComfyUI checkpoint",
    )
    base_url: str = Field(
        default="",
        description="OpenAI images: a compatible server (empty: api.openai.com); ComfyUI: its address "
        "(empty: http://127.0.0.1:8188)",
    )
    workflow: str = Field(
        default="",
        description="ComfyUI: a workflow saved in API format to draw with instead of the studio's graph",
    )
    quality: str = Field(
        default="", description="OpenAI images: low, medium, high (gpt-image) or standard, hd (dall-e-3)"
    )
    timeout: float = Field(default=180.0, gt=0, description="ComfyUI: seconds a server may stay silent")
    job_timeout: float = Field(
        default=1800.0, gt=0, description="ComfyUI: seconds one job may take in all, queue included"
    )
    device: Literal["auto", "cuda", "mps", "cpu"] = "auto"
    precision: Literal["auto", "float16", "bfloat16", "float32"] = "auto"
    steps: int = Field(
        default=0, ge=0, le=200, description="0: the model's own (FLUX.2 klein 4, SDXL 30, ...)"
    )
    guidance: float = Field(
        default=0.0,
        ge=0,
        le=30,
        allow_inf_nan=False,
        description="0: the model's own (SDXL 6, FLUX.1 3.5, ...)",
    )
    offload: Offload = Field(
        default="none",
        description="none: all on the GPU; model: each model moved in while it runs; group: layer by layer, least",
    )
    vae_tiling: bool = False
    quantize: Literal["none", "nf4", "int8"] = Field(
        default="none",
        description="diffusers: the transformer and text encoder in 4 or 8 bits (bitsandbytes, CUDA)",
    )
    ip_adapter: str = Field(
        default="",
        description="an IP-Adapter .safetensors (image_encoder/ beside it): references condition the image",
    )
    identity_adapter: str = Field(
        default="",
        description="an IP-Adapter for the characters' sheets (IP-Adapter Plus); empty: ip_adapter",
    )
    style_only: bool = Field(
        default=True,
        description="the Base Frame reaches only the style layers (InstantStyle): its look, not its layout",
    )
    style_scale: float = Field(default=0.8, ge=0, le=2, description="the Base Frame's weight")
    continuity_scale: float = Field(default=0.4, ge=0, le=2, description="K(t-1)'s weight, as style")
    memory_scale: float = Field(default=0.25, ge=0, le=2, description="each memory neighbour's weight")
    identity_scale: float = Field(default=0.6, ge=0, le=2, description="each character sheet's weight")
    max_identities: int = Field(
        default=4, ge=1, le=8, description="character sheets the identity adapter takes in one frame"
    )
    single_file_config: str = Field(
        default="",
        description="a diffusers folder of configs for a single-file checkpoint of unusual sizes; empty: shipped",
    )
    models_folder: str = Field(
        default="",
        description="a ComfyUI or Automatic1111 models/ folder to choose checkpoints and LoRAs from",
    )


class MonitorSettings(_Section):
    base_url: str = Field(
        default="", description="an OpenAI-compatible vision endpoint; empty: offline describer"
    )
    model: str = ""
    timeout: float = Field(default=120.0, gt=0)
    max_retries: int = Field(default=3, ge=0, le=10)


class KeyframeSettings(_Section):
    base_rounds: int = Field(default=3, ge=1, le=10, description="R: rounds of the Base Frame loop")
    retries: int = Field(default=2, ge=0, le=10, description="M: new seeds tried when a keyframe drifts")
    candidates: int = Field(
        default=1,
        ge=1,
        le=16,
        description="seeds of a scene drawn at once (across the workers); the best is kept",
    )
    threshold: float = Field(
        default=0.55, ge=0, le=1, description="the monitor's score a keyframe must reach"
    )
    use_previous: bool = Field(default=True, description="use K(t-1) as a reference too")
    neighbours: int = Field(default=1, ge=0, le=8, description="nearest earlier frames from the image memory")
    strength: float = Field(
        default=0.6, gt=0, le=1, description="a continuous shot: image-to-image strength from K(t-1)"
    )
    continuous: bool = Field(
        default=False, description="draw each scene from K(t-1) by image-to-image (one continuous shot)"
    )
    identity_threshold: float = Field(
        default=0.35,
        ge=0,
        le=1,
        description="how like their sheet a character must be drawn; below: a new seed (about 0.7 with CLIP)",
    )
    width: int = Field(default=1024, ge=64, le=4096)
    height: int = Field(default=576, ge=64, le=4096)


class MemorySettings(_Section):
    clip_model: str = Field(
        default="", description="a local CLIP model folder; empty: the colour-structure descriptor"
    )


class EvalSettings(_Section):
    """The weights ``evaluate`` and ``compare`` use: local files or cached Hugging Face ids, never downloaded."""

    clip_model: str = Field(
        default="", description="a CLIP folder or cached id for the CLIP metrics; empty: [memory] clip_model"
    )
    dino_model: str = Field(
        default="", description="a DINOv2 folder or cached id: similarity to the Base Frame; empty: CLIP"
    )
    face_detector: str = Field(
        default="", description="OpenCV's YuNet face detector, an .onnx file (for CSFD)"
    )
    style_classifier: Literal["auto", "vision", "clip"] = Field(
        default="auto",
        description="CSSC: the monitor's vision model (auto, when one is set) or zero-shot CLIP",
    )
    inception: str = Field(
        default="", description="Inception-v3 as TorchScript (inception-2015-12-05.pt), for FID and IS"
    )
    i3d: str = Field(default="", description="I3D as TorchScript (i3d_torchscript.pt), for FVD and KVD")
    drift_threshold: float = Field(
        default=0.6, ge=0, le=1, description="similarity to the Base Frame under which a scene drifts"
    )


class VideoSettings(_Section):
    backend: Literal[VIDEOS] = Field(  # type: ignore[valid-type]
        default="camera",
        description="camera: a pan or zoom over the keyframe; diffusers: image-to-video; comfyui: the server's "
        "image-to-video nodes",
    )
    model: str = Field(
        default="",
        description="diffusers: an image-to-video folder or a cached id (SVD, ...); ComfyUI: its SVD checkpoint",
    )
    base_url: str = Field(default="", description="ComfyUI: its address; empty: the image settings' address")
    device: Literal["auto", "cuda", "mps", "cpu"] = "auto"
    precision: Literal["auto", "float16", "bfloat16", "float32"] = "auto"
    steps: int = Field(default=0, ge=0, le=200, description="0: the model's own (Wan 40, SVD 25, ...)")
    guidance: float = Field(
        default=0.0, ge=0, le=30, allow_inf_nan=False, description="0: the model's own (Wan 5, LTX 3)"
    )
    frames: int = Field(
        default=0,
        ge=0,
        le=257,
        description="frames the model makes per clip; 0: as many as the scene lasts, by the model's rule",
    )
    clip_end: ClipEnd = Field(
        default="free",
        description="free: where the model takes it; next: on the next scene's keyframe; own: on the scene's end "
        "frame",
    )
    width: int = Field(default=1024, ge=32, le=4096, description="the size the model works at")
    height: int = Field(default=576, ge=32, le=4096)
    decode_chunk: int = Field(
        default=4, ge=1, le=64, description="frames decoded at once; lower needs less memory"
    )
    motion: int = Field(default=127, ge=1, le=255, description="SVD's motion bucket: more is more motion")
    offload: Offload = "none"


class SpeechSettings(_Section):
    backend: Literal[VOICES] = Field(  # type: ignore[valid-type]
        default="auto",
        description="auto: a local voice when set, else espeak-ng when installed, else silence",
    )
    voice_model: str = Field(
        default="",
        description="a local neural voice: a VITS folder (MMS-TTS) or a cached id; `models get mms-tts-eng`",
    )
    voice: str = Field(default="alloy", description="OpenAI voice, or an espeak-ng voice such as en-us")
    model: str = Field(default="gpt-4o-mini-tts", description="OpenAI speech model")
    base_url: str = Field(default="", description="OpenAI speech: a compatible server; empty: api.openai.com")
    timeout: float = Field(default=60.0, gt=0)
    words_per_second: float = Field(
        default=2.5, gt=0, le=10, description="reading speed that times silent narration"
    )


class ExportSettings(_Section):
    transition: Literal["cut", "crossfade"] = "crossfade"
    crossfade: float = Field(default=0.5, ge=0, le=5, allow_inf_nan=False, description="seconds")
    padding: float = Field(default=0.8, ge=0, le=10, description="seconds of picture around each narration")
    subtitles: Literal["file", "burn"] = Field(
        default="file", description="file: an SRT beside the video; burn: also drawn into the picture"
    )
    title_card: bool = True
    end_card: bool = True
    card_seconds: float = Field(default=3.0, gt=0, le=30)
    music: str = Field(default="", description="an audio file played under the film; it dips under speech")
    music_volume: float = Field(default=0.3, ge=0, le=1)
    quality: int = Field(default=20, ge=0, le=51, description="H.264 CRF: lower is better and bigger")
    preset: Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower"] = (
        Field(
            default="faster", description="x264 speed: slower presets make smaller files at the same quality"
        )
    )


class ComputeSettings(_Section):
    worker: Literal["process", "thread"] = Field(
        default="process",
        description="process: the models in their own process (a crash cannot take the window); thread: in the "
        "window's process, for debugging",
    )
    devices: list[str] = Field(
        default_factory=lambda: ["auto"],
        description="a worker per device: auto (every visible GPU), cpu, cuda:0, cuda:1, ...; e.g. cuda:0,cuda:1",
    )
    backend: Literal["local", "ray"] = Field(default="local", description="ray: workers are Ray actors")
    address: str = Field(default="auto", description="ray: auto, or ray://HOST:10001 of a running cluster")
    cpu_threads: int = Field(
        default=1,
        ge=1,
        le=256,
        description="torch threads of each cpu worker: fixed, so that a film is the same on one worker or several",
    )
    gpus_per_worker: float = Field(
        default=1.0,
        gt=0,
        le=8,
        description="ray: a worker's share of a GPU (0.5: two small models on one GPU)",
    )

    @field_validator("devices", mode="before")
    @classmethod
    def _split(cls, value):
        return (
            [part.strip() for part in value.split(",") if part.strip()] if isinstance(value, str) else value
        )


class Defaults(_Section):
    scenes: int = Field(default=10, ge=1, le=500)
    style: str = ""
    resolution: str = Field(default="1280x720", pattern=r"^\d{2,5}x\d{2,5}$")
    fps: Literal[24, 25, 30] = 24


LLM_PRESETS: dict[str, tuple[str, str, str]] = {
    "offline": ("Offline writer (no server)", "", ""),
    "openai": ("OpenAI", "https://api.openai.com/v1", "gpt-4o-mini"),
    "ollama": ("Ollama", "http://localhost:11434/v1", "llama3.1"),
    "lm-studio": ("LM Studio", "http://localhost:1234/v1", ""),
    "vllm": ("vLLM", "http://localhost:8000/v1", ""),
    "llama.cpp": ("llama.cpp server", "http://localhost:8080/v1", ""),
}
"""Known OpenAI-compatible servers: name -> (label, base URL, a model to start from; empty: the user's)."""


def apply_llm_preset(settings: LLMSettings, name: str) -> None:
    """Set the base URL (and a starting model where the preset has one) of a known server."""
    if name not in LLM_PRESETS:
        raise BadInput(f"there is no LLM preset '{name}'; the presets are {', '.join(LLM_PRESETS)}.")
    _, settings.base_url, model = LLM_PRESETS[name]
    if model or not settings.base_url:
        settings.model = model


class Settings(_Section):
    llm: LLMSettings = Field(default_factory=LLMSettings)
    image: ImageSettings = Field(default_factory=ImageSettings)
    monitor: MonitorSettings = Field(default_factory=MonitorSettings)
    keyframes: KeyframeSettings = Field(default_factory=KeyframeSettings)
    memory: MemorySettings = Field(default_factory=MemorySettings)
    eval: EvalSettings = Field(default_factory=EvalSettings)
    video: VideoSettings = Field(default_factory=VideoSettings)
    speech: SpeechSettings = Field(default_factory=SpeechSettings)
    export: ExportSettings = Field(default_factory=ExportSettings)
    defaults: Defaults = Field(default_factory=Defaults)
    compute: ComputeSettings = Field(default_factory=ComputeSettings)


def settings_path() -> Path:
    return config_dir() / SETTINGS_FILE


def _env_overrides() -> dict[str, dict[str, str]]:
    overrides: dict[str, dict[str, str | int]] = {}
    for section, field in Settings.model_fields.items():
        for key, inner in field.annotation.model_fields.items():  # type: ignore[union-attr]
            value = os.environ.get(f"{ENV_PREFIX}{section}_{key}".upper())
            if value is not None:
                # A choice of numbers (fps: 24, 25 or 30) is not read from text by itself, as a plain int is.
                numbers = all(isinstance(choice, int) for choice in get_args(inner.annotation) or ("",))
                number = numbers and value.strip().lstrip("-").isdigit()
                overrides.setdefault(section, {})[key] = int(value) if number else value
    return overrides


def load_settings(path: Path | None = None, *, environment: bool = True) -> Settings:
    """The settings from the file (defaults where it is silent), with environment overrides applied unless
    ``environment`` is false (as when the settings are edited and saved back)."""
    path = path or settings_path()
    data: dict = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise BadInput(f"settings file {path} is not valid TOML ({exc}); fix or delete it.") from None
    for section, values in (_env_overrides() if environment else {}).items():
        data.setdefault(section, {}).update(values)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadInput(f"setting {where} in {path} or the environment is invalid: {first['msg']}.") from None


def set_setting(settings: Settings, dotted: str, value: str) -> Settings:
    """A copy of ``settings`` with ``SECTION.KEY`` set from text; :class:`BadInput` naming what is wrong."""
    section, _, key = dotted.partition(".")
    data = settings.model_dump()
    if section not in data:
        raise BadInput(f"there is no settings section '{section}'; the sections are {', '.join(data)}.")
    if key not in data[section]:
        raise BadInput(f"there is no setting '{dotted}'; [{section}] has {', '.join(data[section])}.")
    data[section][key] = value
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise BadInput(f"setting {dotted} cannot be {value!r}: {exc.errors()[0]['msg']}.") from None


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write the settings file atomically. A server address's credentials (user info, a token in its query)
    go to the OS keyring; the file keeps the address without them."""
    import tomli_w

    data = settings.model_dump(mode="json")
    for values in data.values():
        if values.get("base_url"):
            values["base_url"] = keep_url_credentials(values["base_url"])
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, tomli_w.dumps(data))
