"""The status bar's words for the settings in force."""

from __future__ import annotations

from pathlib import Path

from dreamfactory_studio.core.secrets import public_url
from dreamfactory_studio.core.settings import Settings


def backends_line(settings: Settings) -> str:
    """The status bar's line naming the active LLM and image backends."""
    llm = (
        f"{settings.llm.model or '?'} @ {public_url(settings.llm.base_url)}"
        if settings.llm.base_url
        else "offline writer"
    )
    image = settings.image
    if image.backend == "diffusers":
        painter = f"diffusers {Path(image.model).name or image.model or '(no model set)'} on {image.device}"
    elif image.backend == "openai":
        painter = f"OpenAI images {image.model or ''}".strip()
    elif image.backend == "comfyui":
        painter = f"ComfyUI {image.model or ''} @ {public_url(image.base_url or 'http://127.0.0.1:8188')}"
    else:
        painter = "sketch renderer"
    monitor = (
        f"{settings.monitor.model} @ {public_url(settings.monitor.base_url)}"
        if settings.monitor.base_url
        else "offline describer"
    )
    compute = settings.compute
    if compute.backend == "ray":
        workers = f"Ray {compute.address}"
    elif compute.worker == "thread":
        workers = "in-process thread"
    else:
        workers = ", ".join(compute.devices)
    return f"LLM: {llm}   ·   Images: {painter}   ·   Monitor: {monitor}   ·   Workers: {workers}"
