"""The monitor as an OpenAI-compatible vision chat model (GPT-4o, a vLLM or Ollama vision model, ...).

Frames go as PNG data URLs. Judgements are asked for as JSON ``{"score": 0..1, "reason": "..."}``; an answer
without one is asked again once, then the run stops with a clear message.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from dreamfactory_studio.backends.openai_client import async_client, explain
from dreamfactory_studio.backends.vision import FrameContext, Verdict
from dreamfactory_studio.core.errors import BackendError
from dreamfactory_studio.core.secrets import public_url
from dreamfactory_studio.core.settings import MonitorSettings

CARD = (
    "You are the Monitor (Reviewer) of DreamFactory, an animation studio. You guard the film's consistency: "
    "style, palette, lighting, each character's face, hair, clothing and props, and the recurring places. "
    "Be precise and visual."
)
BASE = (
    "This is the Base Frame of the film. Write the Base Description: what must never change from scene to "
    "scene. One short paragraph each for style, palette, lighting, every character (face, hair, clothing, "
    "props) and the recurring places."
)
DESCRIBE = "Describe this keyframe in three sentences: what happens, where, the light, and who is there."
REVIEW = (
    "This is a candidate Base Frame. Does it serve the film as its first keyframe: clear, well lit, in the "
    'style asked, the characters as described? Answer with JSON only: {"score": 0 to 1, "reason": "..."}; '
    "if the score is low, the reason says what to change."
)
JUDGE = (
    "The first image is the Base Frame; the second is a new keyframe. The Base Description is:\n{bd}\n"
    "How well does the new keyframe keep to it (style, palette, characters, places)? Answer with JSON only: "
    '{{"score": 0 to 1, "reason": "..."}}.'
)


def scene_facts(context: FrameContext | None) -> str:
    """What the new keyframe must show of its own scene, which the Base Frame need not share."""
    if context is None:
        return ""
    facts = [
        f"it is {context.time}" if context.time else "",
        f"the place is {context.place}" if context.place else "",
        f"it shows {', '.join(c.name for c in context.characters)}" if context.characters else "",
    ]
    said = "; ".join(f for f in facts if f)
    return (
        f"\nThis keyframe's own scene: {said}. Its light and place follow its scene, not the Base Frame's; "
        "score that as agreement, and say so when it does not show them."
        if said
        else ""
    )


STYLE_QUESTION = "Which one of these styles is this image in: {styles}? Answer with the style's name only."


def parse_style(answer: str, styles: tuple[str, ...]) -> str | None:
    """The style an answer names first (``oil-painting`` and ``Oil Painting`` count), or None."""
    text = re.sub(r"[-_]", " ", answer.lower())
    found = [(text.find(style), style) for style in styles if style in text]
    return min(found)[1] if found else None


def data_url(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode()


def parse_verdict(text: str) -> Verdict | None:
    match = re.search(r"\{.*\}", text, re.DOTALL)
    if not match:
        return None
    try:
        data = json.loads(match.group(0))
        score = float(data["score"])
    except (ValueError, KeyError, TypeError):
        return None
    return Verdict(round(min(1.0, max(0.0, score)), 3), str(data.get("reason", "")).strip())


def _facts(context: FrameContext) -> str:
    cast = "; ".join(f"{c.name}: {c.description}" for c in context.characters)
    return (
        f"Scene {context.scene_number}. Style asked: {context.style} ({context.palette}; {context.lighting}). "
        f"Script: {context.script}" + (f" Characters: {cast}." if cast else "")
    )


class OpenAIVisionMonitor:
    def __init__(self, settings: MonitorSettings):
        self.settings = settings
        self.label = f"{settings.model} @ {public_url(settings.base_url)}"
        self._client = None

    def _get_client(self):
        if self._client is None:
            self._client = async_client(
                self.settings.base_url, self.settings.timeout, self.settings.max_retries
            )
        return self._client

    async def _ask(self, text: str, images: list[Path]) -> str:
        import openai

        content = [{"type": "text", "text": text}] + [
            {"type": "image_url", "image_url": {"url": data_url(image)}} for image in images
        ]
        try:
            response = await self._get_client().chat.completions.create(
                model=self.settings.model,
                messages=[{"role": "system", "content": CARD}, {"role": "user", "content": content}],
            )
        except openai.APIError as exc:
            raise explain(
                exc,
                what="vision",
                url=self.settings.base_url,
                model=self.settings.model,
                timeout=self.settings.timeout,
                tries=self.settings.max_retries + 1,
                offline="offline describer",
            ) from exc
        answer = (response.choices[0].message.content or "").strip() if response.choices else ""
        if not answer:
            raise BackendError(
                f"the monitor ({self.label}) answered with nothing; try again or use another model."
            )
        return answer

    async def _verdict(self, text: str, images: list[Path]) -> Verdict:
        answer = await self._ask(text, images)
        verdict = parse_verdict(answer)
        if verdict is None:
            answer = await self._ask(
                f"{text}\nYour last answer had no JSON score:\n{answer[:500]}\nJSON only, please.", images
            )
            verdict = parse_verdict(answer)
        if verdict is None:
            raise BackendError(
                f"the monitor ({self.label}) gave no score in JSON even when asked twice; its last answer began "
                f"{answer[:80]!r}. Use a model that follows instructions, or the offline describer."
            )
        return verdict

    async def classify_style(self, image: Path, styles: tuple[str, ...]) -> str | None:
        """The style class of an image (the paper's GPT-4V divider for CSSC); asked again once when the
        answer names none of ``styles``, then None."""
        question = STYLE_QUESTION.format(styles=", ".join(styles))
        answer = await self._ask(question, [image])
        style = parse_style(answer, styles)
        if style is None:
            answer = await self._ask(
                f"{question}\nYour last answer was {answer[:200]!r}: one name only.", [image]
            )
            style = parse_style(answer, styles)
        return style

    async def describe_base(self, image: Path, context: FrameContext) -> str:
        return await self._ask(f"{BASE}\n{_facts(context)}", [image])

    async def describe(self, image: Path, context: FrameContext) -> str:
        return await self._ask(f"{DESCRIBE}\n{_facts(context)}", [image])

    async def review_base(self, image: Path, context: FrameContext) -> Verdict:
        return await self._verdict(f"{REVIEW}\n{_facts(context)}", [image])

    async def judge(
        self,
        image: Path,
        base_description: str,
        base_image: Path,
        similarity: float,
        context: FrameContext | None = None,
    ) -> Verdict:
        return await self._verdict(
            JUDGE.format(bd=base_description) + scene_facts(context), [base_image, image]
        )
