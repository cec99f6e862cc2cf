"""The motion line a video model is given for a scene's clip: how the camera moves, what happens, and where the
clip ends, from the scene's shot, camera and action, written to a video model's prompt budget.

Image-to-video models read the picture from the start frame; their prompt is best spent on motion (the makers of
Wan and LTX-Video say the same), so the keyframe's long description is left out.
"""

from __future__ import annotations

import re

from dreamfactory_studio.core.model import Scene

WORDS = 60
"""The longest motion line, in words: within the shortest video prompt budget (LTX-Video's first-frame pipeline
reads 128 tokens)."""

SHOT_MOVES = {
    "wide": "a slow drift across the whole scene",
    "establishing": "a slow drift across the whole scene",
    "aerial": "a slow glide over the scene from above",
    "medium": "a gentle push in",
    "over-the-shoulder": "a gentle push in over the shoulder",
    "close-up": "a slow push in on the face",
    "extreme close-up": "an almost still frame, breathing slightly",
}


def _first_sentence(text: str, words: int) -> str:
    sentence = re.split(r"(?<=[.!?])\s+", text.strip(), maxsplit=1)[0] if text.strip() else ""
    return " ".join(sentence.split()[:words]).rstrip(",;:")


def motion_line(scene: Scene, clip_end: str = "free") -> str:
    """What moves in the scene's clip, in at most :data:`WORDS` words."""
    camera = scene.camera.strip().lower()
    move = (
        "the camera holds still"
        if camera == "static"
        else f"the camera makes a {camera}"
        if camera
        else f"the camera makes {SHOT_MOVES.get(scene.shot.strip().lower(), 'a gentle push in')}"
    )
    shot = f"{scene.shot.strip().lower()} shot, " if scene.shot.strip() else ""
    action = _first_sentence(scene.script or scene.narration, 30)
    ending = {
        "next": "The shot moves on into the next scene's framing.",
        "own": "The shot settles on its final framing.",
    }.get(clip_end, "")
    line = f"{shot}{move}. {action + '.' if action else ''} Natural, continuous motion. {ending}"
    words = re.sub(r"\.\.+", ".", line).split()
    return " ".join(words[:WORDS])
