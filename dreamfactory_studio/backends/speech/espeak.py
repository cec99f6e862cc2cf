"""Offline speech with espeak-ng, found on the PATH at run time."""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
from pathlib import Path

from dreamfactory_studio.backends.speech import OPENAI_VOICES, espeak_executable
from dreamfactory_studio.core.errors import BackendError
from dreamfactory_studio.core.settings import SpeechSettings

DEFAULT_VOICE = "en-us"
TIMEOUT_S = 60


class EspeakSpeech:
    def __init__(self, settings: SpeechSettings):
        executable = espeak_executable()
        if not executable:
            raise BackendError(
                "espeak-ng is not installed. Install it (apt install espeak-ng, brew install espeak-ng, or the "
                "Windows installer from its GitHub releases), or set the speech backend to silence or openai."
            )
        self.executable = executable
        self.words_per_minute = round(settings.words_per_second * 60)
        # The default voice setting names an OpenAI voice; espeak-ng crashes on names it does not know.
        self.voice = DEFAULT_VOICE if settings.voice in OPENAI_VOICES else settings.voice
        self._check_voice()
        self.label = f"espeak-ng ({self.voice})"

    def _check_voice(self) -> None:
        listing = subprocess.run(
            [self.executable, "--voices"], capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        ).stdout
        # Columns: Pty Language Age/Gender VoiceName File ...; a voice is named by its language or its file.
        rows = [line.split() for line in listing.splitlines()[1:]]
        known = {row[1] for row in rows if len(row) > 1} | {
            row[4].rsplit("/", 1)[-1] for row in rows if len(row) > 4
        }
        if known and self.voice not in known:
            raise BackendError(
                f"espeak-ng has no voice '{self.voice}'; `espeak-ng --voices` lists them (e.g. en-us, en-gb)."
            )

    def signature(self) -> str:
        return f"espeak:{self.voice}:{self.words_per_minute}"

    async def speak(self, text: str) -> bytes | None:
        with tempfile.TemporaryDirectory(prefix="dreamfactory-speech-") as tmp:
            out = Path(tmp) / "speech.wav"
            process = await asyncio.create_subprocess_exec(
                self.executable,
                "-v",
                self.voice,
                "-s",
                str(self.words_per_minute),
                "-w",
                str(out),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            try:
                _, error = await asyncio.wait_for(process.communicate(text.encode()), TIMEOUT_S)
            except (TimeoutError, asyncio.CancelledError):
                process.kill()
                await process.wait()
                raise
            if process.returncode != 0 or not out.is_file():
                tail = error.decode(errors="replace").strip()[-300:]
                raise BackendError(f"espeak-ng failed (exit {process.returncode}): {tail or 'no message'}")
            return out.read_bytes()
