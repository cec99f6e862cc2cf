"""Reading a story without a language model, once, into one value: its structure (title, chapters, breaks,
paragraphs), sentences, cast (names, aliases, kinds and looks) and the places and times it names. The offline
writer, the painters and the monitor all ask :func:`read`; a story read once is not read again."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from dreamfactory_studio.core.story_reading.analysis import Sentence, sentences
from dreamfactory_studio.core.story_reading.cast import Character, find_characters, flat_text
from dreamfactory_studio.core.story_reading.following import looks_from_epithets
from dreamfactory_studio.core.story_reading.kinds import FigureKind, figure_of
from dreamfactory_studio.core.story_reading.manuscript import Manuscript, parse_manuscript


@dataclass(frozen=True)
class StoryReading:
    """One story, read: its manuscript (title and paragraphs, no structure in the text), its sentences, and
    its cast with each character's kind."""

    manuscript: Manuscript
    sentences: tuple[Sentence, ...]
    cast: tuple[Character, ...]

    @property
    def title(self) -> str:
        return self.manuscript.title

    @property
    def body(self) -> str:
        """The story's text without its title, headings and breaks."""
        return self.manuscript.body

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return self.manuscript.paragraphs

    def kind_of(self, character: Character) -> FigureKind:
        return figure_of(character.name, character.description)


@lru_cache(maxsize=8)
def read(story: str) -> StoryReading:
    """The story read once (the last few are kept: every phase and scene of a run asks)."""
    manuscript = parse_manuscript(story)
    body = manuscript.body
    cast = find_characters(body)
    looks_from_epithets(flat_text(body), cast)
    return StoryReading(manuscript, tuple(sentences(body)), tuple(cast))


__all__ = ["Character", "FigureKind", "Manuscript", "StoryReading", "figure_of", "read"]
