"""The sample project that a fresh install opens on."""

from __future__ import annotations

import asyncio
from pathlib import Path

from dreamfactory_studio.backends.llm.offline_writer import OfflineWriter
from dreamfactory_studio.core.new_project import new_project
from dreamfactory_studio.core.paths import data_dir, sample_story
from dreamfactory_studio.core.project_folder import is_project
from dreamfactory_studio.production.chain_runner import Production


def sample_project() -> Path:
    """The sample project in the user data folder: made from the shipped story on first use, and taken through
    the text phases by the offline writer (no network, no model)."""
    folder = data_dir() / "samples" / sample_story().stem
    if not is_project(folder):
        with new_project(sample_story(), folder, scenes=10) as made:
            asyncio.run(Production(made, made.load(), OfflineWriter()).run(until="script"))
    return folder
