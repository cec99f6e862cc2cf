"""The sample project that a fresh install opens on."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

from dreamfactory_studio.core.new_project import new_project
from dreamfactory_studio.core.paths import data_dir, sample_story
from dreamfactory_studio.core.project_folder import is_project
from dreamfactory_studio.core.settings import Settings
from dreamfactory_studio.production.run_plan import RunRequest
from dreamfactory_studio.workspace.workspace import Workspace


def sample_project() -> Path:
    """The sample project in the user data folder: made from the shipped story on first use, and produced with
    the offline backends (offline writer, sketch renderer, offline monitor), whatever the user's settings.

    It is made in a folder beside its place and moved there whole when it is done, so a studio stopped while
    making it leaves no half-made sample behind to open: the next start makes it again."""
    folder = data_dir() / "samples" / sample_story().stem
    if not is_project(folder):
        for left in folder.parent.glob(f".{folder.name}.making-*"):
            if not _alive(left.name.rsplit("-", 1)[-1]):  # a maker that stopped half-way
                shutil.rmtree(left, ignore_errors=True)
        making = folder.with_name(f".{folder.name}.making-{os.getpid()}")
        shutil.rmtree(making, ignore_errors=True)
        with Workspace(new_project(sample_story(), making, scenes=10), settings=Settings()) as made:
            asyncio.run(made.run(RunRequest()))
        if folder.exists():  # an empty or damaged leftover, not a project
            shutil.rmtree(folder)
        os.replace(making, folder)
    return folder


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True
