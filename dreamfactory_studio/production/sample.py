"""The sample project that a fresh install opens on."""

from __future__ import annotations

from pathlib import Path

from dreamfactory_studio.core.new_project import new_project
from dreamfactory_studio.core.paths import data_dir, sample_story
from dreamfactory_studio.core.project_folder import is_project


def sample_project() -> Path:
    """The sample project's folder in the user data folder, made from the shipped sample story if missing."""
    folder = data_dir() / "samples" / sample_story().stem
    if not is_project(folder):
        new_project(sample_story(), folder, scenes=10).close()
    return folder
