"""A story's structure as people write it: a title line (or a Markdown ``#`` title), chapter and part headings,
scene breaks (``* * *``), and the paragraphs of text between them. Structure is never text: a title is not the
first words of scene 1, and a heading is not a character."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_BREAK = re.compile(r"^\s*(?:[*#~=\-•·]\s*){3,}$|^\s*[#*~]\s*$")
_HEADING_WORDS = re.compile(
    r"^(?:chapter|part|book|act|prologue|epilogue|interlude|afterword|foreword)\b", re.IGNORECASE
)
_NUMBERED = re.compile(r"^(?:[IVXLC]+|\d+)[.)]?(?:\s+\S.*)?$")
_END = (".", "!", "?", ",", ";", ":", "…", '"', "”", "’", "'", ")")
TITLE_CHARS = 80


@dataclass(frozen=True)
class Chapter:
    """A heading and the index of the first paragraph under it."""

    heading: str
    first: int


@dataclass(frozen=True)
class Manuscript:
    """The story's title (empty when it has none), its paragraphs of text, and its chapters and breaks."""

    title: str
    paragraphs: tuple[str, ...]
    chapters: tuple[Chapter, ...] = ()
    breaks: tuple[int, ...] = field(default=())
    """Indexes of the paragraphs that start after a scene break (``* * *``)."""

    @property
    def body(self) -> str:
        """The text without its structure: paragraphs separated by blank lines."""
        return "\n\n".join(self.paragraphs)


def _is_heading(line: str) -> bool:
    """A chapter or part heading: "Chapter One", "Part Two: The Well", "## The avalanche", "IV", "3."."""
    text = line.strip()
    if text.startswith("#"):
        return True
    if len(text) > TITLE_CHARS or "\n" in text:
        return False
    return bool(_HEADING_WORDS.match(text)) or bool(_NUMBERED.match(text) and len(text.split()) <= 8)


def _is_title_line(block: str) -> bool:
    """A single short line that does not end as a sentence does: a title, not text."""
    text = block.strip()
    return (
        "\n" not in text
        and 0 < len(text) <= TITLE_CHARS
        and not text.endswith(_END)
        and not text.startswith(('"', "“", "‘", "'", "-", "—"))
        and len(text.split()) <= 12
    )


def parse_manuscript(text: str) -> Manuscript:
    """The structure of ``text``: its title (the first block when that is a title line, or a Markdown ``#``
    line), headings and breaks taken out, the paragraphs left. A story of one title-like line is text."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    # A Markdown heading or a break on a line of its own inside a block starts a block of its own.
    split: list[str] = []
    for block in blocks:
        current: list[str] = []
        for line in block.split("\n"):
            if line.lstrip().startswith("#") or _BREAK.match(line):
                if current:
                    split.append("\n".join(current))
                split.append(line.strip())
                current = []
            else:
                current.append(line)
        if current:
            split.append("\n".join(current))
    title = ""
    paragraphs: list[str] = []
    chapters: list[Chapter] = []
    breaks: list[int] = []
    for index, block in enumerate(split):
        rest = split[index + 1 :]
        if _BREAK.match(block):
            if paragraphs and len(paragraphs) not in breaks:
                breaks.append(len(paragraphs))
            continue
        if block.startswith("#") and not block.startswith("##") and not title and not paragraphs:
            title = block.lstrip("#").strip()
            continue
        if _is_heading(block) and any(not _is_heading(b) and not _BREAK.match(b) for b in rest):
            chapters.append(Chapter(block.lstrip("#").strip(), len(paragraphs)))
            continue
        if index == 0 and _is_title_line(block) and rest:
            title = block
            continue
        if paragraphs and _is_title_line(block) and rest and len(block.split()) <= 6 and block.istitle():
            chapters.append(Chapter(block, len(paragraphs)))  # an unmarked section heading: "The Well"
            continue
        paragraphs.append(block)
    if not paragraphs:  # nothing but a title-like line: it is the story
        return Manuscript("", tuple(b.lstrip("#").strip() for b in split if not _BREAK.match(b)))
    return Manuscript(title, tuple(paragraphs), tuple(chapters), tuple(breaks))
