"""The ``openai`` SDK's client and what its errors mean for the user, in one place for every OpenAI-compatible
backend (LLM, vision monitor, images)."""

from __future__ import annotations

from dreamfactory_studio.core.errors import BackendError
from dreamfactory_studio.core.secrets import api_key, public_url, redact, url_with_credentials


def async_client(base_url: str, timeout: float, max_retries: int):
    """An ``AsyncOpenAI`` client; the key comes from the environment or the keyring (local servers need none)."""
    import openai

    base_url = url_with_credentials(base_url)
    return openai.AsyncOpenAI(
        base_url=base_url or None,
        api_key=api_key(base_url)
        or "not-needed",  # the SDK insists on a key even where the server wants none
        timeout=timeout,
        max_retries=max_retries,
    )


def explain(
    exc: Exception, *, what: str, url: str, model: str, timeout: float, tries: int, offline: str
) -> BackendError:
    """A :class:`BackendError` saying what went wrong at ``url`` and what to do about it."""
    import openai

    server = f"the {what} server at {public_url(url) or 'api.openai.com'}"
    if isinstance(exc, openai.APITimeoutError):
        return BackendError(
            f"{server} did not answer within {timeout:g} s. Check that it is running and not overloaded; a local "
            "server loading a large model may need a longer timeout in the settings."
        )
    if isinstance(exc, openai.APIConnectionError):
        return BackendError(
            f"cannot reach {server}. Check that it is running and the URL is right, or leave the URL empty to "
            f"use the {offline}."
        )
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return BackendError(
            f"{server} refused the API key ({exc.status_code}). Set OPENAI_API_KEY, or store the key in the OS "
            "keyring from the studio's settings."
        )
    if isinstance(exc, openai.NotFoundError):
        return BackendError(
            f"{server} has no model '{model}' (404). Check the model name, and that the URL ends with the API "
            "root (often /v1)."
        )
    if isinstance(exc, openai.RateLimitError):
        return BackendError(f"{server} is rate-limiting us (429) even after retries; wait and retry.")
    if isinstance(exc, openai.APIStatusError):
        return BackendError(f"{server} answered {exc.status_code}: {shorten(str(exc.message))}")
    return BackendError(f"{server} failed: {shorten(str(exc))}")


def shorten(text: str, limit: int = 300) -> str:
    """A server's words on one line and at most ``limit`` characters: an error body may be megabytes (a secret
    it echoes is redacted where the message is shown, before it is cut)."""
    text = " ".join(redact(text)[: limit * 4].split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
