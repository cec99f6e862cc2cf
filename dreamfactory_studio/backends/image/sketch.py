"""The offline sketch renderer: a clean storyboard panel drawn from a scene's facts, with no model at all.

Sky, ground and palette come from the style and the palette words; the setting from the script's words
(water, night, fog, indoors, space, hills, rain); each character is the same figure in every scene, its colours
and shape taken from its description; the shot sets the framing. No caption is drawn into the picture: the
cards, the PDF and the subtitles carry the scene's number, shot and words. Deterministic by seed: a new take moves figures and weather a little.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

from dreamfactory_studio.backends.image import (
    Cancelled,
    Drawn,
    FigureFacts,
    ImageRequest,
    PanelFacts,
    StepSink,
)
from dreamfactory_studio.backends.image.sketch_palette import (
    COLOURS,
    RGB,
    colour_words,
    mix,
    scheme_for,
    stable_colour,
    words_of,
)
from dreamfactory_studio.backends.image.sketch_scenery import (
    crowded,
    draw_crowd,
    draw_fog,
    draw_place,
    draw_prop,
    draw_weather,
    is_interior,
    place_from_words,
    prop_shape,
    props_by_holder,
    weather_of,
)

DRAWS_FROM_FACTS = "the sketch renderer draws from the scene's facts"
"""How its takes' recipes open their note: what it is, not something it left out."""
GLOW = (252, 226, 140)
"""A prop a character always carries is lit like a lantern's flame when it is one."""
DRAWN_PLACES = {
    "shop",
    "room",
    "kitchen",
    "church",
    "engine room",
    "corridor",
    "station",
    "observation deck",
    "alley",
    "street",
    "market",
    "rooftop",
    "lighthouse",
    "deck",
}

ANIMALS = (
    "dog",
    "cat",
    "fox",
    "wolf",
    "horse",
    "rabbit",
    "bird",
    "owl",
    "mouse",
    "bear",
    "deer",
    "goat",
    "cow",
)
ROBOTS = ("robot", "android", "droid", "machine")
PEOPLE = set(
    "man woman boy girl child kid detective captain mother father grandmother grandfather teacher officer "
    "doctor nurse sailor cook chef waiter waitress farmer soldier king queen prince princess".split()
)
SCALE = {"wide": 0.30, "medium": 0.56, "close-up": 0.92}


class Figure:
    """How one character is drawn, the same in every panel."""

    def __init__(self, facts: FigureFacts):
        text = f"{facts.name} {facts.description}".lower()
        words = words_of(text)
        # "50s, rumpled, a cat under his coat" is a man with a cat: an age or a person's noun makes a person
        human = bool(re.search(r"\b\d0s\b|\byears? old\b", text) or words & PEOPLE)
        animal = bool(words & set(ANIMALS)) and not human
        self.kind = "animal" if animal else "robot" if words & set(ROBOTS) else "person"
        self.animal = next((a for a in ANIMALS if a in words), "dog")
        colours = colour_words(facts.description)
        clothing = re.search(
            r"([a-z\-]+(?:\s+[a-z\-]+)?)\s+(?:coat|raincoat|jacket|dress|shirt|cloak|robe|overcoat|sweater)",
            text,
        )
        clothing_colours = colour_words(clothing.group(1)) if clothing else []
        self.body = (
            clothing_colours[0] if clothing_colours else colours[0] if colours else stable_colour(facts.name)
        )
        scarf = re.search(r"([a-z\-]+)\s+scarf", text)
        self.scarf = COLOURS.get(scarf.group(1)) if scarf else None
        if words & {"old", "grey", "gray", "white-haired", "elderly"}:
            self.hair = (200, 200, 205)
        elif "grandmother" in words:
            self.hair = (210, 210, 214)
        else:
            self.hair = (62, 44, 32)
        self.height = 0.72 if words & {"girl", "boy", "child", "kid", "eleven", "small", "little"} else 1.0
        self.prop = next(
            (p for p in ("violin", "lantern", "umbrella", "map", "can", "knife") if p in words), None
        )
        self.name = facts.name

    def draw(self, draw: ImageDraw.ImageDraw, cx: float, base: float, size: float, ink: RGB) -> None:
        h = size * self.height
        if self.kind == "animal":
            self._animal(draw, cx, base, h * 0.45, ink)
        elif self.kind == "robot":
            self._robot(draw, cx, base, h * 0.8, ink)
        else:
            self._person(draw, cx, base, h, ink)

    def _person(self, d: ImageDraw.ImageDraw, cx: float, base: float, h: float, ink: RGB) -> None:
        w = 2 + h * 0.012
        head = h * 0.13
        neck = base - h * 0.80
        body = [
            (cx - h * 0.17, base - h * 0.08),
            (cx - h * 0.12, neck),
            (cx + h * 0.12, neck),
            (cx + h * 0.17, base - h * 0.08),
        ]
        d.polygon(body, fill=self.body, outline=ink, width=int(w))
        for side in (-1, 1):
            d.line(
                [(cx + side * h * 0.07, base - h * 0.09), (cx + side * h * 0.08, base)],
                fill=ink,
                width=int(w * 2),
            )
            d.line(
                [(cx + side * h * 0.12, neck + h * 0.03), (cx + side * h * 0.22, base - h * 0.42)],
                fill=ink,
                width=int(w * 2),
            )
        if self.scarf:
            d.rectangle(
                [cx - h * 0.12, neck - h * 0.005, cx + h * 0.12, neck + h * 0.05],
                fill=self.scarf,
                outline=ink,
            )
        hy = neck - head * 1.05
        d.ellipse(
            [cx - head, hy - head, cx + head, hy + head], fill=(236, 204, 172), outline=ink, width=int(w)
        )
        d.chord(
            [cx - head, hy - head * 1.1, cx + head, hy + head * 0.5], 180, 360, fill=self.hair, outline=ink
        )
        d.ellipse([cx - head * 0.4, hy, cx - head * 0.25, hy + head * 0.15], fill=ink)
        d.ellipse([cx + head * 0.25, hy, cx + head * 0.4, hy + head * 0.15], fill=ink)
        if self.prop:
            draw_prop(d, self.prop, cx + h * 0.27, base - h * 0.42, h * 0.2, ink, GLOW)

    def _animal(self, d: ImageDraw.ImageDraw, cx: float, base: float, h: float, ink: RGB) -> None:
        w = max(2, int(h * 0.03))
        body = (cx - h * 0.5, base - h * 0.75, cx + h * 0.4, base - h * 0.35)
        d.ellipse(body, fill=self.body, outline=ink, width=w)
        for x in (-0.4, -0.25, 0.15, 0.3):
            d.line([(cx + h * x, base - h * 0.45), (cx + h * x, base)], fill=ink, width=w * 2)
        d.ellipse(
            [cx + h * 0.25, base - h * 1.0, cx + h * 0.65, base - h * 0.62],
            fill=self.body,
            outline=ink,
            width=w,
        )
        d.polygon(
            [
                (cx + h * 0.3, base - h * 0.95),
                (cx + h * 0.36, base - h * 1.12),
                (cx + h * 0.44, base - h * 0.97),
            ],
            fill=ink,
        )
        d.line([(cx - h * 0.5, base - h * 0.6), (cx - h * 0.7, base - h * 0.8)], fill=ink, width=w * 2)

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
        d.ellipse([cx - h * 0.1, base - h * 0.82, cx - h * 0.03, base - h * 0.75], fill=(90, 220, 240))
        d.ellipse([cx + h * 0.03, base - h * 0.82, cx + h * 0.1, base - h * 0.75], fill=(90, 220, 240))
        d.line([(cx, base - h * 0.9), (cx, base - h * 1.0)], fill=ink, width=w)
        d.ellipse([cx - h * 0.025, base - h * 1.04, cx + h * 0.025, base - h * 0.99], fill=(230, 80, 60))
        for side in (-1, 1):
            d.rectangle(
                [cx + side * h * 0.14 - h * 0.05, base - h * 0.12, cx + side * h * 0.14 + h * 0.05, base],
                fill=ink,
            )


class SketchRenderer:
    """Draws storyboard panels from scene facts. Deterministic by seed; no model, no network."""

    label = "sketch renderer"
    model_id = "sketch-1"
    prompt_budget = None

    def load(self, on_progress: Callable[[str], None]) -> None:
        on_progress("sketch renderer ready")

    def unload(self) -> None:
        pass

    def generate(self, request: ImageRequest, on_step: StepSink, cancelled: Cancelled) -> Drawn:
        facts = request.facts or PanelFacts(
            scene_number=0, narration=request.prompt[:120], script=request.prompt
        )
        if facts.sheet and facts.characters:
            image = render_sheet(facts, request.width, request.height, request.seed)
        else:
            image = render_panel(facts, request.width, request.height, request.seed)
        on_step(1, 1)
        notes = (
            [
                f"{DRAWS_FROM_FACTS} (each character the same figure every time); the "
                "reference images were not used"
            ]
            if request.references
            else []
        )
        # A region: the panel drawn again from the facts with this seed; the take keeps the source outside it.
        return Drawn(image, notes=notes, mode="inpaint" if request.region else "text-to-image")


def render_sheet(facts: PanelFacts, width: int, height: int, seed: int) -> Image.Image:
    """A character sheet: the character full figure, front on, on a neutral ground with a floor line."""
    scheme = scheme_for(facts.style, f"{facts.palette} {facts.lighting}")
    image = _gradient(width, height, (238, 236, 230), (214, 212, 206))
    d = ImageDraw.Draw(image)
    base = int(height * 0.92)
    d.line(
        [(int(width * 0.1), base), (int(width * 0.9), base)], fill=mix(scheme["ink"], (214, 212, 206), 0.6)
    )
    Figure(facts.characters[0]).draw(d, width / 2, base, height * 0.8, scheme["ink"])
    return image


def _gradient(width: int, height: int, top: RGB, bottom: RGB) -> Image.Image:
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    rows = (np.array(top, np.float32) * (1 - t) + np.array(bottom, np.float32) * t).astype(np.uint8)
    return Image.fromarray(np.repeat(rows[:, None, :], width, axis=1))


def render_panel(facts: PanelFacts, width: int, height: int, seed: int) -> Image.Image:
    """One storyboard panel as an RGB image."""
    rng = random.Random(seed)
    scene_words = words_of(f"{facts.script} {facts.narration}")
    scheme = scheme_for(facts.style, f"{facts.palette} {facts.lighting}")
    art_h = height
    place = facts.place or place_from_words(f"{facts.script} {facts.narration}")
    if place in ("river", "sea", "harbour", "dock") and facts.characters:
        place = "deck"  # people on the water stand on a boat's deck or a dock, not on the waves
    weather = weather_of(facts.script or facts.narration)
    night = facts.time in ("night", "evening", "dusk") or bool(
        scene_words & {"night", "dark", "moonlight", "midnight", "neon"}
    )
    indoor = is_interior(place)
    space = place in ("station", "observation deck") or bool(scene_words & {"space", "orbit", "orbiting"})
    water = not indoor and (
        place in ("river", "sea", "dock", "harbour", "deck", "lighthouse")
        or (not place and bool(scene_words & {"river", "sea", "ferry", "boat", "lake", "ocean", "water"}))
    )
    sky, horizon = scheme["sky"], scheme["horizon"]
    if weather.storm or weather.rain:
        sky, horizon = mix(sky, (96, 104, 118), 0.55), mix(horizon, (150, 156, 164), 0.5)
    if night or space:
        sky, horizon = mix(sky, (10, 14, 40), 0.75), mix(horizon, (60, 50, 90), 0.6)
    elif facts.time in ("dawn",) or weather.clear:
        horizon = mix(horizon, (250, 210, 160), 0.4)
    horizon_y = int(art_h * {"wide": 0.58, "medium": 0.66, "close-up": 0.8}.get(facts.shot, 0.64))
    image = _gradient(width, art_h, sky, horizon)
    d = ImageDraw.Draw(image)
    ink = scheme["ink"]
    box = (width, art_h, horizon_y)

    if place in DRAWN_PLACES:
        draw_place(d, place, box, scheme, rng, scene_words, night)
    else:
        if space:
            for _ in range(90):
                x, y = rng.randrange(width), rng.randrange(horizon_y)
                d.point((x, y), fill=(240, 240, 255))
        if night or space or scene_words & {"moon", "moonlight"}:
            mx, my = int(width * rng.uniform(0.7, 0.85)), int(art_h * 0.16)
            d.ellipse([mx - 34, my - 34, mx + 34, my + 34], fill=(240, 236, 210))
        if scene_words & {"hill", "hilltop", "village", "church"}:
            d.ellipse(
                [
                    int(width * 0.45),
                    horizon_y - int(art_h * 0.22),
                    int(width * 1.2),
                    horizon_y + int(art_h * 0.3),
                ],
                fill=mix(scheme["ground"], ink, 0.15),
            )
            cx = int(width * 0.78)
            d.rectangle(
                [cx, horizon_y - int(art_h * 0.2), cx + 40, horizon_y - int(art_h * 0.08)],
                fill=scheme["wall"],
                outline=ink,
                width=2,
            )
            d.polygon(
                [
                    (cx - 6, horizon_y - int(art_h * 0.2)),
                    (cx + 20, horizon_y - int(art_h * 0.3)),
                    (cx + 46, horizon_y - int(art_h * 0.2)),
                ],
                fill=ink,
            )
        ground = scheme["water"] if water else scheme["ground"]
        d.rectangle([0, horizon_y, width, art_h], fill=ground)
        if water:
            for i in range(14):
                y = horizon_y + 10 + i * (art_h - horizon_y) // 14
                x = rng.randrange(width)
                d.line(
                    [(x, y), (x + rng.randint(30, 90), y)], fill=mix(ground, (255, 255, 255), 0.35), width=2
                )
            if scene_words & {"ferry", "boat"}:
                bx, by = int(width * rng.uniform(0.08, 0.16)), horizon_y + int((art_h - horizon_y) * 0.25)
                bw = int(width * 0.34)
                d.polygon(
                    [(bx, by), (bx + bw, by), (bx + bw - 40, by + 50), (bx + 30, by + 50)],
                    fill=(150, 70, 50),
                    outline=ink,
                )
                d.rectangle(
                    [bx + bw * 0.35, by - 55, bx + bw * 0.65, by], fill=scheme["wall"], outline=ink, width=2
                )
            if scene_words & {"bridge"}:
                deck = horizon_y - int(art_h * 0.1)
                d.rectangle(
                    [int(width * 0.35), deck, width, deck + 12],
                    fill=mix(scheme["wall"], ink, 0.3),
                    outline=ink,
                )
                for x in range(int(width * 0.4), width, int(width * 0.14)):
                    d.rectangle([x, deck + 12, x + 14, horizon_y + 6], fill=mix(scheme["wall"], ink, 0.45))
    if scene_words & {"garden", "flowers", "vines", "plants"}:
        for _ in range(12):
            x = rng.randrange(width)
            d.line(
                [(x, art_h), (x + rng.randint(-10, 10), art_h - rng.randint(30, 80))],
                fill=(70, 140, 70),
                width=4,
            )
            d.ellipse([x - 8, art_h - 90, x + 8, art_h - 74], fill=(236, 120, 150))

    if (
        scene_words & {"lantern", "lanterns"}
        and not indoor
        and scene_words & {"float", "floating", "hundreds", "sky"}
    ):
        for _ in range(14):  # lanterns floating above the street
            x, y = rng.randrange(width), rng.randint(art_h // 14, horizon_y // 2)
            r = rng.randint(6, 12)
            d.ellipse([x - r, y - r, x + r, y + int(r * 1.3)], fill=scheme["accent"], outline=ink)
    draw_fog(image, weather, box, rng)
    if crowded(scene_words) and not indoor:
        draw_crowd(d, box, scheme, rng)
    figures = [Figure(c) for c in facts.characters[: 2 if facts.shot == "close-up" else 4]]
    props = props_by_holder(facts.script, [f.name for f in figures])
    scale = SCALE.get(facts.shot, 0.5)
    if figures:
        slots = len(figures)
        for index, figure in enumerate(figures):
            box_of = facts.boxes[index] if index < len(facts.boxes) else None
            centre = (box_of.left + box_of.right) / 2 if box_of else (index + 1) / (slots + 1)
            cx = width * centre + rng.uniform(-0.04, 0.04) * width
            base = art_h * (0.98 if facts.shot == "close-up" else rng.uniform(0.9, 0.95))
            size = art_h * scale * (1.25 if facts.shot == "close-up" and index == 0 else 1.0)
            foot = base + (size * 0.35 if facts.shot == "close-up" else 0)
            figure.draw(d, cx, foot, size, ink)
            for n, prop in enumerate(p for p in props.get(index, []) if p != prop_shape(figure.prop or "")):
                px = cx + size * (0.3 + 0.22 * n) * (1 if index % 2 == 0 else -1)
                draw_prop(d, prop, px, foot - size * 0.4, size * 0.22, ink, scheme["accent"])
    for n, prop in enumerate(props.get(-1, [])):
        draw_prop(d, prop, width * (0.5 + 0.12 * n), art_h * 0.82, art_h * 0.12, ink, scheme["accent"])
    draw_weather(image, d, weather, box, scheme, rng, indoor)

    return image
