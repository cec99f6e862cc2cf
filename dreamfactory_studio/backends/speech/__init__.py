"""Narration as speech, behind one small protocol: OpenAI TTS, espeak-ng (offline), or timed silence.

A speech backend turns a line of narration into WAV bytes, or into ``None`` for timed silence, whose length
comes from reading speed. Every backend says why it cannot run before the export starts.
"""

from __future__ import annotations

import io
import shutil
import wave
from typing import Protocol

from dreamfactory_studio.core.errors import BackendError

OPENAI_VOICES = frozenset(
    [
        "alloy",
        "ash",
        "ballad",
        "coral",
        "echo",
        "fable",
        "nova",
        "onyx",
        "sage",
        "shimmer",
        "verse",
        "marin",
        "cedar",
    ]
)


class Speech(Protocol):
    label: str

    def signature(self) -> str:
        """What decides the sound besides the text (backend, voice, model), for the narration cache."""
        ...

    async def speak(self, text: str) -> bytes | None:
        """The text spoken, as WAV bytes; ``None`` for timed silence."""
        ...


def wav_seconds(data: bytes) -> float:
    """The length of a WAV file in seconds."""
    try:
        with wave.open(io.BytesIO(data)) as wav:
            return wav.getnframes() / float(wav.getframerate())
    except (wave.Error, EOFError) as exc:
        raise BackendError(f"the speech backend returned audio that is not a WAV file ({exc}).") from None


class Silence:
    """No voice: the narration is timed by reading speed and shown as subtitles."""

    label = "silence"

    def signature(self) -> str:
        return "silence"

    async def speak(self, text: str) -> bytes | None:
        return None


def espeak_executable() -> str | None:
    """The espeak-ng (or espeak) program on the PATH, if any."""
    return shutil.which("espeak-ng") or shutil.which("espeak")
