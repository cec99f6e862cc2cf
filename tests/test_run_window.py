"""Running the crew from the window (pytest-qt, offscreen, on a real qasync loop): run all or a phase at a time,
chat panes that stream, re-run from a scene, pins and the Base Description reaching the prompts, cancel, faults
with retry, closing during a run, the export dialog, and a window that never freezes."""

from __future__ import annotations

import asyncio
import time

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox

from dreamfactory_studio.core.events import MessageStarted, ModelLoading, SceneStarted
from dreamfactory_studio.core.model import PHASES, Project
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.settings import LLMSettings, MonitorSettings, save_settings
from dreamfactory_studio.production.run_progress import RunProgress

from .crew_answers import TASK
from .film_projects import small_settings
from .openai_server import Play
from .paths import SAMPLE_STORY
from .studio_window import saved, select, type_into, wait

Retry, Yes = QMessageBox.StandardButton.Retry, QMessageBox.StandardButton.Yes


@pytest.fixture(autouse=True)
def small(user_dirs):
    """The studio's settings file: offline backends, small frames, silent narration."""
    save_settings(small_settings())


@pytest.fixture
def fresh(tmp_path):
    """A new project made from the sample story, nothing run yet."""
    project = Project(title="The Last Ferry", story=SAMPLE_STORY.read_text(), request={"scenes": 4})
    with ProjectFolder.create(tmp_path / "new", project):
        pass
    return tmp_path / "new"


def settle(loop, window) -> list[BaseException | None]:
    """Run the loop until the window has no job running, including one that a job's end starts (Retry);
    return how each job ended. All of it inside one running loop, as in the studio."""
    ended: list[BaseException | None] = []

    async def until_idle():
        seen = None
        while window.jobs.current is not seen:
            seen = window.jobs.current
            await asyncio.wait([seen])
            ended.append(asyncio.CancelledError() if seen.cancelled() else seen.exception())
            await asyncio.sleep(0.05)  # the job's done-callbacks, which may start the next one

    loop.run_until_complete(until_idle())
    return ended


def image_bytes(root, scene) -> bytes:
    return (root / scene.keyframe.image).read_bytes()


def test_from_a_story_to_a_finished_run_with_chat_and_progress(window, fresh, loop, qtbot):
    window.open_project(str(fresh))
    window.actions["stopAfterPhase"].setChecked(False)
    fractions, doing = [], set()
    window.actions["run"].trigger()
    progress = window.runs.progress
    window.session.changed.connect(lambda _changes: fractions.append(progress.fraction))
    window.session.changed.connect(lambda _changes: doing.add(progress.doing))
    assert window.runs.bar.isVisible() and window.runs.bar.maximum() == 1000
    assert wait(loop, window) is None
    project = window.session.project
    assert all(project.phases[p].status == "done" for p in PHASES)
    assert window.model.rowCount() == 4
    qtbot.waitUntil(
        lambda: all(window.model.card(r).image_state == "ready" for r in range(4)), timeout=10_000
    )
    # The chat: every role that spoke has its tab, and All holds the whole conversation in order.
    everything = window.chat.text()
    for role in ("ceo", "producer", "director", "art_director", "screenwriter", "monitor"):
        assert window.chat.views[role].messages > 0, role
    assert everything.index("· task ·") < everything.index("· style ·") < everything.index("· keyframes ·")
    assert "Base Description:" in window.chat.text("monitor")
    assert window.chat.views["all"].messages == len(project.transcripts)
    # Progress rose to the end and named the phase and its round.
    assert fractions == sorted(fractions) and progress.fraction == 1.0
    assert any("round" in d for d in doing), doing
    assert not window.runs.bar.isVisible()
    # Saved as it went; the whole run is one undo step that takes the project back.
    assert saved(fresh).phases["keyframes"].status == "done"
    assert window.session.undo.count() == 1 and not window.session.modified
    window.actions["undo"].trigger()
    assert window.model.rowCount() == 0 and window.session.project.phases["task"].status == "pending"
    window.actions["redo"].trigger()
    assert window.model.rowCount() == 4


def test_the_transcript_reloads_with_the_project(window, project_dir):
    window.open_project(str(project_dir))
    messages = len(saved(project_dir).transcripts)
    assert messages and window.chat.views["all"].messages == messages
    assert window.chat.views["screenwriter"].messages > 0
    window.close_project()
    assert window.chat.text() == ""


def test_stop_after_each_phase_edit_between_phases_and_go_on(window, fresh, loop):
    window.open_project(str(fresh))
    window.actions["stopAfterPhase"].setChecked(True)
    window.actions["run"].trigger()
    assert wait(loop, window) is None
    phases = window.session.project.phases
    assert phases["task"].status == "done" and phases["style"].status == "pending"
    assert "Stopped after the task phase" in window.statusBar().currentMessage()
    assert "the style phase" in window.statusBar().currentMessage()
    # Between phases: a direction for the script's crew, given in the chat dock, undoable.
    window.chat.phase.setCurrentText("script")
    window.chat.direction.setText("Open on the fog, close on the sunrise.")
    window.chat.give.click()
    assert window.session.project.directions == {"script": "Open on the fog, close on the sunrise."}
    window.actions["run"].trigger()
    assert wait(loop, window) is None
    # After the style phase: change the style in the Decisions panel; the crew keeps it from now on.
    panel = window.decisions
    assert panel.style_box.currentText() == window.session.project.style.style
    type_into(panel._fields["style"], "ink wash")
    type_into(panel._fields["palette"], "black ink, one red lantern")
    assert window.session.project.style.user_edited == ["palette", "style"]
    window.actions["undo"].trigger()
    assert window.session.project.style.palette != "black ink, one red lantern"
    window.actions["redo"].trigger()
    for _ in ("story", "script"):
        window.actions["run"].trigger()
        assert wait(loop, window) is None
    # After the story phase the cast is there to change too.
    amara = next(c for c in window.session.project.characters if "Amara" in c.name)
    panel.cast.setCurrentRow(window.session.project.characters.index(amara))
    type_into(panel._fields["description"], "tall, faded blue coat, brass whistle")
    assert window.session.project.characters[panel.cast.currentRow()].is_user_edited("description")
    assert window.session.project.style.style == "ink wash"
    assert window.session.project.phases["script"].status == "done"
    assert window.model.rowCount() == 4 and window.session.project.phases["keyframes"].status == "pending"
    assert window.scene_editor.scene_id == window.session.project.scenes[0].id, "the first scene is shown"
    # Edit a script by hand between the script and keyframe phases; the keyframes draw from it.
    select(window, 2)
    type_into(window.scene_editor._texts["script"], "Amara lights the lantern at the bow.")
    window.actions["run"].trigger()
    assert wait(loop, window) is None
    assert "Every phase is done: export the film" in window.statusBar().currentMessage()
    scene = window.session.project.scenes[1]
    assert "Amara lights the lantern at the bow" in scene.keyframe.prompt
    assert "ink wash" in scene.keyframe.prompt and "brass whistle" in scene.keyframe.prompt
    on_disk = saved(fresh)
    assert on_disk.scenes[1].script == "Amara lights the lantern at the bow."
    assert on_disk.style.palette == "black ink, one red lantern"


def test_rerun_from_scene_3_after_editing_its_script_keeps_scenes_1_and_2(window, project_dir, loop):
    window.open_project(str(project_dir))
    before = [s.model_dump() for s in saved(project_dir).scenes[:2]]
    pictures = [image_bytes(project_dir, s) for s in saved(project_dir).scenes[:2]]
    select(window, 3)
    type_into(window.scene_editor._texts["script"], "The engine coughs; Amara kicks it back to life.")
    window.actions["rerunFrom"].trigger()
    assert window.jobs.what == "Keyframes from scene 3"
    assert wait(loop, window) is None
    after = saved(project_dir)
    assert [s.model_dump() for s in after.scenes[:2]] == before
    assert [image_bytes(project_dir, s) for s in after.scenes[:2]] == pictures
    assert "The engine coughs" in after.scenes[2].keyframe.prompt
    assert after.scenes[3].keyframe.created > after.scenes[2].takes[0].created


def test_a_pinned_base_frame_and_your_base_description_reach_the_next_prompts(window, project_dir, loop):
    window.open_project(str(project_dir))
    select(window, 2)
    window.actions["baseFrame"].trigger()
    base = window.session.project.base_frame
    assert base.pinned_by_user and base.image == window.session.project.scenes[1].keyframe.image
    words = "Amara wears a crimson scarf in every frame; ink wash, grey river."
    type_into(window.base_panel._text, words)
    assert window.session.project.base_description.user_edited
    select(window, 2)
    window.actions["rerunFrom"].trigger()
    assert wait(loop, window) is None
    project = saved(project_dir)
    assert project.base_description.text == words and project.base_frame.image == base.image
    for scene in project.scenes[1:]:
        take = scene.keyframe
        assert "crimson scarf" in take.prompt, take.prompt
        assert take.references[0] == base.image


def test_cancel_during_a_run_keeps_what_finished(window, fresh, loop):
    window.open_project(str(fresh))
    window.actions["stopAfterPhase"].setChecked(False)
    window.actions["run"].trigger()

    def cancel_at_scene_2(_changes):
        if len([s for s in window.session.project.scenes if s.keyframe]) >= 1:
            window.actions["cancelJob"].trigger()

    window.session.changed.connect(cancel_at_scene_2)
    assert isinstance(wait(loop, window), asyncio.CancelledError)
    assert "cancelled" in window.statusBar().currentMessage()
    session = window.session
    assert not session.busy and session.activity == {}
    on_disk = saved(fresh)
    assert on_disk.phases["script"].status == "done" and on_disk.phases["keyframes"].status != "done"
    assert on_disk.scenes[0].keyframe is not None
    assert [s.model_dump() for s in on_disk.scenes] == [s.model_dump() for s in session.project.scenes]
    assert window.actions["run"].isEnabled()


def test_streamed_words_appear_in_the_chat_token_by_token(window, fresh, loop, openai_server):
    save_settings(
        small_settings().model_copy(
            update={"llm": LLMSettings(base_url=openai_server.url, model="test-model")}
        )
    )
    openai_server.queue(
        Play(
            text="Let us define the task, step by step, for a short film about a ferry in the fog, "
            "its captain and one last crossing before the river closes for the winter.",
            piece=4,
            delay=0.03,
        ),
        Play(text=TASK, piece=6, delay=0.01),
    )
    window.open_project(str(fresh))
    window.chat.phase.setCurrentText("task")
    window.chat.direction.setText("Make it for children.")
    window.chat.give.click()
    seen = []
    ceo = window.chat.views["ceo"]
    ceo.textChanged.connect(lambda: seen.append(ceo.toPlainText()))
    window.runs.run_phase("task")
    assert wait(loop, window) is None
    lengths = [len(text) for text in seen]
    # Shown as they come (gathered for at most 40 ms, so a view is not laid out again for every token).
    assert len(set(lengths)) >= 8 and lengths == sorted(lengths), "the words arrived a few at a time"
    assert any("Let us" in text and "winter." not in text for text in seen), "a part was shown alone"
    assert "one last crossing before the river closes for the winter." in window.chat.text("ceo")
    assert window.session.project.task.scenes == 4
    system = openai_server.requests[0]["messages"][0]["content"]
    assert "Make it for children." in system, "the direction went into the conversation"


def test_a_monitor_that_fails_mid_run_marks_the_scene_keeps_the_rest_and_retries(
    window, project_dir, loop, openai_server, answers
):
    import json

    def monitor(body):
        text = body["messages"][-1]["content"][0]["text"]
        if "JSON" in text:
            return json.dumps({"score": 0.9, "reason": "consistent"})
        return "A frame."

    openai_server.default = monitor
    settings = small_settings().model_copy(
        update={"monitor": MonitorSettings(base_url=openai_server.url, model="test-model", max_retries=0)}
    )
    save_settings(settings)
    window.open_project(str(project_dir))
    third = window.session.project.scenes[2].id

    failed = []

    def fail_on_scene_3(event):
        if isinstance(event, SceneStarted) and event.number == 3 and not failed:
            failed.append(event)
            openai_server.queue(Play(status=400, error="the vision model fell over"))

    original = window.runs.on_event
    window.runs.on_event = lambda e: (original(e), fail_on_scene_3(e))
    before = [s.model_dump() for s in saved(project_dir).scenes[:2]]
    shown, replies = answers
    replies.append(QMessageBox.StandardButton.Close)
    select(window, 2)
    window.actions["rerunFrom"].trigger()
    error = wait(loop, window)
    assert error is not None and "fell over" in str(error)
    # The error is on the status bar and on scene 3's card; scene 2's new keyframe is kept.
    assert "fell over" in window.statusBar().currentMessage()
    card = window.model.card(2)
    assert card.activity.error and "fell over" in card.activity.error
    assert window.model.data(window.model.index(2), Qt.ItemDataRole.ToolTipRole).startswith("Failed:")
    assert "Retry from scene 3?" in shown[-1][1]
    on_disk = saved(project_dir)
    assert (
        on_disk.scenes[1].keyframe.score == 0.9 and [s.model_dump() for s in on_disk.scenes[:1]] == before[:1]
    )
    # Retry (from the Production menu, after closing the question) goes on from scene 3 and clears the mark.
    assert window.actions["retry"].isEnabled()
    window.actions["retry"].trigger()
    assert window.jobs.what == "Keyframes from scene 3"
    assert wait(loop, window) is None
    assert third not in window.session.activity
    assert all(s.keyframe.score == 0.9 for s in saved(project_dir).scenes[2:])


def test_a_lost_llm_connection_is_retried_without_losing_the_conversation(
    window, fresh, loop, openai_server, answers
):
    save_settings(
        small_settings().model_copy(
            update={"llm": LLMSettings(base_url=openai_server.url, model="test-model", max_retries=0)}
        )
    )
    # The small crew's task phase: one round (CEO, Producer), then the Producer is asked to conclude.
    openai_server.queue(
        "Let us define the task.",
        "I suggest a short film for all ages.",
        Play(status=500, error="connection lost"),
        TASK,
    )
    window.open_project(str(fresh))
    answers[1].append(Retry)
    window.runs.run_phase("task")
    first, second = settle(loop, window)
    assert "connection lost" in str(first) and "Retry?" in answers[0][-1][1]
    assert second is None
    # The retry asked for the Producer's conclusion alone, with the conversation so far as its history.
    assert len(openai_server.requests) == 4
    history = [m["content"] for m in openai_server.requests[-1]["messages"][1:]]
    assert "I suggest a short film for all ages." in history
    texts = [m.text for m in window.session.project.transcripts]
    assert texts[:2] == ["Let us define the task.", "I suggest a short film for all ages."]
    assert len(texts) == 4 and texts[-1] == TASK.strip()
    assert window.session.project.phases["task"].status == "done"
    assert window.chat.text().count("I suggest a short film for all ages.") == 1


def test_closing_during_a_run_asks_cancels_cleanly_and_saves(window, fresh, loop, answers):
    window.open_project(str(fresh))
    window.actions["stopAfterPhase"].setChecked(False)
    window.actions["run"].trigger()
    task = window.jobs.current
    while not window.session.project.transcripts:
        loop.run_until_complete(asyncio.sleep(0.01))
    answers[1].append(QMessageBox.StandardButton.No)
    window.close()
    assert window.isVisible() and window.jobs.running and "is running" in answers[0][-1][1]
    answers[1].append(Yes)
    window.close()
    with pytest.raises(asyncio.CancelledError):
        loop.run_until_complete(task)
    loop.run_until_complete(asyncio.sleep(0.05))
    assert not window.isVisible()
    assert not (fresh / ".lock").exists()
    on_disk = saved(fresh)
    assert on_disk.transcripts, "what the crew said before the close is saved"


def test_the_export_dialog_writes_a_playable_film_and_shows_its_folder(
    window, project_dir, loop, tmp_path, monkeypatch
):
    from .film_projects import probe

    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    window.open_project(str(project_dir))
    window.actions["export"].trigger()
    dialog = window.export_dialog
    f = dialog.find
    assert f("resolution").currentText() == "320x180"
    f("output").setText(str(tmp_path / "out" / "film.mp4"))
    assert f("csv").text() == str(tmp_path / "out" / "film-shots.csv"), "the other files follow the film"
    f("pdfOn").setChecked(True)
    f("pdf").setText(str(tmp_path / "out" / "board.pdf"))
    f("transition").setCurrentText("cut")
    values = []
    f("progress").valueChanged.connect(values.append)
    f("exportButton").click()
    assert not f("exportButton").isEnabled() and f("cancelButton").isEnabled()
    assert wait(loop, window) is None
    assert values == sorted(values) and values[-1] == 1000
    film = probe(tmp_path / "out" / "film.mp4")
    assert film["frames"].shape[1:3] == (180, 320) and len(film["frames"]) > 24
    assert "Audio: aac" in film["info"]
    assert (tmp_path / "out" / "film.srt").is_file() and (tmp_path / "out" / "board.pdf").is_file()
    assert "Wrote film.mp4" in f("stage").text()
    f("showButton").click()
    assert opened == [str(tmp_path / "out")]


def test_the_export_dialog_refuses_a_bad_name_and_cancels(window, project_dir, loop, tmp_path, answers):
    window.open_project(str(project_dir))
    window.open_export()
    f = window.export_dialog.find
    f("output").setText(str(tmp_path / "film.avi"))
    f("exportButton").click()
    assert wait(loop, window) is not None
    assert ".mp4" in f("stage").text() and f("exportButton").isEnabled()
    f("output").setText(str(tmp_path / "film.mp4"))
    f("pdfOn").setChecked(True)
    f("exportButton").click()
    from dreamfactory_studio.app.export_dialog import INPUTS

    enabled = [name for name in INPUTS if f(name).isEnabled()]
    assert enabled == [], f"inputs left enabled while the export runs: {enabled}"
    QTimer.singleShot(0, f("cancelButton").click)
    assert isinstance(wait(loop, window), asyncio.CancelledError)
    assert "Cancelled" in f("stage").text()
    assert not (tmp_path / "film.mp4").exists()
    assert f("pdf").isEnabled() and f("chooseOutput").isEnabled()  # the form is as it was


def test_run_progress_counts_turns_scenes_and_estimates_the_time_left():
    from dreamfactory_studio.core.events import (
        PhaseFinished,
        PhaseStarted,
        RunPlanned,
        SceneFinished,
        StepProgress,
    )

    now = [0.0]
    progress = RunProgress(clock=lambda: now[0])
    progress(RunPlanned(("script", "keyframes"), 3))
    assert progress.total == 4 and progress.remaining() is None
    progress(PhaseStarted("script", "Script Design", 2))
    progress(MessageStarted("script", "director", "Director", "x", 1))
    assert progress.doing == "Script Design · round 1 of 2" and progress.fraction == pytest.approx(0.25 / 4)
    now[0] = 10.0
    progress(PhaseFinished("script", "done"))
    assert progress.fraction == 0.25 and progress.remaining() == pytest.approx(30.0)
    progress(SceneStarted("s1", 1, "base frame"))
    progress(ModelLoading("loading sd-turbo"))
    assert progress.status_line().startswith("Loading the model: loading sd-turbo")
    progress(StepProgress("s1", 5, 10))
    assert progress.status_line().startswith("Scene 1: drawing the base frame")
    assert progress.fraction == pytest.approx(1.5 / 4)
    for n in (1, 2, 3):
        progress(SceneFinished(f"s{n}", n, "done"))
    assert progress.fraction == 1.0 and "100%" in progress.status_line()


def test_the_window_never_stalls_while_a_diffusers_model_draws(window, project_dir, loop, tmp_path):
    from .tiny_models import build_sd15

    model = build_sd15(tmp_path / "sd15")
    settings = small_settings()
    settings.image.backend, settings.image.model, settings.image.steps = "diffusers", str(model), 20
    settings.keyframes.width = settings.keyframes.height = 64
    save_settings(settings)
    window.open_project(str(project_dir))
    select(window, 3)
    gaps, last = [], [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer(interval=10)
    timer.timeout.connect(tick)
    timer.start()
    started = time.perf_counter()
    window.actions["regenerate"].trigger()
    assert wait(loop, window) is None
    drawing = (time.perf_counter() - started) * 1000
    timer.stop()
    scene = window.session.project.scenes[2]
    assert scene.keyframe.backend.startswith("diffusers")
    # The next take uses the model already loaded: each run makes its painter anew, the worker keeps the model.
    takes = len(scene.takes)
    window.actions["regenerate"].trigger()
    assert wait(loop, window) is None
    assert (
        len(window.session.project.scenes[2].takes) > takes
        and window.session.workspace.backends.worker.loads == 1
    )
    worst = max(gaps[1:]) * 1000
    print(f"largest UI stall while drawing with diffusers: {worst:.1f} ms over {len(gaps)} ticks")
    # Drawn on the window's thread, the loading and drawing would be one stall as long as themselves; a busy
    # machine may delay a tick by a few hundred ms. The speed goal (< 100 ms) is bench_run_window.py's.
    assert worst < max(100, drawing / 2), f"the window stalled {worst:.0f} ms of {drawing:.0f} ms drawing"
