"""Speech from OpenAI's text-to-speech endpoint, or a compatible server."""

from __future__ import annotations

from dreamfactory_studio.backends.openai_client import async_client, explain
from dreamfactory_studio.core.secrets import public_url
from dreamfactory_studio.core.settings import SpeechSettings


class OpenAISpeech:
    def __init__(self, settings: SpeechSettings):
        self.settings = settings
        self.label = f"OpenAI speech ({settings.model}, {settings.voice})"

    def signature(self) -> str:
        return f"openai:{public_url(self.settings.base_url)}:{self.settings.model}:{self.settings.voice}"

    async def speak(self, text: str) -> bytes | None:
        import openai

        s = self.settings
        client = async_client(s.base_url, s.timeout, max_retries=2)
        try:
            response = await client.audio.speech.create(
                model=s.model, voice=s.voice, input=text[:4096], response_format="wav"
            )
            return response.content
        except openai.OpenAIError as exc:
            raise explain(
                exc,
                what="speech",
                url=s.base_url,
                model=s.model,
                timeout=s.timeout,
                tries=3,
                offline="espeak-ng or silence (the speech backend setting)",
            ) from None
        finally:
            await client.close()
