"""The offline sketch renderer: a clean storyboard panel drawn from a scene's facts, with no model at all.

Sky, ground and palette come from the style and the palette words; the setting from the script's words
(water, night, fog, indoors, space, hills, rain); each character is the same figure in every scene, its colours
and shape taken from its description; the shot sets the framing. No caption is drawn into the picture: the
cards, the PDF and the subtitles carry the scene's number, shot and words. Deterministic by seed: a new take moves figures and weather a little.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

from dreamfactory_studio.backends.image import (
    Cancelled,
    Drawn,
    ImageRequest,
    PanelFacts,
    StepSink,
)
from dreamfactory_studio.backends.image.sketch_figures import Figure, poses
from dreamfactory_studio.backends.image.sketch_palette import RGB, mix, scheme_for, words_of
from dreamfactory_studio.backends.image.sketch_places import (
    LANDSCAPES,
    ROOMS,
    draw_landscape,
    draw_lights,
    draw_room,
    hour_sky,
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

SCALE = {"wide": 0.30, "medium": 0.56, "close-up": 0.92}


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


def _night_sky(d: ImageDraw.ImageDraw, width: int, horizon: int, rng: random.Random) -> None:
    for _ in range(60):
        d.point((rng.randrange(width), rng.randrange(max(1, horizon))), fill=(240, 240, 255))
    mx, my = int(width * rng.uniform(0.65, 0.88)), int(horizon * 0.25)
    d.ellipse([mx - 24, my - 24, mx + 24, my + 24], fill=(240, 236, 210))


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
    hour = facts.time or ("night" if scene_words & {"night", "dark", "moonlight", "midnight", "neon"} else "")
    night = hour == "night"
    indoor = is_interior(place) or place in ROOMS
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
    elif hour in ("dusk", "evening", "dawn"):
        sky, horizon = hour_sky(sky, horizon, hour)
    elif weather.clear:
        horizon = mix(horizon, (250, 210, 160), 0.4)
    # A new seed frames the shot a little differently: the horizon, who stands where, their poses.
    horizon_y = int(
        art_h
        * ({"wide": 0.58, "medium": 0.66, "close-up": 0.8}.get(facts.shot, 0.64) + rng.uniform(-0.04, 0.04))
    )
    image = _gradient(width, art_h, sky, horizon)
    d = ImageDraw.Draw(image)
    ink = scheme["ink"]
    box = (width, art_h, horizon_y)

    if place in LANDSCAPES:
        if night:
            _night_sky(d, width, horizon_y, rng)
        draw_landscape(d, place, box, scheme, rng, hour)
    elif place in ROOMS:
        draw_room(d, place, box, scheme, rng, hour)
    elif place in DRAWN_PLACES:
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
    draw_lights(d, scene_words, box, rng, hour)
    draw_fog(image, weather, box, rng)
    everyone = [Figure(c) for c in facts.characters]
    if (crowded(scene_words) or any(f.kind == "crowd" for f in everyone)) and not indoor:
        draw_crowd(d, box, scheme, rng)
    figures = [f for f in everyone if f.kind != "crowd"][: 2 if facts.shot == "close-up" else 4]
    flip = rng.random() < 0.5
    posed = poses(rng, len(figures))
    props = props_by_holder(facts.script, [f.name for f in figures])
    scale = SCALE.get(facts.shot, 0.5)
    if figures:
        slots = len(figures)
        for index, figure in enumerate(figures):
            box_of = facts.boxes[index] if index < len(facts.boxes) else None
            centre = (box_of.left + box_of.right) / 2 if box_of else (index + 1) / (slots + 1)
            if flip and not box_of:
                centre = 1 - centre
            cx = width * centre + rng.uniform(-0.08, 0.08) * width
            base = art_h * (0.98 if facts.shot == "close-up" else rng.uniform(0.88, 0.96))
            size = (
                art_h
                * scale
                * rng.uniform(0.9, 1.1)
                * (1.25 if facts.shot == "close-up" and index == 0 else 1.0)
            )
            foot = base + (size * 0.35 if facts.shot == "close-up" else 0)
            figure.draw(d, cx, foot, size, ink, posed[index])
            for n, prop in enumerate(p for p in props.get(index, []) if p != prop_shape(figure.prop or "")):
                px = cx + size * (0.3 + 0.22 * n) * (1 if index % 2 == 0 else -1)
                draw_prop(d, prop, px, foot - size * 0.4, size * 0.22, ink, scheme["accent"])
    for n, prop in enumerate(props.get(-1, [])):
        draw_prop(d, prop, width * (0.5 + 0.12 * n), art_h * 0.82, art_h * 0.12, ink, scheme["accent"])
    draw_weather(image, d, weather, box, scheme, rng, indoor)

    return image
