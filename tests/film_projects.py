"""Projects with keyframes, made once per test module by the real offline production, copied for each test; and
what ffmpeg finds in a film made from them."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from dreamfactory_studio.core.model import Project
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.settings import ExportSettings, KeyframeSettings, Settings, SpeechSettings
from dreamfactory_studio.production.run_plan import RunRequest
from dreamfactory_studio.workspace import Workspace

from .paths import SAMPLE_STORY

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
        with Workspace(ProjectFolder.create(root, project), settings=small_settings()) as workspace:
            asyncio.run(workspace.run(RunRequest()))
    return root


def copy_project(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.lock", ".lock"))
    return target


def probe(path: Path) -> dict:
    """What ffmpeg says the file holds, and every frame decoded."""
    import imageio_ffmpeg

    info = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True
    ).stderr
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    width, height = meta["size"]
    frames = np.stack([np.frombuffer(f, np.uint8).reshape(height, width, 3) for f in reader])
    return {"info": info, "meta": meta, "frames": frames}
