"""Reading a story file, refusing what is not a usable story."""

from __future__ import annotations

import re
from pathlib import Path

from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.reading import read_regular_file
from dreamfactory_studio.core.story_reading.manuscript import parse_manuscript

MAX_STORY_BYTES = 256 * 1024
"""A story may be up to 256 KiB of text (about 40,000 words): a long film, still one conversation's worth."""


def read_story(path: Path | str) -> str:
    """The story's text, normalised to ``\\n`` line ends; :class:`BadInput` with a clear message otherwise."""
    path = Path(path).expanduser()
    data = read_regular_file(path, MAX_STORY_BYTES, "a text file holding the story")
    text = decode_story(data, str(path))
    if not text.strip():
        raise BadInput(f"story file {path} is empty; write the story in it first.")
    return text


def check_story_text(text: str) -> str:
    """A story given as text (pasted), normalised to ``\\n`` line ends; :class:`BadInput` when unusable."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise BadInput("the story is empty; paste or write the story first.")
    if len(text.encode("utf-8")) > MAX_STORY_BYTES:
        raise BadInput(
            f"the story is over {MAX_STORY_BYTES // 1024} KiB; split it into parts and make a project from each."
        )
    if re.search(r"[\x00-\x08\x0e-\x1f]", text):
        raise BadInput("the story holds control characters; paste plain text.")
    return text


def decode_story(data: bytes, source: str = "the story") -> str:
    """Decode UTF-8 (with or without BOM) or BOM-marked UTF-16 text; refuse binary data."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
        if b"\x00" in data:
            raise BadInput(
                f"{source} is not a text file (it holds binary data); save the story as UTF-8 text."
            )
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise BadInput(f"{source} is not UTF-8 text; save the story as UTF-8 and try again.") from None
    if re.search(r"[\x00-\x08\x0e-\x1f]", text):
        raise BadInput(f"{source} is not a text file (it holds control characters); save it as UTF-8 text.")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def title_from(text: str, fallback: str | None = None) -> str:
    """A title for a story: its title line (see :mod:`.story_reading.manuscript`; a chapter heading is not
    one), else ``fallback``, else (no fallback) the first words of its text, cut where a clause ends
    ("Grandmother Lin has made paper lanterns"), else "Untitled"."""
    manuscript = parse_manuscript(text)
    if manuscript.title:
        return manuscript.title
    if fallback is not None:
        return fallback
    first = (manuscript.paragraphs or ("",))[0].split("\n", 1)[0].strip()
    first = re.sub(r"\b(Mr|Mrs|Ms|Dr|St)\.", r"\1", first)
    clauses = [c.strip() for c in re.split(r"[,;:.!?]", first) if c.strip()]
    words: list[str] = []
    for clause in clauses:
        if words:
            words[-1] += ","
        words += clause.split()
        if len(words) >= 2:
            break
    words = words[:6]
    while len(words) > 2 and words[-1].lower() in TRAILING_WORDS:
        words.pop()
    title = " ".join(words).strip()
    return title[:1].upper() + title[1:] if title else "Untitled"


#: Words a title never ends on ("the", "with", "was").
TRAILING_WORDS = {
    "a",
    "an",
    "the",
    "of",
    "with",
    "and",
    "in",
    "on",
    "at",
    "to",
    "for",
    "from",
    "by",
    "her",
    "his",
    "its",
    "their",
    "is",
    "was",
    "has",
    "had",
}
