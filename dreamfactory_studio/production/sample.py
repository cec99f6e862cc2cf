"""The sample project that a fresh install opens on."""

from __future__ import annotations

import asyncio
from pathlib import Path

from dreamfactory_studio.core.new_project import new_project
from dreamfactory_studio.core.paths import data_dir, sample_story
from dreamfactory_studio.core.project_folder import is_project
from dreamfactory_studio.core.settings import Settings
from dreamfactory_studio.production.chain_runner import Production


def sample_project() -> Path:
    """The sample project in the user data folder: made from the shipped story on first use, and produced with
    the offline backends (offline writer, sketch renderer, offline monitor), whatever the user's settings."""
    folder = data_dir() / "samples" / sample_story().stem
    if not is_project(folder):
        with new_project(sample_story(), folder, scenes=10) as made:
            production = Production.from_settings(made, made.load(), Settings())
            try:
                asyncio.run(production.run())
            finally:
                production.worker.shutdown()
    return folder
