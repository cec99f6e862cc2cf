"""The crew's model through Ollama: ask a running Ollama server to pull a model (``POST /api/pull``, its streamed
status read line by line as progress), for ``models get crew:NAME``."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from dreamfactory_studio.core.errors import BackendError, BadInput

DEFAULT = "http://127.0.0.1:11434"


def ollama_root(base_url: str) -> str:
    """The Ollama server behind an LLM address (``http://host:11434/v1`` gives ``http://host:11434``); the
    default local server for an empty or OpenAI address."""
    if not base_url or "api.openai.com" in base_url:
        return DEFAULT
    parts = urlsplit(base_url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", "")).rstrip("/")


def pull(
    root: str,
    name: str,
    on_progress: Callable[[str, int, int], None] = lambda status, done, total: None,
    timeout: float = 30.0,
) -> None:
    """Pull ``name`` on the Ollama server at ``root``; ``on_progress`` gets each status with its bytes."""
    request = urllib.request.Request(
        f"{root}/api/pull",
        data=json.dumps({"model": name, "stream": True}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            for raw in answer:
                line = raw.strip()
                if not line:
                    continue
                try:
                    event = json.loads(line)
                except ValueError:
                    raise BackendError(
                        f"Ollama at {root} answered something that is not its pull status."
                    ) from None
                if event.get("error"):
                    raise BadInput(f"Ollama could not pull {name}: {event['error']}")
                on_progress(
                    str(event.get("status", "")),
                    int(event.get("completed") or 0),
                    int(event.get("total") or 0),
                )
                if event.get("status") == "success":
                    return
    except urllib.error.HTTPError as exc:
        detail = exc.read(2000).decode(errors="replace").strip()
        raise BadInput(f"Ollama at {root} refused to pull {name} ({exc.code}): {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise BackendError(
            f"no Ollama server answers at {root} ({reason}); start it (`ollama serve`), or set [llm] base_url to "
            "where it runs."
        ) from None
    raise BackendError(f"Ollama at {root} stopped before it said the pull of {name} succeeded; try again.")
