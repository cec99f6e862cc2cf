"""The GPU stack (torch, diffusers, transformers): whether it is there, and the managed folder it goes into.

The pip-installed studio has the stack among its dependencies. The packaged app leaves it out (it would triple
the app's size, and a GPU wants the torch build for its own CUDA): ``dreamfactory-studio gpu-stack install``
puts it into a folder of the user's data folder, one per Python version, with the pip the app carries. A backend
that needs the stack asks :func:`require_gpu_stack` first, which puts that folder on the import path.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import re
import shutil
import sys
from pathlib import Path

from dreamfactory_studio.core.errors import BackendError
from dreamfactory_studio.core.paths import APP_NAME, data_dir

GPU_STACK = ("torch", "diffusers", "transformers")
# What the diffusers backends import, as named in the package's requirements.
_DISTRIBUTIONS = ("torch", "diffusers", "transformers", "accelerate", "safetensors", "peft", "ftfy")


def managed_dir() -> Path:
    """The folder ``gpu-stack install`` fills: packages for this Python's version only."""
    return data_dir() / "gpu-stack" / f"python{sys.version_info.major}.{sys.version_info.minor}"


def use_managed_stack() -> bool:
    """Put the managed folder first on the import path; True when it is there.

    First, because the packaged app carries parts of some packages the stack needs whole (PyInstaller keeps only
    the modules the studio itself imports); what is already imported stays as it is.
    """
    folder = managed_dir()
    if not folder.is_dir():
        return False
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
        importlib.invalidate_caches()
    return True


def missing_parts() -> list[str]:
    """The parts of the stack that cannot be imported, looking in the managed folder too."""
    use_managed_stack()
    return [name for name in GPU_STACK if importlib.util.find_spec(name) is None]


def require_gpu_stack(what: str) -> None:
    """Raise :class:`BackendError` when a part of the stack is missing; ``what`` names who needs it. Every model
    load passes here first, so transformers' console notices (such as its fallback from torchvision, three
    lines a command) are turned down here, before it is imported."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    missing = missing_parts()
    if missing:
        raise BackendError(
            f"{what} needs {', '.join(missing)}, which this installation of DreamFactory Studio does not have "
            "(the packaged app leaves the GPU stack out). Install it once with "
            f"`{APP_NAME} gpu-stack install` (add --torch and --torch-index for your GPU's torch build; see "
            "packaging/README.md), or choose the sketch renderer, the camera move and the built-in image "
            "memory in the settings."
        )


def installed_versions() -> dict[str, str | None]:
    """The version of each part of the stack this studio would import, or None where it is missing."""
    use_managed_stack()
    versions: dict[str, str | None] = {}
    for name in _DISTRIBUTIONS:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def requirements(torch: str | None = None) -> list[str]:
    """The stack's requirements as the studio's own package states them; ``torch`` replaces torch's."""
    try:
        declared = importlib.metadata.requires(APP_NAME) or []
    except importlib.metadata.PackageNotFoundError as error:
        raise BackendError(
            "This copy of DreamFactory Studio carries no package metadata, so it cannot tell which GPU stack "
            "it needs; reinstall it with pip or rebuild the app with packaging/build_app.sh."
        ) from error
    wanted = []
    for requirement in declared:
        name = re.match(r"[A-Za-z0-9_.-]+", requirement)
        if name and name.group(0).lower() in _DISTRIBUTIONS and "extra ==" not in requirement:
            wanted.append(torch if torch and name.group(0).lower() == "torch" else requirement)
    return wanted


def install_command(target: Path, torch: str | None = None, torch_index: str | None = None) -> list[str]:
    """The pip command that installs the stack into ``target``: wheels only, nothing to compile.

    In the packaged app ``sys.executable`` is the app, whose launcher runs its own pip for ``-m pip``.
    """
    command = [sys.executable, "-m", "pip", "install", "--target", str(target), "--only-binary", ":all:"]
    command += ["--disable-pip-version-check", "--no-input", "--progress-bar", "off", "--no-warn-conflicts"]
    command += ["--root-user-action", "ignore"]
    if torch_index:
        # torch's own index has torch and its dependencies; the rest comes from the usual index.
        command += ["--extra-index-url", torch_index]
    return command + requirements(torch)


def install(torch: str | None = None, torch_index: str | None = None) -> Path:
    """Install the stack with pip (its output goes to this process's) and return the managed folder.

    pip writes into a staging folder beside the managed one, which replaces it only when pip succeeded: a
    failed or interrupted install leaves the stack that was there.
    """
    import subprocess

    folder = managed_dir()
    staging = folder.with_name(folder.name + ".installing")
    shutil.rmtree(staging, ignore_errors=True)
    staging.parent.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(install_command(staging, torch, torch_index)).returncode == 0
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if not done:
        shutil.rmtree(staging, ignore_errors=True)
        raise BackendError(
            "pip could not install the GPU stack (its message is above); nothing was changed. Check the "
            "network, or give a torch build for your GPU with --torch and --torch-index."
        )
    old = folder.with_name(folder.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    staging.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return folder


def remove_managed_stack() -> bool:
    """Delete the managed folder; True when there was one."""
    folder = managed_dir()
    if not folder.exists():
        return False
    shutil.rmtree(folder)
    return True
