"""The chat chain against a real OpenAI-compatible HTTP server on 127.0.0.1 playing scripted answers."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time

import pytest

from dreamfactory_studio.backends.backend_set import Backends
from dreamfactory_studio.backends.llm.openai_compatible import OpenAICompatibleLLM
from dreamfactory_studio.core.errors import BackendError, BadInput
from dreamfactory_studio.core.events import MessageFinished, TokenReceived
from dreamfactory_studio.core.model import Project
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.settings import LLMSettings
from dreamfactory_studio.production.conversation import MAX_REPLY_CHARS, PhaseFailed
from dreamfactory_studio.production.run import Production

from .crew_answers import STORY, STYLE, TASK, script
from .openai_server import Play
from .paths import REPO, SAMPLE_STORY


def clean_run() -> list[str]:
    return [
        "Let us define the task.",
        TASK,
        "What style?",
        STYLE,
        "Cast please.",
        STORY,
        "Script now.",
        script(3),
    ]


@pytest.fixture
def project_folder(tmp_path):
    project = Project(title="Ferry", story=SAMPLE_STORY.read_text(), request={"scenes": 3})
    folder = ProjectFolder.create(tmp_path / "p", project)
    yield folder
    folder.close()


def production(folder, server, *, emit=None, **settings) -> Production:
    llm = OpenAICompatibleLLM(LLMSettings(base_url=server.url, model="test-model", **settings))
    return Production(folder, folder.load(), Backends(llm=llm), **({"emit": emit} if emit else {}))


def test_a_clean_run_through_all_text_phases(project_folder, openai_server):
    openai_server.queue(*clean_run())
    events = []
    run = production(project_folder, openai_server, emit=events.append)
    assert asyncio.run(run.run(until="script")) == ["task", "style", "story", "script"]

    project = project_folder.load()
    assert project.task.scenes == 3 and project.style.style == "ink wash"
    assert [c.name for c in project.characters] == ["Amara", "Tomas"]
    assert len(project.scenes) == 3 and project.scenes[1].characters == [
        c.id for c in reversed(project.characters)
    ]
    assert all(project.phases[p].status == "done" for p in ("task", "style", "story", "script"))
    assert project.phases["script"].prompt_tokens == 22 and project.phases["script"].completion_tokens == 14
    # Transcripts persist, with reasoning, and are labelled with their source.
    assert len(project.transcripts) == 8
    assert project.transcripts[-1].source == "test-model @ " + openai_server.url
    assert "Step by step" in project.transcripts[5].text
    assert (project_folder.root / "transcripts" / "script.jsonl").exists()
    # Tokens were streamed to the listeners as they came.
    assert sum(isinstance(e, TokenReceived) for e in events) > 8
    # Both agents got the phase prompt and their own role card; later prompts carry earlier decisions.
    first = openai_server.requests[0]["messages"][0]["content"]
    assert "CEO and the Producer" in first and "Your role: CEO." in first
    script_prompt = openai_server.requests[7]["messages"][0]["content"]
    assert "Your role: Screenwriter." in script_prompt and "exactly 3 scenes" in script_prompt
    assert "ink wash" in script_prompt and "Amara: tall, blue coat" in script_prompt
    assert all(r["stream"] for r in openai_server.requests)


def test_without_streaming(project_folder, openai_server):
    openai_server.queue("Define it.", TASK)
    asyncio.run(production(project_folder, openai_server, stream=False).run(until="task"))
    assert project_folder.load().task.audience == "all ages"
    assert not any(r.get("stream") for r in openai_server.requests)


def test_a_missing_info_gets_a_reflection_turn(project_folder, openai_server):
    openai_server.queue(
        "Define it.",
        TASK,
        "idea one",
        "counter idea",
        "idea three",
        "still thinking",
        '{"style": "origami", "palette": "white"}',
    )
    asyncio.run(production(project_folder, openai_server).run(until="style"))
    assert project_folder.load().style.style == "origami"
    reflection = openai_server.requests[-1]
    assert reflection["response_format"] == {"type": "json_object"}
    assert "reached the limit" in reflection["messages"][-1]["content"]


def test_a_server_without_json_mode_concludes_in_plain_text(project_folder, openai_server):
    openai_server.reject_response_format = True
    openai_server.queue("Define it.", "hmm", STYLE.replace("ink wash", "anime"))
    run = production(project_folder, openai_server)
    run.project.phases["task"].status = "done"
    run.project.task = None
    run.crew.chain.crews["small"].rounds["style"] = 1
    asyncio.run(run.run_phase("style"))
    assert project_folder.load().style.style == "anime"


def test_a_malformed_scene_list_is_fixed_by_the_repair_turn(project_folder, openai_server):
    openai_server.queue(*clean_run()[:6], "Script now.", script(2), script(3))
    asyncio.run(production(project_folder, openai_server).run(until="script"))
    assert len(project_folder.load().scenes) == 3
    repair = openai_server.requests[-1]["messages"][-1]["content"]
    assert "the script has 2 scenes; exactly 3 were asked for" in repair


def test_a_conclusion_that_never_becomes_valid_fails_clearly_and_keeps_the_transcript(
    project_folder, openai_server
):
    bad = '<INFO> {"scenes": [{"title": "no script here"}]}'
    openai_server.queue(*clean_run()[:6], "Script now.", bad, "<INFO> {not json")
    run = production(project_folder, openai_server)
    with pytest.raises(PhaseFailed, match="not valid JSON.*even after one correction"):
        asyncio.run(run.run(until="script"))
    project = project_folder.load()
    assert project.scenes == [] and project.phases["script"].status == "failed"
    assert project.phases["story"].status == "done"
    assert [m.text for m in project.transcripts if m.phase == "script"][-1] == "<INFO> {not json"


def test_no_info_even_after_reflection(project_folder, openai_server):
    openai_server.queue("Define it.", "I refuse to conclude.", "Still no.")
    with pytest.raises(PhaseFailed, match=r"no decision \(<INFO>\) came even after asking"):
        asyncio.run(production(project_folder, openai_server).run(until="task"))
    assert project_folder.load().task is None


def test_empty_and_overlong_answers_fail_the_phase(project_folder, openai_server):
    openai_server.queue("Define it.", "")
    with pytest.raises(PhaseFailed, match="answered with nothing"):
        asyncio.run(production(project_folder, openai_server).run(until="task"))
    openai_server.queue("Define it.", Play(text="blah " * (MAX_REPLY_CHARS // 4), piece=4000))
    with pytest.raises(PhaseFailed, match="was cut off"):
        asyncio.run(production(project_folder, openai_server).run(until="task"))
    assert project_folder.load().task is None


def test_server_errors_are_retried_with_backoff(project_folder, openai_server):
    openai_server.queue("Define it.", Play(status=500), Play(status=503), TASK)
    asyncio.run(production(project_folder, openai_server, max_retries=3).run(until="task"))
    assert project_folder.load().task.scenes == 3
    assert len(openai_server.requests) == 4


def test_a_hang_hits_the_timeout(project_folder, openai_server):
    openai_server.queue(Play(text="late", hang=5))
    started = time.monotonic()
    with pytest.raises(BackendError, match="did not answer within 0.3 s"):
        asyncio.run(production(project_folder, openai_server, timeout=0.3, max_retries=0).run(until="task"))
    assert time.monotonic() - started < 3


def test_cancel_mid_stream_writes_nothing_half_done(project_folder, openai_server):
    openai_server.queue("Define it.", Play(text="word " * 400 + TASK, piece=5, delay=0.02))
    tokens = []
    run = production(
        project_folder,
        openai_server,
        emit=lambda e: tokens.append(e) if isinstance(e, TokenReceived) else None,
    )

    async def go():
        task = asyncio.create_task(run.run(until="task"))
        while len(tokens) < 20:
            await asyncio.sleep(0.01)
        cancelled_at = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return time.monotonic() - cancelled_at

    assert asyncio.run(go()) < 0.5
    project = project_folder.load()
    assert project.task is None and project.phases["task"].status == "pending"
    assert [m.text for m in project.transcripts] == ["Define it."], "the half-streamed answer is not kept"


def test_unreachable_server_401_and_unknown_model_give_clear_messages(project_folder, openai_server):
    unreachable = LLMSettings(base_url="http://127.0.0.1:9/v1", model="m", max_retries=0)
    project = project_folder.load()
    with pytest.raises(
        BackendError, match=r"cannot reach the LLM server at http://127.0.0.1:9/v1.*offline writer"
    ):
        asyncio.run(
            Production(project_folder, project, Backends(llm=OpenAICompatibleLLM(unreachable))).run(
                until="task"
            )
        )
    openai_server.api_key = "sk-right-key-000000"
    os.environ["OPENAI_API_KEY"] = "sk-wrong-key-000000"
    try:
        with pytest.raises(BackendError, match="refused the API key \\(401\\).*OPENAI_API_KEY"):
            asyncio.run(production(project_folder, openai_server, max_retries=0).run(until="task"))
    finally:
        del os.environ["OPENAI_API_KEY"]
    openai_server.api_key = None
    wrong = OpenAICompatibleLLM(LLMSettings(base_url=openai_server.url, model="llama-9", max_retries=0))
    with pytest.raises(BackendError, match="has no model 'llama-9' \\(404\\)"):
        asyncio.run(Production(project_folder, project_folder.load(), Backends(llm=wrong)).run(until="task"))
    with pytest.raises(BadInput, match="no model is set"):
        OpenAICompatibleLLM(LLMSettings(base_url=openai_server.url))


def test_the_cli_run_against_the_server_leaves_transcripts(tmp_path, openai_server):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    cli = [sys.executable, "-m", "dreamfactory_studio"]
    subprocess.run(
        [*cli, "new", str(SAMPLE_STORY), str(tmp_path / "p"), "--scenes", "3"], check=True, env=env
    )
    openai_server.queue(*clean_run())
    done = subprocess.run(
        [
            *cli,
            "run",
            str(tmp_path / "p"),
            "--until",
            "script",
            "--llm-url",
            openai_server.url,
            "--llm-model",
            "test-model",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "Producer (test-model @" in done.stdout and "Script now." in done.stdout
    transcript = (tmp_path / "p" / "transcripts" / "script.jsonl").read_text().splitlines()
    assert len(transcript) == 2 and json.loads(transcript[1])["role"] == "screenwriter"
    # A failing server: exit 1, one line, the transcript so far kept.
    failed = subprocess.run(
        [
            *cli,
            "run",
            str(tmp_path / "p"),
            "--phase",
            "task",
            "--llm-url",
            "http://127.0.0.1:9/v1",
            "--llm-model",
            "m",
        ],
        capture_output=True,
        text=True,
        env={**env, "DREAMFACTORY_LLM_MAX_RETRIES": "0"},
    )
    assert failed.returncode == 1 and "cannot reach the LLM server" in failed.stderr
    assert "Traceback" not in failed.stderr


def test_streamed_messages_arrive_token_by_token_in_order(project_folder, openai_server):
    openai_server.queue("Define it.", Play(text=TASK, piece=3))
    seen = []
    asyncio.run(production(project_folder, openai_server, emit=seen.append).run(until="task"))
    pieces = [e.text for e in seen if isinstance(e, TokenReceived) and e.role == "producer"]
    assert len(pieces) == -(-len(TASK) // 3) and "".join(pieces) == TASK
    assert [e.message.role for e in seen if isinstance(e, MessageFinished)] == ["ceo", "producer"]


def test_a_phase_cut_off_by_the_server_goes_on_from_where_it_stopped(project_folder, openai_server):
    openai_server.queue(
        "Let us define the task.",
        "A short film, I think. Who is it for?",
        Play(status=503, error="upstream went away"),
        TASK,
    )
    resume = {}
    settings = LLMSettings(base_url=openai_server.url, model="test-model", max_retries=0)
    first = Production(
        project_folder, project_folder.load(), Backends(llm=OpenAICompatibleLLM(settings)), resume=resume
    )
    with pytest.raises(BackendError, match="upstream went away"):
        asyncio.run(first.run_phase("task"))
    assert [m.text for m in resume["task"]][:2] == [
        "Let us define the task.",
        "A short film, I think. Who is it for?",
    ]
    # A new production (the window makes one per run) given the same dict asks only for what is missing.
    again = Production(
        project_folder, project_folder.load(), Backends(llm=OpenAICompatibleLLM(settings)), resume=resume
    )
    asyncio.run(again.run_phase("task"))
    assert len(openai_server.requests) == 4 and resume == {}
    project = project_folder.load()
    assert project.task.scenes == 3
    assert [m.role for m in project.transcripts] == ["ceo", "producer", "studio", "producer"]
