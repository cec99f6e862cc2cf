"""Shared fixtures: every test gets its own config, data and log folders, and Qt runs offscreen."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
STORIES = REPO.parent / "shared" / "stories"
SAMPLE_STORY = REPO / "resources" / "sample" / "the-last-ferry.txt"


@pytest.fixture(autouse=True)
def user_dirs(tmp_path_factory, monkeypatch):
    """Keep each test's settings, data and logs out of the real user folders."""
    base = tmp_path_factory.mktemp("user")
    for name in ("CONFIG", "DATA", "LOG"):
        monkeypatch.setenv(f"DREAMFACTORY_{name}_DIR", str(base / name.lower()))
    for key in list(os.environ):
        if key.startswith("DREAMFACTORY_") and not key.endswith("_DIR"):
            monkeypatch.delenv(key)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return base


@pytest.fixture
def story_file(tmp_path) -> Path:
    path = tmp_path / "story.txt"
    path.write_text(SAMPLE_STORY.read_text(encoding="utf-8"), encoding="utf-8")
    return path


@pytest.fixture
def openai_server():
    """A loopback OpenAI-compatible server; queue answers with ``server.queue(...)``."""
    from .openai_server import OpenAIServer

    server = OpenAIServer()
    yield server
    server.close()
