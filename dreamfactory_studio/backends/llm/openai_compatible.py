"""Any OpenAI-compatible chat server (OpenAI, Ollama, vLLM, LM Studio, llama.cpp) through the ``openai`` SDK.

Answers stream token by token; the SDK retries 429, 5xx, timeouts and dropped connections with exponential
backoff (``max_retries``); cancelling the task closes the stream at once. The turns that must conclude ask for
a JSON object (``response_format``) where the server accepts it, and plain text where it does not.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from dreamfactory_studio.backends.llm import ChatMessage, Completion, TokenSink, TurnInfo
from dreamfactory_studio.backends.openai_client import async_client, explain
from dreamfactory_studio.core.errors import BackendError, BadInput
from dreamfactory_studio.core.secrets import public_url
from dreamfactory_studio.core.settings import LLMSettings

log = logging.getLogger(__name__)


class OpenAICompatibleLLM:
    def __init__(self, settings: LLMSettings):
        if not settings.model:
            raise BadInput(
                f"no model is set for the LLM server at {public_url(settings.base_url)}; set [llm] model in the settings "
                "or pass --llm-model (e.g. gpt-4o-mini, or `ollama list` shows Ollama's)."
            )
        self.settings = settings
        self.label = f"{settings.model} @ {public_url(settings.base_url)}"
        self._client = None
        self._json_mode = True

    def _get_client(self):
        if self._client is None:
            self._client = async_client(
                self.settings.base_url, self.settings.timeout, self.settings.max_retries
            )
        return self._client

    async def check(self) -> str:
        """A one-token request: proves the URL, the key and the model name together."""
        import time

        import openai

        started = time.monotonic()
        try:
            await self._get_client().chat.completions.create(
                model=self.settings.model,
                messages=[{"role": "user", "content": "Say OK."}],
                max_tokens=1,
            )
        except openai.APIError as exc:
            raise self._explain(exc) from exc
        return f"{self.label} answered in {time.monotonic() - started:.1f} s."

    async def complete(
        self, messages: Sequence[ChatMessage], turn: TurnInfo, on_token: TokenSink | None = None
    ) -> Completion:
        import openai

        request = {
            "model": self.settings.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
        }
        if self.settings.stream:
            request.update(stream=True, stream_options={"include_usage": True})
        if turn.kind in ("reflect", "repair") and self._json_mode:
            request["response_format"] = {"type": "json_object"}
        try:
            return await self._ask(request, on_token)
        except openai.BadRequestError as exc:
            if "response_format" in request and "response_format" in str(exc):
                log.info("%s refuses response_format; concluding in plain text from now on", self.label)
                self._json_mode = False
                del request["response_format"]
                try:
                    return await self._ask(request, on_token)
                except openai.APIError as retry_exc:
                    raise self._explain(retry_exc) from retry_exc
            raise self._explain(exc) from exc
        except openai.APIError as exc:
            raise self._explain(exc) from exc

    async def _ask(self, request: dict, on_token: TokenSink | None) -> Completion:
        if not request.get("stream"):
            response = await self._get_client().chat.completions.create(**request)
            text = (response.choices[0].message.content or "") if response.choices else ""
            if on_token is not None and text:
                on_token(text)
            usage = response.usage
            return Completion(
                text, usage.prompt_tokens if usage else 0, usage.completion_tokens if usage else 0
            )
        stream = await self._get_client().chat.completions.create(**request)
        parts: list[str] = []
        completion = Completion(text="")
        try:
            async for chunk in stream:
                if chunk.usage:
                    completion.prompt_tokens = chunk.usage.prompt_tokens or 0
                    completion.completion_tokens = chunk.usage.completion_tokens or 0
                if chunk.choices and chunk.choices[0].delta and chunk.choices[0].delta.content:
                    piece = chunk.choices[0].delta.content
                    parts.append(piece)
                    if on_token is not None:
                        on_token(piece)
        finally:
            await stream.close()
        completion.text = "".join(parts)
        return completion

    def _explain(self, exc: Exception) -> BackendError:
        return explain(
            exc,
            what="LLM",
            url=self.settings.base_url,
            model=self.settings.model,
            timeout=self.settings.timeout,
            tries=self.settings.max_retries + 1,
            offline="offline writer",
        )
