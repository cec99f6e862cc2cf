"""The sample project that a fresh install opens on."""

from __future__ import annotations

import asyncio
from pathlib import Path

from dreamfactory_studio.core.new_project import new_project
from dreamfactory_studio.core.paths import data_dir, sample_story
from dreamfactory_studio.core.project_folder import is_project
from dreamfactory_studio.core.settings import Settings
from dreamfactory_studio.production.run_plan import RunRequest
from dreamfactory_studio.workspace.workspace import Workspace


def sample_project() -> Path:
    """The sample project in the user data folder: made from the shipped story on first use, and produced with
    the offline backends (offline writer, sketch renderer, offline monitor), whatever the user's settings."""
    folder = data_dir() / "samples" / sample_story().stem
    if not is_project(folder):
        with Workspace(new_project(sample_story(), folder, scenes=10), settings=Settings()) as made:
            asyncio.run(made.run(RunRequest()))
    return folder
