"""The offline writer on every sample story, every scene count from 1 to 30, and stories in any script."""

from __future__ import annotations

import asyncio

import pytest

from dreamfactory_studio.backends.backend_set import Backends
from dreamfactory_studio.backends.llm.offline_writer import OfflineWriter
from dreamfactory_studio.core.model import Project
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.story_reading.analysis import sentences, split_scenes
from dreamfactory_studio.core.story_reading.cast import find_characters
from dreamfactory_studio.production.run import Production

from .paths import SAMPLE_STORY, STORIES

NAMED = {
    "the-last-ferry.txt": {"Captain Amara Okafor", "Tomas"},
    "robot-garden.txt": {"Pip"},
    "lantern-maker.txt": {"Grandmother Lin", "Wei"},
}
UNICODE = {
    "chinese": "老船长在雾中驾驶最后一班渡船。\n\n一位老人带着小提琴上船。\n\n狗在对岸叫。女孩在码头等待。",
    "arabic": "كانت القبطانة أمارا تقود العبّارة الأخيرة عبر النهر.\n\nصعد رجل عجوز يحمل كمانًا.\n\nنبح كلب على الضفة.",
    "emoji": "🚢 The ferry leaves at dawn 🌅.\n\nA dog 🐕 barks in the fog 🌫️. The dog waits.\n\n🎻 Music plays.",
}


def produce(tmp_path, story: str, scenes: int, name: str = "p") -> Project:
    folder = ProjectFolder.create(
        tmp_path / name, Project(title="t", story=story, request={"scenes": scenes})
    )
    with folder:
        asyncio.run(Production(folder, folder.load(), Backends(llm=OfflineWriter())).run(until="script"))
        return folder.load()


@pytest.mark.parametrize("story", sorted(NAMED))
def test_every_sample_story_through_all_text_phases(tmp_path, story):
    project = produce(tmp_path, (STORIES / story).read_text(), 10)
    assert len(project.scenes) == 10
    assert NAMED[story] <= {c.name for c in project.characters}
    assert all(c.description for c in project.characters)
    assert all(s.script.strip() and s.narration.strip() and s.duration >= 2 for s in project.scenes)
    assert project.style.style in ("illustration", "ink wash", "anime")
    assert all(m.source == "offline writer" for m in project.transcripts)
    # The script keeps the story's own words, in order, and covers all of it, in whole sentences; a story of
    # fewer sentences than scenes shows one moment in several shots, one after the other.
    scripts = [s.script for s in project.scenes]
    distinct = [text for i, text in enumerate(scripts) if i == 0 or text != scripts[i - 1]]
    story_words = (STORIES / story).read_text().split()
    assert " ".join(distinct).split() == story_words
    for scene in project.scenes:
        assert scene.script[0].isupper() and scene.script.rstrip()[-1] in ".!?", scene.script
        assert "…" not in scene.title and 1 <= len(scene.title.split()) <= 7, scene.title


@pytest.mark.parametrize("story", sorted(NAMED))
def test_scene_counts_1_to_30(story):
    text = (STORIES / story).read_text()
    whole = {s.text for s in sentences(text)}
    for count in range(1, 31):
        scenes = split_scenes(text, count)
        assert len(scenes) == count
        assert all(s.strip() for s in scenes), (story, count)
        for scene in scenes:  # whole sentences only: a scene is never cut inside one
            assert scene[0].isupper() and scene.rstrip()[-1] in ".!?", (count, scene)
            assert all(part in whole for part in (s.text for s in sentences(scene))), (count, scene)


def test_named_characters_and_their_looks():
    ferry = {c.name: c.description for c in find_characters((SAMPLE_STORY).read_text())}
    assert ferry["Captain Amara Okafor"] == "a tall woman in a faded blue coat"
    assert "violin case" in ferry["Tomas"]
    assert ferry["the girl"] == "a girl in a red scarf"
    assert "Lantern Festival" not in {
        c.name for c in find_characters((STORIES / "lantern-maker.txt").read_text())
    }


@pytest.mark.parametrize("language", sorted(UNICODE))
def test_unicode_stories(tmp_path, language):
    for count in (1, 4, 12):
        project = produce(tmp_path, UNICODE[language], count, name=f"{language}{count}")
        assert len(project.scenes) == count
        assert all(s.script.strip() for s in project.scenes)


def test_the_users_style_and_scene_count_are_honoured(tmp_path):
    folder = ProjectFolder.create(
        tmp_path / "p",
        Project(
            title="t",
            story=(STORIES / "robot-garden.txt").read_text(),
            request={"scenes": 7, "style": "cyberpunk"},
        ),
    )
    with folder:
        asyncio.run(Production(folder, folder.load(), Backends(llm=OfflineWriter())).run(until="script"))
        project = folder.load()
    assert project.style.style == "cyberpunk" and len(project.scenes) == 7 and project.task.scenes == 7
    assert "The client asked for this style: cyberpunk" in project.transcripts[2].text


def test_deterministic(tmp_path):
    story = (SAMPLE_STORY).read_text()
    first, second = produce(tmp_path, story, 10, "a"), produce(tmp_path, story, 10, "b")

    def content(project):
        names = {c.id: c.name for c in project.characters}
        return [
            {**s.model_dump(exclude={"id", "characters"}), "cast": [names[i] for i in s.characters]}
            for s in project.scenes
        ]

    assert content(first) == content(second)
