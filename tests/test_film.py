"""Narration, clips and their caches: the speech backends, the camera move, image-to-video, the film maker."""

from __future__ import annotations

import asyncio
import shutil
import wave
from pathlib import Path

import numpy as np
import pytest

from dreamfactory_studio.backends.backend_set import make_speech, make_video_backend
from dreamfactory_studio.backends.gpu_worker import GpuWorker
from dreamfactory_studio.backends.image import GenerationCancelled
from dreamfactory_studio.backends.speech import Silence, wav_seconds
from dreamfactory_studio.backends.video import ClipRequest
from dreamfactory_studio.backends.video.camera_move import CameraMove, choose_move, cover, frame_at
from dreamfactory_studio.backends.video.ffmpeg import FrameWriter
from dreamfactory_studio.core import edits
from dreamfactory_studio.core.errors import BackendError, BadInput
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.settings import ExportSettings, SpeechSettings, VideoSettings
from dreamfactory_studio.core.timing import reading_seconds
from dreamfactory_studio.export.film import FilmFormat, FilmMaker

from .film_projects import copy_project, make_project
from .openai_server import SPEECH_SECONDS_PER_WORD
from .tiny_models import build_svd


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    return make_project(tmp_path_factory.mktemp("film") / "p", scenes=3)


@pytest.fixture
def folder(made, tmp_path):
    with ProjectFolder.open(copy_project(made, tmp_path / "p")) as folder:
        yield folder


def maker(folder, project=None, *, speech=None, video=None, **export) -> FilmMaker:
    return FilmMaker(
        folder,
        project or folder.load(),
        speech=speech or Silence(),
        video=video or CameraMove(),
        worker=GpuWorker(),
        settings=ExportSettings(**export),
        film_format=FilmFormat(160, 90, 24),
    )


def frames_of(path: Path) -> np.ndarray:
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    width, height = meta["size"]
    return np.stack([np.frombuffer(f, np.uint8).reshape(height, width, 3) for f in reader])


# -- speech -------------------------------------------------------------------------------------------


def test_silence_is_timed_by_reading_speed_with_a_two_second_floor():
    assert reading_seconds("one two three four five six seven eight nine ten", 2.5) == pytest.approx(4.0)
    assert reading_seconds("Hello.", 2.5) == 2.0
    assert reading_seconds("", 2.5) == 0.0
    assert asyncio.run(Silence().speak("anything")) is None


def test_openai_speech_goes_through_the_speech_endpoint(openai_server):
    speech = make_speech(
        SpeechSettings(backend="openai", base_url=openai_server.url, voice="nova", model="tts-test")
    )
    data = asyncio.run(speech.speak("The ferry leaves at dawn"))
    assert wav_seconds(data) == pytest.approx(5 * SPEECH_SECONDS_PER_WORD, abs=0.01)
    request = openai_server.requests[-1]
    assert request["path"].endswith("/audio/speech")
    assert (request["voice"], request["model"], request["response_format"]) == ("nova", "tts-test", "wav")


def test_unreachable_speech_server_says_what_to_do():
    speech = make_speech(SpeechSettings(backend="openai", base_url="http://127.0.0.1:9/v1", timeout=2))
    with pytest.raises(BackendError, match="cannot reach the speech server.*espeak-ng or silence"):
        asyncio.run(speech.speak("hello"))


@pytest.mark.skipif(not shutil.which("espeak-ng"), reason="espeak-ng is not installed")
def test_espeak_speaks_a_wav_and_refuses_an_unknown_voice():
    speech = make_speech(SpeechSettings(backend="auto"))
    assert speech.label.startswith("espeak-ng")
    seconds = wav_seconds(asyncio.run(speech.speak("The ferry leaves the harbour at dawn.")))
    assert 1.0 < seconds < 6.0
    with pytest.raises(BackendError, match="no voice 'klingon'"):
        make_speech(SpeechSettings(backend="espeak", voice="klingon"))


def test_auto_without_espeak_is_silence(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert isinstance(make_speech(SpeechSettings(backend="auto")), Silence)
    with pytest.raises(BackendError, match="espeak-ng is not installed"):
        make_speech(SpeechSettings(backend="espeak"))


# -- the camera move ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shot", "camera", "action", "kind"),
    [
        ("wide", "slow pan right", "", "pan_right"),
        ("medium", "slow pull back", "", "pull_out"),
        ("close-up", "slow push in", "", "push_in"),
        ("medium", "tilt up to the sky", "", "tilt_up"),
        ("medium", "static", "", "drift"),
        ("close-up", "", "", "push_in"),
        ("medium", "", "She looks up at the stars", "tilt_up"),
    ],
)
def test_the_move_follows_camera_then_shot_then_action(shot, camera, action, kind):
    assert choose_move(shot, camera, action).kind == kind


def test_a_pan_moves_smoothly_by_sub_pixel_steps():
    import cv2

    rng = np.random.default_rng(1)
    texture = cv2.GaussianBlur(rng.integers(0, 255, (360, 640, 3), dtype=np.uint8), (0, 0), 3)
    source = cover(texture, 320, 180)
    move = choose_move("wide", "pan right", "")
    grey = [
        cv2.cvtColor(frame_at(source, move, i / 59, 320, 180), cv2.COLOR_RGB2GRAY).astype(np.float32)
        for i in range(60)
    ]
    shifts = np.array([cv2.phaseCorrelate(grey[i], grey[i + 1])[0][0] for i in range(59)])
    assert np.all(shifts < 0.05)  # always the same way (the picture slides left as the camera pans right)
    assert shifts.min() < -0.5  # it really moves
    assert np.abs(np.diff(shifts)).max() < 0.3  # no jumps: the speed changes gently (eased, sub-pixel)
    assert np.abs(shifts[:3]).max() < np.abs(shifts[25:35]).mean()  # starts slower than it cruises


def test_a_camera_clip_has_exactly_the_frames_asked_for(tmp_path):
    from PIL import Image

    Image.new("RGB", (256, 144), (40, 90, 160)).save(tmp_path / "k.png")
    request = ClipRequest(tmp_path / "k.png", tmp_path / "c.mp4", 160, 90, 24, 1.5, camera="push in")
    steps = []
    CameraMove().generate(request, lambda done, total: steps.append((done, total)), lambda: False)
    frames = frames_of(request.output)
    assert frames.shape == (36, 90, 160, 3)
    assert steps[-1] == (36, 36)


def test_cancelling_a_clip_leaves_no_file(tmp_path):
    from PIL import Image

    Image.new("RGB", (256, 144), (40, 90, 160)).save(tmp_path / "k.png")
    request = ClipRequest(tmp_path / "k.png", tmp_path / "c.mp4", 160, 90, 24, 3.0)
    calls = iter(range(1000))
    with pytest.raises(GenerationCancelled):
        CameraMove().generate(request, lambda *a: None, lambda: next(calls) > 10)
    assert not request.output.exists()


def test_ffmpeg_failure_reports_ffmpegs_own_words(tmp_path):
    with (
        pytest.raises(BackendError, match=r"ffmpeg could not write odd\.mp4: .*width not divisible by 2"),
        FrameWriter(tmp_path / "odd.mp4", 161, 91, 24) as writer,
    ):
        for _ in range(3):
            writer.write(np.zeros((91, 161, 3), np.uint8))
    assert not (tmp_path / "odd.mp4").exists()


# -- image-to-video with diffusers -------------------------------------------------------------------


def test_a_tiny_svd_makes_a_clip_through_the_real_code_path(tmp_path):
    from PIL import Image

    model = build_svd(tmp_path / "svd")
    Image.new("RGB", (128, 72), (200, 120, 40)).save(tmp_path / "k.png")
    backend = make_video_backend(
        VideoSettings(
            backend="diffusers", model=str(model), width=64, height=32, frames=3, steps=2, decode_chunk=2
        )
    )
    messages = []
    backend.load(messages.append)
    assert backend.label == "diffusers StableVideoDiffusionPipeline"
    assert "ready on cpu" in messages[-1]
    request = ClipRequest(tmp_path / "k.png", tmp_path / "c.mp4", 96, 54, 24, 1.0, seed=7)
    steps = []
    backend.generate(request, lambda done, total: steps.append(done), lambda: False)
    frames = frames_of(request.output)
    assert frames.shape == (24, 54, 96, 3)
    assert steps == [1, 2, 3]
    # The frames come from the model's three, blended over the second: not one still picture.
    assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 1
    with pytest.raises(GenerationCancelled):
        backend.generate(request, lambda *a: None, lambda: True)
    backend.unload()


def test_an_image_model_is_refused_as_a_video_model(tmp_path):
    from .tiny_models import build_sd15

    backend = make_video_backend(VideoSettings(backend="diffusers", model=str(build_sd15(tmp_path / "sd"))))
    with pytest.raises(BackendError, match="not an image-to-video pipeline"):
        backend.load(lambda message: None)


def test_a_missing_video_model_says_how_to_set_one():
    backend = make_video_backend(VideoSettings(backend="diffusers", model=""))
    with pytest.raises(BackendError, match="video model setting"):
        backend.load(lambda message: None)


# -- the film maker: timing and caches ---------------------------------------------------------------


def test_scenes_are_timed_by_their_narration_unless_the_user_set_a_duration(folder):
    project = folder.load()
    film = maker(folder, project, padding=0.8, transition="crossfade", crossfade=0.5)
    asyncio.run(film.narrate())
    first, second = project.scenes[0], project.scenes[1]
    expected = max(2.0, reading_seconds(first.narration, 2.5) + 0.8) + 0.5
    assert film.scene_seconds(first) == pytest.approx(expected, abs=1 / 24)
    assert film.scene_length(first) == pytest.approx(expected - 0.5, abs=1 / 24)
    edits.edit_scene(project, second, duration=4.0)
    # The length the user sets is the scene's length; its clip runs on under the next scene's crossfade.
    assert film.scene_length(second) == pytest.approx(4.0)
    assert film.scene_seconds(second) == pytest.approx(4.5)


def test_spoken_narration_is_stored_once_and_reused(folder, openai_server):
    project = folder.load()
    speech = make_speech(SpeechSettings(backend="openai", base_url=openai_server.url))
    film = maker(folder, project, speech=speech)
    assert asyncio.run(film.narrate()) == 3
    audio = folder.asset_path(project.scenes[0].narration_audio.audio)
    with wave.open(str(audio)) as spoken:
        assert spoken.getnframes() > 0
    assert asyncio.run(film.narrate()) == 0
    edits.edit_scene(project, project.scenes[1], narration="A new line for the second scene.")
    assert asyncio.run(film.narrate()) == 1
    assert len([r for r in openai_server.requests if r["path"].endswith("/audio/speech")]) == 4


def test_clips_are_rendered_once_and_again_only_for_the_scene_that_changed(folder):
    project = folder.load()
    film = maker(folder, project)
    asyncio.run(film.prepare())
    assert film.renders == 3
    before = [scene.clip for scene in project.scenes]
    edits.edit_scene(project, project.scenes[1], narration="Much shorter now.")
    again = maker(folder, project)
    asyncio.run(again.prepare())
    assert again.renders == 1
    assert [scene.clip for scene in project.scenes][::2] == before[::2]
    assert project.scenes[1].clip != before[1]
    # A damaged cached clip is a cache miss, not an error.
    folder.asset_path(project.scenes[2].clip.video).write_bytes(b"broken")
    third = maker(folder, project)
    asyncio.run(third.prepare())
    assert third.renders == 1


def test_no_keyframes_names_the_phase_to_run(folder):
    project = folder.load()
    project.scenes[1].selected_take = None
    with pytest.raises(
        BadInput, match=r"scene 2 has no keyframe yet; run the keyframes phase.*--from-scene 2"
    ):
        maker(folder, project).check_ready()
    project.scenes = []
    with pytest.raises(BadInput, match="no scenes yet"):
        maker(folder, project).check_ready()


def test_a_damaged_keyframe_names_the_scene_and_how_to_redraw_it(folder):
    project = folder.load()
    folder.asset_path(project.scenes[2].keyframe.image).write_bytes(b"not a png")
    with pytest.raises(BadInput, match=r"scene 3's keyframe .* missing or damaged.*--scene 3"):
        maker(folder, project).check_ready()


@pytest.mark.parametrize("resolution", ["1280", "1281x720", "8x8", "big"])
def test_bad_resolutions_are_refused(resolution):
    with pytest.raises(BadInput):
        FilmFormat.parse(resolution, 24)
