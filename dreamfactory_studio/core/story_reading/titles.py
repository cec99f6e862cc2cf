"""Short titles of who does what in a scene, from its first sentence and the story's cast, read without a
language model."""

from __future__ import annotations

import re

from dreamfactory_studio.core.story import TRAILING_WORDS
from dreamfactory_studio.core.story_reading.analysis import Sentence, sentences
from dreamfactory_studio.core.story_reading.cast import TITLES, Character, flat_text

# -- titles and settings --------------------------------------------------------------------------------

_TRAILING = TRAILING_WORDS | {
    "into",
    "over",
    "while",
    "as",
    "that",
    "two",
    "three",
    "four",
    "up",
    "down",
    "side",
    "how",
    "when",
    "where",
    "who",
    "which",
    "than",
    "very",
    "little",
    "one",
    "no",
}


_LEAD_INS = frozenset(
    "on in at by when after before every one that for all through midway halfway tonight months with as "
    "while above under later inside outside during once then soon this next to together".split()
)


def short_name(character: Character) -> str:
    """What a title calls a character: the name, or its one-word form for a long or titled one."""
    parts = character.name.split()
    if len(parts) <= 2 and not (
        parts[0].lower() in TITLES and len(parts) > 1 and parts[0].lower() in {"mr", "mrs", "ms", "dr"}
    ):
        return character.name
    return next(
        (a for a in sorted(character.aliases, key=len) if " " not in a and a.lower() not in TITLES), parts[-1]
    )


_ADJECTIVES = frozenset(
    "short tall round thin old young small big broad lean tiny quiet slim silver long grey gray little "
    "strong calm".split()
)
_PRONOUN_KIND = {"she": "f", "he": "m", "it": "n"}


def scene_title(
    chunk: str,
    cast: list[Character],
    present: list[str] = (),
    kinds: dict[str, str] | None = None,
    limit: int = 7,
) -> str:
    """A short, whole title of who does what, from the scene's first sentence: descriptions after a name
    ("Mira, a tall girl in a green raincoat,") and lead-ins ("On the morning before the festival,") left out,
    the first pronoun named (``present``: the scene's characters in order; ``kinds``: f, m or n by name), cut at
    ``limit`` words and never ending on "the" or "with"."""
    kinds = kinds or {}
    known = {c.name: c for c in cast}
    first = flat_text((sentences(chunk) or [Sentence(chunk, 0)])[0].text).rstrip(".!?")
    aliases = sorted(
        {a for c in cast for a in c.aliases | {c.name} if a[:1].isupper()}, key=len, reverse=True
    )
    for alias in aliases:
        first = re.sub(rf"\b({re.escape(alias)}),\s+[a-z][^,]{{1,80}},\s+(?=[a-z])", r"\1 ", first)
    in_scene = [known[n] for n in present if n in known]
    if in_scene:
        spoken = [m.span() for m in re.finditer(r"[\"“][^\"”]*[\"”]?", first)]
        match = next(
            (
                m
                for m in re.finditer(r"\b(She|He|It|she|he)\b(?!['’])", first)
                if not any(a <= m.start() < b for a, b in spoken)  # "It is a kitten," she says
            ),
            None,
        )
        who = next(
            (c for c in in_scene if match and kinds.get(c.name) == _PRONOUN_KIND[match.group(1).lower()]),
            None,
        )
        if match and who:
            first = first[: match.start()] + short_name(who) + first[match.end() :]
        if len(in_scene) > 1:
            they = next(
                (
                    m
                    for m in re.finditer(r"\b[Tt]hey\b", first)
                    if not any(a <= m.start() < b for a, b in spoken)
                ),
                None,
            )
            if they:
                both = " and ".join(short_name(c) for c in in_scene[:2])
                first = first[: they.start()] + both + first[they.end() :]
    clauses = [c.strip() for c in re.split(r",\s+", first) if c.strip()]
    while len(clauses) > 1 and clauses[0].split()[-1].lower() in _ADJECTIVES:
        clauses[:2] = [f"{clauses[0]}, {clauses[1]}"]
    dropped = ""

    def lead_in(clause: str) -> bool:
        tokens = clause.split()
        named = any(re.search(rf"\b{re.escape(a)}\b", clause) for a in aliases)
        return len(tokens) < 3 or (tokens[0].lower() in _LEAD_INS and len(tokens) <= 6 and not named)

    def names_someone(clause: str) -> bool:
        return any(re.search(rf"\b{re.escape(a)}\b", clause) for a in aliases)

    while (
        len(clauses) > 1
        and any(len(c.split()) >= 3 for c in clauses[1:])
        and (
            lead_in(clauses[0])
            or (
                clauses[0].split()[0].lower() in _LEAD_INS
                and not names_someone(clauses[0])
                and names_someone(clauses[1])
            )
        )
    ):
        dropped = clauses.pop(0)
    clause = clauses[0] if clauses else first
    if clause.split()[0] in ("is", "was", "has", "had") and any(a in dropped for a in aliases):
        clause = f"{dropped} {clause}"  # "Its keeper, Ines Duarte, is ..." -> "Ines Duarte is ..."
    tokens = clause.split()
    if tokens and tokens[0].lower() in _LEAD_INS:
        heads = {short_name(c).split()[0] for c in in_scene} | {a.split()[0] for a in aliases}
        heads -= {"the", "a", "an", "The", "A", "An"}
        heads |= {a for c in cast for a in c.aliases if not a[:1].isupper()}
        at = next(
            (i for i, t in enumerate(tokens) if i > 0 and re.sub(r"['’]s$", "", t).strip(",.") in heads), None
        )
        if at:
            tokens = tokens[at - 1 :] if tokens[at - 1].lower() in ("a", "an", "the") else tokens[at:]
    tokens = tokens[:limit]
    while len(tokens) > 2 and tokens[-1].lower().strip(",.") in _TRAILING:
        tokens.pop()
    title = " ".join(tokens).strip(" ,.;:")
    return title[:1].upper() + title[1:]
