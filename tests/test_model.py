"""The project model: lossless JSON round trips and the checks on asset paths."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from dreamfactory_studio.core.model import (
    BaseDescription,
    BaseFrame,
    Character,
    Clip,
    Project,
    Request,
    Scene,
    StyleDecision,
    Take,
    TaskDecision,
    TranscriptMessage,
)
from dreamfactory_studio.core.project_folder import ProjectFolder

text = st.text(max_size=40)
asset = st.from_regex(r"assets/[0-9a-f]{8}\.(png|mp4)", fullmatch=True)
times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
score = st.none() | st.floats(min_value=0, max_value=1, allow_nan=False)

takes = st.builds(
    Take,
    image=asset,
    seed=st.integers(0, 2**63 - 1),
    prompt=text,
    negative_prompt=text,
    backend=st.sampled_from(["sketch", "diffusers", "openai"]),
    model=text,
    references=st.lists(asset, max_size=3),
    score=score,
    score_reason=text,
    created=times,
)
scenes = st.builds(
    Scene,
    title=text,
    script=text,
    narration=text,
    shot=text,
    camera=text,
    characters=st.lists(text, max_size=3),
    duration=st.none() | st.floats(min_value=0.1, max_value=600, allow_nan=False),
    takes=st.lists(takes, max_size=3),
    pinned=st.booleans(),
    stale=st.booleans(),
    user_edited=st.lists(st.sampled_from(["script", "narration", "duration"]), unique=True).map(sorted),
    keyframe_description=text,
    clip=st.none() | st.builds(Clip, video=asset, settings_hash=text, duration=st.floats(0.1, 60)),
)


def _cast_known(project: Project) -> Project:
    """Scenes name characters of the project (a loaded project must; see ``Project.problems``)."""
    for scene in project.scenes:
        scene.characters = [c.id for c in project.characters[: len(scene.characters)]]
    return project


projects = st.builds(
    Project,
    title=text,
    story=st.text(min_size=1, max_size=200),
    created=times,
    modified=times,
    request=st.builds(Request, scenes=st.none() | st.integers(1, 500), style=text),
    task=st.none() | st.builds(TaskDecision, scenes=st.integers(1, 500), audience=text),
    style=st.none() | st.builds(StyleDecision, style=st.text(min_size=1, max_size=20), palette=text),
    outline=text,
    characters=st.lists(st.builds(Character, name=text, description=text), max_size=4),
    scenes=st.lists(scenes, max_size=5),
    base_frame=st.none()
    | st.builds(BaseFrame, image=asset, source=st.sampled_from(["generated", "imported"])),
    base_description=st.builds(BaseDescription, text=text, user_edited=st.booleans()),
    transcripts=st.lists(
        st.builds(
            TranscriptMessage, phase=st.sampled_from(["task", "style"]), role=text, text=text, time=times
        ),
        max_size=4,
    ),
).map(_cast_known)


@settings(max_examples=60, deadline=None)
@given(projects)
def test_json_round_trip_is_lossless(project):
    assert Project.model_validate_json(project.model_dump_json()) == project


@settings(max_examples=25, deadline=None)
@given(projects)
def test_round_trip_through_the_project_folder(tmp_path_factory, project):
    root = tmp_path_factory.mktemp("p") / "project"
    with ProjectFolder.create(root, project) as folder:
        loaded = folder.load()
    # Transcripts come back grouped by phase (task before style), each phase in its own order.
    order = {"task": 0, "style": 1}
    expected = project.model_copy(deep=True)
    expected.transcripts = sorted(project.transcripts, key=lambda m: order[m.phase])
    assert loaded == expected


@pytest.mark.parametrize(
    "bad", ["../escape.png", "/etc/passwd", "assets/../../x.png", "C:\\x.png", "", "c:/x"]
)
def test_asset_paths_that_leave_the_folder_are_refused(bad):
    with pytest.raises(ValidationError):
        Take(image=bad, seed=1, prompt="p", backend="sketch")


def test_user_edits_are_marked_and_checked():
    scene = Scene(script="a")
    scene.mark_user_edit("script", "duration")
    assert scene.user_edited == ["duration", "script"]
    assert scene.is_user_edited("script")
    with pytest.raises(KeyError):
        scene.mark_user_edit("no_such_field")


def test_scene_lookup_and_numbers():
    project = Project(title="t", story="s", scenes=[Scene(title="a"), Scene(title="b")])
    second = project.scenes[1]
    assert project.scene(second.id) is second
    assert project.scene_number(second.id) == 2
    take = Take(image="assets/x.png", seed=3, prompt="p", backend="sketch")
    second.takes.append(take)
    second.selected_take = take.id
    assert second.keyframe is take
    assert project.asset_paths() == {"assets/x.png"}
