"""The Keyframe Iteration with the offline writer, the sketch renderer and the offline monitor."""

from __future__ import annotations

import asyncio
import threading

import pytest
from PIL import Image

from dreamfactory_studio.backends.backend_set import Backends
from dreamfactory_studio.backends.image import GenerationCancelled, ImageRequest
from dreamfactory_studio.backends.image.sketch import SketchRenderer
from dreamfactory_studio.cli import main
from dreamfactory_studio.core import edits
from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.events import StepProgress, TakeMade
from dreamfactory_studio.core.model import Project
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.settings import KeyframeSettings, Settings
from dreamfactory_studio.production.imports import import_base_frame
from dreamfactory_studio.production.run import Production

from .paths import SAMPLE_STORY, STORIES


def from_number(production, number: int) -> tuple[str, ...]:
    """The ids of scene ``number`` and the scenes after it, as the CLI's --from-scene gives them."""
    return tuple(s.id for s in production.project.scenes[number - 1 :])


def settings(**keyframes) -> Settings:
    return Settings(keyframes=KeyframeSettings(width=320, height=180, **keyframes))


def production(folder, **keyframes) -> Production:
    return Production(folder, folder.load(), Backends(settings(**keyframes)))


def run(folder, coroutine_of):
    made = production(folder)
    try:
        return asyncio.run(coroutine_of(made)), made
    finally:
        made.backends.close()


@pytest.fixture
def folder(tmp_path):
    story = (SAMPLE_STORY).read_text()
    with ProjectFolder.create(
        tmp_path / "p", Project(title="Ferry", story=story, request={"scenes": 5})
    ) as folder:
        run(folder, lambda p: p.run(until="script"))
        yield folder


def snapshot(folder, numbers):
    project = folder.load()
    out = []
    for n in numbers:
        scene = project.scenes[n - 1]
        assets = [folder.asset_path(t.image).read_bytes() for t in scene.takes]
        out.append((scene.model_dump_json(), assets))
    return out


def test_the_iteration_over_five_scenes(folder):
    events = []
    made = production(folder)
    made.emit = events.append
    asyncio.run(made.run())
    made.backends.close()
    project = folder.load()
    assert project.phases["keyframes"].status == "done"
    assert project.base_frame and project.base_frame.image == project.scenes[0].keyframe.image
    bd = project.base_description.text
    assert "Measured palette" in bd and "Captain Amara Okafor: a tall woman in a faded blue coat" in bd
    for number, scene in enumerate(project.scenes, start=1):
        keyframe = scene.keyframe
        assert keyframe and folder.asset_path(keyframe.image).is_file()
        assert scene.keyframe_description.startswith(f"Scene {number}:")
        assert keyframe.seed >= 0 and keyframe.backend == "sketch renderer" and keyframe.model == "sketch-1"
        assert 0 <= keyframe.score <= 1 and keyframe.score_reason
        if number > 1:
            assert project.base_frame.image in keyframe.references
            previous = project.scenes[number - 2]
            # P(t) = f(S(t), C(t-1), BD): the script comes first and BD's fixed colours close the prompt; the
            # previous frame carries over as a continuity reference, not as words a painter would draw.
            assert keyframe.prompt.startswith(scene.script.split(".")[0])
            assert "colours " in keyframe.prompt and "%" not in keyframe.prompt
            assert "Scene " not in keyframe.prompt and previous.keyframe.image in keyframe.references
            assert keyframe.recipe.references == [], "the sketch renderer draws from facts, not from images"
            assert "draws from the scene's facts" in keyframe.recipe.notes[0]
        for character in (project.character(i) for i in scene.characters):
            assert character.name in keyframe.prompt
            assert character.sheet and character.sheet.image in keyframe.references
            assert 0 <= keyframe.identity[character.id] <= 1
    assert sum(isinstance(e, TakeMade) for e in events) == sum(len(s.takes) for s in project.scenes)
    assert any(isinstance(e, StepProgress) for e in events)
    assert len(list((folder.root / "memory").glob("*"))) == 2
    assert all(c.sheet and c.sheet.source == "generated" and c.takes for c in project.characters)
    roles = {m.role for m in project.transcripts if m.phase == "keyframes"}
    assert roles == {"art_director", "director", "monitor"}
    verdicts = [m.text for m in project.transcripts if m.role == "monitor" and ", take " in m.text]
    drawn = sum(len(s.takes) for s in project.scenes) + sum(len(c.takes) for c in project.characters)
    assert len(verdicts) == drawn, "the monitor speaks on every take, the sheets' too"


def test_rerun_from_scene_3_leaves_scenes_1_and_2_byte_identical(folder):
    run(folder, lambda p: p.run())
    before = snapshot(folder, [1, 2])
    takes_before = [len(s.takes) for s in folder.load().scenes]
    drawn, made = run(folder, lambda p: p.run_keyframes(from_number(p, 3)))
    assert drawn == [3, 4, 5]
    assert snapshot(folder, [1, 2]) == before
    after = folder.load()
    assert [len(s.takes) for s in after.scenes][:2] == takes_before[:2]
    assert all(len(after.scenes[i].takes) > takes_before[i] for i in (2, 3, 4)), "new takes; old ones kept"
    assert made.designer.painter_calls >= 3


def test_painter_calls_are_proportional_to_the_scenes_redrawn(folder):
    run(folder, lambda p: p.run())
    calls = {}
    for k in (2, 3, 4, 5):
        made = production(folder, threshold=0.0, identity_threshold=0.0)
        asyncio.run(made.run_keyframes(from_number(made, k)))
        made.backends.close()
        calls[k] = made.designer.painter_calls
    assert calls == {2: 4, 3: 3, 4: 2, 5: 1}


def test_a_pinned_scene_is_untouched_and_serves_as_context(folder):
    run(folder, lambda p: p.run())
    project = folder.load()
    edits.pin_scene(project.scenes[3])
    folder.save(project)
    before = snapshot(folder, [4])
    run(folder, lambda p: p.run_keyframes(from_number(p, 3)))
    assert snapshot(folder, [4]) == before
    project = folder.load()
    fifth = project.scenes[4].keyframe
    assert project.scenes[3].keyframe.image in fifth.references, (
        "the pinned frame is the next one's continuity"
    )


def test_a_user_edited_base_description_is_kept_and_reaches_the_prompts(folder):
    run(folder, lambda p: p.run())
    project = folder.load()
    edits.edit_base_description(project, "Amara always wears a faded BLUE coat and a brass whistle.")
    folder.save(project)
    run(folder, lambda p: p.run_keyframes())
    project = folder.load()
    assert project.base_description.text == "Amara always wears a faded BLUE coat and a brass whistle."
    for scene in project.scenes[1:]:
        assert "brass whistle" in scene.keyframe.prompt


def test_an_imported_base_frame_is_pinned_and_held_to(folder, tmp_path):
    run(folder, lambda p: p.run(until="script"))
    picture = tmp_path / "base.jpg"
    Image.new("RGB", (320, 180), (200, 40, 40)).save(picture)
    project = folder.load()
    import_base_frame(folder, project, picture)
    folder.save(project)
    run(folder, lambda p: p.run())
    project = folder.load()
    assert project.base_frame.source == "imported" and project.base_frame.pinned_by_user
    assert project.scenes[0].keyframe.backend == "imported"
    assert all(project.base_frame.image in s.keyframe.references for s in project.scenes[1:])
    (tmp_path / "fake.png").write_text("not an image at all")
    with pytest.raises(BadInput, match="is not an image that can be read"):
        import_base_frame(folder, project, tmp_path / "fake.png")


def test_same_seed_same_pixels_new_seed_new_take():
    renderer = SketchRenderer()
    request = ImageRequest(prompt="A ferry in fog on the river at dawn.", seed=5, width=320, height=180)
    first = renderer.generate(request, lambda *a: None, lambda: False).image
    again = renderer.generate(request, lambda *a: None, lambda: False).image
    request.seed = 6
    other = renderer.generate(request, lambda *a: None, lambda: False).image
    assert first.tobytes() == again.tobytes() and first.tobytes() != other.tobytes()


class BlockingPainter(SketchRenderer):
    """Stands in for a slow model: it waits, step by step, until it is cancelled."""

    label = "blocking painter"
    started = threading.Event()

    def generate(self, request, on_step, cancelled):
        for step in range(1, 1000):
            self.started.set()
            on_step(step, 1000)
            if cancelled():
                raise GenerationCancelled("cancelled")
            threading.Event().wait(0.01)
        raise AssertionError("never cancelled")


def test_cancel_mid_generation_saves_no_half_take(folder):
    run(folder, lambda p: p.run())
    before = folder.load()
    made = Production(folder, folder.load(), Backends(settings(), painter=BlockingPainter()))

    async def go():
        task = asyncio.create_task(made.run_keyframes(from_number(made, 2)))
        while not BlockingPainter.started.is_set():
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(go())
    made.backends.close()
    after = folder.load()
    assert [len(s.takes) for s in after.scenes] == [len(s.takes) for s in before.scenes]
    assert after.scenes[1].selected_take == before.scenes[1].selected_take


def test_the_cli_runs_pins_and_reruns(tmp_path, capsys):
    project = str(tmp_path / "cli")
    assert main(["new", str(STORIES / "robot-garden.txt"), project, "--scenes", "4"]) == 0
    assert main(["run", project, "--quiet"]) == 0
    assert main(["run", project, "--from-scene", "9"]) == 2
    assert "there is no scene 9" in capsys.readouterr().err
    assert main(["pin", project, "--scene", "2"]) == 0
    assert main(["edit", project, "--base-description", "Pip is a small rusty robot with blue eyes."]) == 0
    assert main(["run", project, "--from-scene", "2"]) == 0
    out = capsys.readouterr().out
    assert "scene 2: pinned" in out and ("scene 4: done" in out or "scene 4: drift" in out)
    assert main(["run", project, "--scene", "3", "--quiet"]) == 0
    assert main(["show", project]) == 0
    shown = capsys.readouterr().out
    assert "Base Description (yours): Pip is a small rusty robot" in shown
    assert main(["pin", project, "--scene", "2", "--take", "take-nope"]) == 2
    assert "has no take 'take-nope'" in capsys.readouterr().err


def test_a_base_frame_pinned_from_another_scene_still_gives_scene_1_a_keyframe(folder):
    run(folder, lambda p: p.run())
    project = folder.load()
    third = project.scenes[2]
    edits.pin_base_frame(project, third)
    folder.save(project)
    run(folder, lambda p: p.run_keyframes())
    project = folder.load()
    assert project.base_frame.image == third.keyframe.image and project.base_frame.pinned_by_user
    first = project.scenes[0].keyframe
    assert first.image != third.keyframe.image and project.base_frame.image in first.references
    assert project.phases["keyframes"].status == "done"
