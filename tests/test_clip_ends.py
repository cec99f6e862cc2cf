"""Clips between keyframes (issue 31): first-and-last-frame video models end a clip where the storyboard says (on
the next keyframe, or on the scene's own end frame), at the family's frame rule and rate, and the cache remakes
exactly the clips whose end changed."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from PIL import Image

from dreamfactory_studio.backends.video.video_families import (
    VIDEO_FAMILIES,
    read_video_family,
    video_family_of,
)
from dreamfactory_studio.cli import main
from dreamfactory_studio.core.project_folder import ProjectFolder

from .film_projects import probe


@pytest.fixture(scope="session")
def wan_flf2v(tmp_path_factory):
    from .tiny_video_families import build_wan

    return build_wan(tmp_path_factory.mktemp("video") / "wan2.1-flf2v")


@pytest.fixture(scope="session")
def ltx(tmp_path_factory):
    from .tiny_video_families import build_ltx_condition

    return build_ltx_condition(tmp_path_factory.mktemp("video") / "ltx-video")


@pytest.fixture
def small_clips(monkeypatch):
    for key, value in (("VIDEO_WIDTH", "32"), ("VIDEO_HEIGHT", "32"), ("VIDEO_STEPS", "2")):
        monkeypatch.setenv(f"DREAMFACTORY_{key}", value)
    monkeypatch.setenv("DREAMFACTORY_COMPUTE_WORKER", "thread")  # the spies below see the pipeline's calls
    monkeypatch.setenv("DREAMFACTORY_DEFAULTS_RESOLUTION", "96x54")
    monkeypatch.setenv("DREAMFACTORY_DEFAULTS_FPS", "24")


def spy_on(cls, monkeypatch) -> list[dict]:
    calls = []
    real = cls.__call__

    @functools.wraps(real)
    def spy(self, *args, **kwargs):
        calls.append(kwargs)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(cls, "__call__", spy)
    return calls


def keyframes(project_dir) -> list[np.ndarray]:
    with ProjectFolder.open(project_dir, read_only=True) as folder:
        project = folder.load()
        return [
            np.asarray(Image.open(folder.asset_path(s.keyframe.image)).convert("RGB")) for s in project.scenes
        ]


def looks_like(picture, keyframe: np.ndarray) -> bool:
    """Whether a picture the pipeline was given is that keyframe, scaled to the model's size."""
    from dreamfactory_studio.backends.video.camera_move import cover

    cropped = cover(keyframe, *picture.size)  # the model's aspect, from the middle, as the backend crops it
    small = np.asarray(Image.fromarray(cropped).resize(picture.size), dtype=float)
    return float(np.abs(np.asarray(picture, dtype=float) - small).mean()) < 12


def test_each_familys_frame_rule_and_segments():
    wan, ltx_family = video_family_of("WanImageToVideoPipeline"), video_family_of("LTXConditionPipeline")
    assert [wan.frames_for(s) for s in (0.1, 1.0, 2.5, 5.0, 9.0)] == [5, 17, 41, 81, 81]
    assert [ltx_family.frames_for(s) for s in (1.0, 4.0, 20.0)] == [25, 97, 257]
    assert all((wan.frames_for(s / 7) - 1) % 4 == 0 for s in range(1, 100))
    svd = video_family_of("StableVideoDiffusionPipeline")
    assert svd.frames_for(3.0, fixed=14) == 14 and svd.frames_for(3.0) == 25
    assert all(f.fps > 0 and f.max_frames >= 25 for f in VIDEO_FAMILIES)


def test_a_scene_longer_than_the_models_longest_clip_is_made_of_chained_segments(wan_flf2v):
    from dataclasses import replace

    from dreamfactory_studio.backends.video.diffusers_video import DiffusersVideo
    from dreamfactory_studio.core.settings import VideoSettings

    made = DiffusersVideo(VideoSettings(backend="diffusers", model=str(wan_flf2v)))
    made.found = read_video_family(wan_flf2v)
    assert made.segments(3.0) == [49]
    assert made.segments(12.0) == [81], "FLF2V needs a last frame for every clip: one clip, spread"
    made.found = replace(made.found, last_frame="optional")  # as Wan 2.2 I2V A14B
    counts = made.segments(12.0)  # 192 frames at 16 fps: more than the 81 of one clip
    assert all(c <= 81 and (c - 1) % 4 == 0 for c in counts) and len(counts) == 3
    assert sum(counts) - (len(counts) - 1) == pytest.approx(12.0 * 16, abs=4)


def test_wan_flf2v_ends_every_clip_on_the_next_keyframe(
    project_dir, wan_flf2v, small_clips, monkeypatch, tmp_path
):
    from diffusers import WanImageToVideoPipeline

    calls = spy_on(WanImageToVideoPipeline, monkeypatch)
    film = tmp_path / "film.mp4"
    argv = [
        "export",
        str(project_dir),
        str(film),
        "--video-backend",
        "diffusers",
        "--video-model",
        str(wan_flf2v),
    ]
    assert main([*argv, "--clip-end", "next", "--timeline", str(tmp_path / "cut.otio")]) == 0
    frames = keyframes(project_dir)
    assert len(calls) == len(frames)
    for number, call in enumerate(calls[:-1]):
        assert looks_like(call["image"], frames[number]) and looks_like(
            call["last_image"], frames[number + 1]
        )
        assert (call["num_frames"] - 1) % 4 == 0 and call["num_frames"] <= 81
    assert looks_like(calls[-1]["last_image"], frames[-1]), "the last scene holds on its own keyframe"
    with ProjectFolder.open(project_dir, read_only=True) as folder:
        project = folder.load()
        ends = [scene.clip.ends_on for scene in project.scenes]
        # the last scene was asked for no end (nothing follows it); the model held on its keyframe, and said so
        assert ends == [scene.keyframe.image for scene in project.scenes[1:]] + [""]
    # The film has exactly the edit's frames.
    import opentimelineio as otio

    timeline = otio.adapters.read_from_file(str(tmp_path / "cut.otio"))
    assert len(probe(film)["frames"]) == round(timeline.duration().to_frames())


def test_the_cache_remakes_exactly_the_clips_whose_end_changed(project_dir, wan_flf2v, small_clips, capsys):
    argv = ["export", str(project_dir), "--timeline", str(project_dir / "cut.otio")]
    argv += ["--video-backend", "diffusers", "--video-model", str(wan_flf2v), "--clip-end", "next"]
    assert main(argv) == 0
    capsys.readouterr()
    assert (
        main(["take", str(project_dir), "--scene", "3", "--redraw", "0.1,0.1,0.6,0.9"]) == 0
    )  # a new keyframe
    capsys.readouterr()
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "rendered 2 clip(s)" in out, out  # scene 3's own clip, and scene 2's, which ends on it


def test_ltx_ends_a_clip_on_the_scenes_own_end_frame(
    project_dir, ltx, small_clips, monkeypatch, tmp_path, capsys
):
    from diffusers import LTXConditionPipeline

    end = tmp_path / "end.png"
    Image.new("RGB", (96, 54), (250, 250, 20)).save(end)
    assert main(["pin", str(project_dir), "--scene", "2", "--end-frame", "--image", str(end)]) == 0
    for number in range(1, len(keyframes(project_dir)) + 1):  # each clip in one go (LTX: 257 frames at most)
        assert main(["edit", str(project_dir), "--scene", str(number), "--duration", "3"]) == 0
    calls = spy_on(LTXConditionPipeline, monkeypatch)
    argv = ["export", str(project_dir), "--timeline", str(tmp_path / "cut.otio"), "--clip-end", "own"]
    assert main([*argv, "--video-backend", "diffusers", "--video-model", str(ltx)]) == 0, (
        capsys.readouterr().err
    )
    frames = keyframes(project_dir)
    ended = [c for c in calls if c.get("conditions")]
    (call,) = ended  # only scene 2 has an end frame; the others end free
    first, last = call["conditions"]
    assert (first.frame_index, last.frame_index) == (0, call["num_frames"] - 1)
    assert looks_like(first.image, frames[1]) and looks_like(last.image, np.asarray(Image.open(end)))
    assert (call["num_frames"] - 1) % 8 == 0
    free = [c for c in calls if not c.get("conditions")]
    assert len(free) == len(frames) - 1 and all("last_image" not in c for c in free)
    with ProjectFolder.open(project_dir, read_only=True) as folder:
        project = folder.load()
        scene = project.scenes[1]
        assert scene.clip_end == "own" and scene.clip.ends_on == scene.take(scene.end_frame).image
        assert scene.keyframe.id != scene.end_frame, "the end frame did not become the keyframe"


def test_a_model_that_cannot_end_on_a_frame_says_so_once(project_dir, small_clips, tmp_path, capsys):
    argv = ["export", str(project_dir), "--timeline", str(tmp_path / "cut.otio"), "--clip-end", "next"]
    assert main([*argv, "--video-backend", "camera"]) == 0
    out = capsys.readouterr().out
    assert out.count("the camera move ends no clip on a chosen frame") == 1, out


def test_flf2v_without_a_last_frame_is_one_message(project_dir, wan_flf2v, small_clips, tmp_path, capsys):
    argv = ["export", str(project_dir), "--timeline", str(tmp_path / "cut.otio"), "--clip-end", "free"]
    assert main([*argv, "--video-backend", "diffusers", "--video-model", str(wan_flf2v)]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        "Wan 2.1 FLF2V makes a clip only between a first and a last frame" in err and "--clip-end next" in err
    )
    assert len(err.splitlines()) == 1


def test_end_frames_are_pinned_unpinned_and_checked(project_dir, capsys):
    with ProjectFolder.open(project_dir, read_only=True) as folder:
        scene = folder.load().scenes[1]
    keyframe = scene.selected_take
    assert main(["pin", str(project_dir), "--scene", "2", "--end-frame", "--take", keyframe]) == 2
    assert "the keyframe the clip starts on" in capsys.readouterr().err
    assert main(["pin", str(project_dir), "--scene", "2", "--end-frame"]) == 2
    assert "--take ID, or give --image FILE" in capsys.readouterr().err
    other = next((t.id for t in scene.takes if t.id != keyframe), None)
    if other is not None:
        assert main(["pin", str(project_dir), "--scene", "2", "--end-frame", "--take", other]) == 0
        assert main(["take", str(project_dir), "--scene", "2", "--delete", other]) == 2
        assert "is the scene's end frame" in capsys.readouterr().err
    assert main(["pin", str(project_dir), "--scene", "2", "--end-frame", "--unpin"]) == 0
    assert main(["edit", str(project_dir), "--scene", "2", "--clip-end", "next"]) == 0
    with ProjectFolder.open(project_dir, read_only=True) as folder:
        scene = folder.load().scenes[1]
    assert scene.end_frame is None and scene.clip_end == "next"


def test_a_long_scene_is_made_of_segments_each_starting_on_the_last_frame_made(ltx, monkeypatch, tmp_path):
    from diffusers import LTXConditionPipeline

    from dreamfactory_studio.backends.video import ClipRequest
    from dreamfactory_studio.backends.video.diffusers_video import DiffusersVideo
    from dreamfactory_studio.core.settings import VideoSettings

    frames_made = []
    real = LTXConditionPipeline.__call__

    @functools.wraps(real)
    def spy(self, *args, **kwargs):
        made = real(self, *args, **kwargs)
        frames_made.append((kwargs, np.asarray(made.frames[0])))
        return made

    monkeypatch.setattr(LTXConditionPipeline, "__call__", spy)
    start = tmp_path / "start.png"
    Image.new("RGB", (64, 64), (200, 30, 30)).save(start)
    video = DiffusersVideo(VideoSettings(backend="diffusers", model=str(ltx), width=32, height=32, steps=2))
    video.load(lambda _m: None)
    request = ClipRequest(
        image=start, output=tmp_path / "clip.mp4", width=48, height=32, fps=12, duration=12.0
    )
    video.generate(request, lambda *_: None, lambda: False)
    (first, made), (second, _) = frames_made  # 288 frames at 24 fps: 257, then the rest
    assert first["num_frames"] == 257 and (second["num_frames"] - 1) % 8 == 0
    handed = np.asarray(second["image"], dtype=float)
    assert np.abs(handed - made[-1] * 255).mean() < 2, (
        "the second segment starts on the first one's last frame"
    )
    assert len(probe(request.output)["frames"]) == request.frame_count


def test_the_scene_editor_chooses_where_a_clip_ends_and_a_take_is_pinned_as_the_end_frame(
    window, project_dir
):
    from .studio_window import select

    window.open_project(str(project_dir))
    scene = select(window, 2)
    editor = window.scene_editor
    combo = editor.clip_end
    combo.setCurrentIndex(combo.findData("next"))
    combo.activated.emit(combo.currentIndex())
    session = window.session
    assert session.project.scenes[1].clip_end == "next"
    window.actions["undo"].trigger()
    assert session.project.scenes[1].clip_end == "" and combo.currentData() == ""
    keyframe = scene.selected_take
    picture = project_dir.parent / "end.png"
    Image.new("RGB", (64, 36), "gold").save(picture)
    session.do("import_take", scene=scene.id, file=picture)
    session.do("select_take", scene=scene.id, take_id=keyframe)
    other = next(t.id for t in session.project.scenes[1].takes if t.id != keyframe)
    session.do("pin_end_frame", scene=scene.id, take_id=other)
    scene = session.project.scenes[1]
    assert (scene.end_frame, scene.clip_end) == (other, "own")
    assert combo.currentData() == "own" and other in combo.currentText()
    session.do("unpin_end_frame", scene=scene.id)
    assert session.project.scenes[1].end_frame is None and combo.currentData() == ""


def test_each_clip_is_asked_for_its_motion_and_keeps_it(project_dir, ltx, small_clips, monkeypatch, tmp_path):
    from diffusers import LTXConditionPipeline

    from dreamfactory_studio.production.motion_lines import WORDS

    assert (
        main(["edit", str(project_dir), "--scene", "1", "--shot", "wide", "--camera", "slow pan left"]) == 0
    )
    for number in range(1, len(keyframes(project_dir)) + 1):
        assert main(["edit", str(project_dir), "--scene", str(number), "--duration", "2"]) == 0
    calls = spy_on(LTXConditionPipeline, monkeypatch)
    argv = ["export", str(project_dir), "--timeline", str(tmp_path / "cut.otio"), "--clip-end", "next"]
    assert main([*argv, "--video-backend", "diffusers", "--video-model", str(ltx)]) == 0
    first = calls[0]["prompt"]
    assert first.startswith("wide shot, the camera makes a slow pan left.") and "next scene" in first
    assert all(len(c["prompt"].split()) <= WORDS for c in calls)
    with ProjectFolder.open(project_dir, read_only=True) as folder:
        assert folder.load().scenes[0].clip.prompt == first


def test_the_painter_draws_an_end_frame_from_the_cli(project_dir, capsys):
    assert main(["edit", str(project_dir), "--scene", "2", "--camera", "push in"]) == 0
    assert main(["pin", str(project_dir), "--scene", "2", "--end-frame", "--draw"]) == 0
    assert "as scene 2's end frame" in capsys.readouterr().out
    with ProjectFolder.open(project_dir, read_only=True) as folder:
        scene = folder.load().scenes[1]
    end = scene.take(scene.end_frame)
    assert scene.clip_end == "own" and scene.keyframe.id != end.id
    assert "framed closer" in end.prompt and end.prompt.startswith(scene.keyframe.prompt)


def test_the_window_draws_an_end_frame_as_one_undo_step(project_dir, window, loop):
    from .studio_window import select, wait

    window.open_project(str(project_dir))
    select(window, 3)
    window.actions["drawEndFrame"].trigger()
    assert wait(loop, window) is None
    scene = window.session.project.scenes[2]
    assert scene.end_frame and scene.clip_end == "own"
    window.actions["undo"].trigger()
    assert window.session.project.scenes[2].end_frame is None
