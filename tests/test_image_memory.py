"""The image memory with the built-in descriptor and with a local CLIP model (tiny, random, saved to disk)."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest
from PIL import Image

from dreamfactory_studio.backends.backend_set import Backends
from dreamfactory_studio.backends.vision.clip_embedder import ClipEmbedder
from dreamfactory_studio.core.errors import BackendError
from dreamfactory_studio.core.model import Project
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.settings import KeyframeSettings, MemorySettings, Settings
from dreamfactory_studio.production.image_memory import ImageMemory
from dreamfactory_studio.production.run import Production

from .paths import STORIES
from .tiny_models import build_clip


@pytest.fixture
def folder(tmp_path):
    with ProjectFolder.create(tmp_path / "p", Project(title="t", story="s")) as folder:
        yield folder


def frames(folder, colours):
    assets = []
    for colour in colours:
        image = Image.new("RGB", (64, 36), colour)
        Image.Image.paste(image, Image.new("RGB", (20, 20), (255 - colour[0], 40, 200)), (10, 8))
        path = folder.root / "tmp.png"
        image.save(path)
        assets.append(folder.add_asset(path.read_bytes(), ".png"))
    return assets


@pytest.mark.parametrize("with_clip", [False, True])
def test_nearest_frames_by_image_and_by_text(folder, tmp_path, with_clip):
    embedder = ClipEmbedder(build_clip(tmp_path / "clip")) if with_clip else None
    memory = ImageMemory(folder, embedder)
    red, blue, also_red = frames(folder, [(220, 30, 30), (30, 30, 220), (210, 40, 35)])
    memory.add(red, "s1", "Amara at the wheel of the ferry in fog")
    memory.add(blue, "s2", "the dog barks on the far bank")
    memory.add(also_red, "s3", "Amara steers toward the barking")
    assert len(memory) == 3
    nearest = memory.nearest(image=folder.asset_path(red), among={red, blue, also_red}, k=3)
    assert nearest[0][0] == red and nearest[0][1] == pytest.approx(1.0, abs=1e-4)
    by_text = memory.nearest(text="the dog barks", among={red, blue, also_red}, k=1)
    assert len(by_text) == 1 and np.isfinite(by_text[0][1])
    if not with_clip:
        assert by_text[0][0] == blue, "shared words find the frame described by them"
        assert memory.similarity(folder.asset_path(also_red), red) > memory.similarity(
            folder.asset_path(blue), red
        )
    reloaded = ImageMemory(folder, embedder)
    assert len(reloaded) == 3 and np.allclose(reloaded.vectors, memory.vectors)
    kind = json.loads((folder.root / "memory" / "index.json").read_text())["descriptor"]
    assert kind == ("clip:clip" if with_clip else "hsv-hist-8x4x4+gray-16x9")
    assert len(ImageMemory(folder, None)) == (0 if with_clip else 3), "another embedding starts afresh"


def test_a_keyframe_run_with_a_local_clip_model(tmp_path):
    clip = build_clip(tmp_path / "clip")
    settings = Settings(
        memory=MemorySettings(clip_model=str(clip)), keyframes=KeyframeSettings(width=160, height=90)
    )
    story = (STORIES / "robot-garden.txt").read_text()
    with ProjectFolder.create(
        tmp_path / "p", Project(title="t", story=story, request={"scenes": 3})
    ) as folder:
        made = Production(folder, folder.load(), Backends(settings))
        asyncio.run(made.run())
        made.backends.close()
        index = json.loads((folder.root / "memory" / "index.json").read_text())
    assert index["descriptor"] == "clip:clip" and len(index["entries"]) == 3


def test_a_missing_clip_model_is_explained(tmp_path):
    with pytest.raises(BackendError, match="no CLIP model at"):
        ClipEmbedder(tmp_path / "nowhere")
