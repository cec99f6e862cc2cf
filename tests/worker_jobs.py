"""Jobs for the worker tests (tests/test_workers.py and tests/ray_cases.py): a take with the tiny SD 1.5 and a
project's clips with the tiny SVD, on a given worker or pool."""

from __future__ import annotations

import asyncio

import numpy as np

from dreamfactory_studio.backends.image import ImageRequest
from dreamfactory_studio.backends.image.diffusers_backend import DiffusersBackend
from dreamfactory_studio.core.settings import ImageSettings, VideoSettings


def painter(path) -> DiffusersBackend:
    return DiffusersBackend(ImageSettings(backend="diffusers", model=str(path), device="cpu"))


def request(seed=5, steps=3) -> ImageRequest:
    return ImageRequest(prompt="a ferry in fog", seed=seed, width=64, height=64, steps=steps)


def pixels(drawn) -> np.ndarray:
    return np.asarray(drawn.image)


def clip_settings(model, frames: int = 3) -> VideoSettings:
    return VideoSettings(
        backend="diffusers", model=str(model), width=64, height=32, frames=frames, steps=2, decode_chunk=2
    )


def export_clips(made, target, pool, svd, clip_end: str = "free", frames: int = 3) -> list:
    """Render the project's clips with a tiny video model (SVD, or another with ``clip_end``) on ``pool``; the
    clips' frames in scene order."""
    from dreamfactory_studio.backends.speech import Silence
    from dreamfactory_studio.backends.video.diffusers_video import DiffusersVideo
    from dreamfactory_studio.core.project_folder import ProjectFolder
    from dreamfactory_studio.core.settings import ExportSettings
    from dreamfactory_studio.export.film import FilmFormat, FilmMaker

    from .film_projects import copy_project, probe

    with ProjectFolder.open(copy_project(made, target)) as folder:
        project = folder.load()
        maker = FilmMaker(
            folder,
            project,
            speech=Silence(),
            video=DiffusersVideo(clip_settings(svd, frames)),
            clip_end=clip_end,
            worker=pool,
            settings=ExportSettings(),
            film_format=FilmFormat(96, 54, 12),
        )
        asyncio.run(maker.render_clips())
        return [probe(folder.asset_path(s.clip.video))["frames"] for s in project.scenes]
