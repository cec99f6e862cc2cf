"""Undo without Qt: every edit the window makes, snapshotted before and after, undone and redone in any order."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dreamfactory_studio.core import edits
from dreamfactory_studio.core.changes import declared
from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.model import BaseFrame, Project, Scene, Take
from dreamfactory_studio.core.project_folder import project_json
from dreamfactory_studio.core.project_state import Snapshot


def project(n: int = 5) -> Project:
    scenes = []
    for i in range(n):
        takes = [
            Take(image=f"assets/{i}-{k}.png", seed=k, prompt=f"p{i}", backend="sketch") for k in range(2)
        ]
        scenes.append(Scene(title=f"S{i}", script=f"script {i}", takes=takes, selected_take=takes[0].id))
    return Project(title="t", story="s", scenes=scenes)


def apply(p: Project, op: tuple) -> Snapshot | None:
    """Run one edit as the window's session does: snapshot what the edit declares it touches, then apply."""
    kind, a, b = op
    n = len(p.scenes)
    if kind == "move" and n:
        numbers = sorted({1 + a % n, 1 + b % n})
        call = edits.move_scenes, (p, numbers, 1 + (a + b) % (n - len(numbers) + 1))
    elif kind == "insert":
        call = edits.insert_scene, (p, 1 + a % (n + 1))
    elif kind == "duplicate" and n:
        call = edits.duplicate_scene, (p, 1 + a % n)
    elif kind == "delete" and n:
        call = edits.delete_scenes, (p, sorted({1 + a % n, 1 + b % n}))
    elif kind == "edit" and n:
        scene = p.scenes[a % n]
        values = {"script": f"edited {b}", "duration": float(b % 3)}
        before = Snapshot.of(p, declared(edits.edit_scene, p, scene, **values))
        edits.edit_scene(p, scene, **values)
        return before
    elif kind == "take" and n and p.scenes[a % n].takes:
        scene = p.scenes[a % n]
        call = edits.pin_base_frame, (p, scene, scene.takes[b % len(scene.takes)].id)
    elif kind == "drop" and n:
        scene = p.scenes[a % n]
        if not scene.takes or (p.base_frame and p.base_frame.take_id == scene.takes[-1].id):
            return None
        call = edits.delete_take, (p, scene, scene.takes[-1].id)
    else:
        return None
    edit, args = call
    before = Snapshot.of(p, declared(edit, *args))
    edit(*args)
    return before


OPS = st.tuples(
    st.sampled_from(["move", "insert", "duplicate", "delete", "edit", "take", "drop"]),
    st.integers(0, 20),
    st.integers(0, 20),
)


@settings(max_examples=120, deadline=None)
@given(st.lists(OPS, max_size=12), st.integers(0, 12))
def test_undo_all_then_redo_all_gives_back_each_state(ops, partial):
    p = project()
    states = [project_json(p)]
    history = []
    for op in ops:
        before = apply(p, op)
        if before is not None:
            history.append((before, before.after(p)))
            states.append(project_json(p))
    # Undo some, redo them, then undo everything: each step lands exactly on the state recorded for it.
    undone = min(partial, len(history))
    for k in range(undone):
        history[-1 - k][0].restore(p)
        assert project_json(p) == states[-2 - k]
    for k in range(undone, 0, -1):
        history[-k][1].restore(p)
        assert project_json(p) == states[-k]
    for k in range(len(history)):
        history[-1 - k][0].restore(p)
        assert project_json(p) == states[-2 - k]
    assert project_json(p) == states[0]


def test_scene_edits_mark_the_user_and_refuse_bad_input():
    p = project(3)
    first, second, third = (s.id for s in p.scenes)
    edits.move_scenes(p, [3], 1)
    assert [s.id for s in p.scenes] == [third, first, second]
    edits.move_scenes(p, [1, 2], 2)  # two scenes after the one left
    assert [s.id for s in p.scenes] == [second, third, first]
    copy = edits.duplicate_scene(p, 1)
    assert p.scenes[1] is copy and copy.id != second and copy.script == p.scenes[0].script
    assert copy.is_user_edited("script")
    blank = edits.insert_scene(p, 5)
    assert p.scenes[-1] is blank and blank.script == ""
    with pytest.raises(BadInput, match="positions 1 to"):
        edits.move_scenes(p, [1], 9)
    with pytest.raises(BadInput, match="no scene 9"):
        edits.delete_scenes(p, [9])
    scene = p.scenes[0]
    edits.edit_scene(p, scene, duration=4.5)
    assert scene.duration == 4.5 and scene.is_user_edited("duration")
    edits.edit_scene(p, scene, duration=0)  # 0: timed by the narration again
    assert scene.duration is None and not scene.is_user_edited("duration")
    with pytest.raises(BadInput, match="more than 0"):
        edits.edit_scene(p, scene, duration=-1)


def test_takes_that_hold_the_film_together_cannot_be_deleted():
    p = project(2)
    scene = p.scenes[0]
    edits.pin_base_frame(p, scene, scene.takes[1].id)
    with pytest.raises(BadInput, match="Base Frame"):
        edits.delete_take(p, scene, scene.takes[1].id)
    other = p.scenes[1]
    edits.pin_scene(other, other.takes[0].id)
    with pytest.raises(BadInput, match="pinned"):
        edits.delete_take(p, other, other.takes[0].id)
    edits.pin_scene(other, pinned=False)
    other.takes[1].score = 0.9
    edits.delete_take(p, other, other.takes[0].id)
    assert other.selected_take == other.takes[0].id and len(other.takes) == 1
    assert isinstance(p.base_frame, BaseFrame)
