"""How the sketch renderer draws a character: by kind and age (:func:`~dreamfactory_studio.core.story_reading.
kinds.figure_of`, the reader's own), coloured from their look. People stand, children smaller than the grown-ups
beside them and old people grey-haired; birds, four-legged animals, a dragon and flying or walking machines have
silhouettes of their own. A pose (arms, facing) comes from the seed, so a new take can change it."""

from __future__ import annotations

import random
import re

from PIL import ImageDraw

from dreamfactory_studio.backends.image import FigureFacts
from dreamfactory_studio.backends.image.sketch_palette import (
    COLOURS,
    RGB,
    colour_words,
    mix,
    stable_colour,
    words_of,
)
from dreamfactory_studio.backends.image.sketch_scenery import draw_prop
from dreamfactory_studio.core.story_reading.kinds import figure_of

GLOW = (252, 226, 140)
"""A prop a character always carries is lit like a lantern's flame when it is one."""
BIRDS = frozenset(
    "goose duck swan gull seagull heron hen chicken rooster crow raven parrot bird chick".split()
)
OWLS = frozenset({"owl"})
SMALL_ANIMALS = frozenset(
    "cat kitten mouse rat rabbit hare hedgehog squirrel frog puppy beetle moth bat".split()
)
BIG_ANIMALS = frozenset("horse pony cow ox deer bear camel elephant donkey mule tiger lion".split())
FLYERS = ("drone", "dragonfly", "wings", "flying", "hover", "hovers", "hovered")
SKIN = {"dark": (120, 80, 56), "brown": (160, 110, 76), "pale": (246, 222, 200), "olive": (206, 170, 130)}
HAIR = {"red": (170, 70, 40), "ginger": (190, 100, 50), "blond": (230, 200, 120), "blonde": (230, 200, 120),
        "black": (30, 28, 30), "dark": (50, 36, 28), "silver": (210, 210, 216), "grey": (180, 180, 184),
        "gray": (180, 180, 184), "white": (236, 236, 236), "brown": (100, 66, 40)}  # fmt: skip
HEIGHT = {"child": 0.62, "adult": 1.0, "old": 0.94}
"""A figure's height beside a grown-up's: a child of seven reaches her grandfather's chest."""


class Figure:
    """How one character is drawn, the same in every panel."""

    def __init__(self, facts: FigureFacts):
        text = f"{facts.name} {facts.description}".lower()
        words = words_of(text)
        told = figure_of(facts.name, facts.description)
        self.name = facts.name
        self.age = told.age
        self.noun = told.noun
        if told.kind == "machine":
            self.kind = "drone" if words & set(FLYERS) else "robot"
        elif told.kind in ("animal", "creature"):
            self.kind = "dragon" if told.kind == "creature" else "animal"
        else:
            self.kind = told.kind  # person or crowd
        # The body's colour is the clothes' or the look's, not the hair's, beard's or eyes'.
        colours = colour_words(
            re.sub(
                r"\b[a-z\-]+(?:\s+[a-z\-]+)?\s+(?:hair|beard|moustache|eyes?|skin)\b",
                "",
                facts.description.lower(),
            )
        )
        clothing = re.search(
            r"([a-z\-]+(?:\s+[a-z\-]+)?)\s+(?:coat|raincoat|jacket|dress|shirt|cloak|robe|overcoat|sweater|parka"
            r"|waistcoat|cardigan|boots|apron)",
            text,
        )
        clothing_colours = colour_words(clothing.group(1)) if clothing else []
        self.body = (
            clothing_colours[0] if clothing_colours else colours[0] if colours else stable_colour(facts.name)
        )
        scarf = re.search(r"([a-z\-]+)\s+scarf", text)
        self.scarf = COLOURS.get(scarf.group(1)) if scarf else None
        hair = re.search(rf"\b({'|'.join(HAIR)})\b(?:\s+[a-z]+)?\s+(?:hair|beard|moustache)", text)
        if hair:
            self.hair = HAIR[hair.group(1)]
        elif self.age == "old":
            self.hair = (200, 200, 205)
        else:
            self.hair = (62, 44, 32)
        eyes = re.search(r"([a-z]+)\s+eyes?\b", text)
        self.eyes = COLOURS.get(eyes.group(1), (200, 120, 50)) if eyes else (200, 120, 50)
        self.beard = bool(re.search(r"\bbeard\b|\bmoustache\b", text))
        self.skin = next((tone for word, tone in SKIN.items() if f"{word} skin" in text), (236, 204, 172))
        self.height = HEIGHT.get(self.age, 1.0) if self.kind == "person" else 1.0
        self.prop = next(
            (p for p in ("violin", "lantern", "umbrella", "map", "can", "knife") if p in words), None
        )

    def draw(
        self, draw: ImageDraw.ImageDraw, cx: float, base: float, size: float, ink: RGB, pose: int = 0
    ) -> None:
        """The figure standing on ``base`` around ``cx``; ``pose`` (from the seed) sets arms and facing."""
        h = size * self.height
        if self.kind == "animal":
            if self.noun in OWLS:
                self._owl(draw, cx, base, h * 0.32, ink)
            elif self.noun in BIRDS:
                self._bird(draw, cx, base, h * 0.4, ink, pose)
            else:
                scale = 0.3 if self.noun in SMALL_ANIMALS else 0.75 if self.noun in BIG_ANIMALS else 0.45
                self._animal(draw, cx, base, h * scale * (0.8 if self.age == "child" else 1.0), ink, pose)
        elif self.kind == "dragon":
            self._dragon(draw, cx, base, h * 0.9, ink, pose)
        elif self.kind == "drone":
            self._drone(draw, cx, base - h * 0.55, h * 0.45, ink)
        elif self.kind == "robot":
            self._robot(draw, cx, base, h * 0.8, ink)
        elif self.kind == "person":
            self._person(draw, cx, base, h, ink, pose)

    def _person(self, d: ImageDraw.ImageDraw, cx: float, base: float, h: float, ink: RGB, pose: int) -> None:
        w = 2 + h * 0.012
        head = h * 0.13
        neck = base - h * (0.76 if self.age == "child" else 0.80)
        stoop = h * 0.03 if self.age == "old" else 0.0
        body = [
            (cx - h * 0.17, base - h * 0.08),
            (cx - h * 0.12 + stoop, neck),
            (cx + h * 0.12 + stoop, neck),
            (cx + h * 0.17, base - h * 0.08),
        ]
        d.polygon(body, fill=self.body, outline=ink, width=int(w))
        for side in (-1, 1):
            d.line(
                [(cx + side * h * 0.07, base - h * 0.09), (cx + side * h * 0.08, base)],
                fill=ink,
                width=int(w * 2),
            )
            raised = pose % 3 == 1 and side == 1 or pose % 3 == 2
            hand = (
                (cx + side * h * 0.3, neck - h * 0.12) if raised else (cx + side * h * 0.22, base - h * 0.42)
            )
            d.line([(cx + side * h * 0.12 + stoop, neck + h * 0.03), hand], fill=ink, width=int(w * 2))
        if self.scarf:
            d.rectangle(
                [cx - h * 0.12 + stoop, neck - h * 0.005, cx + h * 0.12 + stoop, neck + h * 0.05],
                fill=self.scarf,
                outline=ink,
            )
        hx, hy = cx + stoop * 1.5, neck - head * 1.05
        _ellipse(d, [hx - head, hy - head, hx + head, hy + head], fill=self.skin, outline=ink, width=int(w))
        d.chord(
            [hx - head, hy - head * 1.1, hx + head, hy + head * 0.5], 180, 360, fill=self.hair, outline=ink
        )
        if self.beard:
            d.chord([hx - head * 0.8, hy, hx + head * 0.8, hy + head * 1.25], 0, 180, fill=self.hair)
        look = head * 0.12 * (1 if pose % 2 else -1)
        _ellipse(d, [hx - head * 0.4 + look, hy, hx - head * 0.25 + look, hy + head * 0.15], fill=ink)
        _ellipse(d, [hx + head * 0.25 + look, hy, hx + head * 0.4 + look, hy + head * 0.15], fill=ink)
        if self.prop:
            draw_prop(d, self.prop, cx + h * 0.27, base - h * 0.42, h * 0.2, ink, GLOW)

    def _animal(self, d: ImageDraw.ImageDraw, cx: float, base: float, h: float, ink: RGB, pose: int) -> None:
        w = max(2, int(h * 0.03))
        face = 1 if pose % 2 == 0 else -1
        body = (cx - h * 0.5, base - h * 0.75, cx + h * 0.4, base - h * 0.35)
        _ellipse(d, body, fill=self.body, outline=ink, width=w)
        for x in (-0.4, -0.25, 0.15, 0.3):
            d.line([(cx + face * h * x, base - h * 0.45), (cx + face * h * x, base)], fill=ink, width=w * 2)
        head = [cx + face * h * 0.25, base - h * 1.0, cx + face * h * 0.65, base - h * 0.62]
        _ellipse(
            d, [min(head[0], head[2]), head[1], max(head[0], head[2]), head[3]], fill=self.body, outline=ink
        )
        ear = [(cx + face * h * 0.3, base - h * 0.95), (cx + face * h * 0.36, base - h * 1.12)]
        d.polygon([*ear, (cx + face * h * 0.44, base - h * 0.97)], fill=ink)
        d.line(
            [(cx - face * h * 0.5, base - h * 0.6), (cx - face * h * 0.7, base - h * 0.8)],
            fill=ink,
            width=w * 2,
        )

    def _bird(self, d: ImageDraw.ImageDraw, cx: float, base: float, h: float, ink: RGB, pose: int) -> None:
        w = max(2, int(h * 0.03))
        face = 1 if pose % 2 == 0 else -1
        long_neck = self.noun in ("goose", "swan", "heron", "gull", "seagull", "duck")
        _ellipse(
            d,
            [cx - h * 0.45, base - h * 0.7, cx + h * 0.3, base - h * 0.25],
            fill=self.body,
            outline=ink,
            width=w,
        )
        d.chord(
            [cx - h * 0.35, base - h * 0.66, cx + h * 0.15, base - h * 0.34],
            180,
            360,
            fill=mix(self.body, ink, 0.2),
        )  # the folded wing
        nx, ny = cx + face * h * 0.25, base - h * (1.05 if long_neck else 0.75)
        d.line([(cx + face * h * 0.15, base - h * 0.55), (nx, ny)], fill=self.body, width=int(h * 0.12))
        _ellipse(
            d, [nx - h * 0.1, ny - h * 0.1, nx + h * 0.1, ny + h * 0.1], fill=self.body, outline=ink, width=w
        )
        d.polygon(
            [
                (nx + face * h * 0.08, ny - h * 0.03),
                (nx + face * h * 0.24, ny + h * 0.02),
                (nx + face * h * 0.08, ny + h * 0.05),
            ],
            fill=(236, 150, 50),
        )
        _ellipse(d, [nx - h * 0.02, ny - h * 0.04, nx + h * 0.02, ny], fill=ink)
        for x in (-0.08, 0.05):
            d.line([(cx + h * x, base - h * 0.27), (cx + h * x, base)], fill=(236, 150, 50), width=w)

    def _owl(self, d: ImageDraw.ImageDraw, cx: float, base: float, h: float, ink: RGB) -> None:
        w = max(2, int(h * 0.04))
        _ellipse(
            d, [cx - h * 0.35, base - h * 1.0, cx + h * 0.35, base], fill=self.body, outline=ink, width=w
        )
        for side in (-1, 1):
            d.polygon(
                [
                    (cx + side * h * 0.3, base - h * 0.85),
                    (cx + side * h * 0.32, base - h * 1.12),
                    (cx + side * h * 0.12, base - h * 0.95),
                ],
                fill=self.body,
                outline=ink,
            )
            ex = cx + side * h * 0.14
            _ellipse(
                d,
                [ex - h * 0.12, base - h * 0.82, ex + h * 0.12, base - h * 0.58],
                fill=(240, 236, 220),
                outline=ink,
            )
            _ellipse(d, [ex - h * 0.05, base - h * 0.75, ex + h * 0.05, base - h * 0.65], fill=self.eyes)
        d.polygon(
            [(cx - h * 0.04, base - h * 0.6), (cx + h * 0.04, base - h * 0.6), (cx, base - h * 0.5)],
            fill=(236, 150, 50),
        )

    def _dragon(self, d: ImageDraw.ImageDraw, cx: float, base: float, h: float, ink: RGB, pose: int) -> None:
        w = max(2, int(h * 0.02))
        face = 1 if pose % 2 == 0 else -1
        wing = mix(self.body, ink, 0.25)
        for lift in (0.0, 0.12):
            d.polygon(
                [
                    (cx - face * h * 0.05, base - h * 0.5),
                    (cx - face * h * (0.45 + lift), base - h * (1.05 + lift)),
                    (cx + face * h * 0.25, base - h * 0.55),
                ],
                fill=wing,
                outline=ink,
            )
        _ellipse(
            d,
            [cx - h * 0.45, base - h * 0.62, cx + h * 0.4, base - h * 0.22],
            fill=self.body,
            outline=ink,
            width=w,
        )
        d.line(
            [
                (cx - face * h * 0.4, base - h * 0.4),
                (cx - face * h * 0.85, base - h * 0.2),
                (cx - face * h * 0.95, base - h * 0.35),
            ],
            fill=self.body,
            width=int(h * 0.07),
        )
        for x in (-0.3, -0.15, 0.15, 0.3):
            d.line([(cx + face * h * x, base - h * 0.3), (cx + face * h * x, base)], fill=ink, width=w * 3)
        nx, ny = cx + face * h * 0.55, base - h * 0.85
        d.line([(cx + face * h * 0.3, base - h * 0.5), (nx, ny)], fill=self.body, width=int(h * 0.1))
        _ellipse(
            d,
            [nx - h * 0.12, ny - h * 0.09, nx + h * 0.12, ny + h * 0.09],
            fill=self.body,
            outline=ink,
            width=w,
        )
        d.polygon(
            [
                (nx - h * 0.05, ny - h * 0.08),
                (nx - face * h * 0.1, ny - h * 0.2),
                (nx + h * 0.02, ny - h * 0.08),
            ],
            fill=ink,
        )
        _ellipse(
            d, [nx + face * h * 0.03, ny - h * 0.03, nx + face * h * 0.07, ny + h * 0.01], fill=(240, 170, 40)
        )

    def _drone(self, d: ImageDraw.ImageDraw, cx: float, cy: float, h: float, ink: RGB) -> None:
        w = max(2, int(h * 0.03))
        glass = mix(self.body, (236, 244, 250), 0.7)
        for side in (-1, 1):
            for tilt in (-0.12, 0.1):
                _ellipse(
                    d,
                    [
                        cx + side * h * 0.05,
                        cy + h * tilt - h * 0.08,
                        cx + side * h * 0.6,
                        cy + h * tilt + h * 0.06,
                    ],
                    fill=glass,
                    outline=ink,
                    width=1,
                )
        d.rounded_rectangle(
            [cx - h * 0.08, cy - h * 0.1, cx + h * 0.08, cy + h * 0.45],
            radius=h * 0.06,
            fill=self.body,
            outline=ink,
            width=w,
        )
        _ellipse(
            d,
            [cx - h * 0.12, cy - h * 0.26, cx + h * 0.12, cy - h * 0.04],
            fill=self.body,
            outline=ink,
            width=w,
        )
        _ellipse(d, [cx - h * 0.05, cy - h * 0.19, cx + h * 0.05, cy - h * 0.1], fill=(90, 170, 240))

    def _robot(self, d: ImageDraw.ImageDraw, cx: float, base: float, h: float, ink: RGB) -> None:
        w = max(2, int(h * 0.02))
        d.rounded_rectangle(
            [cx - h * 0.22, base - h * 0.62, cx + h * 0.22, base - h * 0.12],
            radius=h * 0.05,
            fill=self.body,
            outline=ink,
            width=w,
        )
        d.rounded_rectangle(
            [cx - h * 0.16, base - h * 0.9, cx + h * 0.16, base - h * 0.66],
            radius=h * 0.04,
            fill=mix(self.body, (255, 255, 255), 0.3),
            outline=ink,
            width=w,
        )
        _ellipse(d, [cx - h * 0.1, base - h * 0.82, cx - h * 0.03, base - h * 0.75], fill=(90, 220, 240))
        _ellipse(d, [cx + h * 0.03, base - h * 0.82, cx + h * 0.1, base - h * 0.75], fill=(90, 220, 240))
        d.line([(cx, base - h * 0.9), (cx, base - h * 1.0)], fill=ink, width=w)
        _ellipse(d, [cx - h * 0.025, base - h * 1.04, cx + h * 0.025, base - h * 0.99], fill=(230, 80, 60))
        for side in (-1, 1):
            d.rectangle(
                [cx + side * h * 0.14 - h * 0.05, base - h * 0.12, cx + side * h * 0.14 + h * 0.05, base],
                fill=ink,
            )


def _ellipse(d: ImageDraw.ImageDraw, box, **style) -> None:
    """An ellipse in a box given corner to corner either way round (a figure faces left or right)."""
    x0, y0, x1, y1 = box
    d.ellipse([min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)], **style)


def poses(rng: random.Random, count: int) -> list[int]:
    """A pose for each of ``count`` figures, from the take's seed."""
    return [rng.randrange(6) for _ in range(count)]
