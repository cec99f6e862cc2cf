"""What kind of figure a character is, read from their name and look: a person, an animal, a creature, a
machine or a crowd, and a child, an adult or someone old. The reader, the painters and the monitor ask the same
words, so a goose is never drawn as a person nor a child as tall as her grandfather."""

from __future__ import annotations

import re
from dataclasses import dataclass

ANIMALS = frozenset(
    "dog puppy cat kitten cub chick foal calf fawn fox wolf horse pony rabbit hare bird owl mouse rat bear deer goat cow ox goose duck "
    "swan crow raven hen chicken rooster pig sheep lamb tiger lion monkey turtle tortoise frog whale seal "
    "otter badger hedgehog squirrel gull seagull heron parrot donkey mule camel elephant bat beetle moth "
    "dragonfly butterfly bee spider snake lizard".split()
)
CREATURES = frozenset(
    "dragon dragonet wyvern griffin gryphon unicorn troll giant ogre monster phoenix serpent ghost spirit "
    "fairy faerie goblin elf dwarf mermaid kraken yeti golem".split()
)
MACHINES = frozenset("robot android droid drone machine automaton mech cyborg bot unit engine".split())
CROWDS = frozenset("crowd villagers townsfolk townspeople audience crew mob".split())
PEOPLE = frozenset(
    "man woman boy girl child kid baby toddler lady gentleman person stranger mother father grandmother "
    "grandfather grandma grandpa granny sister brother aunt uncle wife husband daughter son captain doctor "
    "nurse clerk mayor teacher driver ferryman fisherman farmer sailor soldier king queen prince princess "
    "keeper baker cook officer detective narrator actress actor student widow nun monk priest".split()
)
FEMALE = frozenset(
    "woman girl grandmother grandma mother mum mom sister aunt auntie queen princess lady mrs ms miss "
    "daughter granddaughter wife widow nun she her niece duchess witch".split()
)
MALE = frozenset(
    "man boy grandfather grandpa father dad brother uncle king prince lord sir mr son grandson husband "
    "monk he his nephew duke fisherman postman".split()
)
CHILD_WORDS = frozenset("boy girl child kid baby toddler schoolgirl schoolboy son daughter".split()) - {
    "son",
    "daughter",
}
YOUNG_ANIMALS = frozenset("kitten puppy chick lamb foal cub calf duckling gosling fawn".split())
OLD_WORDS = frozenset(
    "old elderly aged grandmother grandfather grandma grandpa granny grey-haired white-haired".split()
)
_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_AGE = re.compile(
    r"(?:^|;\s*)(\d{1,3}|[a-z]+(?:-[a-z]+)?)\b(?=,|;|$)|\b(?:was|is|aged|age)\s+(\d{1,3}|[a-z]+(?:-[a-z]+)?)\b(?!\s+(?:years|months|days)\s+(?:ago|later))"
    r"|\b(\d{1,3}|[a-z]+(?:-[a-z]+)?)[- ]years?[- ]old\b"
)


MADE = frozenset(
    "paper wooden toy stone plastic cardboard origami clay tin stuffed plush glass carved painted inflatable "
    "porcelain china brass bronze silk".split()
)
THINGS_SHAPED = frozenset(
    "kite kites statue statues toy toys mask masks costume costumes balloon balloons puppet puppets figurine "
    "ornament painting paintings lantern lanterns float boat ship head shaped-".split()
)
"""A "paper dragon" or a "dragon kite" is a thing shaped like a creature, not one."""


def made_thing(before: list[str], after: str) -> bool:
    """Whether a creature's noun, with the words ``before`` it and the word ``after`` it, names a thing."""
    return bool(set(before[-2:]) & MADE) or after in THINGS_SHAPED


@dataclass(frozen=True)
class FigureKind:
    """``kind``: person, animal, creature, machine or crowd; ``age``: child, adult or old; ``noun``: the word
    that told the kind ("goose", "dragon", "drone"), empty for a person."""

    kind: str = "person"
    age: str = "adult"
    noun: str = ""


def _age_number(text: str) -> int | None:
    for match in _AGE.finditer(text):
        word = next(g for g in match.groups() if g)
        if word.isdigit():
            return int(word)
        parts = word.split("-")
        if all(p in _NUMBERS for p in parts):
            return sum(_NUMBERS[p] for p in parts)
    return None


NOUN_KINDS = (("crowd", CROWDS), ("animal", ANIMALS), ("creature", CREATURES), ("machine", MACHINES))
"""The kinds a noun names, in the order a word is looked up."""


def figure_of(name: str, description: str = "") -> FigureKind:
    """The kind and age of a character from the words of their name and look: the first noun of a kind that
    the words name decides ("a large white goose with a black feather" is an animal, "a tall man with a dog"
    a person), machines also by "built like"; the age by a number or by words ("old", "a girl")."""
    text = f"{name} {description}".lower()
    tokens = re.findall(r"[a-z]+(?:-[a-z]+)?", text)
    kind, noun = "person", ""
    # "50s, rumpled, a cat under his coat" is a man with a cat: a decade's age or their own clothes say person.
    wears = re.search(
        r"\b\d0s\b|\b(?:his|her) (?:coat|hat|jacket|dress|scarf|shirt|cloak|arm|arms|hands?)\b", text
    )
    for at, token in enumerate([] if wears else tokens):
        word = token[:-1] if token.endswith("s") and token[:-1] in ANIMALS | CREATURES | MACHINES else token
        if word in ANIMALS | CREATURES and made_thing(
            tokens[:at], tokens[at + 1] if at + 1 < len(tokens) else ""
        ):
            continue
        if word in PEOPLE:
            break
        named = next((k for k, words in NOUN_KINDS if word in words), None)
        if named is not None:
            kind, noun = named, word
            break
    if kind == "person" and re.search(r"\bbuilt like\b|\bmade of (?:brass|copper|steel|tin|metal)\b", text):
        kind, noun = "machine", "machine"
    years = _age_number(description.lower()) if description else None
    years = years if years is not None else _age_number(text)
    words = set(tokens)
    if years is not None:
        age = "child" if years < 13 else "old" if years >= 60 else "adult"
    elif words & OLD_WORDS or re.search(r"\b(?:white|grey|gray|silver) (?:beard|hair|man|woman)\b", text):
        age = "old"
    elif words & (CHILD_WORDS if kind == "person" else YOUNG_ANIMALS):
        age = "child"
    else:
        age = "adult"
    return FigureKind(kind, age, noun)
