"""Reading a story without a language model: sentences, scene splits, characters and a style.

The offline writer builds its decisions from these facts. Everything here is deterministic and works on any
script: sentence ends include CJK and Arabic punctuation; names are found only where a script has capitals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SENTENCE_END = re.compile(r"(?<=[.!?。！？؟…])[\"'”’」』)]*\s+|(?<=[。！？])")
_CLAUSE_BREAK = re.compile(r"(?<=[,;:，、；：])\s*")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_PHRASE_END = re.compile(r"\s+(?:is|was|are|were|who|that|which|and|holding|as)\b.*$", re.IGNORECASE)
WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*", re.UNICODE)

STYLE_WORDS: dict[str, tuple[str, ...]] = {
    "cyberpunk": ("neon", "cyber", "hacker", "hologram", "android", "megacity", "implant", "synth", "chrome"),
    "origami": ("origami", "folded", "fold", "paper crane", "paper boat"),
    "ink wash": ("ink", "brush", "bamboo", "calligraphy", "scroll", "mist", "temple", "lantern", "lanterns"),
    "oil painting": ("painting", "canvas", "oil", "portrait", "gallery", "harvest", "meadow"),
    "anime": ("anime", "manga", "magical", "spirit", "schoolgirl", "mecha", "samurai"),
    "realism": ("photograph", "documentary", "realistic", "city hall", "office", "newspaper"),
    "illustration": ("fairy", "once upon", "picture book", "village", "fog", "ferry", "garden", "robot"),
}
PALETTES = {
    "cyberpunk": ("magenta, cyan and deep violet with neon accents", "night, neon signs and wet reflections"),
    "origami": ("paper white, coral and sky blue", "soft daylight with crisp paper shadows"),
    "ink wash": ("black ink, warm grey and one accent of vermilion", "diffuse, misty light"),
    "oil painting": ("ochre, umber and muted blue", "warm golden light with soft shadows"),
    "anime": ("clear sky blue, warm skin tones and saturated accents", "bright daylight with cel shading"),
    "realism": ("natural, slightly desaturated colours", "natural light"),
    "illustration": ("muted blues and warm ochres", "soft, even light"),
}

_STOP = {
    "a",
    "an",
    "the",
    "he",
    "she",
    "it",
    "they",
    "we",
    "i",
    "you",
    "her",
    "his",
    "their",
    "its",
    "our",
    "my",
    "on",
    "in",
    "at",
    "to",
    "by",
    "of",
    "for",
    "from",
    "with",
    "into",
    "over",
    "under",
    "after",
    "before",
    "when",
    "while",
    "then",
    "that",
    "this",
    "these",
    "those",
    "there",
    "here",
    "all",
    "and",
    "but",
    "or",
    "so",
    "as",
    "if",
    "once",
    "one",
    "two",
    "three",
    "every",
    "each",
    "no",
    "not",
    "yes",
    "together",
    "months",
    "days",
    "years",
    "later",
    "next",
    "morning",
    "evening",
    "night",
    "today",
    "tomorrow",
    "midway",
    "halfway",
    "cars",
    "vines",
    "what",
    "why",
    "how",
    "who",
    "where",
    "suddenly",
    "finally",
    "meanwhile",
    "soon",
}
TITLES = {
    "captain",
    "grandmother",
    "grandfather",
    "grandma",
    "grandpa",
    "doctor",
    "dr",
    "mr",
    "mrs",
    "ms",
    "miss",
    "uncle",
    "aunt",
    "king",
    "queen",
    "prince",
    "princess",
    "lord",
    "lady",
    "sir",
    "professor",
    "old",
    "father",
    "mother",
    "sister",
    "brother",
    "master",
    "officer",
    "sergeant",
    "detective",
    "auntie",
}
CREATURES = (
    "dog",
    "cat",
    "robot",
    "fox",
    "bird",
    "horse",
    "dragon",
    "rabbit",
    "owl",
    "wolf",
    "bear",
    "mouse",
    "crow",
    "android",
    "droid",
    "cow",
    "goat",
    "tiger",
    "lion",
    "monkey",
    "turtle",
    "frog",
    "whale",
    "deer",
)
PEOPLE = (
    "girl",
    "boy",
    "woman",
    "man",
    "child",
    "kid",
    "stranger",
    "soldier",
    "child",
    "baby",
    "teenager",
    "fisherman",
    "farmer",
    "sailor",
    "traveler",
    "traveller",
    "musician",
    "painter",
    "doctor",
    "nurse",
)


@dataclass
class Character:
    name: str
    description: str = ""
    aliases: set[str] = field(default_factory=set)

    def mentioned_in(self, text: str) -> bool:
        return any(
            re.search(rf"\b{re.escape(alias)}\b", text, re.IGNORECASE) for alias in self.aliases | {self.name}
        )


@dataclass
class Sentence:
    text: str
    paragraph: int


def sentences(story: str) -> list[Sentence]:
    """The story's sentences, each with the index of its paragraph."""
    out: list[Sentence] = []
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", story.strip()) if p.strip()]
    for index, paragraph in enumerate(paragraphs):
        flat = re.sub(r"\s*\n\s*", " ", paragraph)
        out.extend(Sentence(part.strip(), index) for part in _SENTENCE_END.split(flat) if part.strip())
    return out


def words(text: str) -> list[str]:
    return WORD.findall(text)


def _split_unit(unit: Sentence) -> list[Sentence]:
    """Split a sentence in two near its middle, at a clause break if there is one, else between words."""
    text = unit.text
    breaks = [m.end() for m in _CLAUSE_BREAK.finditer(text) if 0 < m.end() < len(text)]
    if not breaks:
        breaks = [m.start() for m in WORD.finditer(text)][1:]
        if not breaks and _CJK.search(text) and len(text) > 1:
            breaks = [len(text) // 2]  # unbroken CJK text has no spaces: split between characters
    if not breaks:
        return [unit]
    cut = min(breaks, key=lambda b: abs(b - len(text) / 2))
    first, second = text[:cut].strip(), text[cut:].strip()
    if not first or not second:
        return [unit]
    return [Sentence(first, unit.paragraph), Sentence(second, unit.paragraph)]


def split_scenes(story: str, count: int) -> list[str]:
    """Split a story into ``count`` non-empty, contiguous scenes, cutting at paragraph ends where it can."""
    units = sentences(story) or [Sentence(story.strip(), 0)]
    while len(units) < count:
        longest = max(range(len(units)), key=lambda i: len(units[i].text))
        parts = _split_unit(units[longest])
        if len(parts) == 1:
            break
        units[longest : longest + 1] = parts
    if len(units) < count:
        # Fewer words than scenes: the same moment seen in several shots.
        units = [units[i * len(units) // count] for i in range(count)]
        return [u.text for u in units]
    lengths = [len(u.text) + 1 for u in units]
    groups: list[str] = []
    start = 0
    for group in range(count):
        remaining = count - group
        if remaining == 1:
            end = len(units)
        else:
            target = sum(lengths[start:]) / remaining
            best, best_cost = start + 1, float("inf")
            acc = 0
            for end_candidate in range(start + 1, len(units) - remaining + 2):
                acc += lengths[end_candidate - 1]
                cost = abs(acc - target)
                if units[end_candidate - 1].paragraph == units[min(end_candidate, len(units) - 1)].paragraph:
                    cost += 0.35 * target  # prefer to cut where a paragraph ends
                if cost < best_cost:
                    best, best_cost = end_candidate, cost
                if acc > 2.5 * target:
                    break
            end = best
        groups.append(" ".join(u.text for u in units[start:end]))
        start = end
    return groups


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


def find_characters(story: str) -> list[Character]:
    """Named people, animals and robots, with what the story says they look like."""
    flat = re.sub(r"\s+", " ", story)
    counts: dict[str, int] = {}
    for name, _ in _capitalised_runs(flat):
        name = _clean_name(name)
        if name:
            counts[name] = counts.get(name, 0) + 1
    named = set(re.findall(r"\bnamed\s+([A-Z][\w’'\-]*(?:\s+[A-Z][\w’'\-]*)*)", flat))
    candidates = []
    for name, count in counts.items():
        first = name.split()[0].lower()
        titled = first in TITLES and len(name.split()) > 1
        if name in named or titled or count >= 2 or re.search(rf"\b{re.escape(name)},\s+(a|an)\s", flat):
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


def _describe(flat: str, character: Character) -> str:
    pieces: list[str] = []
    for alias in sorted(character.aliases | {character.name}, key=len, reverse=True):
        name = re.escape(alias)
        for pattern in (
            rf"\b(?:a|an)\s+([^,.;]{{3,80}}?)\s+named\s+{name}\b((?:\s+(?:with|in|wearing)\s+[^,.;]+)?)",
            rf"\b{name},\s+((?:a|an)\s+[^,.;]{{3,120}}|[^,.;]{{3,120}}?(?:old|wearing|dressed)[^,.;]*)[,.;]",
            rf"\b(?:her|his|their)\s+(\w+)\s+{name}\b",
        ):
            for match in re.finditer(pattern, flat, re.IGNORECASE):
                piece = re.sub(r"\s+", " ", " ".join(g for g in match.groups() if g)).strip()
                if piece and piece.lower() not in (p.lower() for p in pieces):
                    pieces.append(piece)
    if not pieces:
        first = next((s.text for s in sentences(flat) if character.mentioned_in(s.text)), "")
        pieces.append(first[:160])
    return "; ".join(pieces)


def _add_creatures_and_people(flat: str, characters: list[Character]) -> None:
    taken = " ".join(c.description for c in characters).lower()
    for noun in CREATURES:
        hits = re.findall(rf"\b(?:a|an|the)\s+((?:[a-z\-]+\s+){{0,2}}{noun})\b(?![-])", flat, re.IGNORECASE)
        if len(hits) >= 2 and noun not in taken:
            description = max(hits, key=len)
            characters.append(Character(name=f"the {noun}", description=f"a {description}", aliases={noun}))
    for noun in PEOPLE:
        for match in re.finditer(
            rf"\b(?:a|an)\s+((?:[a-z\-]+\s+){{0,2}}{noun})\s+((?:in|with|wearing)\s+[^,.;]+)", flat
        ):
            phrase = _PHRASE_END.sub("", f"{match.group(1)} {match.group(2)}")
            if phrase.lower() in taken or any(c.name == f"the {noun}" for c in characters):
                continue
            characters.append(Character(name=f"the {noun}", description=f"a {phrase}", aliases={noun}))
            break


def pick_style(story: str) -> tuple[str, list[str]]:
    """The style the story's words point to, with the words that pointed there; illustration by default."""
    lowered = story.lower()
    best, evidence = "illustration", []
    best_score = 0
    for style, cues in STYLE_WORDS.items():
        found = [cue for cue in cues if re.search(rf"\b{re.escape(cue)}\b", lowered)]
        score = len(found) - (0.5 if style == "illustration" else 0)
        if score > best_score:
            best, evidence, best_score = style, found, score
    if best_score < 1.5 and best != "illustration":
        illustration = [cue for cue in STYLE_WORDS["illustration"] if re.search(rf"\b{cue}\b", lowered)]
        return "illustration", illustration
    return best, evidence
