"""Exporting a film: the MP4 decoded and measured, the SRT, the PDF storyboard, the other files, the CLI, and
what happens on bad input, failure and cancel."""

from __future__ import annotations

import asyncio
import csv
import errno
import itertools
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from dreamfactory_studio.backends.backend_set import Backends
from dreamfactory_studio.cli import main
from dreamfactory_studio.core import edits
from dreamfactory_studio.core.errors import BackendError, BadInput
from dreamfactory_studio.core.events import ExportProgress
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.export.assembly import _explain
from dreamfactory_studio.export.exporter import ExportOptions, export_project

from .film_projects import SMALL, copy_project, make_project, probe, small_settings
from .openai_server import SPEECH_SECONDS_PER_WORD

FPS = 24


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    return make_project(tmp_path_factory.mktemp("export") / "p", scenes=3)


@pytest.fixture
def project_dir(made, tmp_path):
    return copy_project(made, tmp_path / "p")


def export(project_dir: Path, options: ExportOptions, settings=None, events=None):
    with ProjectFolder.open(project_dir) as folder:
        project = folder.load()
        emit = events.append if events is not None else (lambda event: None)
        with Backends(settings or small_settings()) as backends:
            return asyncio.run(export_project(folder, project, backends, options, emit=emit))


def test_the_mp4_matches_the_timeline_to_the_frame(project_dir, tmp_path):
    out = tmp_path / "film.mp4"
    result = export(project_dir, ExportOptions(out, transition="cut"))
    segments = result.timeline.segments
    assert [s.kind for s in segments] == ["title", "scene", "scene", "scene", "end"]
    expected = sum(s.frames for s in segments)  # cuts: no overlap
    video = probe(out)
    assert len(video["frames"]) == expected
    assert video["frames"].shape[1:] == (180, 320, 3)
    assert video["meta"]["fps"] == FPS
    assert abs(video["meta"]["duration"] - expected / FPS) <= 1 / FPS + 0.03
    assert re.search(r"Video: h264.*yuv420p", video["info"])
    assert re.search(r"Audio: aac", video["info"])  # an audio stream, silent narration included
    # Each scene's own frames, and a real change at every cut.
    frames = video["frames"].astype(np.int16)
    for before, after in zip(segments, segments[1:], strict=False):
        boundary = after.first
        cut = np.abs(frames[boundary] - frames[boundary - 1]).mean()
        inside = np.abs(frames[boundary - 1] - frames[boundary - 2]).mean()
        assert cut > 5 * max(inside, 0.5), (before.kind, after.kind, cut, inside)
    assert result.renders == 3


def test_crossfades_overlap_the_scenes_and_shorten_the_film(project_dir, tmp_path):
    out = tmp_path / "film.mp4"
    result = export(project_dir, ExportOptions(out, transition="crossfade", crossfade=0.5))
    segments = result.timeline.segments
    overlap = round(0.5 * FPS)
    assert all(s.overlap_in == overlap for s in segments[1:])
    expected = sum(s.frames for s in segments) - overlap * (len(segments) - 1)
    video = probe(out)
    assert len(video["frames"]) == expected
    # Mid-crossfade, a frame lies between the two scenes' frames.
    scene_2 = segments[2]
    middle = scene_2.first + overlap // 2
    frames = video["frames"].astype(np.int16)
    start, mid, end = frames[scene_2.first - 1], frames[middle], frames[scene_2.first + overlap]
    assert np.abs(mid - start).mean() > 2 and np.abs(mid - end).mean() > 2


def test_spoken_narration_is_in_the_film_and_times_the_scenes(project_dir, tmp_path, openai_server):
    settings = small_settings()
    settings.speech.backend = "openai"
    settings.speech.base_url = openai_server.url
    out = tmp_path / "film.mp4"
    result = export(project_dir, ExportOptions(out, transition="cut"), settings)
    assert result.syntheses == 3
    project = ProjectFolder.open(project_dir, read_only=True).load()
    for segment in result.timeline.segments[1:-1]:
        words = len(project.scene(segment.plan.scene_id).narration.split())
        spoken = words * SPEECH_SECONDS_PER_WORD
        assert segment.frames / FPS == pytest.approx(max(2.0, spoken + 0.8), abs=1 / FPS)
    # The audio carries the tone where a scene speaks, and silence on the title card.
    import imageio_ffmpeg

    pcm = subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-v",
            "error",
            "-i",
            str(out),
            "-f",
            "s16le",
            "-ac",
            "1",
            "-ar",
            "8000",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    audio = np.frombuffer(pcm, np.int16).astype(np.float64)
    speech = result.timeline.speech[0]
    inside = audio[int((speech.start + 0.2) * 8000) : int((speech.start + speech.duration - 0.2) * 8000)]
    title = audio[int(0.2 * 8000) : int(2.0 * 8000)]
    assert np.sqrt((inside**2).mean()) > 500 > np.sqrt((title**2).mean())


def test_the_srt_follows_the_narration(project_dir, tmp_path):
    out = tmp_path / "film.mp4"
    result = export(project_dir, ExportOptions(out, srt=tmp_path / "subs" / "film.srt"))
    text = (tmp_path / "subs" / "film.srt").read_text()
    blocks = [b for b in text.strip().split("\n\n") if b]
    assert len(blocks) == len(result.timeline.cues) >= 3
    times = re.findall(r"(\d\d):(\d\d):(\d\d),(\d\d\d) --> (\d\d):(\d\d):(\d\d),(\d\d\d)", text)

    def seconds(h, m, s, ms):
        return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000

    spans = [(seconds(*t[:4]), seconds(*t[4:])) for t in times]
    assert spans[0][0] >= 3.0  # after the title card
    assert all(a < b for a, b in spans) and all(
        b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:], strict=False)
    )
    assert spans[-1][1] <= result.duration
    assert all(len(line) <= 50 for block in blocks for line in block.splitlines()[2:])


def test_the_pdf_has_one_panel_per_scene(project_dir, tmp_path):
    from pypdf import PdfReader

    result = export(project_dir, ExportOptions(tmp_path / "film.mp4", pdf=tmp_path / "board.pdf"))
    reader = PdfReader(result.pdf)
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert len(page.images) == 3
    text = page.extract_text()
    for number in (1, 2, 3):
        assert f"Scene {number}" in text
    assert "Scene 4" not in text
    assert "The Last Ferry" in text


def test_the_png_sequence_and_the_shot_list(project_dir, tmp_path):
    from PIL import Image

    options = ExportOptions(tmp_path / "film.mp4", frames=tmp_path / "frames", csv=tmp_path / "shots.csv")
    result = export(project_dir, options)
    assert [p.name for p in result.frames] == ["scene-001.png", "scene-002.png", "scene-003.png"]
    assert Image.open(result.frames[0]).size == (320, 180)
    with open(result.csv, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["scene"] for row in rows] == ["1", "2", "3"]
    # crossfaded: scene 1 lasts until scene 2 begins to fade in, its one length
    assert float(rows[1]["start"]) == pytest.approx(float(rows[0]["end"]), abs=0.001)
    assert float(rows[0]["duration"]) == pytest.approx(
        float(rows[0]["end"]) - float(rows[0]["start"]), abs=0.001
    )


def test_reexporting_after_one_edit_renders_one_clip(project_dir, tmp_path):
    first = export(project_dir, ExportOptions(tmp_path / "a.mp4"))
    assert first.renders == 3
    with ProjectFolder.open(project_dir) as folder:
        project = folder.load()
        edits.edit_scene(project, project.scenes[1], duration=3.0)
        folder.save(project)
    second = export(project_dir, ExportOptions(tmp_path / "b.mp4"))
    assert second.renders == 1
    third = export(project_dir, ExportOptions(tmp_path / "c.mp4"))
    assert third.renders == 0


def test_burned_subtitles_and_music_are_mixed_in(project_dir, tmp_path):
    from .openai_server import wav

    music = tmp_path / "music.wav"
    music.write_bytes(wav(2.0))
    plain = probe(export(project_dir, ExportOptions(tmp_path / "a.mp4")).video)
    result = export(project_dir, ExportOptions(tmp_path / "b.mp4", burn_subtitles=True, music=music))
    burned = probe(result.video)
    cue = result.timeline.cues[0]
    n = int((cue.start + cue.end) / 2 * FPS)
    lower = slice(120, 180)
    assert np.abs(burned["frames"][n, lower].astype(int) - plain["frames"][n, lower]).mean() > 3
    assert np.abs(burned["frames"][n, :60].astype(int) - plain["frames"][n, :60]).mean() < 3


def test_cancel_leaves_no_partial_file(project_dir, tmp_path):
    out = tmp_path / "out" / "film.mp4"
    out.parent.mkdir()

    async def go():
        with ProjectFolder.open(project_dir) as folder:
            project = folder.load()
            started = asyncio.Event()

            def emit(event):
                if isinstance(event, ExportProgress) and event.stage == "video" and event.done > 5:
                    started.set()

            task = asyncio.create_task(
                export_project(
                    folder,
                    project,
                    Backends(small_settings()),
                    ExportOptions(out, resolution="640x360"),
                    emit=emit,
                )
            )
            await asyncio.wait_for(started.wait(), 60)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(go())
    assert list(out.parent.iterdir()) == []


def test_bad_outputs_are_refused_clearly(project_dir, tmp_path):
    with pytest.raises(BadInput, match=r"name it with \.mp4"):
        export(project_dir, ExportOptions(tmp_path / "film.avi"))
    (tmp_path / "a-file").write_text("")
    with pytest.raises(BadInput, match="cannot write in"):
        export(project_dir, ExportOptions(tmp_path / "a-file" / "film.mp4"))
    (tmp_path / "film.mp4").mkdir()
    with pytest.raises(BadInput, match="is a folder"):
        export(project_dir, ExportOptions(tmp_path / "film.mp4"))
    with pytest.raises(BadInput, match="music file .* does not exist"):
        export(project_dir, ExportOptions(tmp_path / "film.mp4", music=tmp_path / "none.mp3"))


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs Linux's /proc, which nobody may write in")
def test_an_unwritable_folder_is_refused_before_any_work(project_dir, tmp_path):
    with pytest.raises(BadInput, match="cannot write in /proc"):
        export(project_dir, ExportOptions(Path("/proc/dreamfactory/film.mp4")))
    with pytest.raises(BadInput, match="cannot write in /proc"):
        export(project_dir, ExportOptions(tmp_path / "film.mp4", pdf=Path("/proc/board.pdf")))
    assert not (tmp_path / "film.mp4").exists()
    with ProjectFolder.open(project_dir, read_only=True) as folder:
        assert all(scene.clip is None for scene in folder.load().scenes)  # refused before rendering anything


def test_ffmpeg_failures_become_clear_messages(tmp_path):
    full = _explain(OSError(errno.ENOSPC, "No space left on device"), tmp_path / "film.mp4")
    assert isinstance(full, BackendError) and "the disk is full" in str(full)
    refused = _explain(OSError(errno.EACCES, "Permission denied"), tmp_path / "film.mp4")
    assert isinstance(refused, BadInput)
    failed = _explain(OSError("[libx264 @ 0x1f] broken thing\nlast words"), tmp_path / "film.mp4")
    assert "ffmpeg failed while writing the film: broken thing | last words" in str(failed)


# -- the CLI ------------------------------------------------------------------------------------------


def test_cli_export_writes_what_it_is_asked_for(project_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DREAMFACTORY_SPEECH_BACKEND", "silence")
    out = tmp_path / "film.mp4"
    code = main(
        ["export", str(project_dir), str(out), "--resolution", SMALL, "--pdf", str(tmp_path / "b.pdf")]
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert out.is_file() and out.with_suffix(".srt").is_file() and (tmp_path / "b.pdf").is_file()
    assert "rendering clips: scene 1 (1 of 3)" in printed
    assert "writing the film: 100%" in printed
    assert f"wrote {out} (3 scenes" in printed


def test_cli_export_before_keyframes_names_the_phase(tmp_path, story_file, capsys):
    assert main(["new", str(story_file), str(tmp_path / "p"), "--scenes", "2"]) == 0
    assert main(["export", str(tmp_path / "p"), str(tmp_path / "f.mp4")]) == 2
    error = capsys.readouterr().err
    assert "has no scenes yet" in error and "run PROJECT --until script" in error  # the CLI's own advice
    assert "Traceback" not in error
    assert not (tmp_path / "f.mp4").exists()


def test_cli_render_goes_from_story_to_film(tmp_path, story_file, capsys, monkeypatch):
    monkeypatch.setenv("DREAMFACTORY_SPEECH_BACKEND", "silence")
    monkeypatch.setenv("DREAMFACTORY_KEYFRAMES_WIDTH", "320")
    monkeypatch.setenv("DREAMFACTORY_KEYFRAMES_HEIGHT", "180")
    out = tmp_path / "film.mp4"
    args = ["render", str(story_file), str(out), "--scenes", "2", "--resolution", SMALL, "--quiet"]
    assert main([*args, "--pdf", str(tmp_path / "film.pdf")]) == 0
    printed = capsys.readouterr().out
    assert out.is_file() and (tmp_path / "film.pdf").is_file() and out.with_suffix(".srt").is_file()
    assert (tmp_path / "film.dreamfactory" / "project.json").is_file()
    assert "rendered 2 clip(s)" in printed
    # A second render continues the same project and reuses its clips.
    assert main(args) == 0
    assert "rendered 0 clip(s)" in capsys.readouterr().out


def test_the_music_dips_under_speech_and_comes_back():
    from dreamfactory_studio.export.assembly import DUCK, _envelope
    from dreamfactory_studio.export.timeline import SpokenLine, Timeline

    timeline = Timeline(
        FPS, [], speech=[SpokenLine(1, 4.0, 3.0, Path("voice.wav")), SpokenLine(2, 9.0, 2.0, None)]
    )
    gain = _envelope(timeline, np.array([0.0, 3.8, 5.0, 6.9, 7.5, 9.5]))
    assert gain[0] == 1.0 and gain[4] == 1.0  # clear of speech
    assert gain[2] == pytest.approx(DUCK) and gain[3] == pytest.approx(DUCK)  # under it
    assert DUCK < gain[1] < 1.0  # ramping down before it starts
    assert gain[5] == 1.0  # timed silence has no voice to dip under


def test_a_screenplay_scene_has_one_length_in_show_the_pdf_the_edit_and_the_film(
    tmp_path, monkeypatch, capsys
):
    """Issue 33: the card said 12.5 s, the PDF 6.1 s and the film 5.6 s for one scene of a screenplay."""
    import opentimelineio as otio
    from pypdf import PdfReader

    from dreamfactory_studio.core.new_project import new_project
    from dreamfactory_studio.production.run_plan import RunRequest
    from dreamfactory_studio.workspace import Workspace

    from .paths import FIXTURES

    monkeypatch.setenv("DREAMFACTORY_CONFIG_DIR", str(tmp_path / "config"))
    root = tmp_path / "p"
    new_project(FIXTURES / "screenplays" / "brick-and-steel.fountain", root).close()
    settings = small_settings(transition="crossfade", crossfade=0.5, title_card=False, end_card=False)
    with Workspace(ProjectFolder.open(root), settings=settings) as workspace:
        asyncio.run(workspace.run(RunRequest()))
        project = workspace.project
        lengths = [workspace.scene_length(s) for s in project.scenes]
        assert any(
            s.duration and abs(s.duration - n) > 0.5 for s, n in zip(project.scenes, lengths, strict=True)
        )
    options = ExportOptions(
        tmp_path / "film.mp4",
        pdf=tmp_path / "board.pdf",
        timeline=tmp_path / "film.otio",
        transition="crossfade",
    )
    result = export(root, options, settings)
    # the film: each scene starts one length after the one before
    starts = [s.first / FPS for s in result.timeline.segments if s.plan is not None]
    assert [round(b - a, 3) for a, b in itertools.pairwise(starts)] == pytest.approx(
        lengths[:-1], abs=1 / FPS
    )
    # the edit: each clip as long as its scene
    edit = otio.adapters.read_from_file(str(result.edit))
    clips = list(edit.tracks[0].find_clips())
    assert [c.duration().to_seconds() for c in clips[:-1]] == pytest.approx(lengths[:-1], abs=1 / FPS)
    # the PDF and show
    text = " ".join(page.extract_text() for page in PdfReader(result.pdf).pages)
    assert main(["show", str(root)]) == 0
    shown = capsys.readouterr().out
    for number, length in enumerate(lengths, 1):
        assert f"Scene {number}  ·  {length:.1f} s" in " ".join(text.split("\n")) or f"{length:.1f} s" in text
        assert f"; {length:.1f} s;" in shown
