"""Where and when each scene of a story happens, read from its words: the place it is in (a preposition's place
first: "the truck's engine died in the middle of the flats" is on the salt flats) and the time of day, carried
over from the scene before when a scene names neither."""

from __future__ import annotations

import re

PLACES: tuple[tuple[str, str], ...] = (
    (r"engine room", "engine room"),
    (r"observation deck", "observation deck"),
    (r"dressing[- ]rooms?", "dressing room"),
    (r"(?:in|into|from) the wings", "wings"),
    (r"stage|theatre|theater|curtain call|footlights", "stage"),
    (r"salt flats?|flats", "salt flats"),
    (r"salt marsh(?:es)?|marsh(?:es)?|reeds|wetlands?", "marsh"),
    (r"glaciers?|ice ?field|snowfields?|tundra|ice shelf|on the ice", "snow"),
    (r"snow(?!ed)|snowdrifts?", "snow"),
    (r"mountains?|mountainside|peaks?|slopes?", "mountain"),
    (r"domes?", "dome"),
    (r"orchards?", "orchard"),
    (r"taxis?|cabs?|back seat|front seat|dashboard|windscreen|windshield|trucks?|car(?! park)s?", "car"),
    (r"post office|counter|office|desk", "office"),
    (r"corridor", "corridor"),
    (r"workbench|workshop|shop", "shop"),
    (r"stalls?|market", "market"),
    (r"alley", "alley"),
    (r"rooftop|roof", "rooftop"),
    (r"space station", "station"),
    (r"station", "station"),
    (r"deck", "deck"),
    (r"lighthouse", "lighthouse"),
    (r"kitchen|oven|stove", "kitchen"),
    (r"church", "church"),
    (r"docks?|pier|jetty|landing", "dock"),
    (r"harbou?r", "harbour"),
    (r"square|town hall|fountain", "square"),
    (r"fields?|wheat|meadow|farmland", "field"),
    (r"street|streets|road", "street"),
    (r"hill|hilltop", "hill"),
    (r"garden", "garden"),
    (r"forest|woods", "forest"),
    (r"beach|shore", "beach"),
    (r"bridge|river|riverbank|(?:far|near|other|river) bank", "river"),
    (r"sea|ocean", "sea"),
    (r"megacity|city", "street"),
    (r"room|bedroom|house|cottage", "room"),
)
TIMES: tuple[tuple[str, str], ...] = (
    (r"(?:one|two|three|four) in the morning", "night"),
    (r"dawn|sunrise|daybreak|first light", "dawn"),
    (r"morning", "morning"),
    (r"noon|midday", "midday"),
    (r"afternoon", "afternoon"),
    (r"dusk|sunset|twilight|nightfall", "dusk"),
    (r"evening|closing time", "evening"),
    (r"midnight|night|nighttime|aurora|(?:in|into) the dark\b(?! hair| eyes)|moonlight|starlight", "night"),
)
_PREPOSITION = re.compile(
    r"\b(?:in|on|at|into|onto|across|through|inside|under|along|up|down|to|toward|towards|behind|outside|above)"
    r"\s+(?:the|a|an|her|his|their|its|our|my)?\s*(?:[a-z\-]+\s+){0,2}$"
)


_QUOTED = re.compile(r"[\"“][^\"”]*[\"”]")
_NEW_TIME = re.compile(
    r"\b(?:in (?:january|february|march|april|may|june|july|august|september|october|november|december|"
    r"spring|summer|autumn|winter)|all (?:summer|winter|spring|autumn|day|week)|(?:the )?next (?:day|week|month|"
    r"year|tuesday|monday|wednesday|thursday|friday|saturday|sunday)|one (?:monday|tuesday|wednesday|thursday|"
    r"friday|saturday|sunday)|that (?:spring|summer|autumn|winter)|for weeks|(?:days|weeks|months|years) later)\b"
)
"""Words that move a story on to another day: the time of day said before them no longer holds."""


def narrated(text: str) -> str:
    """``text`` without its quoted speech: "The harbour, please," names where a passenger wants to go."""
    return _QUOTED.sub(" ", text)


def places_in(text: str) -> list[tuple[int, str, bool]]:
    """Each place ``text`` names outside speech and proper names ("the Sea of Tranquility", "Glacier Station
    Nine"): (offset, place, whether a preposition puts someone there). A possessive ("the truck's engine") is
    not a place."""
    original = narrated(text)
    lowered = original.lower()
    starts = {m.end() for m in re.finditer(r"(?:^|[.!?]\s+)", original)}
    covered: list[tuple[int, int]] = []
    found: list[tuple[int, str, bool]] = []
    for pattern, name in PLACES:
        for match in re.finditer(rf"\b(?:{pattern})\b(?!['’]s)", lowered):
            a, b = match.span()
            if any(a < e and s < b for s, e in covered):
                continue  # an earlier, more specific pattern named it ("dressing room" before "room")
            if original[a].isupper() and a not in starts:
                continue
            covered.append((a, b))
            there = bool(_PREPOSITION.search(lowered[max(0, a - 40) : a]))
            found.append((a, name, there))
    return sorted(found)


def time_in(text: str) -> str:
    """The first time of day ``text`` names outside speech; "" when it names none."""
    lowered = narrated(text).lower()
    hits = [(m.start(), name) for pattern, name in TIMES for m in re.finditer(rf"\b(?:{pattern})\b", lowered)]
    return min(hits)[1] if hits else ""


def settings_of(chunks: list[str], opening_time: str = "") -> list[tuple[str, str]]:
    """Each scene's place and time of day, from its words: the first place a preposition puts someone in, else
    the first it names; a scene that names none is where the one before it ended (the last place that one put
    someone in, else the last it named), and keeps its time of day (``opening_time``, the title's "Night Fare", before any is named)."""
    out, place, time = [], "", opening_time
    # A station is a space station in a story that has one, else a railway station among the streets.
    in_space = any(re.search(r"\bspace\s+station\b|\borbit", c, re.I) for c in chunks)
    for chunk in chunks:
        found = [
            (at, "street" if name == "station" and not in_space else name, there)
            for at, name, there in places_in(chunk)
        ]
        put = [name for _, name, there in found if there]
        out_place = put[0] if put else found[0][1] if found else place
        place = put[-1] if put else found[-1][1] if found else place
        if _NEW_TIME.search(chunk.lower()):
            time = ""
        time = time_in(chunk) or time
        out.append((out_place, time))
    return out
