"""Any OpenAI-compatible chat server (OpenAI, Ollama, vLLM, LM Studio, llama.cpp) through the ``openai`` SDK.

Answers stream token by token. Two limits: ``timeout`` for reaching the server and for its first word (a local
server may be loading the model) and every silence after it, and ``answer_timeout`` for the whole answer.
429, 5xx and dropped connections are retried with exponential backoff (``max_retries``) until a word has come;
a silent server is not asked again. Cancelling the task closes the stream at once. The turns that must conclude
ask for a JSON object (``response_format``) where the server accepts it, and plain text where it does not; a
server that refuses ``stream_options`` is asked without it. A reasoning model's thinking is kept apart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from dreamfactory_studio.backends.llm import ChatMessage, Completion, TokenSink, TurnInfo
from dreamfactory_studio.backends.llm.reasoning import ThinkSplitter, split_answer
from dreamfactory_studio.backends.openai_client import async_client, explain
from dreamfactory_studio.core.errors import BackendError, BadInput
from dreamfactory_studio.core.reading import without_surrogates
from dreamfactory_studio.core.secrets import public_url
from dreamfactory_studio.core.settings import LLMSettings

log = logging.getLogger(__name__)

OPTIONAL = ("response_format", "stream_options")
"""Request arguments some OpenAI-compatible servers refuse with a 400; the studio does without them."""


class Started:
    """Whether any word of an answer has come (then a dropped stream is not asked again from the start)."""

    speaking = False


def _extra_reasoning(delta) -> str:
    """The thinking a server streams beside the answer (``reasoning_content``, or ``reasoning``)."""
    extra = getattr(delta, "model_extra", None) or {}
    value = extra.get("reasoning_content") or extra.get("reasoning") or ""
    return value if isinstance(value, str) else ""


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
        self._usage_option = True

    def _get_client(self):
        if self._client is None:
            # ``timeout`` bounds reaching the server and each silence while it answers, the first word included;
            # requests are retried here, not in the SDK (see _retrying).
            self._client = async_client(self.settings.base_url, self.settings.timeout, 0)
        return self._client

    async def check(self) -> str:
        """A one-token request: proves the URL, the key and the model name together."""

        import openai

        started = time.monotonic()
        try:
            async with asyncio.timeout(self.settings.timeout * 2):
                await self._get_client().chat.completions.create(
                    model=self.settings.model,
                    messages=[{"role": "user", "content": "Say OK."}],
                    max_tokens=1,
                )
        except openai.APIError as exc:
            raise self._explain(exc) from exc
        except TimeoutError:
            raise BackendError(
                f"{self.label} did not answer a one-word question within {self.settings.timeout * 2:g} s; check "
                "that it is running and not overloaded, or raise [llm] timeout."
            ) from None
        return f"{self.label} answered in {time.monotonic() - started:.1f} s."

    async def complete(
        self, messages: Sequence[ChatMessage], turn: TurnInfo, on_token: TokenSink | None = None
    ) -> Completion:
        """The answer, streamed to ``on_token`` (``reasoning=True`` for a reasoning model's thinking, which is
        kept in :attr:`Completion.reasoning`, apart from the answer)."""

        request = {
            "model": self.settings.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
        }
        if self.settings.stream:
            request["stream"] = True
            if self._usage_option:
                request["stream_options"] = {"include_usage": True}
        if turn.kind in ("reflect", "repair") and self._json_mode:
            request["response_format"] = {"type": "json_object"}
        # One deadline by the clock for the whole answer: keep-alive comments, a trickle of bytes or retries
        # never extend it (the SDK's read timeout restarts with every byte).
        total = self.settings.timeout + self.settings.answer_timeout
        try:
            async with asyncio.timeout(total):
                return await self._asking(request, on_token)
        except TimeoutError:
            raise BackendError(
                f"{self.label} gave no complete answer within {total:g} s ([llm] timeout "
                f"{self.settings.timeout:g} s + answer_timeout {self.settings.answer_timeout:g} s); the answer so "
                "far is dropped. Raise [llm] answer_timeout for a slow model, or check the server."
            ) from None

    async def _asking(self, request: dict, on_token: TokenSink | None) -> Completion:
        import openai

        while True:
            try:
                return await self._retrying(request, on_token)
            except openai.BadRequestError as exc:
                # Servers that refuse an optional argument: leave it out from now on and ask again.
                refused = next((k for k in OPTIONAL if k in request and k in str(exc)), None)
                if refused is None:
                    raise self._explain(exc) from exc
                log.info("%s refuses %s; asking without it from now on", self.label, refused)
                del request[refused]
                if refused == "response_format":
                    self._json_mode = False
                else:
                    self._usage_option = False
            except openai.APIError as exc:
                raise self._explain(exc) from exc

    async def _retrying(self, request: dict, on_token: TokenSink | None) -> Completion:
        """Ask, retrying dropped connections, 429 and 5xx with backoff before any word has come. A server that
        stays silent past the first-word timeout is not asked again: it would only double the wait."""
        import openai

        for attempt in range(self.settings.max_retries + 1):
            started = Started()
            try:
                return await self._ask(request, on_token, started)
            except openai.APITimeoutError:
                raise
            except (openai.APIConnectionError, openai.RateLimitError, openai.InternalServerError):
                if started.speaking or attempt == self.settings.max_retries:
                    raise
                await asyncio.sleep(min(8.0, 0.5 * 2**attempt))
        raise AssertionError("unreachable")

    async def _ask(self, request: dict, on_token: TokenSink | None, started: Started) -> Completion:
        if not request.get("stream"):
            response = await self._get_client().chat.completions.create(**request)
            message = response.choices[0].message if response.choices else None
            content = without_surrogates(message.content or "") if message else ""
            thinking, text = split_answer(content)
            thinking = without_surrogates(_extra_reasoning(message)) + thinking if message else thinking
            if on_token is not None:
                if thinking:
                    on_token(thinking, reasoning=True)
                if text:
                    on_token(text)
            usage = response.usage
            return Completion(
                text, usage.prompt_tokens if usage else 0, usage.completion_tokens if usage else 0, thinking
            )
        stream = await self._get_client().chat.completions.create(**request)
        answer: list[str] = []
        thoughts: list[str] = []
        completion = Completion(text="")
        splitter = ThinkSplitter()

        def take(pieces: list[tuple[str, bool]]) -> None:
            for piece, thinking in pieces:
                piece = without_surrogates(piece)  # a server's "\ud83d" would stop every save and print
                started.speaking = True
                (thoughts if thinking else answer).append(piece)
                if on_token is not None:
                    if thinking:
                        on_token(piece, reasoning=True)
                    else:
                        on_token(piece)

        try:
            async for chunk in stream:
                if chunk.usage:
                    completion.prompt_tokens = chunk.usage.prompt_tokens or 0
                    completion.completion_tokens = chunk.usage.completion_tokens or 0
                delta = chunk.choices[0].delta if chunk.choices else None
                if delta is None:
                    continue
                if thought := _extra_reasoning(delta):
                    take([(thought, True)])
                if delta.content:
                    take(splitter.feed(delta.content))
            take(splitter.finish())
        finally:
            await stream.close()
        completion.text = "".join(answer)
        completion.reasoning = "".join(thoughts)
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
