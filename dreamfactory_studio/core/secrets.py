"""Keeping secrets out of every file and message: API keys by value, and credentials carried in a URL.

A key becomes known here when the studio reads it (the environment, the OS keyring, a URL's user info or query);
:func:`redact` then replaces it wherever it appears, however the text came to hold it (a server that echoes the
key in its 401 answer, an error message, a traceback). Logs, messages and every project file pass through it.
"""

from __future__ import annotations

import logging
import os
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from dreamfactory_studio.core.errors import BadInput

log = logging.getLogger(__name__)

KEYRING_SERVICE = "dreamfactory-studio"
MIN_SECRET = 8
"""Shorter values are not treated as secrets (they would match ordinary words)."""
_known: set[str] = set()
_PATTERNS = [
    re.compile(r"sk-[A-Za-z0-9_\-]{8,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9_\-.=]{8,}"),
    # an Authorization header's credentials: base64, told from a word by a digit or a capital after a small
    re.compile(r"(Basic\s+)(?=[A-Za-z0-9+/]*(?:[0-9+/]|[a-z][A-Z]))[A-Za-z0-9+/]{8,}={0,2}"),
    re.compile(r"(?i)(api[_-]?key[\"']?\s*[:=]\s*[\"']?)[^\s\"',&]{8,}"),
]
_URL_CREDENTIALS = re.compile(r'(://[^/\s:@"]*:)[^@\s/"]+(@)')  # starts at "://": fast on a long text
SECRET_QUERY = {"key", "api_key", "api-key", "apikey", "token", "access_token", "auth", "password", "secret"}


def remember(secret: str | None) -> None:
    """From now on, ``secret`` is redacted wherever it appears."""
    if secret and len(secret) >= MIN_SECRET:
        _known.add(secret)


def public_url(url: str) -> str:
    """``url`` without its credentials (user info and secret query values), which are remembered as secrets;
    the form to show, log or store."""
    if not url or "://" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL at all ("http://[::1"): shown as far as it cannot hold a password
        return url.split("@")[-1] if "@" in url else url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, _, password = userinfo.partition(":")
        remember(password or user)
        remember(basic_credentials(url).removeprefix("Basic "))  # as an Authorization header carries them
        netloc = host
    query = parse_qsl(parts.query, keep_blank_values=True)
    for name, value in query:
        if name.lower() in SECRET_QUERY:
            remember(value)
    kept = [(name, value) for name, value in query if name.lower() not in SECRET_QUERY]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(kept), parts.fragment))


def basic_credentials(url: str) -> str:
    """The ``Authorization`` header value for the user info in ``url`` (``Basic ...``); empty without any."""
    import base64
    from urllib.parse import unquote

    netloc = urlsplit(url).netloc
    if "@" not in netloc:
        return ""
    userinfo = unquote(netloc.rpartition("@")[0])
    return "Basic " + base64.b64encode(userinfo.encode()).decode()


def redact_values(text: str) -> str:
    """``text`` with every known secret, and any credential in a URL, replaced by ``[redacted]``: what goes
    into a project's files (the conversation's own words are otherwise left exactly as they were)."""
    key = os.environ.get("OPENAI_API_KEY")
    remember(key)
    for secret in sorted(_known, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "[redacted]")
    return _URL_CREDENTIALS.sub(lambda m: f"{m.group(1)}[redacted]{m.group(2)}", text)


def redact(text: str) -> str:
    """``text`` with known secrets, URL credentials, API keys and bearer tokens replaced by ``[redacted]``:
    what goes into the log and onto the screen."""
    text = redact_values(text)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "[redacted]", text)
    return text


def keep_url_credentials(url: str) -> str:
    """``url`` without its credentials, which the OS keyring keeps for :func:`url_with_credentials`;
    :class:`BadInput` when the system has no keyring."""
    public = public_url(url)
    if public == url:
        return url
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, f"url {public}", url)
    except Exception as exc:
        raise BadInput(
            f"the OS keyring cannot keep the credentials of {public} ({exc}); nothing was saved. Give the address "
            "with its credentials in the environment instead (DREAMFACTORY_LLM_BASE_URL, DREAMFACTORY_IMAGE_BASE_URL)."
        ) from None
    return public


def url_with_credentials(url: str) -> str:
    """``url`` with the credentials :func:`keep_url_credentials` moved to the OS keyring put back (and known
    as secrets from now on); ``url`` itself when it carries its own or none were kept."""
    if not url or public_url(url) != url:
        return url
    try:
        import keyring

        full = keyring.get_password(KEYRING_SERVICE, f"url {url}")
    except Exception as exc:  # no keyring backend on this system
        log.info("keyring unavailable: %s", exc)
        return url
    if not full:
        return url
    public_url(full)  # remembers its secrets
    return full


def api_key(base_url: str) -> str | None:
    """The API key for an endpoint: ``OPENAI_API_KEY`` first, then the OS keyring; None when there is none."""
    public_url(base_url)  # credentials in the URL itself become known secrets too
    key = os.environ.get("OPENAI_API_KEY")
    if not key:
        try:
            import keyring

            key = keyring.get_password(KEYRING_SERVICE, base_url or "openai")
        except Exception as exc:  # no keyring backend on this system
            log.info("keyring unavailable: %s", exc)
            return None
    remember(key)  # from now on it is redacted wherever it shows up
    return key


def store_api_key(base_url: str, key: str) -> None:
    """Keep an API key in the OS keyring; :class:`BadInput` when the system has no keyring."""
    remember(key)
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, base_url or "openai", key)
    except Exception as exc:
        raise BadInput(
            f"the OS keyring cannot store the key ({exc}). Set OPENAI_API_KEY in the environment instead."
        ) from None


HUB_TOKEN_USER = "huggingface hub"
"""The keyring entry of the Hugging Face token the studio fetches models with."""


def hub_token_from_keyring() -> str | None:
    """The Hugging Face token kept in the OS keyring (known as a secret from now on), or None."""
    try:
        import keyring

        token = keyring.get_password(KEYRING_SERVICE, HUB_TOKEN_USER)
    except Exception as exc:  # no keyring backend on this system
        log.info("keyring unavailable: %s", exc)
        return None
    remember(token)
    return token


def store_hub_token(token: str) -> None:
    """Keep a Hugging Face token in the OS keyring; :class:`BadInput` when the system has no keyring."""
    remember(token)
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, HUB_TOKEN_USER, token)
    except Exception as exc:
        raise BadInput(
            f"the OS keyring cannot store the token ({exc}). Set HF_TOKEN in the environment instead."
        ) from None
