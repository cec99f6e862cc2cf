"""With the faces extra (dlib-bin and face_recognition_models, real weights), CSFD is a face recognition
distance, the paper's way, and the monitor compares a character's face with their sheet's."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from PIL import Image

from dreamfactory_studio.backends.vision.faces import faces_installed, installed_faces
from dreamfactory_studio.backends.vision.identity import identity_score
from dreamfactory_studio.core.model import Evaluation
from dreamfactory_studio.core.settings import Settings
from dreamfactory_studio.eval.evaluate import Evaluator, Frame

from .paths import REPO

pytestmark = pytest.mark.skipif(not faces_installed(), reason="the faces extra is not installed")
FACE = REPO / "tests" / "fixtures" / "faces" / "grace_hopper.jpg"


def panel(path, background, at, scale):
    canvas = Image.new("RGB", (640, 360), background)
    face = Image.open(FACE).convert("RGB")
    face = face.resize((int(face.width * scale), int(face.height * scale)))
    canvas.paste(face, at)
    canvas.save(path)
    return path


def test_csfd_is_computed_with_dlibs_face_descriptors_out_of_the_box(tmp_path):
    frames = [
        Frame(f"k{i}", f"Scene {i}", panel(tmp_path / f"{i}.png", colour, at, scale), "a portrait")
        for i, (colour, at, scale) in enumerate(
            [
                ((200, 200, 210), (40, 10), 0.6),
                ((90, 120, 80), (300, 20), 0.55),
                ((30, 30, 60), (200, 0), 0.65),
            ],
            1,
        )
    ]
    faceless = tmp_path / "empty.png"
    Image.new("RGB", (640, 360), (120, 160, 200)).save(faceless)
    frames.append(Frame("k4", "Scene 4", faceless, "the sky"))
    evaluation = asyncio.run(Evaluator(Settings()).sequence(frames, frames[0].image, Evaluation()))
    assert evaluation.models["faces"] == installed_faces().name
    assert [evaluation.scenes[f.key]["face"] for f in frames] == ["found", "found", "found", "none"]
    assert evaluation.overall["csfd"] > 0.9, "one person in three frames"
    assert any("no face found in Scene 4" in w for w in evaluation.warnings)


def test_the_likeness_of_a_face_to_its_sheet_is_a_face_recognition_one(tmp_path):
    frame = panel(tmp_path / "frame.png", (90, 120, 80), (300, 20), 0.55)
    sheet = panel(tmp_path / "sheet.png", (230, 230, 230), (100, 0), 0.7)
    faces = installed_faces()
    same = identity_score(frame, None, sheet, faces=faces)
    assert same > 1 - 0.6 and same == pytest.approx(faces.likeness(Image.open(frame), Image.open(sheet)))
    noise = tmp_path / "noise.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (360, 640, 3), dtype=np.uint8)).save(noise)
    assert faces.likeness(Image.open(noise), Image.open(sheet)) is None, "no face: no face likeness"
    assert 0 <= identity_score(noise, None, sheet, faces=faces) <= 1, "it falls back to the colours"
