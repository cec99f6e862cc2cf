"""The edit out to editors through OpenTimelineIO (every format, read back by OpenTimelineIO itself) and an
edited timeline back in as one undoable step: new order, trims, cut scenes kept to restore."""

from __future__ import annotations

import asyncio

import opentimelineio as otio
import pytest

from dreamfactory_studio.backends.backend_set import Backends
from dreamfactory_studio.cli import main
from dreamfactory_studio.core import edits
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.export.exporter import ExportOptions, export_project
from dreamfactory_studio.workspace import Workspace

from .film_projects import probe, small_settings

FPS = 24


def export(project_dir, options, settings=None):
    with ProjectFolder.open(project_dir) as folder:
        project = folder.load()
        with Backends(settings or small_settings()) as backends:
            return asyncio.run(export_project(folder, project, backends, options))


READ = []  # OpenTimelineIO frees a clip's metadata with its timeline: keep the timelines read


def read(path):
    edit = otio.adapters.read_from_file(str(path), **({"rate": FPS} if path.suffix == ".edl" else {}))
    READ.append(edit)
    return edit[0] if isinstance(edit, otio.schema.SerializableCollection) else edit


def scene_clips(edit):
    return list(edit.video_tracks()[0].find_clips(shallow_search=True))


@pytest.fixture(scope="module")
def cut(made, tmp_path_factory):
    """The film and its edit in every format, exported once for the module."""
    from .film_projects import copy_project

    root = tmp_path_factory.mktemp("cut")
    project_dir = copy_project(made, root / "project")
    result = export(project_dir, ExportOptions(root / "film.mp4", timeline=root / "cut.otio"))
    for suffix in (".xml", ".fcpxml", ".edl"):
        export(project_dir, ExportOptions(None, timeline=root / f"cut{suffix}"))
    with ProjectFolder.open(project_dir) as folder:
        project = folder.load()
    return root, project_dir, project, result


@pytest.mark.parametrize("suffix", [".otio", ".xml", ".fcpxml", ".edl"])
def test_every_format_reads_back_with_the_scenes_in_order_to_the_frame(cut, suffix):
    root, _dir, project, result = cut
    edit = read(root / f"cut{suffix}")
    clips = scene_clips(edit)
    assert len(clips) == len(project.scenes)
    assert [c.name[:2] for c in clips] == [f"{n:02d}" for n in range(1, len(project.scenes) + 1)]
    # straight cuts at the middle of each crossfade: the clips and gaps add up to the film to the frame
    segments, frames = result.timeline.segments, result.timeline.frames
    cuts = [0] + [s.first + s.overlap_in // 2 for s in segments[1:]] + [frames]
    expected = [cuts[i + 1] - cuts[i] for i, s in enumerate(segments) if s.plan is not None]
    assert [round(c.duration().rescaled_to(FPS).value) for c in clips] == expected
    media = [c.media_reference.target_url for c in clips]
    clip_files = [project.scene(s.plan.scene_id).clip.video.rsplit("/", 1)[-1] for s in segments if s.plan]
    assert [m.rsplit("/", 1)[-1] for m in media] == clip_files
    if suffix != ".edl":  # an EDL holds one track and starts at its first event
        assert round(edit.duration().rescaled_to(FPS).value) == frames


def test_the_film_and_its_edit_last_the_same(cut):
    root, _dir, _project, result = cut
    film = probe(root / "film.mp4")
    assert len(film["frames"]) == result.timeline.frames == round(read(root / "cut.xml").duration().value)


def test_the_otio_carries_markers_ai_metadata_and_paths_relative_to_itself(cut):
    root, project_dir, project, _result = cut
    clips = scene_clips(read(root / "cut.otio"))
    first, scene = clips[0], project.scenes[0]
    info = first.metadata["dreamfactory"]
    take = scene.keyframe
    assert (info["scene_id"], info["take_id"], info["seed"], info["prompt"]) == (
        scene.id,
        take.id,
        take.seed,
        take.prompt,
    )
    assert info["model"] == take.model and info["backend"] == take.backend and "references" in info
    assert first.markers[0].name == scene.title and first.markers[0].comment == scene.script
    url = first.media_reference.target_url
    assert (
        not url.startswith(("/", "file:"))
        and (root / url).resolve() == (project_dir / scene.clip.video).resolve()
    )
    cards = [c.name for c in read(root / "cut.otio").video_tracks()[1].find_clips()]
    assert cards == [f"title card: {project.title}".replace("'", "\u2019"), "end card: The End"]
    assert (root / "cut cards" / "title-card.png").is_file()


def test_final_cut_7_xml_keeps_the_scene_in_its_logging_info(cut):
    root, _dir, project, _result = cut
    clip = scene_clips(read(root / "cut.xml"))[1]
    logging = clip.metadata["fcp_xml"]["logginginfo"]
    assert logging["scene"] == "2" and logging["shottake"] == project.scenes[1].keyframe.id
    assert project.scenes[1].id in logging["lognote"]


def edited(root, source, target, change):
    edit = read(root / source)
    change(edit.video_tracks()[0])
    otio.adapters.write_to_file(edit, str(root / target))
    return root / target


def reorder_trim_delete(track):
    """Swap the first two scenes, trim the third by 12 frames and delete the fourth."""
    clips = scene_clips_of(track)
    a, b, c, d = clips[:4]
    index = track.index(a)
    track.remove(b)
    track.insert(index, b)
    c.source_range = otio.opentime.TimeRange(
        c.source_range.start_time, otio.opentime.RationalTime(c.source_range.duration.value - 12, FPS)
    )
    track.remove(d)


def scene_clips_of(track):
    return [item for item in track if isinstance(item, otio.schema.Clip)]


@pytest.mark.parametrize("source", ["cut.otio", "cut.xml"])
def test_an_edited_timeline_comes_back_as_the_new_order_trims_and_cut_scenes(cut, tmp_path, source):
    from .film_projects import copy_project

    root, project_dir, project, _result = cut
    mine = copy_project(project_dir, tmp_path / "mine")
    path = edited(root, source, f"edited-{source}", reorder_trim_delete)
    before = [s.id for s in project.scenes]
    trimmed = project.scenes[2]
    with Workspace.open(mine, settings=small_settings()) as workspace:
        planned = scene_clips(read(root / "cut.otio"))[2].metadata["dreamfactory"]["duration"]
        reading = workspace.read_edit(path)
        assert reading.order == [before[1], before[0], before[2]] + before[4:]
        assert reading.durations == {trimmed.id: pytest.approx(planned - 12 / FPS, abs=1e-3)}
        assert reading.unmatched == []
        cut_scenes = workspace.conform(reading, path.name)
        workspace.save()
    project = ProjectFolder.open(mine).load()
    assert [s.id for s in project.scenes] == reading.order
    assert [s.id for s in cut_scenes] == [before[3]] and project.cut_scenes[0].position == 4
    assert project.scene(trimmed.id).is_user_edited("duration")
    # the cut scene is kept, with its keyframe, and comes back where it was
    edits.restore_scenes(project)
    assert [s.id for s in project.scenes][3] == before[3] and not project.cut_scenes
    assert project.asset_paths()  # nothing of it was lost


def test_the_round_trip_without_changes_changes_nothing(cut, tmp_path):
    from .film_projects import copy_project

    root, project_dir, project, _result = cut
    mine = copy_project(project_dir, tmp_path / "mine")
    with Workspace.open(mine, settings=small_settings()) as workspace:
        reading = workspace.read_edit(root / "cut.xml")
    assert reading.order == [s.id for s in project.scenes] and reading.durations == {}


def test_import_edit_on_the_cli_reports_clips_that_are_not_ours(cut, tmp_path, capsys):
    from .film_projects import copy_project

    root, project_dir, project, _result = cut
    mine = copy_project(project_dir, tmp_path / "mine")

    def add_a_stranger(track):
        stranger = otio.schema.Clip(
            name="B-roll of the harbour",
            media_reference=otio.schema.ExternalReference(target_url="file:///footage/harbour.mov"),
            source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, FPS), otio.opentime.RationalTime(48, FPS)
            ),
        )
        track.append(stranger)

    path = edited(root, "cut.otio", "stranger.otio", add_a_stranger)
    assert main(["import-edit", str(mine), str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert (
        "not mapped: B-roll of the harbour (is not one of this project's scenes; its media harbour.mov is missing)"
        in out
    )
    assert "keep the order of the scenes" in out
    assert ProjectFolder.open(mine).load().scenes == project.scenes  # a dry run changes nothing


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("cut.mov", b"", "an edit is written as .otio"),
        ("cut.otio", b"{not json", "cannot be read as OpenTimelineIO"),
        ("cut.xml", b"<xmeml><sequence>", "cannot be read as Final Cut 7 XML"),
    ],
)
def test_a_bad_edit_is_one_clear_message_and_changes_nothing(
    project_dir, tmp_path, capsys, name, data, message
):
    path = tmp_path / name
    path.write_bytes(data)
    before = (project_dir / "project.json").read_text()
    assert main(["import-edit", str(project_dir), str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert (project_dir / "project.json").read_text() == before


def test_an_edit_of_another_project_maps_nothing_and_is_refused(project_dir, tmp_path, capsys):
    stranger = otio.schema.Timeline(name="Someone else's cut")
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    track.append(
        otio.schema.Clip(
            name="A1",
            media_reference=otio.schema.MissingReference(),
            source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, FPS), otio.opentime.RationalTime(24, FPS)
            ),
        )
    )
    stranger.tracks.append(track)
    path = tmp_path / "other.otio"
    otio.adapters.write_to_file(stranger, str(path))
    assert main(["import-edit", str(project_dir), str(path)]) == 2
    assert "names no scene of this project; nothing was changed" in capsys.readouterr().err


def test_an_unknown_timeline_extension_is_refused_before_any_work(project_dir, tmp_path, capsys):
    assert main(["export", str(project_dir), "--timeline", str(tmp_path / "cut.aaf")]) == 2
    assert "an edit is written as .otio (OpenTimelineIO), .xml" in capsys.readouterr().err


def test_final_cut_pro_xml_maps_its_clips_back_by_their_media(cut, tmp_path):
    """FCPXML keeps no metadata of ours: the clips map back by the media files the studio wrote. (The FCPXML
    adapter cannot write again what it read, so the editor's change is saved as OpenTimelineIO.)"""
    from .film_projects import copy_project

    root, project_dir, project, _result = cut
    mine = copy_project(project_dir, tmp_path / "mine")
    path = edited(
        root, "cut.fcpxml", "from-fcpxml.otio", lambda track: track.remove(scene_clips_of(track)[1])
    )
    assert not any(c.metadata.get("dreamfactory") for c in scene_clips(read(path)))
    with Workspace.open(mine, settings=small_settings()) as workspace:
        reading = workspace.read_edit(path)
    ids = [s.id for s in project.scenes]
    assert reading.order == ids[:1] + ids[2:] and reading.unmatched == []
