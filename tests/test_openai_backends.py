"""OpenAI images and the vision monitor against the loopback OpenAI-compatible server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from PIL import Image

from dreamfactory_studio.backends.backend_set import Backends
from dreamfactory_studio.backends.image import ImageRequest, Reference
from dreamfactory_studio.backends.image.openai_images import OpenAIImages, api_size
from dreamfactory_studio.backends.vision import FrameContext
from dreamfactory_studio.backends.vision.openai_vision import OpenAIVisionMonitor
from dreamfactory_studio.core.errors import BackendError
from dreamfactory_studio.core.model import Project
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.settings import ImageSettings, KeyframeSettings, MonitorSettings, Settings
from dreamfactory_studio.production.run import Production

from .openai_server import Play
from .paths import STORIES


def painter(server, **settings) -> OpenAIImages:
    made = OpenAIImages(ImageSettings(backend="openai", model="test-model", base_url=server.url, **settings))
    made.load(lambda message: None)
    return made


def paint(made, references=()):
    steps = []
    drawn = made.generate(
        ImageRequest(
            prompt="a ferry in fog",
            seed=1,
            width=160,
            height=90,
            references=[Reference("style", Path(r)) for r in references],
        ),
        lambda done, total: steps.append((done, total)),
        lambda: False,
    )
    return drawn.image, steps


def test_images_from_the_generations_endpoint(openai_server):
    image, steps = paint(painter(openai_server, quality="high"))
    assert image.size == (160, 90) and steps == [(1, 1)]
    sent = openai_server.requests[-1]
    assert sent["path"] == "/v1/images/generations" and sent["prompt"] == "a ferry in fog"
    assert sent["size"] == "160x90" and sent["quality"] == "high" and sent["response_format"] == "b64_json"


def test_references_go_through_the_edits_endpoint_else_text_alone(openai_server, tmp_path):
    reference = tmp_path / "base.png"
    Image.new("RGB", (64, 64), "white").save(reference)
    made = painter(openai_server)
    image, _ = paint(made, [reference])
    assert (
        openai_server.requests[-1]["path"] == "/v1/images/edits"
        and b"image" in openai_server.requests[-1]["fields"]
    )
    assert image.getpixel((5, 5))[0] > 150
    openai_server.edits = False
    made = painter(openai_server)
    paint(made, [reference])
    assert [r["path"] for r in openai_server.requests[-2:]] == ["/v1/images/edits", "/v1/images/generations"]
    paint(made, [reference])
    assert openai_server.requests[-1]["path"] == "/v1/images/generations", "remembers the server has no edits"


def test_image_errors_are_explained(openai_server):
    openai_server.api_key = "sk-right-000000000"
    with pytest.raises(BackendError, match="image server .* refused the API key"):
        paint(painter(openai_server))
    openai_server.api_key = None
    openai_server.queue(Play(status=400, error="Your prompt was rejected by the safety system"))
    with pytest.raises(BackendError, match="answered 400: .*safety system"):
        paint(painter(openai_server))


def test_sizes_follow_the_model():
    assert api_size("gpt-image-1", 1024, 576) == "1536x1024"
    assert api_size("dall-e-3", 1024, 576) == "1792x1024"
    assert api_size("flux-schnell", 1024, 576) == "1024x576"


def monitor(server) -> OpenAIVisionMonitor:
    return OpenAIVisionMonitor(MonitorSettings(base_url=server.url, model="test-model", max_retries=0))


def test_the_vision_monitor_describes_and_judges(openai_server, tmp_path):
    frame = tmp_path / "frame.png"
    Image.new("RGB", (32, 32), (10, 20, 30)).save(frame)
    context = FrameContext(scene_number=1, prompt="p", script="Amara on the ferry.", style="ink wash")
    openai_server.queue(
        "Style: ink wash. Amara: tall, blue coat.",
        "Amara stands at the wheel in fog.",
        'Here you go: {"score": 0.82, "reason": "coat and palette hold"}',
        "I think it is fine.",
        '{"score": 1.7, "reason": "perfect"}',
    )
    made = monitor(openai_server)

    async def session():
        return (
            await made.describe_base(frame, context),
            await made.describe(frame, context),
            await made.judge(frame, "BD text", frame, 0.5),
            await made.review_base(frame, context),
        )

    base, described, verdict, review = asyncio.run(session())
    assert base.startswith("Style: ink wash") and described == "Amara stands at the wheel in fog."
    assert (verdict.score, verdict.reason) == (0.82, "coat and palette hold")
    assert review.score == 1.0, "asked again once, then clamped to 1"
    images = [
        part for part in openai_server.requests[2]["messages"][1]["content"] if part["type"] == "image_url"
    ]
    assert len(images) == 2 and images[0]["image_url"]["url"].startswith("data:image/png;base64,")
    assert "BD text" in openai_server.requests[2]["messages"][1]["content"][0]["text"]
    openai_server.queue("no json", "still no json")
    with pytest.raises(BackendError, match="gave no score in JSON even when asked twice"):
        asyncio.run(monitor(openai_server).judge(frame, "BD", frame, 0.5))


def test_a_keyframe_run_with_the_vision_monitor(tmp_path, openai_server):
    def answer(body):
        text = body["messages"][-1]["content"][0]["text"]
        if "JSON" in text:
            return json.dumps({"score": 0.9, "reason": "consistent with the Base Frame"})
        return (
            "Base Description: ink wash, Pip is a small rusty robot."
            if "Base Description" in text
            else "A frame."
        )

    openai_server.default = answer
    story = (STORIES / "robot-garden.txt").read_text()
    settings = Settings(
        monitor=MonitorSettings(base_url=openai_server.url, model="test-model"),
        keyframes=KeyframeSettings(width=160, height=90),
    )
    with ProjectFolder.create(
        tmp_path / "p", Project(title="t", story=story, request={"scenes": 3})
    ) as folder:
        made = Production(folder, folder.load(), Backends(settings))
        asyncio.run(made.run())
        made.backends.close()
        project = folder.load()
    assert project.base_description.text.startswith("Base Description: ink wash")
    assert all(s.keyframe.score == 0.9 and s.keyframe_description == "A frame." for s in project.scenes)
