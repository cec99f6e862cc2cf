"""The sketch renderer's colours: named colour words, a scheme per style, and the palette's tints."""

from __future__ import annotations

import hashlib
import re

RGB = tuple[int, int, int]

COLOURS: dict[str, RGB] = {
    "red": (196, 58, 48),
    "scarlet": (200, 40, 40),
    "vermilion": (220, 70, 40),
    "crimson": (170, 30, 50),
    "orange": (230, 130, 50),
    "amber": (230, 160, 40),
    "yellow": (236, 196, 64),
    "gold": (210, 170, 60),
    "ochre": (200, 150, 70),
    "brown": (128, 88, 58),
    "umber": (110, 78, 50),
    "tan": (200, 170, 130),
    "green": (82, 150, 82),
    "olive": (120, 130, 60),
    "teal": (40, 130, 130),
    "cyan": (40, 200, 220),
    "blue": (62, 104, 182),
    "navy": (30, 45, 100),
    "violet": (130, 80, 170),
    "purple": (120, 70, 150),
    "magenta": (210, 50, 160),
    "pink": (232, 142, 170),
    "coral": (240, 128, 110),
    "white": (238, 236, 230),
    "silver": (190, 192, 200),
    "grey": (140, 140, 140),
    "gray": (140, 140, 140),
    "black": (40, 40, 44),
    "rusty": (160, 90, 50),
    "ginger": (200, 110, 50),
    "copper": (184, 115, 51),
    "brass": (181, 166, 66),
    "slate": (112, 122, 134),
    "dented": (150, 150, 155),
    "green-grey": (120, 140, 125),
}
SCHEMES: dict[str, dict[str, RGB]] = {
    "illustration": {
        "sky": (126, 166, 206),
        "horizon": (236, 222, 192),
        "ground": (112, 142, 100),
        "water": (84, 124, 156),
        "ink": (44, 48, 62),
        "wall": (214, 200, 176),
        "floor": (150, 120, 92),
    },
    "ink wash": {
        "sky": (226, 224, 216),
        "horizon": (244, 242, 236),
        "ground": (120, 120, 116),
        "water": (170, 170, 166),
        "ink": (22, 22, 24),
        "wall": (232, 228, 220),
        "floor": (150, 148, 142),
    },
    "cyberpunk": {
        "sky": (22, 12, 44),
        "horizon": (110, 26, 110),
        "ground": (30, 30, 52),
        "water": (20, 40, 80),
        "ink": (0, 230, 240),
        "wall": (40, 30, 70),
        "floor": (25, 25, 40),
    },
    "origami": {
        "sky": (200, 226, 240),
        "horizon": (250, 244, 236),
        "ground": (236, 170, 150),
        "water": (150, 200, 220),
        "ink": (90, 90, 110),
        "wall": (246, 236, 220),
        "floor": (230, 200, 170),
    },
    "oil painting": {
        "sky": (120, 140, 170),
        "horizon": (226, 190, 130),
        "ground": (130, 110, 60),
        "water": (70, 100, 120),
        "ink": (60, 40, 30),
        "wall": (190, 160, 110),
        "floor": (120, 84, 50),
    },
    "anime": {
        "sky": (90, 170, 240),
        "horizon": (230, 240, 250),
        "ground": (100, 180, 90),
        "water": (70, 150, 210),
        "ink": (30, 30, 50),
        "wall": (240, 226, 210),
        "floor": (190, 150, 110),
    },
    "realism": {
        "sky": (150, 176, 200),
        "horizon": (214, 214, 206),
        "ground": (104, 112, 90),
        "water": (90, 110, 120),
        "ink": (50, 50, 50),
        "wall": (200, 194, 184),
        "floor": (130, 114, 96),
    },
}


def words_of(text: str) -> set[str]:
    """The lower-case words of ``text``."""
    return set(re.findall(r"[a-z\-]+", text.lower()))


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """``a`` moved a share ``t`` of the way to ``b``."""
    return tuple(int(round(x + (y - x) * t)) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def colour_words(text: str) -> list[RGB]:
    """The colours ``text`` names, in order ("greys" and "steel" too)."""
    found = []
    for match in re.finditer(r"[a-z\-]+", text.lower()):
        word = match.group(0)
        for form in (word, word.removesuffix("s"), word.removesuffix("es")):
            if form in COLOURS:
                found.append(COLOURS[form])
                break
    return found


TEMPERATURE = {
    "cold": (120, 150, 190),
    "cool": (130, 160, 190),
    "icy": (190, 220, 240),
    "warm": (220, 160, 90),
}


def stable_colour(name: str) -> RGB:
    """A colour of its own for a name that names none, the same on every run."""
    digest = hashlib.sha256(name.encode()).digest()
    return (60 + digest[0] % 160, 60 + digest[1] % 160, 60 + digest[2] % 160)


def scheme_for(style: str, palette: str) -> dict[str, RGB]:
    """The colours of a panel: the style's scheme, tinted by the palette's colour words. The first colours
    named tint the sky and walls, the next the ground and floors; one named as an accent ("one green accent",
    "an accent of vermilion") colours lanterns, kites and the like; "cold" or "warm" shifts the whole."""
    key = next((name for name in SCHEMES if name in style.lower()), "illustration")
    scheme = dict(SCHEMES[key])
    text = palette.lower()
    accent_at = re.search(r"accents?\s+of\s+([a-z\- ]+)|([a-z\-]+)\s+accents?", text)
    accent = colour_words(accent_at.group(0)) if accent_at else []
    base = colour_words(text.replace(accent_at.group(0), " ") if accent_at else text)
    scheme["accent"] = accent[0] if accent else (base[-1] if len(base) > 2 else (214, 64, 48))
    if base:
        scheme["sky"] = mix(scheme["sky"], base[0], 0.45)
        scheme["wall"] = mix(scheme["wall"], base[0], 0.35)
        scheme["horizon"] = mix(scheme["horizon"], base[0], 0.2)
    if len(base) > 1:
        scheme["ground"] = mix(scheme["ground"], base[1], 0.4)
        scheme["floor"] = mix(scheme["floor"], base[1], 0.35)
    for word, tone in TEMPERATURE.items():
        if re.search(rf"\b{word}\b", text):
            for part in ("sky", "wall", "ground", "floor", "horizon"):
                scheme[part] = mix(scheme[part], tone, 0.2)
    return scheme
