"""`evaluate` and `compare` on tiny random CLIP, DINOv2, YuNet, Inception and I3D models saved to disk."""

from __future__ import annotations

import asyncio
import csv
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from dreamfactory_studio.cli import main
from dreamfactory_studio.core.model import Evaluation
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.settings import EvalSettings, MonitorSettings, Settings
from dreamfactory_studio.eval.evaluate import Evaluator, Frame

from .openai_server import Play
from .paths import SAMPLE_STORY
from .tiny_models import build_clip, build_dinov2, build_i3d, build_inception, build_yunet


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("weights")
    return {
        "clip_model": build_clip(root / "clip"),
        "dino_model": build_dinov2(root / "dino"),
        "face_detector": build_yunet(root / "yunet.onnx"),
        "inception": build_inception(root / "inception.pt"),
        "i3d": build_i3d(root / "i3d.pt"),
    }


@pytest.fixture
def with_weights(weights, monkeypatch):
    for key, path in weights.items():
        monkeypatch.setenv(f"DREAMFACTORY_EVAL_{key.upper()}", str(path))
    return weights


def noise(path: Path, seed: int, size=(160, 96)) -> Path:
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def video(path: Path, seed: int, frames: int = 8, flat: bool = False) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 8, (64, 64))
    rng = np.random.default_rng(seed)
    for _ in range(frames):
        if flat:
            writer.write(np.full((64, 64, 3), rng.integers(0, 256, 3), dtype=np.uint8))
        else:
            writer.write(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))
    writer.release()
    return path


def test_evaluate_scores_a_project_saves_it_and_writes_the_report(
    project_dir, with_weights, capsys, tmp_path
):
    report = tmp_path / "report.html"
    assert main(["evaluate", str(project_dir), "--json", "--report", str(report)]) == 0
    data = json.loads(capsys.readouterr().out)
    overall = data["overall"]
    assert -1 <= overall["csfd"] <= 1 and 0 < overall["cssc"] <= 1
    assert overall["cssc_style"] in data["scenes"][0]["style"] or overall["cssc_style"]
    assert -1 <= overall["clip_score"] <= 1 and 0 <= overall["clip_score_100"] <= 100
    assert overall["is"] >= 1 and -1 <= overall["base_similarity"] <= 1
    assert "--reference" in data["unavailable"]["fid"] and "export the film" in data["unavailable"]["fvd"]
    assert set(data["models"]) == {"clip", "base_similarity", "faces", "styles", "inception"}
    assert data["models"]["base_similarity"].startswith("dinov2:")
    scenes = data["scenes"]
    assert len(scenes) == 4 and scenes[0]["base_similarity"] == pytest.approx(1.0, abs=1e-4)
    assert all(s["face"] == "found" and -1 <= s["clip_score"] <= 1 for s in scenes)
    assert scenes[-1]["csfd"] is None and all(-1 <= s["csfd"] <= 1 for s in scenes[:-1])
    with ProjectFolder.open(project_dir, read_only=True) as folder:
        project = folder.load()
    assert project.evaluation is not None and project.evaluation.overall == overall
    page = report.read_text(encoding="utf-8")
    for number, scene in enumerate(project.scenes, 1):
        assert f"Scene {number}: {scene.title}" in page
    assert page.count("data:image/jpeg;base64,") == 4 and "<svg" in page and "CSFD" in page


def frames_of(paths: list[Path]) -> list[Frame]:
    return [Frame(f"k{i}", f"Scene {i}", p, "a ferry in fog") for i, p in enumerate(paths, 1)]


def test_identical_frames_score_the_top_and_unrelated_frames_score_lower(weights, tmp_path):
    settings = Settings(eval=EvalSettings(**{k: str(v) for k, v in weights.items()}))
    evaluator = Evaluator(settings)
    one = noise(tmp_path / "one.png", 1)
    same = frames_of([one] * 4)
    unrelated = frames_of([noise(tmp_path / f"n{i}.png", 10 + i) for i in range(4)])
    top = asyncio.run(evaluator.sequence(same, one, Evaluation()))
    low = asyncio.run(evaluator.sequence(unrelated, unrelated[0].image, Evaluation()))
    assert top.overall["csfd"] == pytest.approx(1.0, abs=1e-4) and low.overall["csfd"] < top.overall["csfd"]
    assert top.overall["base_similarity"] == pytest.approx(1.0, abs=1e-4)
    assert low.overall["base_similarity"] < top.overall["base_similarity"]
    assert top.overall["cssc"] == 1.0 and low.overall["cssc"] <= 1.0
    assert np.isfinite(low.overall["clip_score"])


def test_cssc_from_the_vision_model_answers(openai_server, weights, tmp_path):
    openai_server.queue("Realism", "realism.", "I would call it oil painting... no: realism", "Anime!")
    settings = Settings(
        monitor=MonitorSettings(base_url=openai_server.url, model="test-model", max_retries=0)
    )
    frames = frames_of([noise(tmp_path / f"f{i}.png", i) for i in range(4)])
    result = asyncio.run(Evaluator(settings).sequence(frames, frames[0].image, Evaluation()))
    # The third answer names oil painting first: the style named first is the class.
    assert [result.scenes[f.key]["style"] for f in frames] == ["realism", "realism", "oil painting", "anime"]
    assert result.overall["cssc"] == 0.5 and result.overall["cssc_style"] == "realism"
    assert result.models["styles"].startswith("test-model @ ")
    assert openai_server.requests[0]["messages"][1]["content"][1]["image_url"]["url"].startswith(
        "data:image/png"
    )
    # No style in the answer: asked once more; still none: unclassified, left out, and said.
    openai_server.queue("a watercolour", "still a watercolour", "anime", "anime", "anime")
    result = asyncio.run(Evaluator(settings).sequence(frames, frames[0].image, Evaluation()))
    assert result.scenes["k1"]["style"] == "unclassified" and result.overall["cssc"] == 1.0
    assert any("named none of the seven styles for 1" in w for w in result.warnings)
    # The server fails: CSSC is not computed, with the server's reason; the rest goes on.
    openai_server.queue(*[Play(status=500, error="model crashed")] * 4)
    result = asyncio.run(Evaluator(settings).sequence(frames, frames[0].image, Evaluation()))
    assert "cssc" not in result.overall and "500" in result.unavailable["cssc"]
    assert "base_similarity" in result.overall


def test_quality_of_a_folder_of_outputs_against_a_reference(with_weights, tmp_path, capsys):
    outputs, reference = tmp_path / "out", tmp_path / "ref"
    outputs.mkdir(), reference.mkdir()
    for i in range(4):
        noise(outputs / f"img{i}.png", i)
        (outputs / f"img{i}.txt").write_text("a ferry in fog")
        video(outputs / f"clip{i}.avi", i)
    shutil.copytree(outputs, reference, dirs_exist_ok=True)
    assert main(["evaluate", str(outputs), "--reference", str(reference), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    same = data["overall"]
    assert same["fid"] == pytest.approx(0, abs=1e-3) and same["fvd"] == pytest.approx(0, abs=1e-3)
    assert same["kvd"] == pytest.approx(0, abs=1e-3) and same["is"] >= 1 and "clip_score" in same
    assert any("under 50, the number says little" in w for w in data["warnings"])
    for i in range(4):  # flat colours: far from noise in any feature space
        Image.new("RGB", (96, 160), (60 * i, 200, 255 - 50 * i)).save(reference / f"img{i}.png")
        video(reference / f"clip{i}.avi", 100 + i, flat=True)
    assert main(["evaluate", str(outputs), "--reference", str(reference), "--json"]) == 0
    other = json.loads(capsys.readouterr().out)["overall"]
    assert other["fid"] > same["fid"] and other["fvd"] > same["fvd"]


def test_evaluate_without_weights_says_what_is_missing_and_how_to_set_it(
    project_dir, capsys, monkeypatch, tmp_path
):
    from dreamfactory_studio.backends.vision import faces

    monkeypatch.setattr(faces, "installed_faces", lambda: None)  # as without the faces extra
    assert main(["evaluate", str(project_dir)]) == 0
    out = capsys.readouterr().out
    assert "similarity to the Base Frame, mean over scenes:" in out
    assert "not computed, Cross-Scene Face Distance (CSFD): no YuNet face detector" in out
    assert "dreamfactory-studio[faces]" in out
    assert "--set eval.clip_model=PATH" in out and "--set eval.inception=PATH" in out
    assert "colour-and-structure descriptor" in out and "Traceback" not in out
    monkeypatch.setenv("DREAMFACTORY_EVAL_CLIP_MODEL", str(tmp_path / "nowhere"))
    monkeypatch.setenv("DREAMFACTORY_EVAL_FACE_DETECTOR", str(tmp_path / "nowhere.onnx"))
    assert main(["evaluate", str(project_dir)]) == 0
    out = capsys.readouterr().out
    assert f"no model folder at {tmp_path / 'nowhere'}" in out
    assert f"there is no YuNet face detector at {tmp_path / 'nowhere.onnx'}" in out
    assert main(["evaluate", str(project_dir), "--reference", str(tmp_path / "none")]) == 2
    assert "reference folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["evaluate", str(tmp_path / "empty")]) == 2
    assert "neither a project nor a folder of images" in capsys.readouterr().err


def test_a_project_without_keyframes_is_refused_clearly(tmp_path, capsys):
    assert main(["new", str(SAMPLE_STORY), str(tmp_path / "p")]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "p")]) == 2
    assert "has no keyframes yet" in capsys.readouterr().err


def test_compare_draws_each_story_both_ways_with_the_same_seeds(weights, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DREAMFACTORY_EVAL_CLIP_MODEL", str(weights["clip_model"]))
    monkeypatch.setenv("DREAMFACTORY_KEYFRAMES_WIDTH", "320")
    monkeypatch.setenv("DREAMFACTORY_KEYFRAMES_HEIGHT", "180")
    second = tmp_path / "lantern.txt"
    second.write_text(SAMPLE_STORY.read_text(encoding="utf-8").replace("Amara", "Lin"), encoding="utf-8")
    out = tmp_path / "cmp"
    args = ["compare", str(SAMPLE_STORY), str(second), "--out", str(out), "--scenes", "3"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "| the-last-ferry | Script + sketch renderer |" in printed
    assert "| lantern | DreamFactory + sketch renderer |" in printed and "| **mean** |" in printed
    assert "not computed: csfd:" in printed
    rows = list(csv.DictReader((out / "comparison.csv").open()))
    assert [(r["story"], r["variant"]) for r in rows] == [
        ("the-last-ferry", "script-only"),
        ("the-last-ferry", "keyframe-iteration"),
        ("lantern", "script-only"),
        ("lantern", "keyframe-iteration"),
    ]
    assert all(0 < float(r["cssc"]) <= 1 and float(r["clip_score"]) <= 1 for r in rows)
    assert (
        "| story | models | CSSC | av-CLIP | Base Frame sim. | IS |"
        not in (out / "comparison.md").read_text()
    )
    with ProjectFolder.open(out / "the-last-ferry" / "script-only", read_only=True) as folder:
        baseline = folder.load()
    with ProjectFolder.open(out / "the-last-ferry" / "keyframe-iteration", read_only=True) as folder:
        full = folder.load()
    assert baseline.base_frame is None and full.base_frame is not None
    assert [s.script for s in baseline.scenes] == [s.script for s in full.scenes]
    for plain, held in zip(baseline.scenes, full.scenes, strict=True):
        assert (
            len(plain.takes) == 1
            and plain.keyframe.references == []
            and plain.keyframe.prompt == plain.script
        )
        assert plain.keyframe.seed == held.takes[0].seed
    assert all(s.keyframe.references for s in full.scenes[1:])
    assert baseline.evaluation is not None and full.evaluation is not None
    # Run again: the projects are continued, not redrawn, and scored afresh.
    assert main(args) == 0
    with ProjectFolder.open(out / "the-last-ferry" / "script-only", read_only=True) as folder:
        assert [len(s.takes) for s in folder.load().scenes] == [1, 1, 1]


def test_a_drifting_scene_gets_a_badge_on_its_card_until_its_keyframe_changes(project_dir, monkeypatch):
    from dreamfactory_studio.app.timeline_view import Card, badges

    monkeypatch.setenv("DREAMFACTORY_EVAL_DRIFT_THRESHOLD", "0.99")
    assert main(["evaluate", str(project_dir)]) == 0
    with ProjectFolder.open(project_dir, read_only=True) as folder:
        project = folder.load()
    evaluation, first, second = project.evaluation, project.scenes[0], project.scenes[1]
    similarity = evaluation.scenes[second.id]["base_similarity"]
    assert similarity < 0.99 and evaluation.drift(second.id, second.keyframe.image) == similarity
    assert evaluation.drift(first.id, first.keyframe.image) is None  # the Base Frame's own scene
    assert evaluation.drift(second.id, "assets/a-new-take.png") is None
    card = Card(
        2, second, None, "ready", None, False, drift=evaluation.drift(second.id, second.keyframe.image)
    )
    assert (f"drift {similarity:.2f}", "#b3261e") in badges(card)
