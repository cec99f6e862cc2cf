"""Reading a story without a language model: sentences, scene splits, places and times, and a style.

The offline writer builds its decisions from these facts (the characters are :mod:`.story_cast`'s).
Everything here is deterministic and works on any script: sentence ends include CJK and Arabic punctuation.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass

_SENTENCE_END = re.compile(r"(?<=[.!?。！？؟…])[\"'”’」』)]*\s+|(?<=[。！？])")
_CLAUSE_BREAK = re.compile(r"(?<=[,;:，、；：])\s*")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*", re.UNICODE)

STYLE_WORDS: dict[str, tuple[str, ...]] = {
    "cyberpunk": (
        "neon",
        "cyber",
        "hacker",
        "hologram",
        "holograms",
        "android",
        "megacity",
        "implant",
        "synth",
        "chrome",
        "drone",
    ),
    "origami": ("origami", "folded", "fold", "paper crane", "paper boat"),
    "ink wash": (
        "ink",
        "brush",
        "bamboo",
        "calligraphy",
        "scroll",
        "mist",
        "temple",
        "lantern",
        "lanterns",
        "kite",
        "kites",
        "noodle",
    ),
    "oil painting": (
        "painting",
        "canvas",
        "oil",
        "portrait",
        "gallery",
        "harvest",
        "meadow",
        "lighthouse",
        "storm",
        "waves",
        "candlelight",
        "stove",
        "clock",
        "clocks",
        "pendulum",
        "winter",
    ),
    "anime": (
        "anime",
        "manga",
        "magical",
        "spirit",
        "schoolgirl",
        "mecha",
        "samurai",
        "robot",
        "space station",
        "laser",
        "moonlight",
    ),
    "realism": (
        "photograph",
        "documentary",
        "realistic",
        "city hall",
        "office",
        "newspaper",
        "postman",
        "envelope",
        "bakery",
        "stamp",
        "satchel",
    ),
    "illustration": (
        "fairy",
        "once upon",
        "picture book",
        "village",
        "fog",
        "ferry",
        "garden",
        "windmill",
        "hill",
    ),
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


@dataclass
class Sentence:
    text: str
    paragraph: int


ABBREVIATIONS = re.compile(r"(?:^|\s)(?:Mr|Mrs|Ms|Dr|St|Mt|Prof|Capt|Sgt|Jr|Sr|No)\.$")
"""A sentence piece that ends with one of these has not ended: "Mr. Finch" is one name."""


def sentences(story: str) -> list[Sentence]:
    """The story's sentences, each with the index of its paragraph."""
    out: list[Sentence] = []
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", story.strip()) if p.strip()]
    for index, paragraph in enumerate(paragraphs):
        flat = re.sub(r"\s*\n\s*", " ", paragraph)
        pieces: list[str] = []
        for part in _SENTENCE_END.split(flat):
            if pieces and ABBREVIATIONS.search(pieces[-1]):
                pieces[-1] = f"{pieces[-1]} {part.strip()}"
            elif part.strip():
                pieces.append(part.strip())
        out.extend(Sentence(piece, index) for piece in pieces if piece)
    return out


def words(text: str) -> list[str]:
    return WORD.findall(text)


SHORT_SCENE = 9
"""A scene of fewer words than this is merged with a neighbour when it can be."""


def split_scenes(story: str, count: int) -> list[str]:
    """Split a story into ``count`` non-empty, contiguous scenes of whole sentences, cutting where paragraphs end
    when it can and keeping very short scenes with a neighbour. A story of fewer sentences than ``count`` shows
    the same moment in several shots: a sentence is never cut."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", story) if p.strip()]
    if len(paragraphs) == count > 1:
        return paragraphs  # a paragraph a scene, as a screenplay's scenes come
    units = sentences(story) or [Sentence(story.strip(), 0)]
    if len(units) <= count:
        return [units[i * len(units) // count].text for i in range(count)]
    lengths = [len(words(u.text)) or len(u.text) for u in units]
    if len(units) ** 2 * count > DP_WORK:
        return _split_near_ideal(units, lengths, count)
    total = sum(lengths)
    # The best cut of the first i sentences into j scenes, by dynamic programming over the cut points.
    target = total / count
    infinity = float("inf")
    best = [[infinity] * (count + 1) for _ in range(len(units) + 1)]
    back = [[0] * (count + 1) for _ in range(len(units) + 1)]
    best[0][0] = 0.0
    prefix = [0]
    for length in lengths:
        prefix.append(prefix[-1] + length)
    for i in range(1, len(units) + 1):
        for j in range(1, min(count, i) + 1):
            for k in range(j - 1, i):
                if best[k][j - 1] == infinity:
                    continue
                size = prefix[i] - prefix[k]
                cost = ((size - target) / target) ** 2
                if size < SHORT_SCENE:
                    cost += 4.0
                if i < len(units) and units[i - 1].paragraph == units[i].paragraph:
                    cost += 0.6  # prefer to cut where a paragraph ends
                if best[k][j - 1] + cost < best[i][j]:
                    best[i][j], back[i][j] = best[k][j - 1] + cost, k
    cuts, i = [], len(units)
    for j in range(count, 0, -1):
        cuts.append((back[i][j], i))
        i = back[i][j]
    return [" ".join(u.text for u in units[a:b]) for a, b in reversed(cuts)]


DP_WORK = 3_000_000
"""The most steps the exact split may take (sentences² × scenes); a longer story is cut near the ideal points."""


def _split_near_ideal(units: list[Sentence], lengths: list[int], count: int) -> list[str]:
    """Cut ``units`` into ``count`` scenes in time linear in their number: each cut goes where the words reach
    its share of the story, moved to a nearby paragraph end when one is within half a scene."""
    prefix = list(itertools.accumulate(lengths, initial=0))
    total, n = prefix[-1], len(units)
    target = total / count
    cuts = [0]
    for m in range(1, count):
        ideal = m * target
        low = max(cuts[-1] + 1, bisect.bisect_left(prefix, ideal - target / 2))
        high = min(max(low, bisect.bisect_right(prefix, ideal + target / 2)), n - (count - m))
        low = min(low, high)  # every scene keeps at least one sentence
        best, best_cost = low, float("inf")
        for i in range(low, high + 1):
            cost = ((prefix[i] - ideal) / target) ** 2
            if i < n and units[i - 1].paragraph == units[i].paragraph:
                cost += 0.6 * 0.25  # prefer a paragraph's end, as the exact split does
            if cost < best_cost:
                best, best_cost = i, cost
        cuts.append(best)
    cuts.append(n)
    return [" ".join(u.text for u in units[a:b]) for a, b in itertools.pairwise(cuts)]


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


STORY_COLOURS = tuple(
    "red green blue yellow purple orange grey gray black white gold golden silver brown pink vermilion "
    "violet crimson".split()
)


def story_palette(story: str, base: str) -> str:
    """The style's palette with the colours the story itself keeps naming (twice or more), so that two stories
    of one style still look their own."""
    lowered = story.lower()
    counts = {c: len(re.findall(rf"\b{c}\b", lowered)) for c in STORY_COLOURS}
    named = [c for c, n in sorted(counts.items(), key=lambda kv: -kv[1]) if n >= 2 and c not in base][:2]
    return f"{base}, with the story's {' and '.join(named)}" if named else base


def story_lighting(story: str, base: str) -> str:
    """The style's lighting, turned to the time of day the story mostly keeps."""
    lowered = story.lower()
    hours = {
        "night, with pools of warm lamplight": ("night", "midnight", "neon", "candlelight"),
        "low golden light of dawn and dusk": ("dawn", "dusk", "sunset", "sunrise", "evening"),
        "rain-grey daylight": ("rain", "rainy", "storm", "fog"),
    }
    counts = {
        light: sum(len(re.findall(rf"\b{w}\b", lowered)) for w in cues) for light, cues in hours.items()
    }
    light, count = max(counts.items(), key=lambda kv: kv[1])
    already = light.split(",")[0].split()[-1] in base or light.split()[0] in base
    return f"{base}; {light}" if count >= 2 and not already else base
