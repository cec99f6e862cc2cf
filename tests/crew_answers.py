"""Scripted answers of an LLM crew, as the loopback OpenAI server plays them to the tests."""

from __future__ import annotations

import json

TASK = (
    '<INFO> {"mode": "short", "scenes": 3, "audience": "all ages", "aspect": "16:9", "duration_target": 30}'
)
STYLE = 'I pick ink wash. <INFO> {"style": "ink wash", "palette": "black and red", "lighting": "misty"}'
STORY = (
    "Step by step: the ferry, the fog, the music.\n"
    '<INFO> {"outline": "A ferry crosses in fog.", "characters": [{"name": "Amara", "description": "tall, blue coat"},'
    ' {"name": "Tomas", "description": "old man, violin case"}]}'
)


def script(n: int, **extra) -> str:
    scenes = [
        {
            "title": f"S{i}",
            "script": f"Moment {i} on the river.",
            "narration": f"Line {i}.",
            "shot": "wide",
            "camera": "static",
            "characters": ["Amara"] if i % 2 else ["Tomas", "Amara"],
            "duration": 4,
            **extra,
        }
        for i in range(1, n + 1)
    ]
    return "Here is the script.\n<INFO> " + json.dumps({"scenes": scenes})
