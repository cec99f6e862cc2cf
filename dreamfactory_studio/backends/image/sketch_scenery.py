"""What the sketch renderer draws around the characters: the place, the weather, a crowd and the props.

The place is the scene's (the production carries it over from scene to scene when a scene names none): a shop,
an engine room, a corridor, a station with its window on space, a ship's deck, a street, an alley, a market, a
rooftop, a lighthouse, a river, a hill. The weather follows the text, change and negation included: "By evening
the rain has stopped" is a wet street under a clearing sky, not rain. Props the script names are drawn by the
character the sentence gives them to.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from PIL import ImageDraw

from dreamfactory_studio.backends.image.sketch_palette import RGB, mix, words_of
from dreamfactory_studio.core.story_reading.places import settings_of

INTERIORS = {"shop", "room", "kitchen", "engine room", "corridor", "station", "observation deck", "church"}
STOPPED = (
    r"(?:stopped|stops|is over|was over|has passed|passes|ceased|cleared|clears|lifts|lifted|eases|ends)"
)
PROPS = (
    "lantern",
    "umbrella",
    "envelope",
    "letter",
    "can",
    "sprout",
    "kite",
    "violin",
    "basket",
    "telescope",
    "knife",
    "map",
    "satchel",
    "orange",
    "oranges",
    "case",
    "lamp",
    "tea",
    "seed",
)


SHAPES = {"case": "violin", "oranges": "orange", "letter": "envelope", "lamp": "lantern", "seed": "sprout"}
"""Props drawn alike, by the one name they are drawn under (a violin case is a violin's shape)."""


def prop_shape(prop: str) -> str:
    return SHAPES.get(prop, prop)


@dataclass(frozen=True)
class Weather:
    rain: bool = False
    fog: bool = False
    snow: bool = False
    storm: bool = False
    wet: bool = False
    clear: bool = False


def weather_of(text: str) -> Weather:
    """The weather at the end of ``text``: each sentence's word for rain, fog, snow or storm sets it, and one
    that says it stopped ("the rain has stopped", "the fog lifts", "the storm is over") clears it."""
    state = {"rain": False, "fog": False, "snow": False, "storm": False, "wet": False, "clear": False}
    cues = {
        "rain": r"\b(?:rain|raining|rains|rainy|downpour|drizzle)\b(?!coat)",
        "fog": r"\b(?:fog|foggy|mist|misty)\b",
        "snow": r"\b(?:snow|snowing|snows|snowy)\b",
        "storm": r"\b(?:storm|stormy|thunder|lightning)\b",
    }
    for sentence in re.split(r"(?<=[.!?])\s+", text.lower()):
        for kind, pattern in cues.items():
            if re.search(pattern, sentence):
                stopped = re.search(rf"{pattern}[^.!?]*\b{STOPPED}\b", sentence)
                state[kind] = not stopped
                if kind in ("rain", "storm", "snow"):
                    state["wet"] = True
                if stopped:
                    state["clear"] = True
        if re.search(r"\b(?:wet|puddles|soaked|rain-slick)\b", sentence):
            state["wet"] = True
        if re.search(r"\b(?:sun|sunny|calm and blue|clear sky|blue sky)\b", sentence):
            state.update(rain=False, storm=False, fog=False, clear=True)
    if state["storm"]:
        state["rain"] = True
    return Weather(**state)


def place_from_words(text: str) -> str:
    """The place a text names first (as the story reader reads places), or ""."""
    return settings_of([text])[0][0]


def is_interior(place: str) -> bool:
    return place in INTERIORS


def draw_place(
    d: ImageDraw.ImageDraw,
    place: str,
    box: tuple[int, int, int],
    scheme: dict,
    rng: random.Random,
    words: set[str],
    night: bool,
) -> None:
    """The place's shapes over the sky and ground already painted; ``box`` is (width, art height, horizon)."""
    width, art_h, horizon = box
    ink = scheme["ink"]
    if place in ("shop", "room", "kitchen", "church"):
        _room(d, box, scheme, rng, words, night)
    elif place == "engine room":
        d.rectangle([0, 0, width, horizon], fill=mix(scheme["wall"], (40, 40, 46), 0.6))
        d.rectangle([0, horizon, width, art_h], fill=mix(scheme["floor"], (30, 30, 30), 0.5))
        for i in range(4):
            y = int(art_h * (0.12 + 0.11 * i))
            d.line([(0, y), (width, y)], fill=mix(ink, (150, 120, 90), 0.5), width=max(4, art_h // 40))
        for i in range(3):
            x, y = int(width * (0.15 + 0.3 * i)), int(art_h * 0.58)
            r = max(8, art_h // 18)
            d.ellipse([x - r, y - r, x + r, y + r], fill=(230, 226, 200), outline=ink, width=2)
            d.line([(x, y), (x + r * 0.6, y - r * 0.5)], fill=(200, 40, 30), width=2)
    elif place == "corridor":
        d.rectangle([0, 0, width, art_h], fill=mix(scheme["wall"], (50, 54, 64), 0.55))
        cx, cy = width // 2, int(art_h * 0.45)
        door = (cx - width // 10, cy - art_h // 8, cx + width // 10, cy + art_h // 8)
        d.rectangle(door, fill=mix(scheme["sky"], (10, 10, 20), 0.6), outline=ink, width=2)
        for corner in ((0, 0), (width, 0), (0, art_h), (width, art_h)):
            d.line(
                [corner, (door[0] if corner[0] == 0 else door[2], door[1] if corner[1] == 0 else door[3])],
                fill=ink,
                width=2,
            )
        for i in range(1, 4):
            x = int(cx - (width / 2) * (1 - i / 4))
            d.line(
                [(x, int(cy - art_h * 0.45 * (1 - i / 4))), (x, int(cy + art_h * 0.55 * (1 - i / 4)))],
                fill=mix(ink, (120, 120, 130), 0.4),
                width=2,
            )
    elif place in ("station", "observation deck"):
        d.rectangle([0, 0, width, art_h], fill=mix(scheme["wall"], (60, 64, 76), 0.55))
        window = (int(width * 0.12), int(art_h * 0.08), int(width * 0.88), int(art_h * 0.6))
        d.rounded_rectangle(window, radius=art_h // 12, fill=(12, 14, 36), outline=ink, width=4)
        for _ in range(60):
            d.point(
                (rng.randint(window[0] + 6, window[2] - 6), rng.randint(window[1] + 6, window[3] - 6)),
                fill=(240, 240, 255),
            )
        mx, my, r = int(width * 0.7), int(art_h * 0.25), max(12, art_h // 10)
        d.ellipse([mx - r, my - r, mx + r, my + r], fill=(200, 200, 196))
        d.rectangle([0, horizon, width, art_h], fill=mix(scheme["floor"], (90, 94, 104), 0.6))
    elif place == "alley":
        for left in (True, False):
            x0, x1 = (0, int(width * 0.3)) if left else (int(width * 0.7), width)
            d.rectangle([x0, 0, x1, art_h], fill=mix(scheme["wall"], ink, 0.25), outline=ink, width=2)
            for row in range(3):
                y = int(art_h * (0.1 + 0.22 * row))
                d.rectangle(
                    [x0 + 12, y, x1 - 12, y + art_h // 10],
                    fill=mix(scheme["sky"], (255, 240, 200), 0.3),
                    outline=ink,
                    width=2,
                )
        d.polygon(
            [
                (int(width * 0.3), art_h),
                (int(width * 0.45), horizon),
                (int(width * 0.55), horizon),
                (int(width * 0.7), art_h),
            ],
            fill=mix(scheme["ground"], (120, 110, 100), 0.5),
        )
    elif place in ("street", "market"):
        for i in range(6):
            x0 = int(width * i / 6)
            top = int(horizon * rng.uniform(0.25, 0.55))
            d.rectangle(
                [x0, top, x0 + width // 6 - 4, horizon],
                fill=mix(scheme["wall"], ink, 0.1 + 0.05 * (i % 3)),
                outline=ink,
                width=2,
            )
            light = (250, 220, 140) if night else mix(scheme["sky"], (255, 255, 255), 0.3)
            d.rectangle([x0 + 10, top + 12, x0 + 26, top + 30], fill=light)
        d.rectangle([0, horizon, width, art_h], fill=mix(scheme["ground"], (110, 110, 110), 0.6))
        if place == "market":
            for i in range(3):
                x0 = int(width * (0.05 + 0.33 * i))
                x1 = x0 + int(width * 0.26)
                y = horizon - art_h // 10
                for s in range(6):
                    colour = (200, 60, 50) if s % 2 else (244, 236, 220)
                    d.rectangle(
                        [x0 + (x1 - x0) * s // 6, y - art_h // 14, x0 + (x1 - x0) * (s + 1) // 6, y],
                        fill=colour,
                    )
                d.rectangle(
                    [x0, y, x1, horizon + art_h // 10], fill=mix(scheme["floor"], ink, 0.2), outline=ink
                )
    elif place == "rooftop":
        for i in range(8):
            x0 = int(width * i / 8)
            top = int(horizon * rng.uniform(0.35, 0.8))
            d.rectangle([x0, top, x0 + width // 8 - 3, horizon], fill=mix(scheme["sky"], ink, 0.35))
        d.rectangle([0, horizon, width, art_h], fill=mix(scheme["floor"], (150, 90, 70), 0.4))
        d.rectangle([0, horizon - 6, width, horizon + 4], fill=ink)
        for i in range(4):
            x = int(width * (0.08 + 0.25 * i))
            d.polygon(
                [(x, art_h - 30), (x + 34, art_h - 30), (x + 28, art_h - 4), (x + 6, art_h - 4)],
                fill=(180, 90, 60),
                outline=ink,
            )
            d.ellipse([x + 4, art_h - 52, x + 30, art_h - 28], fill=(90, 160, 80))
    elif place == "lighthouse":
        d.rectangle([0, horizon, width, art_h], fill=scheme["water"])
        rock = [
            (int(width * 0.55), art_h),
            (int(width * 0.62), horizon - 10),
            (int(width * 0.9), horizon - 16),
            (width, art_h),
        ]
        d.polygon(rock, fill=mix(ink, (60, 60, 60), 0.5))
        x0, x1 = int(width * 0.72), int(width * 0.8)
        d.polygon(
            [
                (x0, horizon - 14),
                (x1, horizon - 14),
                (x1 - 8, int(art_h * 0.16)),
                (x0 + 8, int(art_h * 0.16)),
            ],
            fill=(244, 240, 232),
            outline=ink,
        )
        d.rectangle([x0 + 2, int(art_h * 0.1), x1 - 2, int(art_h * 0.16)], fill=(250, 220, 120), outline=ink)
        if night:
            d.polygon(
                [(x0 + 4, int(art_h * 0.13)), (0, int(art_h * 0.05)), (0, int(art_h * 0.25))],
                fill=mix(scheme["sky"], (255, 240, 180), 0.45),
            )
    elif place == "deck":
        d.rectangle([0, horizon, width, art_h], fill=scheme["water"])
        deck_y = int(art_h * 0.82)
        d.rectangle([0, deck_y, width, art_h], fill=mix(scheme["floor"], (120, 80, 50), 0.5), outline=ink)
        d.line([(0, deck_y - art_h // 8), (width, deck_y - art_h // 8)], fill=ink, width=3)
        for x in range(0, width, max(20, width // 16)):
            d.line([(x, deck_y - art_h // 8), (x, deck_y)], fill=ink, width=2)


def _room(d, box, scheme, rng, words, night) -> None:
    width, art_h, horizon = box
    ink = scheme["ink"]
    d.rectangle([0, 0, width, horizon], fill=scheme["wall"])
    d.rectangle([0, horizon, width, art_h], fill=scheme["floor"])
    wx = int(width * rng.uniform(0.62, 0.72))
    glass = mix(scheme["sky"], (20, 24, 50), 0.7) if night else mix(scheme["sky"], (255, 255, 255), 0.2)
    d.rectangle(
        [wx, int(art_h * 0.12), wx + int(width * 0.18), int(art_h * 0.42)], fill=glass, outline=ink, width=3
    )
    d.line(
        [(wx + int(width * 0.09), int(art_h * 0.12)), (wx + int(width * 0.09), int(art_h * 0.42))],
        fill=ink,
        width=3,
    )
    if words & {"workbench", "bench", "shop", "tools", "clock", "clocks"}:
        top = horizon + (art_h - horizon) // 6
        d.rectangle(
            [int(width * 0.05), top, int(width * 0.45), top + art_h // 28],
            fill=mix(scheme["floor"], ink, 0.3),
            outline=ink,
        )
        for x in (int(width * 0.07), int(width * 0.42)):
            d.line([(x, top), (x, art_h)], fill=ink, width=3)
        d.rectangle(
            [int(width * 0.05), int(art_h * 0.1), int(width * 0.5), int(art_h * 0.13)],
            fill=mix(scheme["wall"], ink, 0.35),
        )
    if words & {"clock", "clocks", "pendulum"}:
        x, y = int(width * 0.55), int(art_h * 0.15)
        d.rectangle([x, y, x + width // 16, horizon], fill=(120, 80, 50), outline=ink, width=2)
        r = width // 40
        d.ellipse(
            [x + width // 32 - r, y + 8, x + width // 32 + r, y + 8 + 2 * r],
            fill=(244, 236, 210),
            outline=ink,
        )
    if words & {"lantern", "lanterns"}:
        for i in range(5):
            x = int(width * (0.08 + 0.11 * i)) + rng.randint(-8, 8)
            d.line([(x, 0), (x, int(art_h * 0.14))], fill=ink, width=2)
            d.ellipse(
                [x - 18, int(art_h * 0.14), x + 18, int(art_h * 0.14) + 40],
                fill=scheme.get("accent", (214, 64, 48)),
                outline=ink,
            )
    if words & {"stove", "candlelight", "candle"}:
        x = int(width * 0.85)
        d.rectangle(
            [x, horizon - art_h // 6, x + width // 10, horizon + art_h // 12], fill=(60, 56, 54), outline=ink
        )
        d.ellipse([x + 10, horizon - art_h // 10, x + 30, horizon - art_h // 10 + 16], fill=(250, 180, 60))


def draw_fog(image, weather: Weather, box: tuple[int, int, int], rng: random.Random) -> None:
    """A veil of fog over the place, drawn before the figures: a storyboard keeps its people legible."""
    from PIL import Image, ImageFilter

    width, art_h, _ = box
    if not weather.fog:
        return
    veil = Image.new("L", (max(1, width // 8), max(1, art_h // 8)), 0)
    vd = ImageDraw.Draw(veil)
    for _ in range(14):
        x, y = rng.randrange(max(1, width // 8)), rng.randrange(max(1, art_h // 8))
        r = rng.randint(8, 22)
        vd.ellipse([x - r * 2, y - r, x + r * 2, y + r], fill=rng.randint(110, 170))
    veil = veil.filter(ImageFilter.GaussianBlur(4)).resize((width, art_h))
    image.paste(Image.new("RGB", (width, art_h), (236, 236, 232)), (0, 0), veil)


def draw_weather(
    image,
    d: ImageDraw.ImageDraw,
    weather: Weather,
    box: tuple[int, int, int],
    scheme: dict,
    rng: random.Random,
    indoor: bool,
) -> None:
    width, art_h, horizon = box
    sky = scheme["sky"]
    if weather.wet and not weather.snow and not indoor:
        for _ in range(8):
            x, y = rng.randrange(width), rng.randint(horizon + 4, max(horizon + 5, art_h - 6))
            d.ellipse([x - 30, y - 4, x + 30, y + 4], fill=mix(scheme["ground"], sky, 0.55))
    if weather.storm and not indoor:
        for _ in range(5):
            x, y = rng.randrange(width), rng.randint(0, horizon // 3)
            d.ellipse([x - 90, y - 30, x + 90, y + 30], fill=mix(sky, (40, 44, 56), 0.7))
    if weather.rain and not indoor:
        for _ in range(160 if weather.storm else 110):
            x, y = rng.randrange(width), rng.randrange(art_h)
            d.line([(x, y), (x - 6, y + 18)], fill=mix(sky, (255, 255, 255), 0.5), width=1)
    if weather.snow and not indoor:
        for _ in range(120):
            x, y = rng.randrange(width), rng.randrange(art_h)
            d.ellipse([x - 2, y - 2, x + 2, y + 2], fill=(250, 250, 252))


def draw_crowd(d: ImageDraw.ImageDraw, box: tuple[int, int, int], scheme: dict, rng: random.Random) -> None:
    """Several small figures behind the characters: a crowd, families, dancers."""
    width, art_h, horizon = box
    for i in range(9):
        cx = width * (i + 0.5) / 9 + rng.uniform(-12, 12)
        base = horizon + (art_h - horizon) * rng.uniform(0.05, 0.3)
        h = art_h * rng.uniform(0.16, 0.22)
        colour = mix(scheme["ink"], (rng.randint(80, 200), rng.randint(80, 200), rng.randint(80, 200)), 0.55)
        d.rounded_rectangle(
            [cx - h * 0.14, base - h * 0.75, cx + h * 0.14, base], radius=h * 0.06, fill=colour
        )
        d.ellipse(
            [cx - h * 0.11, base - h, cx + h * 0.11, base - h * 0.78], fill=mix(colour, (236, 204, 172), 0.6)
        )


def props_by_holder(text: str, names: list[str]) -> dict[int, list[str]]:
    """The props the script names, given to the character (index into ``names``) who is the subject of the
    sentence, the first it names before the prop ("Ravi hands Mira the kite": Ravi's), else to the first
    character; props of nobody go under index -1."""
    given: dict[int, list[str]] = {}
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        lowered = sentence.lower()
        for prop in PROPS:
            for match in re.finditer(rf"\b{prop}\b", lowered):
                if prop == "can" and not re.search(
                    r"\b(?:a|the|his|her|its|their|watering|tin)\s+$", lowered[: match.start()]
                ):
                    continue  # "the audience can smell": a verb, not a tin can
                before = [
                    (lowered.find(n.lower().split()[-1], 0, match.start()), i) for i, n in enumerate(names)
                ]
                named = [(at, i) for at, i in before if at >= 0]
                holder = min(named)[1] if named else (0 if names else -1)
                name = prop_shape(prop)
                if name not in given.setdefault(holder, []):
                    given[holder].append(name)
    return given


def draw_prop(
    d: ImageDraw.ImageDraw, prop: str, x: float, y: float, size: float, ink: RGB, accent: RGB
) -> None:
    """A simple, recognisable shape for ``prop`` around (x, y), ``size`` pixels across."""
    s = size
    prop = prop_shape(prop)
    if prop == "lantern":
        d.line([(x, y - s * 0.7), (x, y - s * 0.45)], fill=ink, width=2)
        d.ellipse([x - s * 0.35, y - s * 0.45, x + s * 0.35, y + s * 0.25], fill=accent, outline=ink, width=2)
    elif prop == "umbrella":
        d.pieslice(
            [x - s * 0.6, y - s * 0.9, x + s * 0.6, y + s * 0.3], 180, 360, fill=(40, 40, 48), outline=ink
        )
        d.line([(x, y - s * 0.3), (x, y + s * 0.6)], fill=ink, width=3)
    elif prop == "envelope":
        d.rectangle(
            [x - s * 0.4, y - s * 0.25, x + s * 0.4, y + s * 0.25], fill=(240, 228, 190), outline=ink, width=2
        )
        d.line(
            [(x - s * 0.4, y - s * 0.25), (x, y + s * 0.05), (x + s * 0.4, y - s * 0.25)], fill=ink, width=2
        )
    elif prop == "can":
        d.rectangle(
            [x - s * 0.22, y - s * 0.3, x + s * 0.22, y + s * 0.3], fill=(170, 174, 180), outline=ink, width=2
        )
    elif prop == "sprout":
        d.line([(x, y + s * 0.3), (x, y - s * 0.3)], fill=(60, 140, 60), width=3)
        d.ellipse([x, y - s * 0.4, x + s * 0.3, y - s * 0.2], fill=(90, 180, 80))
        d.ellipse([x - s * 0.3, y - s * 0.3, x, y - s * 0.1], fill=(90, 180, 80))
    elif prop == "kite":
        d.polygon(
            [(x, y - s * 0.9), (x + s * 0.35, y - s * 0.4), (x, y + s * 0.1), (x - s * 0.35, y - s * 0.4)],
            fill=accent,
            outline=ink,
        )
        d.line([(x, y + s * 0.1), (x - s * 0.2, y + s * 0.7)], fill=ink, width=1)
    elif prop == "violin":
        d.rounded_rectangle(
            [x - s * 0.2, y - s * 0.45, x + s * 0.2, y + s * 0.45],
            radius=s * 0.15,
            fill=(120, 70, 40),
            outline=ink,
            width=2,
        )
    elif prop in ("basket", "orange"):
        d.chord(
            [x - s * 0.45, y - s * 0.3, x + s * 0.45, y + s * 0.4], 0, 180, fill=(170, 120, 60), outline=ink
        )
        for dx in (-0.2, 0.0, 0.2):
            d.ellipse(
                [x + s * dx - s * 0.12, y - s * 0.1, x + s * dx + s * 0.12, y + s * 0.14], fill=(244, 150, 40)
            )
    elif prop == "telescope":
        d.line(
            [(x - s * 0.4, y + s * 0.1), (x + s * 0.4, y - s * 0.2)],
            fill=(180, 140, 60),
            width=max(3, int(s * 0.12)),
        )
    elif prop == "knife":
        d.line([(x - s * 0.3, y), (x + s * 0.3, y)], fill=(200, 200, 210), width=3)
    elif prop in ("map", "satchel"):
        d.rectangle(
            [x - s * 0.35, y - s * 0.25, x + s * 0.35, y + s * 0.25],
            fill=(200, 170, 110),
            outline=ink,
            width=2,
        )
    elif prop == "tea":
        d.rectangle(
            [x - s * 0.15, y - s * 0.15, x + s * 0.15, y + s * 0.15], fill=(244, 240, 232), outline=ink
        )


def crowded(words: set[str]) -> bool:
    return bool(
        words & {"crowd", "crowded", "families", "dancers", "hundreds", "people", "festival", "passengers"}
    )


__all__ = [
    "weather_of",
    "place_from_words",
    "draw_place",
    "draw_weather",
    "draw_crowd",
    "props_by_holder",
    "draw_prop",
    "crowded",
    "is_interior",
    "Weather",
    "words_of",
]
