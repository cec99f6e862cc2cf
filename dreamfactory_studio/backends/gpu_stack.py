"""Whether the GPU stack (torch, diffusers, transformers) is installed, asked before a backend imports it.

The packaged app leaves the stack out (it would triple its size, and a GPU needs the torch build for its own
CUDA); the pip-installed studio has it. A backend that needs it says so in one clear message.
"""

from __future__ import annotations

import importlib.util

from dreamfactory_studio.core.errors import BackendError

GPU_STACK = ("torch", "diffusers", "transformers")


def require_gpu_stack(what: str) -> None:
    """Raise :class:`BackendError` when a part of the stack is missing; ``what`` names who needs it."""
    missing = [name for name in GPU_STACK if importlib.util.find_spec(name) is None]
    if missing:
        raise BackendError(
            f"{what} needs {', '.join(missing)}, which this installation of DreamFactory Studio does not have "
            "(the packaged app leaves the GPU stack out). Install the studio with pip in Python 3.11 or newer, "
            "with the torch build for your GPU (see the README), or choose the sketch renderer, the camera move "
            "and the built-in image memory in the settings."
        )
