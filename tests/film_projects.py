"""Projects with keyframes, made once per test module by the real offline production, copied for each test."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from dreamfactory_studio.core.model import Project
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.settings import ExportSettings, KeyframeSettings, Settings, SpeechSettings
from dreamfactory_studio.production.chain_runner import Production

from .conftest import SAMPLE_STORY

SMALL = "320x180"


def small_settings(**export) -> Settings:
    """Offline settings that make small frames and speak nothing (timed silence)."""
    return Settings(
        keyframes=KeyframeSettings(width=320, height=180),
        speech=SpeechSettings(backend="silence"),
        export=ExportSettings(**export),
        defaults={"resolution": SMALL},
    )


def make_project(root: Path, scenes: int = 3) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DREAMFACTORY_CONFIG_DIR", str(root.parent / "config"))
        project = Project(title="The Last Ferry", story=SAMPLE_STORY.read_text(), request={"scenes": scenes})
        with ProjectFolder.create(root, project) as folder:
            production = Production.from_settings(folder, folder.load(), small_settings())
            try:
                asyncio.run(production.run())
            finally:
                production.worker.shutdown()
    return root


def copy_project(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.lock", ".lock"))
    return target
