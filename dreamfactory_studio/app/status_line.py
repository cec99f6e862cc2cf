"""The status bar's words for the settings in force."""

from __future__ import annotations

from dreamfactory_studio.core.backend_registry import chosen
from dreamfactory_studio.core.settings import Settings


def backends_line(settings: Settings) -> str:
    """The status bar's line naming the active LLM, image and monitor backends and the workers."""
    llm = chosen("llm", settings.llm).words(settings.llm)
    painter = chosen("painter", settings.image).words(settings.image)
    monitor = chosen("monitor", settings.monitor).words(settings.monitor)
    compute = settings.compute
    if compute.backend == "ray":
        workers = f"Ray {compute.address}"
    elif compute.worker == "thread":
        workers = "in-process thread"
    else:
        workers = ", ".join(compute.devices)
    return f"LLM: {llm}   ·   Images: {painter}   ·   Monitor: {monitor}   ·   Workers: {workers}"
