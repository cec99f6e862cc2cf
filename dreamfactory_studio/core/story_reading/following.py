"""Following a story's characters through its scenes: by name and alias, by epithet ("the old man", "her
grandfather") and by pronoun; and the looks an epithet gives a character the story never describes."""

from __future__ import annotations

import bisect
import re

from dreamfactory_studio.core.story_reading.analysis import Sentence, sentences
from dreamfactory_studio.core.story_reading.cast import CREATURES, PEOPLE, Character, flat_text
from dreamfactory_studio.core.story_reading.kinds import FEMALE, MALE, FigureKind, figure_of

THINGS = set(CREATURES) | {"machine", "unit", "drone", "cat", "ship"}
PRONOUNS = {
    "she": "f",
    "her": "f",
    "hers": "f",
    "herself": "f",
    "he": "m",
    "him": "m",
    "his": "m",
    "himself": "m",
    "it": "n",
    "its": "n",
    "itself": "n",
    "they": "p",
    "them": "p",
    "their": "p",
    "themselves": "p",
}
ROLE_NOUNS = (
    set(PEOPLE)
    | set(CREATURES)
    | {
        "keeper",
        "captain",
        "postman",
        "courier",
        "botanist",
        "clockmaker",
        "grandson",
        "granddaughter",
        "brother",
        "sister",
        "mother",
        "father",
        "passenger",
        "android",
        "machine",
        "client",
        "baker",
        "teacher",
        "driver",
        "grandmother",
        "grandfather",
        "fisherman",
        "partner",
    }
)


def _kind(character: Character, flat: str) -> str:
    """f, m or n (a creature or machine): from the words of the name and look, else the pronouns after the
    character's first mention; "" when nothing tells."""
    if character.name == "the narrator" or figure_of(character.name, character.description).kind == "crowd":
        return ""  # "I", and a crowd's "they": no she or he stands for them
    text = f"{character.name} {character.description}".lower()
    found = set(re.findall(r"[a-z]+", text))
    # A sentence that opens with the name, followed by one that opens with a pronoun, says it best.
    votes = {"f": 0, "m": 0}
    for alias in character.aliases | {character.name}:
        pattern = rf"(?:^|[.!?][\"”’']?\s+)(?:\w+\s+){{0,3}}{re.escape(alias)}\b[^.!?\"“”]*[.!?]\s+(She|He|Her|His)\b"
        for match in re.finditer(pattern, flat):
            votes["f" if match.group(1) in ("She", "Her") else "m"] += 1
    if found & THINGS and not found & (FEMALE | MALE - {"his", "her"}):
        # An animal or creature with a name may be a she or a he ("Cinder ... She slept in the lemon tree").
        named = character.name[:1].isupper() and figure_of(character.name, character.description).kind in (
            "animal",
            "creature",
        )
        if named and votes["f"] != votes["m"]:
            return "f" if votes["f"] > votes["m"] else "m"
        return "n"
    female, male = len(found & (FEMALE - {"she", "her"})), len(found & (MALE - {"he", "his"}))
    if female != male:
        return "f" if female > male else "m"
    if votes["f"] != votes["m"]:
        return "f" if votes["f"] > votes["m"] else "m"
    first = min((flat.find(a) for a in character.aliases | {character.name} if flat.find(a) >= 0), default=-1)
    following = flat[first : first + 300].lower() if first >= 0 else ""
    she = len(re.findall(r"\b(?:she|her)\b", following))
    he = len(re.findall(r"\b(?:he|him|his)\b", following))
    it = len(re.findall(r"\b(?:it|its)\b", following))
    if max(she, he) == 0:
        return "n" if it and found & THINGS else ""
    return "f" if she > he else "m"


def _epithets(character: Character, flat: str) -> set[str]:
    """The nouns a story may call a character by: "the old man", "the robot", "the keeper"."""
    found = set(re.findall(r"[a-z]+", f"{character.name} {character.description}".lower())) & ROLE_NOUNS
    for alias in character.aliases | {character.name}:
        for match in re.finditer(
            rf"\b(?:the|her|his|its|their)\s+(\w+),?\s+{re.escape(alias)}\b", flat, re.I
        ):
            if match.group(1).lower() in ROLE_NOUNS:
                found.add(match.group(1).lower())
    return found | {KIN[w] for w in found if w in KIN}


KIN = {
    "grandpa": "grandfather",
    "grandma": "grandmother",
    "granny": "grandmother",
    "mum": "mother",
    "dad": "father",
}
"""What a story also calls a character whose name or look holds the familiar word ("Grandpa Henri")."""


_EPITHET = re.compile(
    r"\b[Tt]he\s+((?:old|young|little|elderly|small|tall)\s+)?(woman|man|girl|boy|lady|gentleman|grandmother|"
    r"grandfather|child)\b"
)
"""A person called by what anyone can see they are ("the old woman", "the girl"), not by name: it stands for
the one last mentioned that it fits. A role ("the clerk", "the mayor") stands only for the character whose
name or look holds it."""


def _described_by(
    adjective: str | None, noun: str, pool: list[str], kinds: dict[str, str], figures: dict[str, FigureKind]
) -> str | None:
    """The character an epithet stands for: the one mentioned last whose sex, age and kind it fits."""
    noun, adjective = noun.lower(), (adjective or "").strip().lower()
    sex = "f" if noun in FEMALE else "m" if noun in MALE else ""
    child = noun in ("girl", "boy", "child")
    old = adjective in ("old", "elderly") or noun in ("grandmother", "grandfather")
    for name in reversed(pool):
        figure = figures.get(name)
        if figure is None or figure.kind != "person":
            continue
        if (sex and kinds.get(name) not in (sex, "")) or (child != (figure.age == "child")):
            continue
        if old and figure.age == "child":
            continue
        return name
    return None


def character_kind(character: Character, story: str) -> str:
    """f, m or n (a creature or machine), or "" when the story does not tell."""
    return _kind(character, flat_text(story))


def follow_cast(chunks: list[str], characters: list[Character], story: str) -> list[list[str]]:
    """Who is in each scene, in the order the scene names them: by name and alias, by epithet ("the old man"),
    and by pronoun, each pronoun standing for the character of its kind mentioned last (they: the last two)."""
    flat = flat_text(story)
    kinds = {c.name: _kind(c, flat) for c in characters}
    epithets = {c.name: _epithets(c, flat) for c in characters}
    ages = {c.name: figure_of(c.name, c.description) for c in characters}
    owners: dict[str, list[str]] = {}
    for name, nouns in epithets.items():
        for noun in nouns:
            owners.setdefault(noun, []).append(name)
    recent: list[str] = []  # names, the last mentioned last
    out = []
    for chunk in chunks:
        present: list[str] = []
        for sentence in sentences(flat_text(chunk)) or [Sentence(chunk, 0)]:
            mentions: list[tuple[int, str]] = []
            for character in characters:
                for alias in character.aliases | {character.name}:
                    for match in re.finditer(rf"\b{re.escape(alias)}\b", sentence.text):
                        mentions.append((match.start(), character.name))
            for noun, names in owners.items():
                if len(names) == 1:
                    for match in re.finditer(
                        rf"\b(?:the|her|his|their)\s+(?:[a-z\-]+\s+){{0,2}}{noun}\b", sentence.text, re.I
                    ):
                        mentions.append((match.start(), names[0]))
            for match in _EPITHET.finditer(sentence.text):
                if len(owners.get(match.group(2).lower(), ())) == 1:
                    continue
                earlier = list(dict.fromkeys(n for at, n in sorted(mentions) if at < match.start()))
                pool = [n for n in recent if n not in earlier] + earlier
                who = _described_by(match.group(1), match.group(2), pool, kinds, ages)
                if who:
                    mentions.append((match.start(), who))
            pattern = r"\b(she|her|hers|herself|he|him|his|himself|it|its|they|them|their|themselves)\b"
            for match in re.finditer(pattern, sentence.text, re.I):
                kind = PRONOUNS[match.group(1).lower()]
                if kind == "n" and match.start() > 0:
                    continue  # "it" mid-sentence is mostly a thing ("open it"); as the subject, a creature
                earlier = list(dict.fromkeys(n for at, n in sorted(mentions) if at < match.start()))
                pool = [n for n in recent if n not in earlier] + earlier  # the last mentioned last
                if kind == "p":
                    group = re.search(r"\b(two|three|four|five)\s+of\s+(?:them|us)\b", sentence.text, re.I)
                    size = (
                        {"two": 2, "three": 3, "four": 4, "five": 5}[group.group(1).lower()] if group else 2
                    )
                    mentions += [(match.start(), n) for n in pool[-size:]] if len(pool) >= 2 else []
                    continue
                fitting = [n for n in pool if kinds.get(n) == kind]
                if match.group(1).lower() in ("him", "them") or (
                    match.group(1).lower() == "her"
                    and re.match(r"\s*(?:[.,;!?]|$|\w+ly\b|to\b|from\b|up\b)", sentence.text[match.end() :])
                ):
                    # An object ("the mayor sees him") is rarely the one who does it, earlier in the sentence.
                    fitting = [n for n in fitting if n not in earlier] or fitting
                if fitting:
                    mentions.append((match.start(), fitting[-1]))
            for _, name in sorted(mentions):
                if name in recent:
                    recent.remove(name)
                recent.append(name)
                if name not in present:
                    present.append(name)
        out.append(present)
    return out


def looks_from_epithets(flat: str, characters: list[Character]) -> None:
    """A character the story never describes but calls "the old woman" looks like one: the epithet, resolved to
    the one mentioned last that it fits, becomes their look."""
    kinds = {c.name: _kind(c, flat) for c in characters}
    mentions = {
        c.name: sorted(
            m.start() for a in c.aliases | {c.name} for m in re.finditer(rf"\b{re.escape(a)}\b", flat)
        )
        for c in characters
    }  # found once: the story is read in time linear in its length
    figures = {c.name: figure_of(c.name, c.description) for c in characters}
    for match in _EPITHET.finditer(flat):
        if not match.group(1) and match.group(2).lower() not in ("grandmother", "grandfather"):
            continue
        last = {}
        for name, at in mentions.items():
            before = bisect.bisect_left(at, match.start())
            if before:
                last[name] = at[before - 1]
        pool = [n for n, _ in sorted(last.items(), key=lambda kv: kv[1])]
        who = _described_by(match.group(1), match.group(2), pool, kinds, figures)
        character = next((c for c in characters if c.name == who), None)
        if character is not None and not character.description:
            words = " ".join(w.strip() for w in (match.group(1) or "", match.group(2)) if w.strip()).lower()
            character.description = f"{'an' if words[0] in 'aeiou' else 'a'} {words}"


_SAYS = (
    r"(?:says|said|asks|asked|tells|told|replies|replied|shouts|shouted|whispers|whispered|calls|called|cries|"
    r"cried|answers|answered|laughs|laughed|adds|added|murmurs|murmured|mutters|muttered|sighs|sighed)"
)
_QUOTE = r"[\"“]([^\"”]+)[\"”]"
_WHO = r"([A-Z][\w’'\-]*(?:\s+[A-Z][\w’'\-]*)*|she|he|it|I|the\s+(?:[a-z]+\s+)?[a-z]+)"


def lines_in(
    chunk: str, characters: list[Character], kinds: dict[str, str], present: list[str] = ()
) -> list[tuple[str, str]]:
    """The quoted speech of a scene, each line with its speaker's name: ``"Today," said Grandpa Henri``,
    ``"Breathe," she tells me`` (she: the last woman the scene named), ``Hattie said, "Mum's rolling pin?"``; a
    quote right after an attributed one in the same paragraph is the same speaker's. Speech no one can be
    told to have said is left to the narration. ``kinds``: each character's f, m or n (:func:`character_kind`,
    read once for the story); ``present``: the scene's cast, for a pronoun the scene does not name a
    character before."""
    flat = flat_text(chunk)
    figures = {c.name: figure_of(c.name, c.description) for c in characters}
    mentions = sorted(
        (m.start(), c.name)
        for c in characters
        for a in c.aliases | {c.name}
        for m in re.finditer(rf"\b{re.escape(a)}\b", flat)
        if a not in ("I", "me", "my", "myself")
    )

    def speaker(word: str, at: int) -> str | None:
        word = word.strip()
        for c in characters:
            if word in c.aliases | {c.name} and word not in ("me", "my", "myself"):
                return c.name
        before = [n for p, n in mentions if p < at] or list(reversed(present))
        if word.lower() in ("she", "he"):
            sex = "f" if word.lower() == "she" else "m"
            return next((n for n in reversed(before) if kinds.get(n) == sex), None)
        if word.lower() == "it":
            return next((n for n in reversed(before) if kinds.get(n) == "n"), None)
        epithet = _EPITHET.fullmatch(word)
        if epithet:
            return _described_by(
                epithet.group(1), epithet.group(2), list(dict.fromkeys(before)), kinds, figures
            )
        return None

    found: list[tuple[int, str, str | None]] = []
    for pattern, who_group in (
        (rf"{_QUOTE},?\s*{_WHO}\s+{_SAYS}\b", 2),
        (rf"{_QUOTE},?\s*{_SAYS}\s+{_WHO}\b", 2),
        (rf"\b{_WHO}\s+{_SAYS}(?:\s+\w+)?[,:]?\s*{_QUOTE}", 1),
    ):
        for match in re.finditer(pattern, flat):
            quote = match.group(1) if who_group == 2 else match.group(2)
            who = speaker(match.group(who_group), match.start())
            start = match.start() if who_group == 2 else match.start(2) - 1
            if who and not any(start == at for at, _, _ in found):
                found.append((start, quote.strip(" ,"), who))
    for match in re.finditer(_QUOTE, flat):
        if not any(abs(match.start() - at) <= 1 for at, _, _ in found):
            found.append((match.start(), match.group(1).strip(" ,"), None))
    found.sort()
    lines: list[tuple[str, str]] = []
    last: str | None = None
    for _at, text, who in found:
        who = who or last  # "…," she tells me. "The audience can smell fear." : still her
        if who and text:
            lines.append((who, text))
        last = who
    return lines
