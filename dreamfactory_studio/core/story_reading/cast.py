"""The characters of a story, read without a language model: who they are (names, titles, full names that
occur once, unnamed people and creatures), what they look like, who each pronoun and epithet stands for, and
short titles of who does what in a scene (:mod:`.titles`); who is in each scene is :mod:`.following`'s. Names are found only where a script has capitals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dreamfactory_studio.core.story_reading.kinds import ANIMALS, CROWDS, FEMALE, MACHINES, MALE, made_thing
from dreamfactory_studio.core.story_reading.kinds import CREATURES as KIND_CREATURES
from dreamfactory_studio.core.story_reading.places import narrated

_PHRASE_END = re.compile(r"\s+(?:is|was|are|were|who|that|which|and|holding|as)\b.*$", re.IGNORECASE)


_STOP = frozenset(
    "a an the he she it they we i you her his their its our my on in at to by of for from with into over "
    "under after before when while then that this these those there here all and but or so as if once one "
    "two three every each no not yes together months days years later next morning evening night today "
    "tomorrow midway halfway cars vines what why how who where suddenly finally meanwhile soon above "
    "below inside outside through behind beyond tonight yesterday monday tuesday wednesday thursday "
    "friday saturday sunday spring summer autumn winter hour minutes weeks".split()
)
TITLES = frozenset(
    "captain grandmother grandfather grandma grandpa doctor dr mr mrs ms miss uncle aunt king queen "
    "prince princess lord lady sir professor old father mother sister brother master officer sergeant "
    "detective auntie mayor inspector constable judge reverend".split()
)
CREATURES = tuple(sorted(ANIMALS | KIND_CREATURES | (MACHINES - {"unit", "engine", "machine"})))
"""Nouns of the animals, creatures and machines that may act in a story ("a goose", "the dragon", "a drone")."""
PEOPLE = tuple(
    "girl boy woman man child kid stranger soldier child baby teenager fisherman farmer sailor traveler "
    "traveller musician painter doctor nurse".split()
)


@dataclass
class Character:
    name: str
    description: str = ""
    aliases: set[str] = field(default_factory=set)


def _capitalised_runs(text: str) -> list[tuple[str, int]]:
    """Runs of capitalised words, with their start offsets."""
    runs = []
    for match in re.finditer(r"(?:\b[^\W\d_][\w’'\-]*\b)(?:\s+\b[^\W\d_][\w’'\-]*\b)*", text):
        tokens = match.group(0).split()
        start = match.start()
        current: list[str] = []
        offset = start
        position = start
        for token in tokens:
            position = text.index(token, position)
            if token[0].isupper() and token.lower().rstrip("'’s") not in _STOP:
                if not current:
                    offset = position
                current.append(token)
            else:
                if current:
                    runs.append((" ".join(current), offset))
                current = []
            position += len(token)
        if current:
            runs.append((" ".join(current), offset))
    return runs


def _clean_name(name: str) -> str:
    return re.sub(r"['’]s$", "", name).strip(" ,.;:")


PLACE_WORDS = frozenset(
    "street hill road river station festival bridge market harbour harbor city square lane avenue park "
    "church school lake sea mountain island bay valley forest castle tower hall house inn street's day "
    "night christmas town".split()
)
_BEFORE_PLACE = re.compile(
    r"\b(?:in|on|at|of|to|from|up|down|near|across|into|towards?|before|after|during)\s+(?:the\s+)?$", re.I
)


def flat_text(story: str) -> str:
    """The story on one line, with "Mr." read as "Mr" so that titles stay with their names."""
    return re.sub(r"\b(Mr|Mrs|Ms|Dr|Prof|Capt|Sgt)\.", r"\1", re.sub(r"\s+", " ", story))


def _is_place(name: str, flat: str, offset: int) -> bool:
    """A capitalised run that names a place or an event: "Windmill Hill", "on Harbour Street", "New Kowloon"."""
    return name.split()[-1].lower() in PLACE_WORDS or bool(
        _BEFORE_PLACE.search(flat[max(0, offset - 24) : offset])
    )


def find_characters(story: str) -> list[Character]:
    """Named people, animals and robots, with what the story says they look like."""
    flat = flat_text(story)
    counts: dict[str, int] = {}
    inside: dict[str, int] = {}  # how often a name stands inside a sentence, not at its start
    starts = {m.end() for m in re.finditer(r"(?:^|[.!?]\s+|[\"“]\s*)", flat)}
    for name, offset in _capitalised_runs(flat):
        name = _clean_name(name)
        if not name or _is_place(name, flat, offset):
            continue
        counts[name] = counts.get(name, 0) + 1
        if offset not in starts:
            inside[name] = inside.get(name, 0) + 1
    named = set(re.findall(r"\b(?:named|called)\s+([A-Z][\w’'\-]*(?:\s+[A-Z][\w’'\-]*)*)", flat))
    candidates = []
    for name, count in counts.items():
        first = name.split()[0].lower()
        titled = first in TITLES and len(name.split()) > 1
        full = len(name.split()) in (2, 3) and inside.get(name, 0) + count >= 1 and first not in _STOP
        often = count >= 3 or (count >= 2 and inside.get(name, 0) >= 1)
        appositive = re.search(rf"\b{re.escape(name)}(?:,\s+|\s+(?:is|was)\s+)(a|an|the|his|her|its)\s", flat)
        if name in named or titled or often or appositive or (full and _person_like(name, flat)):
            candidates.append(name)
    # Longest names first, so that "Amara" folds into "Captain Amara Okafor".
    candidates.sort(key=lambda n: (-len(n.split()), flat.find(n)))
    characters: list[Character] = []
    for name in candidates:
        home = next((c for c in characters if set(name.split()) <= set(c.name.split())), None)
        if home:
            home.aliases.add(name)
            continue
        parts = name.split()
        aliases = {name} | ({" ".join(parts[1:])} if parts[0].lower() in TITLES else set()) | {parts[-1]}
        if len(parts) > 1:
            aliases.add(parts[0] if parts[0].lower() not in TITLES else parts[1])
        if parts[0].lower() in TITLES and len(parts) > 2:
            aliases.add(parts[1])
        characters.append(Character(name=name, aliases=aliases))
    for character in characters:
        character.description = _describe(flat, character)
    _add_creatures_and_people(flat, characters)
    characters.sort(
        key=lambda c: min((flat.find(a) for a in c.aliases | {c.name} if flat.find(a) >= 0), default=0)
    )
    return characters


def _person_like(name: str, flat: str) -> bool:
    """Whether a two- or three-word capitalised run acts like a person: followed by a verb-like word, a comma
    and a description, or a possessive."""
    after = flat[flat.find(name) + len(name) : flat.find(name) + len(name) + 30]
    return bool(
        re.match(
            r"(?:['’]s\b|,\s+(?:a|an|the|who|is|was)\b|\s+(?:is|was|has|had|sells|runs|lives|stands|sits|"
            r"walks|climbs|works|keeps|looks|finds|holds)\b)",
            after,
        )
    )


_NUMBER = (
    r"(?:\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|[a-z]+teen|"
    r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-[a-z]+)?)"
)
_LOOK = (
    r"(?:small|tall|short|round|thin|fat|stout|plump|slim|slender|broad|bent|young|old|elderly|little|big|huge|"
    r"tiny|grey|gray|white|red|blond|blonde|dark|pale|neat|wiry|lanky|hunched|freckled)"
)


def _describe(flat: str, character: Character) -> str:
    """What the story lets one see of a character: appositives ("Mira, a tall girl in a green raincoat"),
    "a dragon called Bramble, grey as slate", "X is/was a …", "X, who was seven", "She was fifty, with …",
    "It was built like a dragonfly", and the parts of them it names."""
    pieces: list[str] = []
    for alias in sorted(character.aliases | {character.name}, key=len, reverse=True):
        name = re.escape(alias)
        for pattern in (
            rf"\b((?:a|an)\s+[^,.;]{{3,80}}?)\s+(?:named|called)\s+{name}\b((?:\s+(?:with|in|wearing)\s+[^,.;]+)?)"
            rf"(?:,\s+((?:[a-z]+\s+as\s+[a-z]+)|(?:a|an)\s+[^,.;]{{3,100}}))?",
            rf"\b{name},\s+((?:a|an|the)\s+[^,.;]{{3,120}}|[^,.;]{{3,120}}?(?:old|wearing|dressed)[^,.;]*)[,.;]"
            rf"(?:\s*((?:a|an)\s+[^,.;]{{3,120}}?)[,.;])?",
            rf"\b{name},?\s+(?:is|was)\s+(?:(?:a|an)\s+[a-z]+,\s+)?((?:a|an)\s+[^.;]{{3,120}}?)(?:,?\s+(?:and|but|who|that)\s|[.;]|,\s+(?:a|an)\s)",
            rf"\b{name},?\s+(?:who\s+)?(?:is|was)\s+({_NUMBER}(?:\s+years\s+old)?)\b(?!\s+(?:years|months|days|minutes))",
            rf"\b{name}\s+(?:is|was)\s+((?:the\s+(?:elder|eldest|younger|youngest),\s+)?{_LOOK}\b[^.;]{{0,120}}?)(?:[.;]|,\s+(?:because|so|but|and then|while|as|until)\b)",
            rf"\b{name},\s+who\s+(?:is|was)\s+([^.;]{{3,80}}?)[,.;]",
            rf"\b(?:her|his|their)\s+(\w+)\s+{name}\b",
            rf"\b{name}\b[^.]*\.\s+(?:She|He|It)\s+(?:is|was)\s+((?:a|an)\s+[^.;]{{3,120}}?)(?:,\s+and\s|[.;])",
            rf"\b{name}\b[^.]*\.(?:\s+(?:She|He)\b[^.]*\.)?\s+(?:She|He)\s+(?:is|was)\s+({_NUMBER}"
            rf"(?:,\s+(?:with|in|wearing|{_LOOK})\b[^,.;]{{3,100}})*)[,.;]",
            rf"\b{name}\b[^.]*\.\s+(?:She|He|It)\s+(?:is|was)\s+(built\s+like\s+[^.;]{{3,100}}?)(?:,\s+and\s|[.;])",
        ):
            for match in re.finditer(pattern, flat, re.IGNORECASE):
                groups = [g.strip(" ,") for g in match.groups() if g and g.strip(" ,")]
                piece = re.sub(r"\s+", " ", ", ".join(groups)).strip()
                if re.fullmatch(_NUMBER, piece, re.IGNORECASE):
                    piece = f"{piece} years old"
                _add_piece(pieces, piece)
    if not pieces:
        pieces += _look_words(flat, character)
    return "; ".join(pieces)


def _add_piece(pieces: list[str], piece: str) -> None:
    """``piece`` added to a look, unless the look already says it; a piece that says more replaces one it holds."""
    lowered = piece.lower()
    if not piece or any(lowered in p.lower() for p in pieces):
        return
    pieces[:] = [p for p in pieces if p.lower() not in lowered]
    pieces.append(piece)


AGE_WORDS = {
    "grandmother": "an old woman",
    "grandfather": "an old man",
    "grandma": "an old woman",
    "grandpa": "an old man",
    "old": "old",
    "young": "young",
    "elderly": "elderly",
}


def _look_words(flat: str, character: Character) -> list[str]:
    """What the story lets one see of a character it does not describe in so many words: the age their title
    gives, and the parts of them it names ("her wrinkled hands"), never a whole sentence."""
    found = []
    title = character.name.split()[0].lower()
    if title in AGE_WORDS and " " in AGE_WORDS[title]:
        found.append(AGE_WORDS[title])
    pronoun = "her" if title in FEMALE else "his" if title in MALE else ""
    if pronoun:
        for match in re.finditer(
            rf"\b{pronoun}\s+((?:[a-z]+\s+)?(?:hands|hair|face|eyes|beard|coat|dress|hat|scarf|glasses|spectacles|apron|cane|boots))\b",
            flat,
        ):
            if match.group(1) not in found:
                found.append(match.group(1))
    return found[:3]


def _add_creatures_and_people(flat: str, characters: list[Character]) -> None:
    """Who acts without a name: an animal, creature or machine the story keeps calling "the goose", a person
    introduced by their look ("a woman in a green coat"), a crowd that keeps acting, and a first-person narrator."""
    taken = " ".join(c.description for c in characters).lower()
    for noun in CREATURES:
        hits = [
            m.group(1)
            for m in re.finditer(
                rf"\b(?:a|an|the)\s+((?:[a-z\-]+\s+){{0,2}}{noun})\b(?![-])(\s+\w+)?", flat, re.I
            )
            if not made_thing(m.group(1).lower().split()[:-1], (m.group(2) or "").strip().lower())
        ]
        if len(hits) >= 2 and noun not in taken:
            description = max(hits, key=len)
            characters.append(Character(name=f"the {noun}", description=f"a {description}", aliases={noun}))
    for noun in PEOPLE:
        for match in re.finditer(
            rf"\b(?:a|an)\s+((?:[a-z\-]+\s+){{0,2}}{noun})\s+((?:in|with|wearing)\s+[^,.;]+)",
            flat,
            re.IGNORECASE,
        ):
            phrase = _PHRASE_END.sub("", f"{match.group(1)} {match.group(2)}")
            if phrase.lower() in taken or any(c.name == f"the {noun}" for c in characters):
                continue
            characters.append(Character(name=f"the {noun}", description=f"a {phrase}", aliases={noun}))
            break
    for noun in sorted(CROWDS):
        hits = re.findall(
            rf"\b(?:a|an|the)\s+((?:[a-z\-]+\s+){{0,2}}{noun}(?:\s+of\s+[a-z]+)?)\b", flat, re.I
        )
        if len(hits) >= 3 and noun not in taken:
            characters.append(
                Character(name=f"the {noun}", description=f"a {max(hits, key=len)}", aliases={noun})
            )
    narrator = narrator_of(flat)
    if narrator is not None:
        characters.append(narrator)


FIRST_PERSON = ("I", "me", "my", "myself")


def narrator_of(flat: str) -> Character | None:
    """The teller of a story told in the first person (three or more "I", "me" or "my" outside quotes), with
    what they say of themselves ("I am twenty-two"); ``None`` for a story told in the third person."""
    outside = narrated(flat)
    if len(re.findall(r"\b(?:I|me|my|myself)\b", outside)) < 3:
        return None
    look = re.findall(
        rf"\bI\s+(?:am|was)\s+((?:a|an)\s+[^,.;]{{3,80}}|{_NUMBER}(?:\s+years\s+old)?)\b", outside
    )
    pieces: list[str] = []
    for piece in look:
        _add_piece(pieces, f"{piece} years old" if re.fullmatch(_NUMBER, piece) else piece)
    return Character(name="the narrator", description="; ".join(pieces), aliases=set(FIRST_PERSON))
