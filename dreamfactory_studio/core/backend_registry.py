"""Every backend the studio can use, declared once: its kind and name (the value in the settings), what the
studio calls it, where it is made and from which settings, and what it can do.

The settings' allowed values, the command line's choices, the settings dialog's lists, the status line's words
and the workers' routing (``uses_gpu``) are all read from here; ``backends/backend_set.py`` makes each one from
its ``factory``. A new backend is one :class:`Backend` here and its class in ``backends/``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from dreamfactory_studio.core.secrets import public_url

Kind = Literal["painter", "video", "speech", "llm", "monitor"]

COMFYUI_URL = "http://127.0.0.1:8188"


@dataclass(frozen=True)
class Backend:
    kind: Kind
    name: str
    """The value that chooses it (``[image] backend = "diffusers"``)."""
    label: str
    """What the studio calls it, in the settings dialog and in messages."""
    factory: str
    """``module:callable`` in ``dreamfactory_studio.backends`` that makes it (empty: resolved to another one)."""
    takes: tuple[str, ...]
    """The settings sections the factory is given, in order (``("video", "image")``); none: no arguments."""
    uses_gpu: bool
    """Whether it runs a model of ours, on a worker's device (else it runs beside the workers, in-process)."""
    words: Callable[[Any], str]
    """The status line's words for it, from its settings section."""


def _model_name(section) -> str:
    return Path(section.model).name or section.model or "(no model set)"


BACKENDS: tuple[Backend, ...] = (
    Backend(
        "painter", "sketch", "sketch renderer", "image.sketch:SketchRenderer", (), False,
        lambda s: "sketch renderer",
    ),
    Backend(
        "painter", "diffusers", "diffusers (a local model)", "image.diffusers_backend:DiffusersBackend",
        ("image",), True, lambda s: f"diffusers {_model_name(s)} on {s.device}",
    ),
    Backend(
        "painter", "openai", "OpenAI images (or a compatible server)", "image.openai_images:OpenAIImages",
        ("image",), False, lambda s: f"OpenAI images {s.model or ''}".strip(),
    ),
    Backend(
        "painter", "comfyui", "ComfyUI (a server)", "comfyui.painter:ComfyUIPainter", ("image",), False,
        lambda s: f"ComfyUI {s.model or ''} @ {public_url(s.base_url or COMFYUI_URL)}",
    ),
    Backend(
        "video", "camera", "camera move over the keyframe", "video.camera_move:CameraMove", (), False,
        lambda s: "camera move",
    ),
    Backend(
        "video", "diffusers", "diffusers image-to-video (a local model)", "video.diffusers_video:DiffusersVideo",
        ("video",), True, lambda s: f"diffusers {_model_name(s)} on {s.device}",
    ),
    Backend(
        "video", "comfyui", "ComfyUI image-to-video (a server)", "comfyui.painter:ComfyUIVideo",
        ("video", "image"), False, lambda s: f"ComfyUI {s.model or ''}".strip(),
    ),
    Backend(
        "speech", "auto", "a local voice when set, else espeak-ng when installed, else silence", "", (), False,
        lambda s: "auto",
    ),
    Backend(
        "speech", "local", "a local neural voice (VITS, such as MMS-TTS)", "speech.local_voice:LocalVoice",
        ("speech",), False, lambda s: f"local voice {Path(s.voice_model).name or '(none set)'}",
    ),
    Backend(
        "speech", "openai", "OpenAI speech (or a compatible server)", "speech.openai_tts:OpenAISpeech",
        ("speech",), False, lambda s: f"OpenAI speech {s.model or ''}".strip(),
    ),
    Backend(
        "speech", "espeak", "espeak-ng (installed on this machine)", "speech.espeak:EspeakSpeech",
        ("speech",), False, lambda s: "espeak-ng",
    ),
    Backend("speech", "silence", "silence (subtitles only)", "speech:Silence", (), False, lambda s: "silence"),
    Backend(
        "llm", "offline", "offline writer", "llm.offline_writer:OfflineWriter", (), False,
        lambda s: "offline writer",
    ),
    Backend(
        "llm", "server", "an OpenAI-compatible server", "llm.openai_compatible:OpenAICompatibleLLM", ("llm",),
        False, lambda s: f"{s.model or '?'} @ {public_url(s.base_url)}",
    ),
    Backend(
        "monitor", "offline", "offline describer", "vision.offline_describer:OfflineDescriber", (), False,
        lambda s: "offline describer",
    ),
    Backend(
        "monitor", "server", "an OpenAI-compatible vision server", "vision.openai_vision:OpenAIVisionMonitor",
        ("monitor",), False, lambda s: f"{s.model} @ {public_url(s.base_url)}",
    ),
)  # fmt: skip


def names(kind: Kind) -> tuple[str, ...]:
    """The names a setting of ``kind`` may take, in the order the studio offers them."""
    return tuple(b.name for b in BACKENDS if b.kind == kind)


def backend(kind: Kind, name: str) -> Backend:
    """The entry of ``kind`` called ``name``; :class:`KeyError` for one the studio does not have."""
    for entry in BACKENDS:
        if entry.kind == kind and entry.name == name:
            return entry
    raise KeyError(f"{kind} {name}")


def uses_gpu(made: object) -> bool:
    """Whether a backend object runs a model of ours (so it goes to a worker's device): the entry of its class,
    or of the nearest class it derives from, says so; one the registry does not know at all (a plug-in) says so
    itself with a ``uses_gpu`` attribute, else is taken to."""
    for kind in type(made).__mro__:
        where = f"{kind.__module__.removeprefix('dreamfactory_studio.backends.')}:{kind.__qualname__}"
        entry = next((b for b in BACKENDS if b.factory == where), None)
        if entry is not None:
            return entry.uses_gpu
    return getattr(made, "uses_gpu", True)


def chosen(kind: Kind, section) -> Backend:
    """The entry a settings section chooses: by its ``backend`` where it has one, else by whether a server
    is set (the LLM and the monitor)."""
    if hasattr(section, "backend"):
        return backend(kind, section.backend)
    served = bool(section.base_url) and (kind != "monitor" or bool(section.model))
    return backend(kind, "server" if served else "offline")
