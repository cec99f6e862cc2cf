"""Language-model backends behind one small protocol: :class:`LLM`.

``backend_set.make_llm`` picks the backend from the settings: an OpenAI-compatible server when ``base_url`` is set, else
the offline writer. Backends import their SDKs only when they are used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from dreamfactory_studio.core.model import Project

TokenSink = Callable[..., None]
"""Takes each piece of an answer as it streams: ``sink(piece)``, or ``sink(piece, reasoning=True)`` for a
reasoning model's thinking, which is shown but is not part of the answer."""


@dataclass(frozen=True)
class ChatMessage:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class TurnInfo:
    """What a turn is for. A network model reads the messages; the offline writer reads this."""

    phase: str
    conclusion: str
    role: str
    kind: Literal["open", "reply", "reflect", "repair"]
    round: int
    project: Project
    scene_count: int
    error: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)
    rounds: int = 1
    """The phase's round limit: the conversation's last round is this one."""
    side: Literal["user", "assistant"] = "assistant"
    """Who speaks: the phase's instructor and critic (user) or its proposer (assistant)."""
    """Facts for single-turn tasks (a keyframe prompt, a critique): scene script, context, Base Description."""


@dataclass
class Completion:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning: str = ""
    """A reasoning model's thinking before the answer; never sent back to the model."""


class LLM(Protocol):
    label: str
    """How the backend is named wherever its words are shown, e.g. ``offline writer``."""

    async def complete(
        self, messages: Sequence[ChatMessage], turn: TurnInfo, on_token: TokenSink | None = None
    ) -> Completion:
        """Answer the conversation; stream the answer's pieces to ``on_token`` as they come."""
        ...
