"""One phase as a bounded conversation between two agents (paper, section 3.2).

Both agents get the phase prompt and their own role card as the system message. The user agent opens; the two
alternate for at most ``rounds`` rounds, until one of them writes ``<INFO>``. With no conclusion at the limit,
one reflection turn asks the assistant for it. A conclusion that does not validate gets one repair turn that
quotes the error; after that the phase fails, its transcript kept. Reasoning stays in the transcript; only the
validated decision flows on.

A conversation cut off by a lost connection can go on: given what was said before as ``replay``, it takes those
turns as said instead of asking for them again (the control flow depends only on the words, so they line up).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dreamfactory_studio.backends.llm import LLM, ChatMessage, Completion, TurnInfo
from dreamfactory_studio.core.errors import StudioError
from dreamfactory_studio.core.events import Emit, MessageFinished, MessageStarted, TokenReceived
from dreamfactory_studio.core.model import Project, TranscriptMessage
from dreamfactory_studio.production.conclusions import ConclusionError, conclusion_text, parse_conclusion
from dreamfactory_studio.production.crew_config import Crew, Phase

MAX_REPLY_CHARS = 40_000
"""An answer longer than this is cut off and fails the phase: a model that rambles on will not stop by itself.
A long story raises the cap for its own conversations (:func:`reply_cap`): a script carries the story's text."""


def reply_cap(project: Project) -> int:
    """The most characters one answer about ``project`` may hold: the script of a story as long as the studio
    takes holds its text in the scenes' scripts and narration, with their JSON around it."""
    return MAX_REPLY_CHARS + 3 * len(project.story)


STUDIO = "studio"
REFLECT = (
    "We have reached the limit of this discussion. Reason briefly about what you agreed, then write <INFO> "
    "followed by the decision as JSON in the required shape."
)
REPAIR = (
    "The decision could not be used: {error}. Write <INFO> followed by a corrected JSON decision in the required "
    "shape, and nothing after it."
)


class PhaseFailed(StudioError):
    """A phase ended without a usable decision. Its transcript is kept in the project."""


class _ReplyTooLong(Exception):
    pass


async def speak(
    llm: LLM,
    messages: list[ChatMessage],
    turn: TurnInfo,
    title: str,
    emit: Emit,
    what: str,
    cap: int = MAX_REPLY_CHARS,
) -> tuple[Completion, TranscriptMessage]:
    """One agent's turn: its words streamed to ``emit`` as they come, capped, and kept as a transcript message.

    An empty answer, or one past ``cap`` characters, raises :class:`PhaseFailed` naming ``what`` failed.
    """
    emit(MessageStarted(turn.phase, turn.role, title, llm.label, turn.round))
    received = 0

    def on_token(piece: str, reasoning: bool = False) -> None:
        nonlocal received
        if not reasoning:  # thinking may run long; only the answer is held to the cap
            received += len(piece)
            if received > cap:
                raise _ReplyTooLong
        emit(TokenReceived(turn.phase, turn.role, piece, reasoning))

    try:
        completion = await llm.complete(messages, turn, on_token)
    except _ReplyTooLong:
        raise PhaseFailed(
            f"{what} failed: the {title}'s answer passed {cap:,} characters and was cut off. "
            "Try again, or use a model that follows instructions more closely."
        ) from None
    text = completion.text.strip()
    if len(text) > cap:
        raise PhaseFailed(f"{what} failed: the {title}'s answer is too long to use.")
    if not text:
        raise PhaseFailed(
            f"{what} failed: the {title} ({llm.label}) answered with nothing. Try again, or try another model."
        )
    message = TranscriptMessage(
        phase=turn.phase,
        role=turn.role,
        text=text,
        source=llm.label,
        reasoning=completion.reasoning.strip()[:cap],
    )
    emit(MessageFinished(message, title))
    return completion, message


@dataclass
class Conversation:
    name: str
    phase: Phase
    crew: Crew
    llm: LLM
    project: Project
    scene_count: int
    rounds: int
    prompt_values: dict[str, str]
    emit: Emit
    messages: list[TranscriptMessage] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    replay: list[TranscriptMessage] = field(default_factory=list)
    """Messages an interrupted attempt of this phase already said, taken in order instead of asked again."""
    replayed: int = 0

    @property
    def new_messages(self) -> list[TranscriptMessage]:
        """The messages said in this attempt (the replayed ones are in the project's transcript already)."""
        return self.messages[self.replayed :]

    def _replayed(self, role: str) -> TranscriptMessage | None:
        """The next message of the interrupted attempt, when it is ``role``'s; else replay ends here."""
        if self.replay and self.replay[0].role == role and self.replayed == len(self.messages):
            message = self.replay.pop(0)
            self.messages.append(message)
            self.replayed += 1
            return message
        self.replay.clear()
        return None

    def _system(self, role: str, partner: str, side: str) -> str:
        prompt = self.phase.prompt.format_map(self.prompt_values).strip()
        card = self.crew.roles[role].card()
        other = self.crew.roles[partner].title
        duty = (
            "You instruct and critique; when you are satisfied, you may conclude."
            if side == "user"
            else "You propose, reason and answer; you conclude when the discussion is settled."
        )
        return f"{prompt}\n\n{card}\nYou are talking with the {other}. {duty} Think step by step before you decide."

    def _history(self, side: str) -> list[ChatMessage]:
        """The conversation as one agent sees it: its own turns as assistant, the other's as user."""
        me = self.phase.user if side == "user" else self.phase.assistant
        history: list[ChatMessage] = []
        if side == "user":
            other = self.crew.roles[self.phase.assistant].title
            history.append(ChatMessage("user", f"Open the discussion with the {other}."))
        for message in self.messages:
            if message.role == STUDIO:
                history.append(ChatMessage("user", message.text))
            else:
                history.append(ChatMessage("assistant" if message.role == me else "user", message.text))
        return history

    async def _speak(self, side: str, kind: str, round_: int, error: str = "") -> str:
        role = self.phase.user if side == "user" else self.phase.assistant
        said = self._replayed(role)
        if said is not None:
            return said.text
        partner = self.phase.assistant if side == "user" else self.phase.user
        title = self.crew.roles[role].title
        system = ChatMessage("system", self._system(role, partner, side))
        turn = TurnInfo(
            phase=self.name,
            conclusion=self.phase.conclusion,
            role=role,
            kind=kind,  # type: ignore[arg-type]
            round=round_,
            project=self.project,
            scene_count=self.scene_count,
            error=error,
            rounds=self.rounds,
            side=side,  # type: ignore[arg-type]
        )
        completion, message = await speak(
            self.llm,
            [system, *self._history(side)],
            turn,
            title,
            self.emit,
            f"phase '{self.phase.title}'",
            reply_cap(self.project),
        )
        self.prompt_tokens += completion.prompt_tokens
        self.completion_tokens += completion.completion_tokens
        self.messages.append(message)
        return message.text

    def _record(self, role: str, text: str, title: str, source: str) -> None:
        message = TranscriptMessage(phase=self.name, role=role, text=text, source=source)
        self.messages.append(message)
        self.emit(MessageFinished(message, title))

    def _instruct(self, text: str) -> None:
        if self._replayed(STUDIO) is not None:
            return
        self.emit(MessageStarted(self.name, STUDIO, "DreamFactory", STUDIO))
        self._record(STUDIO, text, "DreamFactory", STUDIO)

    async def run(self):
        """Talk until a decision; return it validated, or raise :class:`PhaseFailed`."""
        reply = None
        for round_ in range(1, self.rounds + 1):
            for side in ("user", "assistant"):
                text = await self._speak(side, "open" if round_ == 1 and side == "user" else "reply", round_)
                if conclusion_text(text) is not None:
                    reply = text
                    break
            if reply is not None:
                break
        bare_ok = False
        if reply is None:
            self._instruct(REFLECT)
            reply = await self._speak("assistant", "reflect", self.rounds + 1)
            bare_ok = True
            if conclusion_text(reply, bare_json_ok=True) is None:
                raise PhaseFailed(
                    f"phase '{self.phase.title}' failed: no decision (<INFO>) came even after asking for one. "
                    "The transcript is kept; try again or try another model."
                )
        try:
            return self._parse(reply, bare_ok)
        except ConclusionError as exc:
            self._instruct(REPAIR.format(error=exc))
            repaired = await self._speak("assistant", "repair", self.rounds + 1, error=str(exc))
            try:
                return self._parse(repaired, True)
            except ConclusionError as again:
                raise PhaseFailed(
                    f"phase '{self.phase.title}' failed: {again}, even after one correction. The transcript is "
                    "kept; edit the phase's output by hand or try another model."
                ) from None

    def _parse(self, reply: str, bare_ok: bool):
        text = conclusion_text(reply, bare_json_ok=bare_ok)
        if text is None:
            raise ConclusionError("the answer has no <INFO> decision")
        count = self.scene_count if self.phase.conclusion == "script" else None
        return parse_conclusion(self.phase.conclusion, text, scene_count=count)
