"""Edit records checked (issue 35, part 5): every public edit of ``core/edits.py``, called with generated
arguments, changes nothing of the project outside what it declares with ``@touches``; and an edit it refuses
changes nothing at all. Undo snapshots exactly the declared parts, so a change outside them would survive an
undo."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from dreamfactory_studio.core import edits
from dreamfactory_studio.core.changes import Changes, declared
from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.model import Box, Character, Project, Scene, Take
from dreamfactory_studio.core.project_folder import project_json
from dreamfactory_studio.core.takes import Placement

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)


def project() -> Project:
    characters = [
        Character(
            name=name,
            description=f"{name} look",
            takes=[
                Take(image=f"assets/{name}-{k}.png", seed=k, prompt="sheet", backend="sketch")
                for k in range(2)
            ],
        )
        for name in ("Mira", "Jonas")
    ]
    scenes = []
    for i in range(5):
        takes = [
            Take(image=f"assets/{i}-{k}.png", seed=k, prompt=f"p{i}", backend="sketch") for k in range(3)
        ]
        scenes.append(
            Scene(
                title=f"S{i}",
                script=f"script {i}",
                takes=takes,
                selected_take=takes[0].id,
                characters=[characters[i % 2].id],
            )
        )
    return Project(title="t", story="s", scenes=scenes, characters=characters)


def call(p: Project, draw) -> tuple:
    """One public edit with generated arguments: (edit, args, kwargs)."""
    n = len(p.scenes)
    scene = p.scenes[draw(st.integers(0, n - 1))] if n else None
    take = draw(st.sampled_from(scene.takes)).id if scene and scene.takes else "take-none"
    numbers = st.lists(st.integers(0, n + 1), min_size=1, max_size=3)
    character = draw(st.sampled_from(p.characters)) if p.characters else None
    options = ["insert", "edit_style", "edit_outline", "direction", "base", "monitor", "unpin_base"]
    if scene is not None:
        options += ["edit_scene", "move", "duplicate", "delete", "delete_take", "select", "pin", "end_frame"]
        options += ["clip_end", "pin_base", "layout", "conform"]
    if character is not None:
        options += ["character", "pin_sheet", "unpin_sheet", "lora"]
    if p.cut_scenes:
        options.append("restore")
    kind = draw(st.sampled_from(options))
    if kind == "edit_scene":
        field = draw(
            st.sampled_from(["script", "title", "narration", "notes", "shot", "characters", "dialogue"])
        )
        value = {
            "characters": draw(st.lists(st.sampled_from(["Mira", "Jonas", "Ines"]), max_size=2)),
            "dialogue": draw(st.sampled_from(["Mira: Hello.", "Ines ^: Hi.\nJonas: Go.", "no speaker", ""])),
        }.get(field, draw(TEXT))
        extra = {"duration": draw(st.sampled_from([0.0, 4.5, -1.0]))} if draw(st.booleans()) else {}
        return edits.edit_scene, (p, scene), {field: value, **extra}
    if kind == "move":
        return edits.move_scenes, (p, draw(numbers), draw(st.integers(0, n + 1))), {}
    if kind == "insert":
        return edits.insert_scene, (p, draw(st.integers(0, n + 2))), {}
    if kind == "duplicate":
        return edits.duplicate_scene, (p, draw(st.integers(0, n + 1))), {}
    if kind == "delete":
        return edits.delete_scenes, (p, draw(numbers)), {}
    if kind == "delete_take":
        return edits.delete_take, (p, scene, take), {}
    if kind == "edit_style":
        return edits.edit_style, (p,), {"style": draw(TEXT), "palette": draw(TEXT)}
    if kind == "edit_outline":
        return edits.edit_outline, (p, draw(TEXT)), {}
    if kind == "direction":
        return edits.set_direction, (p, draw(st.sampled_from(["task", "script", "premiere"])), draw(TEXT)), {}
    if kind in ("base", "monitor"):
        edit = edits.edit_base_description if kind == "base" else edits.replace_base_description
        return edit, (p, draw(TEXT)), {}
    if kind == "unpin_base":
        return edits.unpin_base_frame, (p,), {}
    if kind == "select":
        return edits.select_take, (scene, draw(st.sampled_from([take, None, "take-gone"]))), {}
    if kind == "pin":
        return edits.pin_scene, (scene, draw(st.sampled_from([take, None]))), {"pinned": draw(st.booleans())}
    if kind == "end_frame":
        return edits.pin_end_frame, (scene, draw(st.sampled_from([take, None, "take-gone"]))), {}
    if kind == "clip_end":
        return edits.set_clip_end, (scene, draw(st.sampled_from(["", "free", "next", "own", "sideways"]))), {}
    if kind == "pin_base":
        return edits.pin_base_frame, (p, scene, take), {}
    if kind == "layout":
        who = draw(st.sampled_from([c.id for c in p.characters] + ["char-gone"]))
        box = Box(left=0.1, top=0.1, right=draw(st.sampled_from([0.6, 0.9])), bottom=0.9)
        return edits.set_layout, (p, scene, [Placement(character=who, box=box)]), {}
    if kind == "conform":
        ids = [s.id for s in p.scenes]
        kept = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=len(ids), unique=True))
        durations = {kept[0]: draw(st.sampled_from([3.0, 7.5]))}
        return edits.conform_to_edit, (p, kept, durations, "edit.otio"), {}
    if kind == "restore":
        return edits.restore_scenes, (p,), {}
    if kind == "character":
        name = draw(st.sampled_from([character.name, "Nobody"]))
        return edits.edit_character, (p, name), {"description": draw(TEXT), "rename": draw(st.none() | TEXT)}
    if kind == "pin_sheet":
        return (
            edits.pin_sheet,
            (p, character, draw(st.sampled_from([t.id for t in character.takes] + ["x"]))),
            {},
        )
    if kind == "unpin_sheet":
        return edits.unpin_sheet, (p, character), {}
    return edits.set_lora, (p, character, draw(st.sampled_from(["/loras/mira.safetensors", None]))), {}


def unchanged_outside(before: dict, after: dict, changes: Changes) -> list[str]:
    """What changed in the project outside ``changes``."""
    wrong = [
        key for key in before if key != "scenes" and key not in changes.fields and before[key] != after[key]
    ]
    old = {s["id"]: s for s in before["scenes"]}
    new = {s["id"]: s for s in after["scenes"]}
    if not changes.order and list(old) != list(new):
        wrong.append("the order or the set of scenes")
    wrong += [f"scene {i}" for i in old.keys() & new.keys() if i not in changes.scenes and old[i] != new[i]]
    wrong += [f"scene {i} removed undeclared" for i in old.keys() - new.keys() if i not in changes.scenes]
    return wrong


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_every_edit_changes_only_what_it_declares(data):
    p = project()
    for _ in range(data.draw(st.integers(1, 6))):
        edit, args, kwargs = call(p, data.draw)
        changes = declared(edit, *args, **kwargs)
        before = json.loads(project_json(p))
        try:
            edit(*args, **kwargs)
        except BadInput:
            assert json.loads(project_json(p)) == before, f"{edit.__name__} refused, yet changed the project"
            continue
        wrong = unchanged_outside(before, json.loads(project_json(p)), changes)
        assert not wrong, f"{edit.__name__}{kwargs} changed {wrong} outside what it declares ({changes})"


def test_the_check_fails_when_an_edit_changes_more_than_it_declares():
    p = project()
    before = json.loads(project_json(p))
    edits.edit_scene(p, p.scenes[0], characters=["Ines"])  # adds a character: declared
    assert unchanged_outside(before, json.loads(project_json(p)), Changes.of([p.scenes[0].id])) == [
        "characters"
    ]
