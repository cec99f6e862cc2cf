"""Turning the words after ``<INFO>`` into typed, validated decisions."""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

INFO = "<INFO>"


class ConclusionError(ValueError):
    """A conclusion that cannot be used; the message is quoted back to the model in the repair turn."""


class _Conclusion(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


def _number(value: Any) -> Any:
    if isinstance(value, str):
        match = re.search(r"\d+(?:\.\d+)?", value)
        return float(match.group(0)) if match else value
    return value


class TaskConclusion(_Conclusion):
    mode: Literal["short", "long"] = "short"
    scenes: int = Field(ge=1, le=500)
    audience: str = ""
    aspect: str = "16:9"
    duration_target: float | None = Field(default=None, gt=0)
    notes: str = ""

    _numbers = field_validator("scenes", "duration_target", mode="before")(_number)

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


class StyleConclusion(_Conclusion):
    style: str = Field(min_length=1, max_length=200)
    palette: str = ""
    lighting: str = ""
    notes: str = ""


class CharacterConclusion(_Conclusion):
    name: str = Field(min_length=1, max_length=120)
    description: str = ""


class StoryConclusion(_Conclusion):
    outline: str = Field(min_length=1)
    characters: list[CharacterConclusion] = Field(default_factory=list)


class LineConclusion(_Conclusion):
    character: str = Field(min_length=1)
    text: str = Field(min_length=1)


class SceneConclusion(_Conclusion):
    title: str = ""
    script: str = Field(min_length=1)
    narration: str = ""
    shot: str = ""
    camera: str = ""
    characters: list[str] = Field(default_factory=list)
    dialogue: list[LineConclusion] = Field(default_factory=list)
    """Quoted speech, each line with its speaker's name."""
    duration: float | None = Field(default=None, gt=0, le=600)

    _numbers = field_validator("duration", mode="before")(_number)

    @field_validator("characters", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [name.strip() for name in re.split(r"[,;]| and ", value) if name.strip()]
        return value


class ScriptConclusion(_Conclusion):
    scenes: list[SceneConclusion] = Field(min_length=1)


SHAPES: dict[str, type[_Conclusion]] = {
    "task": TaskConclusion,
    "style": StyleConclusion,
    "story": StoryConclusion,
    "script": ScriptConclusion,
}


def conclusion_text(reply: str, *, bare_json_ok: bool = False) -> str | None:
    """The words after the last ``<INFO>``; a bare JSON answer counts where ``bare_json_ok``. None: no conclusion."""
    index = reply.rfind(INFO)
    if index >= 0:
        return reply[index + len(INFO) :].strip()
    stripped = reply.strip()
    if bare_json_ok and stripped.startswith("{"):
        return stripped
    return None


def _json_object(text: str) -> dict:
    text = re.sub(r"^```(?:json)?\s*|\s*```\s*$", "", text.strip())
    start = text.find("{")
    if start < 0:
        raise ConclusionError(
            "the decision after <INFO> is not a JSON object; write <INFO> followed by {...}"
        )
    try:
        value, _ = json.JSONDecoder().raw_decode(text[start:])
    except json.JSONDecodeError as exc:
        raise ConclusionError(
            f"the decision after <INFO> is not valid JSON ({exc.msg} at character {exc.pos})"
        ) from None
    if not isinstance(value, dict):
        raise ConclusionError("the decision after <INFO> must be a JSON object")
    return value


def parse_conclusion(kind: str, text: str, *, scene_count: int | None = None) -> _Conclusion:
    """Parse and validate a conclusion of the given shape; raise :class:`ConclusionError` saying what is wrong."""
    data = _json_object(text)
    try:
        decision = SHAPES[kind].model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'the object'}: {error['msg']}"
            for error in exc.errors()[:5]
        )
        raise ConclusionError(f"the decision does not fit the required shape: {problems}") from None
    if isinstance(decision, ScriptConclusion) and scene_count and len(decision.scenes) != scene_count:
        raise ConclusionError(
            f"the script has {len(decision.scenes)} scenes; exactly {scene_count} were asked for"
        )
    return decision
