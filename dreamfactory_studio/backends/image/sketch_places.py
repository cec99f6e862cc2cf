"""The places the sketch renderer draws beyond the ones in :mod:`.sketch_scenery`: snow and ice, a mountain, a
marsh and salt flats, a stage, its wings and a dressing room, a car's inside, an office counter, a dome under the
sky, an orchard, a field, a town square; and the light of the hour: dusk and dawn skies, and the lights the
script names (lanterns, lamps, a torch, street lamps, an aurora)."""

from __future__ import annotations

import random

from PIL import ImageDraw

from dreamfactory_studio.backends.image.sketch_palette import RGB, mix

LANDSCAPES = {"snow", "mountain", "marsh", "salt flats", "orchard", "field", "square", "dome"}
ROOMS = {"stage", "wings", "dressing room", "car", "office"}
PLACES = LANDSCAPES | ROOMS
"""Every place drawn here; ``ROOMS`` are inside (no sky)."""
SNOW = (236, 240, 246)
SALT = (240, 236, 226)
WARM_LIGHT = (252, 222, 150)


def hour_sky(sky: RGB, horizon: RGB, time: str) -> tuple[RGB, RGB]:
    """The sky's top and horizon colours at ``time``: night dark blue, dusk orange under violet, dawn pink."""
    if time == "night":
        return mix(sky, (10, 14, 40), 0.78), mix(horizon, (40, 40, 80), 0.7)
    if time in ("dusk", "evening"):
        return mix(sky, (70, 60, 120), 0.55), mix(horizon, (244, 140, 70), 0.6)
    if time == "dawn":
        return mix(sky, (150, 150, 200), 0.35), mix(horizon, (250, 190, 170), 0.55)
    return sky, horizon


def draw_landscape(
    d: ImageDraw.ImageDraw, place: str, box: tuple[int, int, int], scheme: dict, rng: random.Random, time: str
) -> None:
    """An outdoor place's ground and landmarks over the sky already painted."""
    width, art_h, horizon = box
    ink = scheme["ink"]
    dark = 0.55 if time == "night" else 0.25 if time in ("dusk", "evening") else 0.0
    shade = (20, 24, 50)
    if place in ("snow", "mountain"):
        for i in range(3):
            x = width * (i / 3 + rng.uniform(-0.05, 0.05))
            peak = horizon - art_h * rng.uniform(0.18, 0.32)
            d.polygon(
                [(x - width * 0.25, horizon), (x + width * 0.12, peak), (x + width * 0.45, horizon)],
                fill=mix((150, 158, 176), shade, dark),
                outline=ink,
            )
            d.polygon(
                [
                    (x + width * 0.05, peak + art_h * 0.06),
                    (x + width * 0.12, peak),
                    (x + width * 0.2, peak + art_h * 0.06),
                ],
                fill=mix(SNOW, shade, dark),
            )
        d.rectangle([0, horizon, width, art_h], fill=mix(SNOW, shade, dark))
        for _ in range(6):  # drifts and cracks in the ice
            x, y = rng.randrange(width), rng.randint(horizon + 6, art_h - 6)
            d.arc([x - 60, y - 8, x + 60, y + 8], 180, 360, fill=mix((180, 196, 214), shade, dark), width=2)
    elif place in ("marsh", "salt flats"):
        ground = SALT if place == "salt flats" else (126, 140, 96)
        d.rectangle([0, horizon, width, art_h], fill=mix(ground, shade, dark))
        if place == "salt flats":
            for _ in range(18):  # the cracked crust
                x, y = rng.randrange(width), rng.randint(horizon + 4, art_h)
                d.line(
                    [(x, y), (x + rng.randint(-40, 40), y + rng.randint(4, 16))],
                    fill=(206, 198, 184),
                    width=1,
                )
        else:
            for i in range(5):  # channels of water among the reeds
                y = horizon + (art_h - horizon) * (0.15 + 0.18 * i)
                x = rng.randrange(width // 2)
                d.ellipse([x, y - 5, x + width * 0.4, y + 5], fill=mix(scheme["water"], shade, dark))
            for _ in range(40):
                x, y = rng.randrange(width), rng.randint(horizon, art_h)
                d.line(
                    [(x, y), (x + rng.randint(-3, 3), y - rng.randint(12, 30))], fill=(170, 150, 80), width=2
                )
    elif place in ("orchard", "field"):
        d.rectangle(
            [0, horizon, width, art_h],
            fill=mix((196, 176, 96) if place == "field" else scheme["ground"], shade, dark),
        )
        if place == "orchard":
            for i in range(5):
                x = width * (i + 0.5) / 5 + rng.uniform(-20, 20)
                top = horizon - art_h * rng.uniform(0.12, 0.2)
                d.rectangle([x - 5, top, x + 5, horizon + 8], fill=mix((110, 80, 50), shade, dark))
                r = art_h * 0.09
                d.ellipse(
                    [x - r, top - r, x + r, top + r * 0.6], fill=mix((70, 130, 70), shade, dark), outline=ink
                )
                for _ in range(3):
                    fx, fy = x + rng.uniform(-r * 0.6, r * 0.6), top + rng.uniform(-r * 0.5, r * 0.3)
                    d.ellipse([fx - 3, fy - 3, fx + 3, fy + 3], fill=(206, 60, 50))
        else:
            for i in range(1, 8):  # rows of wheat
                y = horizon + (art_h - horizon) * i / 8
                d.line([(0, y), (width, y)], fill=mix((170, 146, 70), shade, dark), width=2)
    elif place == "square":
        d.rectangle([0, horizon, width, art_h], fill=mix((176, 170, 160), shade, dark))
        for i in range(5):
            x0 = width * i / 5
            top = horizon * rng.uniform(0.35, 0.55)
            d.rectangle(
                [x0, top, x0 + width / 5 - 6, horizon],
                fill=mix(scheme["wall"], shade, dark * 0.8),
                outline=ink,
                width=2,
            )
            light = WARM_LIGHT if time == "night" else mix(scheme["sky"], (255, 255, 255), 0.3)
            d.rectangle([x0 + 12, top + 14, x0 + 28, top + 32], fill=light)
        cx, cy = width * 0.5, horizon + (art_h - horizon) * 0.3  # the fountain
        d.ellipse(
            [cx - width * 0.12, cy - 10, cx + width * 0.12, cy + 16],
            fill=mix(scheme["water"], shade, dark),
            outline=ink,
            width=2,
        )
    elif place == "dome":
        d.rectangle([0, horizon, width, art_h], fill=mix((120, 150, 100), shade, dark))
        span = width * 0.9
        d.arc(
            [width / 2 - span / 2, horizon - span * 0.45, width / 2 + span / 2, horizon + span * 0.45],
            180,
            360,
            fill=(200, 220, 236),
            width=4,
        )
        for i in range(1, 6):
            x = width / 2 - span / 2 + span * i / 6
            d.line(
                [(x, horizon - span * 0.4 * (1 - abs(i - 3) / 3.6)), (x, horizon)],
                fill=(190, 210, 226),
                width=1,
            )
        for i in range(4):  # the garden under it
            x = width * (0.2 + 0.2 * i)
            d.ellipse(
                [x - 22, horizon - 40, x + 22, horizon + 4], fill=mix((70, 140, 70), shade, dark), outline=ink
            )


def draw_room(
    d: ImageDraw.ImageDraw, place: str, box: tuple[int, int, int], scheme: dict, rng: random.Random, time: str
) -> None:
    """An inside place, wall to floor."""
    width, art_h, horizon = box
    ink = scheme["ink"]
    if place in ("stage", "wings"):
        d.rectangle([0, 0, width, art_h], fill=(30, 24, 30))
        d.rectangle([0, horizon, width, art_h], fill=(120, 84, 56))
        curtain = (150, 30, 40)
        edge = width * (0.28 if place == "wings" else 0.12)
        for x0, x1 in ((0, edge), (width - edge, width)):
            d.rectangle([x0, 0, x1, horizon + 6], fill=curtain, outline=ink)
            for x in range(int(x0) + 8, int(x1), 18):
                d.line([(x, 0), (x, horizon)], fill=mix(curtain, (0, 0, 0), 0.3), width=2)
        d.rectangle([0, 0, width, art_h * 0.08], fill=curtain)
        d.polygon(  # the spotlight's cone
            [(width * 0.45, 0), (width * 0.55, 0), (width * 0.7, art_h), (width * 0.3, art_h)],
            fill=mix((30, 24, 30), WARM_LIGHT, 0.35),
        )
        if place == "wings":
            for i in range(3):  # flats and ropes backstage
                x = width * (0.04 + 0.07 * i)
                d.line([(x, 0), (x, horizon)], fill=(200, 190, 170), width=1)
    elif place == "dressing room":
        d.rectangle([0, 0, width, horizon], fill=mix(scheme["wall"], (90, 60, 70), 0.4))
        d.rectangle([0, horizon, width, art_h], fill=scheme["floor"])
        mx0, mx1, my0, my1 = width * 0.55, width * 0.9, art_h * 0.12, art_h * 0.5
        d.rectangle([mx0, my0, mx1, my1], fill=(190, 206, 216), outline=ink, width=3)
        for i in range(6):  # the bulbs round the mirror
            x = mx0 + (mx1 - mx0) * i / 5
            for y in (my0 - 8, my1 + 8):
                d.ellipse([x - 6, y - 6, x + 6, y + 6], fill=WARM_LIGHT, outline=ink)
        d.rectangle([width * 0.5, my1 + 20, width * 0.95, my1 + 34], fill=(120, 80, 56), outline=ink)
    elif place == "car":
        outside = (18, 20, 40) if time == "night" else mix(scheme["sky"], (255, 255, 255), 0.2)
        d.rectangle([0, 0, width, art_h], fill=(46, 44, 48))
        d.polygon(  # the windscreen
            [
                (width * 0.12, art_h * 0.08),
                (width * 0.88, art_h * 0.08),
                (width * 0.95, art_h * 0.5),
                (width * 0.05, art_h * 0.5),
            ],
            fill=outside,
            outline=ink,
        )
        if time == "night":
            for _ in range(8):  # the city's lights through the glass
                x, y = rng.uniform(0.1, 0.9) * width, rng.uniform(0.3, 0.48) * art_h
                d.ellipse([x - 4, y - 4, x + 4, y + 4], fill=WARM_LIGHT)
        d.rectangle([0, art_h * 0.5, width, art_h * 0.62], fill=(70, 66, 70), outline=ink)  # the dashboard
        cx, cy, r = width * 0.28, art_h * 0.68, art_h * 0.16
        d.ellipse(
            [cx - r, cy - r, cx + r, cy + r], outline=(20, 20, 24), width=max(4, int(r * 0.18))
        )  # wheel
        d.line([(width * 0.5, 0), (width * 0.5, art_h * 0.08)], fill=ink, width=3)
        d.rectangle(
            [width * 0.46, art_h * 0.08, width * 0.54, art_h * 0.14], fill=(120, 130, 140), outline=ink
        )
    elif place == "office":
        d.rectangle([0, 0, width, horizon], fill=mix(scheme["wall"], (200, 196, 180), 0.5))
        d.rectangle([0, horizon, width, art_h], fill=scheme["floor"])
        for i in range(3):  # tall windows
            x = width * (0.1 + 0.3 * i)
            d.rectangle(
                [x, art_h * 0.06, x + width * 0.14, horizon * 0.8],
                fill=mix(scheme["sky"], (255, 255, 255), 0.2),
                outline=ink,
                width=2,
            )
        top = horizon + (art_h - horizon) * 0.35
        d.rectangle([0, top, width, art_h], fill=(140, 100, 70), outline=ink, width=3)  # the counter
        d.line([(0, top + 10), (width, top + 10)], fill=mix((140, 100, 70), ink, 0.3), width=2)
        d.rectangle(
            [width * 0.06, top - art_h * 0.12, width * 0.12, top], fill=(200, 180, 120), outline=ink
        )  # a sign


LIGHTS = ("lantern", "lanterns", "lamp", "lamps", "torch", "candle", "candles", "aurora", "lamplight")


def draw_lights(
    d: ImageDraw.ImageDraw, words: set[str], box: tuple[int, int, int], rng: random.Random, time: str
) -> None:
    """The lights the script names, at night or dusk: an aurora across the sky, pools of lamplight."""
    if time not in ("night", "dusk", "evening"):
        return
    width, art_h, horizon = box
    if "aurora" in words:
        for i in range(4):
            y = art_h * (0.08 + 0.05 * i)
            d.arc([-width * 0.2, y, width * 1.2, y + art_h * 0.5], 190, 350, fill=(90, 230, 150), width=6 - i)
    for _ in range(min(4, sum(1 for w in words if w in LIGHTS and w != "aurora"))):
        x, y = rng.uniform(0.1, 0.9) * width, horizon - rng.uniform(0.05, 0.25) * art_h
        for r, share in ((28, 0.25), (16, 0.55), (7, 1.0)):
            d.ellipse([x - r, y - r, x + r, y + r], fill=mix((40, 36, 60), WARM_LIGHT, share))
