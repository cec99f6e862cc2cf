"""Reasoning models' thinking, kept apart from their answer.

Qwen3, DeepSeek-R1 and gpt-oss (on Ollama, LM Studio, llama.cpp or vLLM) either stream their thinking as a
``<think>...</think>`` block before the answer, or as a separate ``reasoning_content`` (or ``reasoning``)
field. Either way it is shown as reasoning, and never sent back to the model as part of the conversation.
"""

from __future__ import annotations

OPEN, CLOSE = "<think>", "</think>"


def _partial_tag(text: str, tag: str) -> int:
    """How many characters at the end of ``text`` could be the start of ``tag`` (to wait for the rest)."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


class ThinkSplitter:
    """Feed it an answer's pieces as they stream; it returns ``(text, is_reasoning)`` pieces, with a
    ``<think>`` block at the start of the answer as reasoning. Tags split across pieces are joined first."""

    def __init__(self) -> None:
        self._held = ""
        self._thinking = False
        self._answered = False  # answer text seen: a <think> after it is the answer's own words

    def feed(self, piece: str) -> list[tuple[str, bool]]:
        out: list[tuple[str, bool]] = []
        text = self._held + piece
        self._held = ""
        while text:
            if self._thinking:
                end = text.find(CLOSE)
                if end < 0:
                    keep = _partial_tag(text, CLOSE)
                    out.append((text[: len(text) - keep], True))
                    self._held = text[len(text) - keep :]
                    break
                out.append((text[:end], True))
                text, self._thinking = text[end + len(CLOSE) :], False
                continue
            if not self._answered:
                stripped = text.lstrip()
                if stripped.startswith(OPEN):
                    text, self._thinking = stripped[len(OPEN) :], True
                    continue
                if not stripped or OPEN.startswith(stripped):
                    self._held = text  # only white space, or the start of a tag: wait for more
                    break
                self._answered = True
            out.append((text, False))
            break
        return [(part, thinking) for part, thinking in out if part]

    def finish(self) -> list[tuple[str, bool]]:
        """What is still held back when the answer ends."""
        held, self._held = self._held, ""
        return [(held, self._thinking)] if held else []


def split_answer(text: str) -> tuple[str, str]:
    """A whole (not streamed) answer as ``(reasoning, answer)``."""
    splitter = ThinkSplitter()
    parts = splitter.feed(text) + splitter.finish()
    return "".join(p for p, r in parts if r), "".join(p for p, r in parts if not r)
